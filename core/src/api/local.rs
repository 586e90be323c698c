//! The API as one typed interface, on this process's node or on a running
//! node's server: a front end (the CLI) writes each command once against
//! [`Api`], and gets the same answers, errors and events either way.

use std::{future::Future, sync::Arc};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{
    ApiEndpoint, Ctx,
    client::{ApiClient, ClientError, EventStream},
    http, methods,
    methods::Method,
    ops::{self, ApiEvent},
    rpc::RpcError,
};
use crate::{Event, Events, Node};

/// One event of the API's stream: the node's, or the API's own (an
/// operation that ended).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum StreamEvent {
    /// Something that happened in the node.
    Node(Event),
    /// An operation started through the API ended.
    Api(ApiEvent),
}

/// A running node's methods and events, wherever the node runs.
pub trait Api: Send + Sync {
    /// Calls a method: `api.call(call::DevicesRemove, params)`.
    fn call<M: Method>(
        &self,
        method: M,
        params: M::Params,
    ) -> impl Future<Output = Result<M::Result, ClientError>> + Send;

    /// Subscribes to the node's events (and the API's own).
    fn events(&self) -> impl Future<Output = Result<Subscription, ClientError>> + Send;
}

/// Events as they come, from this process's node or from a server's stream.
#[derive(Debug)]
pub struct Subscription(Source);

#[derive(Debug)]
enum Source {
    Local {
        node: Events,
        api: broadcast::Receiver<ApiEvent>,
    },
    Remote(EventStream),
}

impl Subscription {
    /// The next event; None once the node stopped.
    pub async fn next(&mut self) -> Option<StreamEvent> {
        match &mut self.0 {
            Source::Local { node, api } => merged(node, api).await,
            Source::Remote(stream) => loop {
                let value = stream.next().await?;
                // An event this build does not know (a newer node's) is
                // skipped rather than ending the stream.
                if let Ok(event) = serde_json::from_value(value) {
                    return Some(event);
                }
            },
        }
    }

    /// An event already waiting, without waiting for one (this process's
    /// node only: a server's stream has no queue to look into).
    pub fn try_next(&mut self) -> Option<StreamEvent> {
        match &mut self.0 {
            Source::Local { node, api } => match node.try_recv() {
                Some(e) => Some(StreamEvent::Node(e)),
                None => api.try_recv().ok().map(StreamEvent::Api),
            },
            Source::Remote(_) => None,
        }
    }

    /// The server's id for this stream, for shares that live as long as it
    /// (`shares.create` with `stream`); None on this process's node, whose
    /// shares end with the process.
    pub fn id(&self) -> Option<u64> {
        match &self.0 {
            Source::Local { .. } => None,
            Source::Remote(stream) => stream.id(),
        }
    }
}

/// The next event of a node and an API: the node's first, since those a
/// push or a receive emitted come before the event that says it ended.
pub(crate) async fn merged(
    node: &mut Events,
    api: &mut broadcast::Receiver<ApiEvent>,
) -> Option<StreamEvent> {
    tokio::select! {
        biased;
        e = node.recv() => e.map(StreamEvent::Node),
        e = api.recv() => match e {
            Ok(e) => Some(StreamEvent::Api(e)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                Some(StreamEvent::Node(Event::Lagged { missed }))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        },
    }
}

/// The API of this process's node, without a server: each call goes
/// through the same table and handlers as a request to a server does.
#[derive(Clone)]
pub struct LocalApi {
    ctx: Ctx,
    /// Cancels the operations started here when the last clone goes.
    _stop: Arc<StopOnDrop>,
}

impl std::fmt::Debug for LocalApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalApi")
            .field("node", &self.ctx.node.id())
            .finish_non_exhaustive()
    }
}

struct StopOnDrop(CancellationToken);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl LocalApi {
    /// The API of `node`. Operations it starts are cancelled when the last
    /// clone of it is dropped.
    pub fn new(node: Node) -> Self {
        let stop = CancellationToken::new();
        let ctx = Ctx {
            node,
            ops: ops::Operations::new(stop.child_token()),
            holds: Arc::default(),
            endpoint: Arc::new(ApiEndpoint {
                http: None,
                socket: None,
                pid: std::process::id(),
            }),
            token: "".into(),
            stop: stop.clone(),
            methods: Arc::new(methods::by_name()),
        };
        Self {
            ctx,
            _stop: Arc::new(StopOnDrop(stop)),
        }
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.ctx.node
    }
}

impl Api for LocalApi {
    async fn call<M: Method>(&self, _: M, params: M::Params) -> Result<M::Result, ClientError> {
        let value = http::call(&self.ctx, M::NAME, Some(encode::<M>(params)?))
            .await
            .map_err(ClientError::from)?;
        decode::<M>(value)
    }

    async fn events(&self) -> Result<Subscription, ClientError> {
        Ok(Subscription(Source::Local {
            node: self.ctx.node.events(),
            api: self.ctx.ops.subscribe(),
        }))
    }
}

impl Api for ApiClient {
    async fn call<M: Method>(&self, _: M, params: M::Params) -> Result<M::Result, ClientError> {
        let value = self.call_json(M::NAME, encode::<M>(params)?).await?;
        decode::<M>(value)
    }

    async fn events(&self) -> Result<Subscription, ClientError> {
        ApiClient::events(self)
            .await
            .map(|s| Subscription(Source::Remote(s)))
    }
}

/// A method's params as the JSON a request carries.
fn encode<M: Method>(params: M::Params) -> Result<serde_json::Value, ClientError> {
    serde_json::to_value(params)
        .map_err(|e| ClientError::Protocol(format!("cannot encode {}: {e}", M::NAME)))
}

fn decode<M: Method>(value: serde_json::Value) -> Result<M::Result, ClientError> {
    serde_json::from_value(value).map_err(|e| {
        ClientError::Protocol(format!(
            "{} answered in a form this build does not know: {e}",
            M::NAME
        ))
    })
}

impl From<RpcError> for ClientError {
    fn from(e: RpcError) -> Self {
        Self::Rpc {
            code: e.code,
            kind: e.error_kind(),
            message: e.message,
        }
    }
}
