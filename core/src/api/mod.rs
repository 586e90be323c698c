//! The local JSON-RPC 2.0 API: the process that owns a node serves it to
//! scripts, the CLI and other front ends.
//!
//! - `POST /rpc`: JSON-RPC 2.0 requests (single or batch), over HTTP on a
//!   loopback address and over the Unix socket `api.sock` in the data dir.
//! - `GET /events`: the node's events as Server-Sent Events; the response's
//!   `Ferry-Stream` header names the stream, and shares made for it stop
//!   when it closes.
//! - Every request carries `Authorization: Bearer TOKEN`, the token kept in
//!   `<data-dir>/api-token` (mode 0600); without it: 401, nothing done and
//!   nothing said about the node.
//! - Over TCP, only requests for a loopback host (`127.0.0.1`, `localhost`,
//!   `[::1]`, with any port) are answered: a web page that rebinds its own
//!   name to 127.0.0.1 gets 403.
//! - HTTP is served on loopback addresses only, with bounded connections
//!   and timeouts ([`MAX_CONNECTIONS`], [`HEADER_READ_TIMEOUT`]).
//! - `rpc.discover` answers an OpenRPC document built from the same method
//!   table as the handlers ([`methods`]).
//!
//! `api.json` in the data dir says where a running server listens; the
//! [`client`] uses it to reach the node that owns a data dir.

pub mod client;
mod conn;
mod files;
mod handlers;
mod http;
mod local;
mod methods;
mod openrpc;
mod ops;
pub mod params;
mod rpc;

use std::{
    net::{Ipv4Addr, SocketAddr},
    path::PathBuf,
    sync::Arc,
};

pub use conn::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS};
pub use files::{
    ApiEndpoint, ENDPOINT_FILE, SOCKET_FILE, TOKEN_FILE, load_or_create_token, read_token,
};
pub use http::STREAM_HEADER;
pub use local::{Api, LocalApi, StreamEvent, Subscription};
pub use methods::{Method, call};
pub use ops::{ApiEvent, ErrorInfo, OperationInfo, Started};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::{ErrorKind, Node};

/// The largest request body taken, in bytes.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

/// The API's reference page in Markdown (`docs/api.md`), generated from
/// the same method table as the handlers.
pub fn reference() -> String {
    openrpc::markdown(&openrpc::document())
}

/// Where to serve the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// The HTTP address, a loopback one; None serves no HTTP. Default:
    /// 127.0.0.1 on a free port (written to `api.json`).
    pub http: Option<SocketAddr>,
    /// Serve on `<data-dir>/api.sock` too (Unix only).
    pub socket: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            http: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
            socket: cfg!(unix),
        }
    }
}

impl ApiConfig {
    /// Checks the config without binding anything: the HTTP address must
    /// be a loopback one, since the API answers anyone who holds the token
    /// and speaks plain HTTP.
    pub fn check(&self) -> Result<(), ApiError> {
        match self.http {
            Some(addr) if !addr.ip().to_canonical().is_loopback() => {
                Err(ApiError::NotLoopback { addr })
            }
            _ => Ok(()),
        }
    }
}

/// Why the API could not start.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The HTTP address is not a loopback one.
    #[error(
        "the API serves loopback addresses only (such as 127.0.0.1 or [::1]), not {addr}: \
         it would be open to the network"
    )]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The HTTP address is taken or not ours.
    #[error("cannot serve the API on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The token, socket or endpoint file could not be written.
    #[error("cannot set up the API in {}: {source}", path.display())]
    Files {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl crate::HasKind for ApiError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotLoopback { .. } | Self::Bind { .. } => ErrorKind::InvalidInput,
            Self::Files { .. } => ErrorKind::Storage,
        }
    }
}

/// What every handler gets.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub node: Node,
    pub ops: ops::Operations,
    pub holds: Arc<ops::Holds>,
    pub endpoint: Arc<ApiEndpoint>,
    pub token: Arc<str>,
    pub stop: CancellationToken,
    pub methods: Arc<std::collections::BTreeMap<&'static str, methods::MethodDef>>,
}

/// A running API server. Stop it with [`ApiServer::stop`] before the node
/// shuts down; dropping it stops serving too.
#[derive(Debug)]
pub struct ApiServer {
    endpoint: ApiEndpoint,
    token: String,
    data_dir: PathBuf,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl ApiServer {
    /// Starts serving `node`'s API as `config` says; creates the token if
    /// there is none and writes `api.json`. Fails with
    /// [`ApiError::NotLoopback`] for an HTTP address other machines could
    /// reach.
    pub async fn start(node: &Node, config: ApiConfig) -> Result<Self, ApiError> {
        config.check()?;
        let data_dir = node.data_dir().to_path_buf();
        let files_err = |path: PathBuf| move |source| ApiError::Files { path, source };
        let token =
            load_or_create_token(&data_dir).map_err(files_err(data_dir.join(TOKEN_FILE)))?;

        let http = match config.http {
            Some(addr) => {
                let bind_err = |source| ApiError::Bind { addr, source };
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(bind_err)?;
                let bound = listener.local_addr().map_err(bind_err)?;
                Some((listener, bound))
            }
            None => None,
        };
        #[cfg(unix)]
        let socket = if config.socket {
            bind_socket(&data_dir.join(SOCKET_FILE))
        } else {
            None
        };
        #[cfg(not(unix))]
        let socket: Option<()> = None;

        let endpoint = ApiEndpoint {
            http: http.as_ref().map(|(_, bound)| *bound),
            #[cfg(unix)]
            socket: socket.as_ref().map(|_| data_dir.join(SOCKET_FILE)),
            #[cfg(not(unix))]
            socket: None,
            pid: std::process::id(),
        };
        let stop = CancellationToken::new();
        let ctx = Ctx {
            node: node.clone(),
            ops: ops::Operations::new(stop.child_token()),
            holds: Arc::default(),
            endpoint: Arc::new(endpoint.clone()),
            token: token.clone().into(),
            stop: stop.clone(),
            methods: Arc::new(methods::by_name()),
        };

        let app = http::router(ctx);
        let mut tasks = Vec::new();
        if let Some((listener, _)) = http {
            tasks.push(tokio::spawn(conn::serve(
                listener,
                app.clone(),
                conn::Transport::Tcp,
                stop.clone(),
            )));
        }
        #[cfg(unix)]
        if let Some(listener) = socket {
            tasks.push(tokio::spawn(conn::serve(
                listener,
                app,
                conn::Transport::Unix,
                stop.clone(),
            )));
        }
        endpoint
            .write(&data_dir)
            .map_err(files_err(data_dir.join(ENDPOINT_FILE)))?;
        Ok(Self {
            endpoint,
            token,
            data_dir,
            stop,
            tasks,
        })
    }

    /// Where it listens.
    pub fn endpoint(&self) -> &ApiEndpoint {
        &self.endpoint
    }

    /// The bearer token requests need.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Stops serving: open event streams end, running operations are
    /// cancelled, and `api.json` and the socket are removed.
    pub async fn stop(mut self) {
        self.stop.cancel();
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
        self.remove_files();
    }

    fn remove_files(&self) {
        // Only what this server wrote: a later server may own them by now.
        if ApiEndpoint::read(&self.data_dir).is_some_and(|e| e == self.endpoint) {
            let _ = std::fs::remove_file(self.data_dir.join(ENDPOINT_FILE));
            if let Some(socket) = &self.endpoint.socket {
                let _ = std::fs::remove_file(socket);
            }
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if !self.stop.is_cancelled() {
            self.stop.cancel();
            for task in &self.tasks {
                task.abort();
            }
            self.remove_files();
        }
    }
}

/// Binds the socket. The node holds the data dir's lock, so a socket file
/// left there is from a process that died: it is replaced. A path too long
/// for a socket leaves the API on HTTP only.
#[cfg(unix)]
fn bind_socket(path: &std::path::Path) -> Option<tokio::net::UnixListener> {
    let _ = std::fs::remove_file(path);
    match tokio::net::UnixListener::bind(path) {
        Ok(listener) => {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
            Some(listener)
        }
        Err(e) => {
            warn!("no API socket at {}: {e}", path.display());
            None
        }
    }
}
