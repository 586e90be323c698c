//! When a running node owns the data dir (`ferry listen`, the desktop
//! app), commands drive it through its local API instead of opening the
//! data dir a second time. The answers are the same core types, so the
//! output is the same either way.

use ferry_core::{
    ErrorKind, Events, Node,
    api::client::{ApiClient, ClientError, EventStream},
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{CliResult, Failure, Globals};

/// The node a command works with.
pub(crate) enum Backend {
    /// This process's own node.
    Local(Node),
    /// The running node that owns the data dir, through its API.
    Remote(Remote),
}

/// The API of the node that owns the data dir.
pub(crate) struct Remote(ApiClient);

impl Remote {
    /// The running node of the data dir, if one answers. An `api.json`
    /// left by a node that died answers nothing: then there is none.
    pub async fn find(globals: &Globals) -> CliResult<Option<Self>> {
        let Some(client) = ApiClient::for_data_dir(&globals.data_dir()?) else {
            return Ok(None);
        };
        match client.call("node.info", json!({})).await {
            Ok(_) => Ok(Some(Self(client))),
            Err(ClientError::Connect(_)) => Ok(None),
            Err(e) => Err(Failure::failed(format!(
                "the node running on this data dir does not take requests: {e}"
            ))),
        }
    }

    /// Calls a method and decodes its result.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> CliResult<T> {
        self.call_mapped(method, params, failure).await
    }

    /// Calls a method that names a paired device: a device that cannot be
    /// found is bad input (exit 2), as in the local case.
    pub async fn call_naming_device<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> CliResult<T> {
        self.call_mapped(method, params, |e| match e {
            ClientError::Rpc {
                kind: Some(kind),
                message,
                ..
            } if kind == "not_found" || kind == "invalid_input" => Failure::usage(message),
            other => failure(other),
        })
        .await
    }

    /// Calls a method that starts an operation and waits for its end: its
    /// result, or its error as the failure the local call gives.
    pub async fn run<T: DeserializeOwned>(&self, method: &str, params: Value) -> CliResult<T> {
        let mut events = self.events().await?;
        let started: Value = self.call(method, params).await?;
        let operation = &started["operation"];
        loop {
            let Some(event) = events.next().await else {
                return Err(Failure::failed("the running node stopped"));
            };
            if event["operation"] != *operation {
                continue;
            }
            match event["event"].as_str() {
                Some("operation_finished") => return decode(method, event["result"].clone()),
                Some("operation_failed") => return Err(operation_failure(&event["error"])),
                _ => {}
            }
        }
    }

    /// The running node's events.
    pub async fn events(&self) -> CliResult<EventStream> {
        self.0.events().await.map_err(failure)
    }

    async fn call_mapped<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        map: impl FnOnce(ClientError) -> Failure,
    ) -> CliResult<T> {
        let value = self.0.call(method, params).await.map_err(map)?;
        decode(method, value)
    }
}

fn decode<T: DeserializeOwned>(method: &str, value: Value) -> CliResult<T> {
    serde_json::from_value(value).map_err(|e| {
        Failure::failed(format!(
            "the running node answered {method} in a form this ferry does not know: {e}"
        ))
    })
}

/// The `error` of an `operation_failed` event as the same failure (and
/// exit code) the local call gives.
pub(crate) fn operation_failure(error: &Value) -> Failure {
    let message = error["message"].as_str().unwrap_or("the operation failed");
    match serde_json::from_value::<ErrorKind>(error["kind"].clone()) {
        Ok(kind) => Failure::from_kind(kind, message),
        Err(_) => Failure::failed(message),
    }
}

/// A path as an absolute one: the running node has another working folder,
/// and a relative path a user gives means the same from anywhere.
pub(crate) fn absolute(path: &std::path::Path) -> CliResult<std::path::PathBuf> {
    std::path::absolute(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

/// Each path as an absolute one.
pub(crate) fn absolute_all(paths: &[std::path::PathBuf]) -> CliResult<Vec<std::path::PathBuf>> {
    paths.iter().map(|p| absolute(p)).collect()
}

/// An API error as the same failure (and exit code) the local call gives.
pub(crate) fn failure(e: ClientError) -> Failure {
    match e {
        ClientError::Rpc {
            kind: Some(kind),
            message,
            ..
        } => {
            let kind = serde_json::from_value(Value::String(kind)).unwrap_or(ErrorKind::Internal);
            Failure::from_kind(kind, message)
        }
        other => Failure::failed(other.to_string()),
    }
}

/// Events as JSON objects (each with its `event` field), from this
/// process's node or from the running node's stream.
pub(crate) enum EventSource {
    Local(Events),
    Remote(EventStream),
}

impl EventSource {
    /// The next event; None when the node stopped.
    pub async fn next(&mut self) -> Option<Value> {
        match self {
            Self::Local(events) => loop {
                let event = events.recv().await?;
                if let Ok(value) = serde_json::to_value(event) {
                    return Some(value);
                }
            },
            Self::Remote(stream) => stream.next().await,
        }
    }

    /// An event already queued, without waiting (this process's node only:
    /// a remote stream has no queue to look into).
    pub fn try_next(&mut self) -> Option<Value> {
        match self {
            Self::Local(events) => loop {
                let event = events.try_recv()?;
                if let Ok(value) = serde_json::to_value(event) {
                    return Some(value);
                }
            },
            Self::Remote(_) => None,
        }
    }
}
