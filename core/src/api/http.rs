//! The HTTP side: `POST /rpc`, `GET /events`, the bearer token, the size
//! bound.

use std::convert::Infallible;

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{
        IntoResponse, Response,
        sse::{Event as SseEvent, KeepAlive, Sse},
    },
    routing::{get, post},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::{
    Ctx, MAX_REQUEST_BYTES,
    files::same_token,
    openrpc,
    rpc::{self, INVALID_REQUEST, Incoming, METHOD_NOT_FOUND, RpcError},
};

pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/rpc", post(rpc_endpoint))
        .route("/events", get(events_endpoint))
        .fallback(|| async {
            json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": "not found: the API is POST /rpc and GET /events"}),
            )
        })
        .layer(middleware::from_fn_with_state(ctx.clone(), auth))
        .with_state(ctx)
}

/// Lets through requests that carry the token; answers 401 to the rest.
async fn auth(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if given.is_some_and(|t| same_token(t, &ctx.token)) {
        return next.run(request).await;
    }
    let message = if given.is_some() {
        "wrong bearer token"
    } else {
        "missing bearer token"
    };
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &rpc::error(
            Value::Null,
            &RpcError::new(
                -32000,
                format!(
                    "{message}: send `Authorization: Bearer TOKEN`, with the token from {}",
                    ctx.node.data_dir().join(super::TOKEN_FILE).display()
                ),
            ),
        ),
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn rpc_endpoint(State(ctx): State<Ctx>, body: Body) -> Response {
    let bytes = match http_body_util::Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let too_big = e.is::<http_body_util::LengthLimitError>();
            let error = if too_big {
                RpcError::new(
                    INVALID_REQUEST,
                    format!(
                        "the request is too large: at most {} KiB are taken",
                        MAX_REQUEST_BYTES / 1024
                    ),
                )
            } else {
                RpcError::new(INVALID_REQUEST, format!("cannot read the request: {e}"))
            };
            let status = if too_big {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return json_response(status, &rpc::error(Value::Null, &error));
        }
    };
    match rpc::parse(&bytes) {
        Incoming::Broken(e) => json_response(StatusCode::OK, &rpc::error(Value::Null, &e)),
        Incoming::Single(r) => match answer(&ctx, r).await {
            Some(v) => json_response(StatusCode::OK, &v),
            None => StatusCode::NO_CONTENT.into_response(),
        },
        Incoming::Batch(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(v) = answer(&ctx, item).await {
                    out.push(v);
                }
            }
            if out.is_empty() {
                StatusCode::NO_CONTENT.into_response()
            } else {
                json_response(StatusCode::OK, &Value::Array(out))
            }
        }
    }
}

/// Runs one request; None for a notification, which gets no answer.
async fn answer(ctx: &Ctx, request: Result<rpc::Request, (Value, RpcError)>) -> Option<Value> {
    let request = match request {
        Ok(r) => r,
        Err((id, e)) => return Some(rpc::error(id, &e)),
    };
    let outcome = call(ctx, &request.method, request.params).await;
    let id = request.id?;
    Some(match outcome {
        Ok(v) => rpc::result(id, v),
        Err(e) => rpc::error(id, &e),
    })
}

pub(crate) async fn call(
    ctx: &Ctx,
    method: &str,
    params: Option<Value>,
) -> Result<Value, RpcError> {
    if method == openrpc::DISCOVER {
        let _: super::methods::NoParams = super::methods::params(method, params)?;
        return Ok(openrpc::document());
    }
    let Some(def) = ctx.methods.get(method) else {
        return Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("unknown method {method:?}; rpc.discover lists the methods"),
        ));
    };
    // A handler runs as its own task: a panic in it fails this call only.
    match tokio::spawn((def.call)(ctx.clone(), params)).await {
        Ok(outcome) => outcome,
        Err(e) => Err(RpcError::new(
            rpc::INTERNAL_ERROR,
            format!("{method} failed inside Ferry: {e}"),
        )),
    }
}

/// The header that gives an event stream's id: shares made with it
/// (`shares.create` with `stream`) end when the stream closes.
pub const STREAM_HEADER: &str = "ferry-stream";

/// How often an idle event stream is pinged: a reader that went away is
/// noticed (and its shares stopped) within this time.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);

async fn events_endpoint(State(ctx): State<Ctx>) -> impl IntoResponse {
    let node_events = ctx.node.events();
    let api_events = ctx.ops.subscribe();
    let stop = ctx.stop.clone();
    let hold = ctx.holds.open(ctx.node.clone());
    let stream_id = hold.id;
    let stream = n0_future::stream::unfold(
        (node_events, api_events, stop, hold),
        |(mut node_events, mut api_events, stop, hold)| async move {
            // The node's events first: those a push or receive emitted
            // come before the event that says it ended.
            let value = tokio::select! {
                biased;
                _ = stop.cancelled() => return None,
                e = node_events.recv() => serde_json::to_value(e?).ok()?,
                e = api_events.recv() => match e {
                    Ok(e) => serde_json::to_value(e).ok()?,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        json!({"event": "lagged", "missed": missed})
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
            };
            let name = value
                .get("event")
                .and_then(Value::as_str)
                .unwrap_or("message")
                .to_string();
            let event = SseEvent::default().event(name).data(value.to_string());
            Some((
                Ok::<_, Infallible>(event),
                (node_events, api_events, stop, hold),
            ))
        },
    );
    (
        [(STREAM_HEADER, stream_id.to_string())],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)),
    )
}
