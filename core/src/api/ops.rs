//! Long operations (a push, a receive): started by a call that returns
//! their id at once, reported on the event stream when they end. And the
//! shares held by open event streams.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::rpc::RpcError;
use crate::{ErrorKind, Hash, Node};

/// The answer of a call that starts an operation.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub struct Started {
    /// The operation's id: its `operation_finished` or `operation_failed`
    /// event carries it, and `operations.cancel` takes it.
    pub operation: u64,
}

/// An operation that still runs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OperationInfo {
    /// Its id.
    pub operation: u64,
    /// The method that started it.
    pub method: String,
    /// What it works on: the device pushed to, the ticket received.
    pub target: String,
    /// When it started, in milliseconds since the Unix epoch.
    pub started_at_ms: i64,
}

/// An error, as events report it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorInfo {
    /// The JSON-RPC error code.
    pub code: i64,
    /// The error's kind (`not_found`, `network`, …), when the node gave one.
    pub kind: Option<ErrorKind>,
    /// What went wrong, for people.
    pub message: String,
    /// What the other device answered, when it rejected an offer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<RpcError> for ErrorInfo {
    fn from(e: RpcError) -> Self {
        let field = |name: &str| {
            e.data
                .as_ref()
                .and_then(|d| d.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Self {
            code: e.code,
            kind: e.error_kind(),
            reason: field("reason"),
            message: e.message,
        }
    }
}

/// The events of the API itself, on the stream next to the node's events.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ApiEvent {
    /// An operation ended well; `result` is what its method documents.
    OperationFinished {
        /// The operation's id.
        operation: u64,
        /// The method that started it.
        method: String,
        /// Its result.
        result: Value,
    },
    /// An operation failed or was cancelled.
    OperationFailed {
        /// The operation's id.
        operation: u64,
        /// The method that started it.
        method: String,
        /// Why.
        error: ErrorInfo,
    },
}

struct Running {
    info: OperationInfo,
    cancel: CancellationToken,
}

/// The operations this API started.
#[derive(Clone)]
pub(crate) struct Operations {
    inner: Arc<OpsInner>,
}

struct OpsInner {
    next: AtomicU64,
    running: Mutex<HashMap<u64, Running>>,
    events: broadcast::Sender<ApiEvent>,
    /// Cancelled when the server stops: every operation ends with it.
    stop: CancellationToken,
}

impl Operations {
    pub fn new(stop: CancellationToken) -> Self {
        Self {
            inner: Arc::new(OpsInner {
                next: AtomicU64::new(1),
                running: Mutex::new(HashMap::new()),
                events: broadcast::channel(256).0,
                stop,
            }),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ApiEvent> {
        self.inner.events.subscribe()
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Running>> {
        self.inner.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `work` in the background and returns its id at once.
    pub fn start(
        &self,
        method: &str,
        target: String,
        work: impl Future<Output = Result<Value, RpcError>> + Send + 'static,
    ) -> Started {
        let operation = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let cancel = self.inner.stop.child_token();
        self.running().insert(
            operation,
            Running {
                info: OperationInfo {
                    operation,
                    method: method.to_string(),
                    target,
                    started_at_ms: crate::store::now_ms(),
                },
                cancel: cancel.clone(),
            },
        );
        let ops = self.clone();
        let method = method.to_string();
        tokio::spawn(async move {
            let outcome = tokio::select! {
                r = work => r,
                _ = cancel.cancelled() => Err(RpcError::kind(ErrorKind::Cancelled, "cancelled")),
            };
            ops.running().remove(&operation);
            let event = match outcome {
                Ok(result) => ApiEvent::OperationFinished {
                    operation,
                    method,
                    result,
                },
                Err(e) => ApiEvent::OperationFailed {
                    operation,
                    method,
                    error: e.into(),
                },
            };
            let _ = ops.inner.events.send(event);
        });
        Started { operation }
    }

    /// Cancels a running operation; false if none runs with that id.
    pub fn cancel(&self, operation: u64) -> bool {
        match self.running().get(&operation) {
            Some(r) => {
                r.cancel.cancel();
                true
            }
            None => false,
        }
    }

    pub fn list(&self) -> Vec<OperationInfo> {
        let mut all: Vec<_> = self.running().values().map(|r| r.info.clone()).collect();
        all.sort_by_key(|i| i.operation);
        all
    }
}

/// Shares held by open event streams: a share made for a stream is stopped
/// when the stream closes, so that a client that ends (or is killed)
/// without stopping its share leaves nothing served.
#[derive(Default)]
pub(crate) struct Holds {
    next: AtomicU64,
    /// The roots each open stream holds, once per share.
    open: Mutex<HashMap<u64, Vec<Hash>>>,
}

impl Holds {
    fn open_streams(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Vec<Hash>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens a stream; its shares stop when the guard drops.
    pub fn open(self: &Arc<Self>, node: Node) -> HoldGuard {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.open_streams().insert(id, Vec::new());
        HoldGuard {
            holds: self.clone(),
            node,
            id,
        }
    }

    pub fn is_open(&self, stream: u64) -> bool {
        self.open_streams().contains_key(&stream)
    }

    /// Lets a stream hold a share; false if the stream is not open.
    pub fn hold(&self, stream: u64, root: Hash) -> bool {
        match self.open_streams().get_mut(&stream) {
            Some(roots) => {
                roots.push(root);
                true
            }
            None => false,
        }
    }

    /// How many shares of this content open streams hold.
    pub fn held(&self, root: &Hash) -> usize {
        self.open_streams()
            .values()
            .map(|roots| roots.iter().filter(|r| *r == root).count())
            .sum()
    }

    /// Takes one share of this content from whichever stream holds one.
    pub fn release_any(&self, root: &Hash) {
        let mut open = self.open_streams();
        for roots in open.values_mut() {
            if let Some(i) = roots.iter().position(|r| r == root) {
                roots.swap_remove(i);
                return;
            }
        }
    }

    /// Takes one share from what a stream holds; false if it held none.
    pub fn release(&self, stream: u64, root: &Hash) -> bool {
        let mut open = self.open_streams();
        let Some(roots) = open.get_mut(&stream) else {
            return false;
        };
        match roots.iter().position(|r| r == root) {
            Some(i) => {
                roots.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

/// An open event stream, as its shares see it.
pub(crate) struct HoldGuard {
    holds: Arc<Holds>,
    node: Node,
    /// The stream's id, sent to its reader in the `Ferry-Stream` header.
    pub id: u64,
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        let held = self.holds.open_streams().remove(&self.id);
        for root in held.into_iter().flatten() {
            self.node.shares().stop(&root);
        }
    }
}
