//! The OpenRPC document `rpc.discover` answers, generated from the method
//! table: every method with its parameters and result as JSON Schema, the
//! error codes, and the events of the event stream.

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use super::{methods, ops::ApiEvent, rpc};

/// The discovery method's name.
pub(crate) const DISCOVER: &str = "rpc.discover";

fn generator() -> SchemaGenerator {
    SchemaSettings::draft07()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator()
}

/// A root schema without what belongs to the document as a whole.
fn bare(schema: schemars::Schema) -> Map<String, Value> {
    let mut object = match schema.to_value() {
        Value::Object(o) => o,
        other => {
            let mut m = Map::new();
            m.insert("const".into(), other);
            m
        }
    };
    for key in ["$schema", "components", "definitions", "title"] {
        object.remove(key);
    }
    object
}

/// A doc comment's first paragraph (the summary, as one line) and the rest.
fn split_doc(doc: &str) -> (String, String) {
    let doc = doc.trim();
    let (first, rest) = doc.split_once("\n\n").unwrap_or((doc, ""));
    let summary = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = rest.lines().map(str::trim).collect::<Vec<_>>().join("\n");
    (summary, rest.trim().to_string())
}

fn event_schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    Value::Object(bare(g.root_schema_for::<T>()))
}

/// The whole document.
pub(crate) fn document() -> Value {
    let mut g = generator();
    let mut out = Vec::new();
    for def in methods::table() {
        let (summary, description) = split_doc(def.doc);
        let params_schema = bare((def.params)(&mut g));
        let required: Vec<&str> = params_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut params: Vec<Value> = params_schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(name, schema)| {
                        let mut schema = schema.as_object().cloned().unwrap_or_default();
                        let text = schema
                            .remove("description")
                            .and_then(|d| d.as_str().map(str::to_string))
                            .unwrap_or_default();
                        json!({
                            "name": name,
                            "description": text,
                            "required": required.contains(&name.as_str()),
                            "schema": schema,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Required params first, each group by name.
        params.sort_by_key(|p| p["required"] != true);
        let mut result_schema = bare((def.result)(&mut g));
        let result_text = result_schema
            .remove("description")
            .and_then(|d| d.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut method = json!({
            "name": def.name,
            "summary": summary,
            "paramStructure": "by-name",
            "params": params,
            "result": {"name": "result", "description": result_text, "schema": result_schema},
        });
        if !description.is_empty() {
            method["description"] = description.into();
        }
        out.push(method);
    }
    let node_events = event_schema::<crate::Event>(&mut g);
    let api_events = event_schema::<ApiEvent>(&mut g);
    let mut schemas = g.take_definitions(true);
    schemas.insert("NodeEvent".into(), node_events);
    schemas.insert("ApiEvent".into(), api_events);
    // OpenRPC wants named errors: a map from a name (the kind) to the
    // error object.
    let errors: serde_json::Map<String, Value> = rpc::KIND_CODES
        .iter()
        .map(|(kind, text)| {
            let name = json!(kind).as_str().unwrap_or_default().to_string();
            let error =
                json!({"code": rpc::code_for(*kind), "message": text, "data": {"kind": kind}});
            (name, error)
        })
        .collect();
    json!({
        "openrpc": "1.3.2",
        "info": {
            "title": "Ferry local API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON-RPC 2.0 over `POST /rpc` (HTTP on 127.0.0.1, and the Unix socket \
                `api.sock` in the data dir), with `Authorization: Bearer TOKEN` (the token is in \
                `<data-dir>/api-token`). `GET /events` streams the node's events (NodeEvent) and \
                the API's own (ApiEvent) as Server-Sent Events. Long operations return an \
                operation id at once and end with an `operation_finished` or `operation_failed` \
                event.",
        },
        "methods": out,
        "components": {
            "schemas": schemas,
            "errors": errors,
        },
    })
}

/// The API reference page (`docs/api.md`), rendered from the document.
pub(crate) fn markdown(doc: &Value) -> String {
    let mut out = String::new();
    let line = |out: &mut String, text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    line(&mut out, "# Ferry local API");
    line(&mut out, "");
    line(
        &mut out,
        "<!-- Generated from the API's method table by `cargo test -p ferry-core --features api`; do not edit. Regenerate: FERRY_UPDATE_DOCS=1 cargo test -p ferry-core --features api api_page -->",
    );
    line(&mut out, "");
    line(&mut out, doc["info"]["description"].as_str().unwrap_or(""));
    line(&mut out, "");
    line(&mut out, "```sh");
    line(&mut out, "TOKEN=$(cat ~/.local/share/ferry/api-token)");
    line(
        &mut out,
        "curl -s -H \"Authorization: Bearer $TOKEN\" -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"devices.list\"}' http://127.0.0.1:PORT/rpc",
    );
    line(&mut out, "```");
    line(&mut out, "");
    line(
        &mut out,
        "`api.json` in the data dir holds the HTTP address (`http`) and the socket (`socket`) of the running node. Paths in parameters must be absolute: the node does not share the caller's working folder.",
    );
    line(&mut out, "");
    line(&mut out, "## Errors");
    line(&mut out, "");
    line(
        &mut out,
        "Besides the standard codes (-32700 malformed JSON, -32600 invalid request or too large, -32601 unknown method, -32602 invalid params, -32603 internal), a failing method answers one of these, with `data.kind`:",
    );
    line(&mut out, "");
    line(&mut out, "| code | kind | meaning |");
    line(&mut out, "|---|---|---|");
    let mut errors: Vec<&Value> = doc["components"]["errors"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .collect();
    // In code order: -32001 first.
    errors.sort_by_key(|e| std::cmp::Reverse(e["code"].as_i64()));
    for e in errors {
        line(
            &mut out,
            &format!(
                "| {} | `{}` | {} |",
                e["code"],
                e["data"]["kind"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            ),
        );
    }
    line(&mut out, "");
    line(&mut out, "## Methods");
    let mut group = "";
    for m in doc["methods"].as_array().into_iter().flatten() {
        let name = m["name"].as_str().unwrap_or("");
        let prefix = name.split('.').next().unwrap_or("");
        if prefix != group {
            group = prefix;
            line(&mut out, "");
            line(&mut out, &format!("### {prefix}"));
        }
        line(&mut out, "");
        line(&mut out, &format!("#### `{name}`"));
        line(&mut out, "");
        line(&mut out, m["summary"].as_str().unwrap_or(""));
        if let Some(d) = m["description"].as_str() {
            line(&mut out, "");
            line(&mut out, d);
        }
        line(&mut out, "");
        let params = m["params"].as_array().cloned().unwrap_or_default();
        if params.is_empty() {
            line(&mut out, "Params: none.");
        } else {
            line(&mut out, "| param | type | | |");
            line(&mut out, "|---|---|---|---|");
            for p in &params {
                line(
                    &mut out,
                    &format!(
                        "| `{}` | {} | {} | {} |",
                        p["name"].as_str().unwrap_or(""),
                        type_name(&p["schema"]),
                        if p["required"] == true {
                            "required"
                        } else {
                            "optional"
                        },
                        cell(p["description"].as_str().unwrap_or(""))
                    ),
                );
            }
        }
        line(&mut out, "");
        let result = &m["result"];
        let text = result["description"].as_str().unwrap_or("");
        line(
            &mut out,
            &format!(
                "Result: {}{}",
                type_name(&result["schema"]),
                if text.is_empty() {
                    String::new()
                } else {
                    format!(": {}", cell(text))
                }
            ),
        );
    }
    line(&mut out, "");
    line(&mut out, "## Events");
    line(&mut out, "");
    line(
        &mut out,
        "`GET /events` (with the same token) is a Server-Sent Events stream; each event's `data` is a JSON object whose `event` field names it (and the SSE event name is the same). The response's `Ferry-Stream` header holds the stream's id: a share made with it (`shares.create` with `stream`) is served only while the stream stays open, so a client that ends or is killed leaves nothing shared. An idle stream gets a keep-alive comment every 5 seconds.",
    );
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (title, key) in [("Node events", "NodeEvent"), ("API events", "ApiEvent")] {
        line(&mut out, "");
        line(&mut out, &format!("### {title}"));
        line(&mut out, "");
        line(&mut out, "| event | fields | |");
        line(&mut out, "|---|---|---|");
        for variant in schemas
            .get(key)
            .and_then(|s| s["oneOf"].as_array())
            .into_iter()
            .flatten()
        {
            let props = variant["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let name = props
                .get("event")
                .and_then(|e| e["const"].as_str().or_else(|| e["enum"][0].as_str()))
                .unwrap_or("");
            let fields: Vec<String> = props
                .iter()
                .filter(|(k, _)| *k != "event")
                .map(|(k, v)| format!("`{k}`: {}", type_name(v)))
                .collect();
            line(
                &mut out,
                &format!(
                    "| `{name}` | {} | {} |",
                    fields.join(", "),
                    cell(variant["description"].as_str().unwrap_or(""))
                ),
            );
        }
    }
    line(&mut out, "");
    line(&mut out, "## Types");
    for (name, schema) in &schemas {
        if name == "NodeEvent" || name == "ApiEvent" {
            continue;
        }
        line(&mut out, "");
        line(&mut out, &format!("### {name}"));
        line(&mut out, "");
        if let Some(d) = schema["description"].as_str() {
            line(&mut out, &cell(d));
            line(&mut out, "");
        }
        if let Some(props) = schema["properties"].as_object() {
            line(&mut out, "| field | type | |");
            line(&mut out, "|---|---|---|");
            for (k, v) in props {
                line(
                    &mut out,
                    &format!(
                        "| `{k}` | {} | {} |",
                        type_name(v),
                        cell(v["description"].as_str().unwrap_or(""))
                    ),
                );
            }
        } else if let Some(variants) = schema["oneOf"].as_array() {
            for v in variants {
                let value = v["const"]
                    .as_str()
                    .or_else(|| v["enum"][0].as_str())
                    .map(|c| format!("`\"{c}\"`"))
                    .unwrap_or_else(|| type_name(v));
                let text = v["description"].as_str().unwrap_or("");
                line(
                    &mut out,
                    &format!(
                        "- {value}{}",
                        if text.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", cell(text))
                        }
                    ),
                );
            }
        } else if let Some(values) = schema["enum"].as_array() {
            let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
            line(&mut out, &format!("One of {}.", values.join(", ")));
        } else {
            line(&mut out, &format!("A {}.", type_name(schema)));
        }
    }
    out
}

/// A table cell: one line, no pipes.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A JSON schema as a short type name, with links to named types.
fn type_name(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("[{name}](#{})", name.to_ascii_lowercase());
    }
    if let Some([only]) = schema["allOf"].as_array().map(Vec::as_slice) {
        return type_name(only);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema[key].as_array() {
            let names: Vec<String> = options.iter().map(type_name).collect();
            return names.join(" or ");
        }
    }
    if let Some(c) = schema.get("const") {
        return format!("`{c}`");
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        return values.join(" or ");
    }
    let one = |t: &str| -> String {
        match t {
            "array" => {
                if let Some(items) = schema["items"].as_array() {
                    let names: Vec<String> = items.iter().map(type_name).collect();
                    format!("[{}]", names.join(", "))
                } else {
                    format!("array of {}", type_name(&schema["items"]))
                }
            }
            "integer" => "integer".into(),
            other => other.to_string(),
        }
    };
    match &schema["type"] {
        Value::String(t) => one(t),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_method_is_documented_with_its_params_and_result() {
        let doc = document();
        let methods = doc["methods"].as_array().unwrap();
        assert_eq!(methods.len(), methods::table().len());
        for m in methods {
            let name = m["name"].as_str().unwrap();
            assert!(
                !m["summary"].as_str().unwrap().is_empty(),
                "{name}: no summary"
            );
            assert!(
                m["result"]["schema"].is_object(),
                "{name}: no result schema"
            );
            for p in m["params"].as_array().unwrap() {
                assert!(
                    !p["description"].as_str().unwrap().is_empty(),
                    "{name}.{}: no description",
                    p["name"]
                );
            }
        }
        let rename = methods
            .iter()
            .find(|m| m["name"] == "devices.rename")
            .unwrap();
        let names: Vec<_> = rename["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap(),
                    p["required"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(names, [("device", true), ("name", true)]);
        let history = methods
            .iter()
            .find(|m| m["name"] == "transfers.history")
            .unwrap();
        assert_eq!(history["params"][0]["required"], false);
        // Every reference points at a schema that is there.
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let text = doc.to_string();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(schemas.contains_key(name), "dangling $ref to {name}");
        }
        assert!(schemas.contains_key("NodeEvent") && schemas.contains_key("ApiEvent"));
    }

    #[test]
    fn errors_are_named_as_openrpc_wants() {
        let doc = document();
        let errors = doc["components"]["errors"]
            .as_object()
            .expect("components.errors is a map of named errors");
        assert_eq!(errors.len(), rpc::KIND_CODES.len());
        for (name, error) in errors {
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            assert!(name_ok, "{name}: not a valid component name");
            assert_eq!(error["data"]["kind"], name.as_str());
            assert!(
                error["code"].is_i64() && error["message"].is_string(),
                "{error}"
            );
        }
    }

    #[test]
    fn api_page_matches_the_api() {
        let page = markdown(&document());
        assert!(page.contains("#### `devices.rename`"));
        assert!(page.contains("| `offer_received` |"));
        assert!(page.contains("| `operation_finished` |"));
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/api.md");
        if std::env::var_os("FERRY_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &page).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == page,
            "docs/api.md is out of date with the API; regenerate it with \
             FERRY_UPDATE_DOCS=1 cargo test -p ferry-core --features api api_page"
        );
    }
}
