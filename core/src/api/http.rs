//! The HTTP side: `POST /rpc`, `GET /events`, the Host check, the bearer
//! token, the size bound.

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
    conn::{Conn, Transport},
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
        // Outermost, so it runs first: a foreign Host learns nothing more.
        .layer(middleware::from_fn(loopback_host))
        .with_state(ctx)
}

/// Answers 403 to a TCP request for any host but a loopback one. A web
/// page can point its own name at 127.0.0.1 (DNS rebinding) and so reach
/// the API from the browser; its requests then carry that name.
async fn loopback_host(request: Request, next: Next) -> Response {
    let tcp = request
        .extensions()
        .get::<Conn>()
        .is_none_or(|c| c.transport == Transport::Tcp);
    if tcp && !for_loopback_host(&request) {
        return json_response(
            StatusCode::FORBIDDEN,
            &rpc::error(
                Value::Null,
                &RpcError::new(
                    -32000,
                    "forbidden: the API answers requests for a loopback host only \
                     (127.0.0.1, localhost or [::1])",
                ),
            ),
        );
    }
    next.run(request).await
}

/// Whether the request names exactly one host, and a loopback one.
fn for_loopback_host(request: &Request) -> bool {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    // A request in absolute form names its host in the target too.
    let target_ok = request
        .uri()
        .authority()
        .is_none_or(|a| is_loopback_authority(a.as_str()));
    target_ok && is_loopback_authority(host)
}

/// `127.0.0.1`, `localhost` or `[::1]` (any IPv4 loopback address), with
/// an optional port.
fn is_loopback_authority(authority: &str) -> bool {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if port.is_some_and(|p| p.is_empty() || p.parse::<u16>().is_err()) {
        return false;
    }
    if authority.starts_with('[') {
        return host
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    }
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
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
        if let Some(conn) = request.extensions().get::<Conn>() {
            conn.prove();
        }
        return next.run(request).await;
    }
    let message = if given.is_some() {
        "wrong bearer token"
    } else {
        "missing bearer token"
    };
    // Nothing about the node (its data dir, name or id) before the token.
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &rpc::error(
            Value::Null,
            &RpcError::new(
                -32000,
                format!(
                    "{message}: send `Authorization: Bearer TOKEN` with the token \
                     of the node's API (the file {} in its data dir)",
                    super::TOKEN_FILE
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

/// How long a request body may take to arrive whole.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn rpc_endpoint(State(ctx): State<Ctx>, body: Body) -> Response {
    let read = http_body_util::Limited::new(body, MAX_REQUEST_BYTES).collect();
    let Ok(read) = tokio::time::timeout(BODY_READ_TIMEOUT, read).await else {
        return json_response(
            StatusCode::REQUEST_TIMEOUT,
            &rpc::error(
                Value::Null,
                &RpcError::new(
                    INVALID_REQUEST,
                    format!(
                        "the request body did not arrive within {} s",
                        BODY_READ_TIMEOUT.as_secs()
                    ),
                ),
            ),
        );
    };
    let bytes = match read {
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
        let _: super::params::NoParams = super::methods::params(method, params)?;
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
            let event = tokio::select! {
                biased;
                _ = stop.cancelled() => return None,
                e = super::local::merged(&mut node_events, &mut api_events) => e?,
            };
            let value = serde_json::to_value(event).ok()?;
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

#[cfg(test)]
mod tests {
    use super::is_loopback_authority;

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:4510",
            "localhost",
            "LocalHost:80",
            "[::1]",
            "[::1]:4510",
            "127.0.0.2:9",
        ] {
            assert!(is_loopback_authority(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:4510",
            "localhost.evil.example",
            "localhost:",
            "localhost:99999",
            "localhost:80:80",
            "127.0.0.1.nip.io",
            "10.0.0.1:4510",
            "0.0.0.0",
            "[::]:80",
            "[::1",
            "[::1]x",
            "::1",
            "[127.0.0.1]",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }
}
