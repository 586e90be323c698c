//! A client for a running node's API, over its Unix socket or HTTP: what
//! the CLI uses to drive the node that owns a data dir, and what the tests
//! use to drive a server.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::{ApiEndpoint, read_token};
use crate::ErrorKind;

/// Where the API is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Tcp(SocketAddr),
    #[cfg(unix)]
    Unix(PathBuf),
}

/// Why a call did not give a result.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing answered.
    #[error("cannot reach the node's API: {0}")]
    Connect(String),
    /// The server refused the request before JSON-RPC (401, 413, …).
    #[error("the API answered HTTP {status}: {message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The error message from the body, or the body.
        message: String,
    },
    /// The method failed.
    #[error("{message}")]
    Rpc {
        /// The JSON-RPC error code.
        code: i64,
        /// The error's kind, when the node gave one (`not_found`, …).
        kind: Option<ErrorKind>,
        /// What went wrong.
        message: String,
    },
    /// The answer was not JSON-RPC.
    #[error("the API sent an invalid answer: {0}")]
    Protocol(String),
}

/// A raw HTTP answer.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The `content-type` header.
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
}

impl RawResponse {
    /// The body as JSON (Null if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A client for one API server.
#[derive(Debug, Clone)]
pub struct ApiClient {
    target: Target,
    token: String,
}

impl ApiClient {
    /// A client for the HTTP server at `addr`.
    pub fn http(addr: SocketAddr, token: impl Into<String>) -> Self {
        Self {
            target: Target::Tcp(addr),
            token: token.into(),
        }
    }

    /// A client for the server on the Unix socket at `path`.
    #[cfg(unix)]
    pub fn unix(path: impl Into<PathBuf>, token: impl Into<String>) -> Self {
        Self {
            target: Target::Unix(path.into()),
            token: token.into(),
        }
    }

    /// A client for the node that serves `data_dir`, by its `api.json` and
    /// token (the socket when there is one); None when no server wrote
    /// them. The server may still be gone: calls then fail with
    /// [`ClientError::Connect`].
    pub fn for_data_dir(data_dir: &Path) -> Option<Self> {
        let endpoint = ApiEndpoint::read(data_dir)?;
        let token = read_token(data_dir).ok()?;
        #[cfg(unix)]
        if let Some(socket) = endpoint.socket {
            return Some(Self::unix(socket, token));
        }
        endpoint.http.map(|addr| Self::http(addr, token))
    }

    /// Calls a method by name with params as JSON, and returns its result
    /// as JSON: for what the typed [`Api::call`](super::Api::call) cannot
    /// send (tests of bad input, methods of a newer node).
    pub async fn call_json(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let response = self
            .send(
                "POST",
                "/rpc",
                Some(body.to_string().into_bytes()),
                Some(&self.token),
            )
            .await?;
        let value = response.json();
        if response.status != 200 {
            let message = value["error"]["message"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned());
            return Err(ClientError::Http {
                status: response.status,
                message,
            });
        }
        if let Some(error) = value.get("error") {
            return Err(ClientError::Rpc {
                code: error["code"].as_i64().unwrap_or(0),
                kind: serde_json::from_value(error["data"]["kind"].clone()).ok(),
                message: error["message"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_string(),
            });
        }
        value
            .get("result")
            .cloned()
            .ok_or_else(|| ClientError::Protocol(format!("no result in {value}")))
    }

    /// Sends one HTTP request as given: for callers that need the raw
    /// answer (and tests of bad input). `token` None sends none.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        token: Option<&str>,
    ) -> Result<RawResponse, ClientError> {
        let (response, _conn) = self.open(method, path, body, token).await?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?
            .to_bytes();
        Ok(RawResponse {
            status,
            content_type,
            body,
        })
    }

    /// Opens the event stream.
    pub async fn events(&self) -> Result<EventStream, ClientError> {
        let (response, conn) = self.open("GET", "/events", None, Some(&self.token)).await?;
        if response.status() != 200 {
            return Err(ClientError::Http {
                status: response.status().as_u16(),
                message: "the event stream was refused".into(),
            });
        }
        let id = response
            .headers()
            .get(super::http::STREAM_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok(EventStream {
            id,
            body: response.into_body(),
            buffer: Vec::new(),
            _conn: conn,
        })
    }

    async fn open(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        token: Option<&str>,
    ) -> Result<(hyper::Response<hyper::body::Incoming>, ConnTask), ClientError> {
        let connect_err = |e: std::io::Error| ClientError::Connect(e.to_string());
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "localhost");
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        let request = builder
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        macro_rules! over {
            ($stream:expr) => {{
                let io = TokioIo::new($stream);
                let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
                    .await
                    .map_err(|e| ClientError::Connect(e.to_string()))?;
                let conn = ConnTask(tokio::spawn(async move {
                    let _ = conn.await;
                }));
                let response = sender
                    .send_request(request)
                    .await
                    .map_err(|e| ClientError::Connect(e.to_string()))?;
                Ok((response, conn))
            }};
        }
        match &self.target {
            Target::Tcp(addr) => over!(
                tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(connect_err)?
            ),
            #[cfg(unix)]
            Target::Unix(path) => over!(
                tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(connect_err)?
            ),
        }
    }
}

/// Drives a connection while its answer is read; stops it when dropped.
#[derive(Debug)]
struct ConnTask(JoinHandle<()>);

impl Drop for ConnTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The node's events as they come.
#[derive(Debug)]
pub struct EventStream {
    id: Option<u64>,
    body: hyper::body::Incoming,
    buffer: Vec<u8>,
    _conn: ConnTask,
}

impl EventStream {
    /// The stream's id: a share made with it (`shares.create` with
    /// `stream`) ends when this stream is dropped.
    pub fn id(&self) -> Option<u64> {
        self.id
    }

    /// The next event (a JSON object with an `event` field); None when the
    /// stream ended.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            // An event ends with an empty line; its data lines hold the JSON.
            if let Some(end) = find(&self.buffer, b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8_lossy(&block);
                let data: Vec<&str> = text
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(|d| d.strip_prefix(' ').unwrap_or(d))
                    .collect();
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                if let Ok(v) = serde_json::from_str(&data.join("\n")) {
                    return Some(v);
                }
                continue;
            }
            let frame = self.body.frame().await?.ok()?;
            if let Ok(data) = frame.into_data() {
                self.buffer.extend_from_slice(&data);
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
