//! JSON-RPC 2.0 framing: reading requests (single or batch), writing
//! responses, and the error codes.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::ErrorKind;

/// The most requests one batch may hold.
pub(crate) const MAX_BATCH: usize = 100;

/// Standard JSON-RPC codes.
pub(crate) const PARSE_ERROR: i64 = -32700;
pub(crate) const INVALID_REQUEST: i64 = -32600;
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
pub(crate) const INVALID_PARAMS: i64 = -32602;
pub(crate) const INTERNAL_ERROR: i64 = -32603;

/// The code an application error of this kind gets; `data.kind` names the
/// kind too, so a client can branch on either.
pub(crate) fn code_for(kind: ErrorKind) -> i64 {
    match kind {
        ErrorKind::InvalidInput => -32001,
        ErrorKind::NotFound => -32002,
        ErrorKind::Network => -32003,
        ErrorKind::Timeout => -32004,
        ErrorKind::Cancelled => -32005,
        ErrorKind::Rejected => -32006,
        ErrorKind::Storage => -32007,
        ErrorKind::Protocol => -32008,
        ErrorKind::Internal => -32009,
        ErrorKind::Offline => -32010,
    }
}

/// Every application error code with its kind, for the API's documentation.
pub(crate) const KIND_CODES: [(ErrorKind, &str); 10] = [
    (
        ErrorKind::InvalidInput,
        "The input is unusable: a malformed ticket, a missing path.",
    ),
    (
        ErrorKind::NotFound,
        "Something named does not exist: a device, an offer, an operation.",
    ),
    (
        ErrorKind::Network,
        "The other device could not be reached or the connection broke.",
    ),
    (ErrorKind::Timeout, "An operation ran out of time."),
    (ErrorKind::Cancelled, "The operation was cancelled."),
    (
        ErrorKind::Rejected,
        "The other device or its user declined.",
    ),
    (
        ErrorKind::Storage,
        "Local storage failed: disk full, permissions.",
    ),
    (ErrorKind::Protocol, "The other device broke the protocol."),
    (
        ErrorKind::Internal,
        "A bug or an unexpected state inside Ferry.",
    ),
    (
        ErrorKind::Offline,
        "The paired device did not answer: it is off or out of reach. Nothing was sent.",
    ),
];

/// Every error of the node answers with its kind.
impl<E: crate::HasKind> From<E> for RpcError {
    fn from(e: E) -> Self {
        RpcError::kind(e.kind(), e)
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// An error of the node, with its kind.
    pub fn kind(kind: ErrorKind, message: impl std::fmt::Display) -> Self {
        Self {
            code: code_for(kind),
            message: message.to_string(),
            data: Some(json!({ "kind": kind })),
        }
    }

    /// The kind `data` names, if any.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        let kind = self.data.as_ref()?.get("kind")?.clone();
        serde_json::from_value(kind).ok()
    }

    pub fn invalid_params(method: &str, detail: impl std::fmt::Display) -> Self {
        Self::new(
            INVALID_PARAMS,
            format!("invalid params for {method}: {detail}"),
        )
    }
}

/// One request, checked for shape; its params are checked by its method.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    /// None for a notification (no answer is sent).
    pub id: Option<Value>,
    pub method: String,
    pub params: Option<Value>,
}

/// What a body held.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// One request, or why it is not one (with the id, when it had one).
    Single(Result<Request, (Value, RpcError)>),
    /// A batch: each element on its own.
    Batch(Vec<Result<Request, (Value, RpcError)>>),
    /// Not JSON, an empty batch, or too big a batch: one error answer.
    Broken(RpcError),
}

/// Reads a request body.
pub(crate) fn parse(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Incoming::Broken(RpcError::new(PARSE_ERROR, format!("malformed JSON: {e}")));
        }
    };
    match value {
        Value::Array(items) if items.is_empty() => Incoming::Broken(RpcError::new(
            INVALID_REQUEST,
            "an empty batch: send at least one request",
        )),
        Value::Array(items) if items.len() > MAX_BATCH => Incoming::Broken(RpcError::new(
            INVALID_REQUEST,
            format!(
                "a batch of {} requests; at most {MAX_BATCH} are taken at once",
                items.len()
            ),
        )),
        Value::Array(items) => Incoming::Batch(items.into_iter().map(request).collect()),
        other => Incoming::Single(request(other)),
    }
}

fn request(value: Value) -> Result<Request, (Value, RpcError)> {
    let Value::Object(mut obj) = value else {
        return Err((
            Value::Null,
            RpcError::new(INVALID_REQUEST, "a request must be a JSON object"),
        ));
    };
    let id = match obj.remove("id") {
        None => None,
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id),
        Some(_) => {
            return Err((
                Value::Null,
                RpcError::new(INVALID_REQUEST, "\"id\" must be a string, a number or null"),
            ));
        }
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    let bad = |message: &str| (reply_id.clone(), RpcError::new(INVALID_REQUEST, message));
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(bad("\"jsonrpc\" must be \"2.0\""));
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        _ => return Err(bad("\"method\" must be a string")),
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => None,
        Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p),
        Some(_) => return Err(bad("\"params\" must be an object or an array")),
    };
    Ok(Request { id, method, params })
}

/// A success answer.
pub(crate) fn result(id: Value, result: Value) -> Value {
    let mut m = Map::new();
    m.insert("jsonrpc".into(), "2.0".into());
    m.insert("id".into(), id);
    m.insert("result".into(), result);
    Value::Object(m)
}

/// An error answer.
pub(crate) fn error(id: Value, error: &RpcError) -> Value {
    let mut m = Map::new();
    m.insert("jsonrpc".into(), "2.0".into());
    m.insert("id".into(), id);
    m.insert(
        "error".into(),
        serde_json::to_value(error).unwrap_or(Value::Null),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn single(body: &str) -> Result<Request, (Value, RpcError)> {
        match parse(body.as_bytes()) {
            Incoming::Single(r) => r,
            other => panic!("not a single request: {other:?}"),
        }
    }

    #[test]
    fn no_params_may_be_an_empty_array() {
        #[derive(Debug, serde::Deserialize)]
        struct Limit {
            #[serde(default)]
            limit: Option<u32>,
        }
        for none in [None, Some(json!([])), Some(json!({}))] {
            let p: Limit = super::super::methods::params("m", none).unwrap();
            assert_eq!(p.limit, None);
        }
        let named: Limit = super::super::methods::params("m", Some(json!({"limit": 3}))).unwrap();
        assert_eq!(named.limit, Some(3));
        // Positional params are not taken: every method's params are named.
        let e = super::super::methods::params::<Limit>("m", Some(json!([3]))).unwrap_err();
        assert_eq!(e.code, INVALID_PARAMS);
    }

    #[test]
    fn a_well_formed_request_and_a_notification() {
        let r = single(r#"{"jsonrpc":"2.0","id":7,"method":"node.info"}"#).unwrap();
        assert_eq!(r.id, Some(json!(7)));
        assert_eq!(r.method, "node.info");
        assert_eq!(r.params, None);
        let n = single(r#"{"jsonrpc":"2.0","method":"x","params":{"a":1}}"#).unwrap();
        assert_eq!(n.id, None);
        assert_eq!(n.params, Some(json!({"a": 1})));
    }

    #[test]
    fn broken_requests_say_what_is_wrong() {
        let Incoming::Broken(e) = parse(b"{\"jsonrpc\":") else {
            panic!("accepted broken JSON")
        };
        assert_eq!(e.code, PARSE_ERROR);
        assert!(e.message.starts_with("malformed JSON"), "{}", e.message);

        let (id, e) = single(r#"{"jsonrpc":"1.0","id":"a","method":"x"}"#).unwrap_err();
        assert_eq!((id, e.code), (json!("a"), INVALID_REQUEST));
        let (_, e) = single(r#"{"jsonrpc":"2.0","id":1,"method":5}"#).unwrap_err();
        assert!(e.message.contains("method"));
        let (_, e) = single(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#).unwrap_err();
        assert!(e.message.contains("params"));
        let (id, e) = single(r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#).unwrap_err();
        assert_eq!((id, e.code), (Value::Null, INVALID_REQUEST));
        let (_, e) = single("42").unwrap_err();
        assert_eq!(e.code, INVALID_REQUEST);
    }

    #[test]
    fn batches_are_bounded_and_checked_one_by_one() {
        assert!(matches!(parse(b"[]"), Incoming::Broken(e) if e.code == INVALID_REQUEST));
        let big = format!("[{}]", vec!["1"; MAX_BATCH + 1].join(","));
        assert!(
            matches!(parse(big.as_bytes()), Incoming::Broken(e) if e.message.contains("at most"))
        );
        let Incoming::Batch(items) = parse(br#"[{"jsonrpc":"2.0","id":1,"method":"a"}, 5]"#) else {
            panic!("not a batch")
        };
        assert!(items[0].is_ok());
        assert!(items[1].is_err());
    }

    #[test]
    fn kinds_map_to_distinct_codes() {
        let mut codes: Vec<i64> = KIND_CODES.iter().map(|(k, _)| code_for(*k)).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), KIND_CODES.len());
        let e = RpcError::kind(ErrorKind::NotFound, "no such device");
        assert_eq!(e.data, Some(json!({"kind": "not_found"})));
    }
}
