//! The node a command works with, through one typed interface: the running
//! node that owns the data dir (`ferry listen`, the desktop app) over its
//! local API, or else a node of this process's own through the same API
//! table and handlers, without a server. Each command is written once,
//! against [`Backend`]; the answers, errors and events are the same
//! either way.

use std::path::{Path, PathBuf};

use ferry_core::{
    ErrorKind, Event,
    api::{
        Api, ApiEvent, ErrorInfo, LocalApi, Method, Started, StreamEvent, Subscription, call,
        client::{ApiClient, ClientError},
        params::NoParams,
    },
};
use serde::de::DeserializeOwned;

use crate::{CliResult, Failure, Globals};

/// The node a command works with.
pub(crate) enum Backend {
    /// This process's own node.
    Local(LocalApi),
    /// The running node that owns the data dir, through its API.
    Remote(ApiClient),
}

impl Api for Backend {
    async fn call<M: Method>(
        &self,
        method: M,
        params: M::Params,
    ) -> Result<M::Result, ClientError> {
        match self {
            Self::Local(api) => api.call(method, params).await,
            Self::Remote(api) => api.call(method, params).await,
        }
    }

    async fn events(&self) -> Result<Subscription, ClientError> {
        match self {
            Self::Local(api) => api.events().await,
            Self::Remote(api) => Api::events(api).await,
        }
    }
}

impl Backend {
    /// The running node of the data dir if one answers (an `api.json` left
    /// by a node that died answers nothing), else a node of this process.
    pub async fn open(globals: &Globals) -> CliResult<Self> {
        if let Some(client) = ApiClient::for_data_dir(&globals.data_dir()?) {
            match client.call(call::NodeInfo, NoParams::default()).await {
                Ok(_) => return Ok(Self::Remote(client)),
                Err(ClientError::Connect(_)) => {}
                Err(e) => {
                    return Err(Failure::failed(format!(
                        "the node running on this data dir does not take requests: {e}"
                    )));
                }
            }
        }
        let node = globals.start_node().await?;
        Ok(Self::Local(LocalApi::new(node)))
    }

    /// Ends this process's node (a running node goes on).
    pub async fn close(self) {
        if let Self::Local(api) = self {
            let node = api.node().clone();
            drop(api);
            node.shutdown().await;
        }
    }

    /// Runs a command on this backend, then closes it.
    pub async fn run<T>(globals: &Globals, command: impl AsyncFnOnce(&Self) -> T) -> CliResult<T> {
        let backend = Self::open(globals).await?;
        let result = command(&backend).await;
        backend.close().await;
        Ok(result)
    }

    /// Who delivers a push this process leaves queued.
    pub fn delivers_queued(&self) -> &'static str {
        match self {
            Self::Local(_) => "`ferry listen` on this device",
            Self::Remote(_) => "the running node",
        }
    }

    /// Calls a method; its error becomes the failure (and exit code) its
    /// kind maps to.
    pub async fn ask<M: Method>(&self, method: M, params: M::Params) -> CliResult<M::Result> {
        self.call(method, params).await.map_err(failure)
    }

    /// Calls a method that names a paired device: a device that cannot be
    /// found (or named) is bad input, exit 2.
    pub async fn ask_naming_device<M: Method>(
        &self,
        method: M,
        params: M::Params,
    ) -> CliResult<M::Result> {
        self.call(method, params).await.map_err(|e| match e {
            ClientError::Rpc {
                kind: Some(ErrorKind::NotFound | ErrorKind::InvalidInput),
                message,
                ..
            } => Failure::usage(message),
            other => failure(other),
        })
    }

    /// The node's events.
    pub async fn subscribe(&self) -> CliResult<Subscription> {
        self.events().await.map_err(failure)
    }

    /// Calls a method that starts an operation, and waits for its end:
    /// its result, or its error as a failure.
    pub async fn run_operation<M: Method<Result = Started>, T: DeserializeOwned>(
        &self,
        method: M,
        params: M::Params,
    ) -> CliResult<T> {
        let mut events = self.subscribe().await?;
        let started = self.ask(method, params).await?;
        match ended(&mut events, started, |_| {}).await? {
            Ok(result) => Ok(result),
            Err(error) => Err(operation_failure(&error)),
        }
    }
}

/// Waits for an operation to end, passing every node event before it to
/// `show`: its result, or the error it failed with.
pub(crate) async fn ended<T: DeserializeOwned>(
    events: &mut Subscription,
    started: Started,
    mut show: impl FnMut(&Event),
) -> CliResult<Result<T, ErrorInfo>> {
    loop {
        match events.next().await {
            None => return Err(Failure::failed("the node stopped")),
            Some(StreamEvent::Node(event)) => show(&event),
            Some(StreamEvent::Api(ApiEvent::OperationFinished {
                operation, result, ..
            })) if operation == started.operation => {
                return serde_json::from_value(result).map(Ok).map_err(|e| {
                    Failure::from_kind(
                        ErrorKind::Protocol,
                        format!("the node answered in a form this ferry does not know: {e}"),
                    )
                });
            }
            Some(StreamEvent::Api(ApiEvent::OperationFailed {
                operation, error, ..
            })) if operation == started.operation => return Ok(Err(error)),
            Some(StreamEvent::Api(_)) => {}
        }
    }
}

/// The error an operation failed with, as the failure its kind maps to.
pub(crate) fn operation_failure(error: &ErrorInfo) -> Failure {
    Failure::from_kind(error.kind.unwrap_or(ErrorKind::Internal), &error.message)
}

/// An API error as the failure (and exit code) its kind maps to.
pub(crate) fn failure(e: ClientError) -> Failure {
    match e {
        ClientError::Rpc {
            kind: Some(kind),
            message,
            ..
        } => Failure::from_kind(kind, message),
        other => Failure::failed(other.to_string()),
    }
}

/// A path as an absolute one: the running node has another working folder,
/// and a relative path a user gives means the same from anywhere.
pub(crate) fn absolute(path: &Path) -> CliResult<PathBuf> {
    std::path::absolute(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

/// Each path as an absolute one.
pub(crate) fn absolute_all(paths: &[PathBuf]) -> CliResult<Vec<PathBuf>> {
    paths.iter().map(|p| absolute(p)).collect()
}
