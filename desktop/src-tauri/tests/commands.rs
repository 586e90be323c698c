//! The command wiring on Tauri's mock runtime, against a real node, and the
//! generated TypeScript bindings checked for drift.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use ferry_core::{NodeConfig, RelayChoice};
use ferry_desktop::{configure, specta_builder, start_state};
use serde_json::{Value, json};
use tauri::{
    WebviewWindowBuilder,
    ipc::{CallbackFn, InvokeBody},
    test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets},
    webview::InvokeRequest,
};

fn bindings_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts")
}

/// Exports the bindings the way the app's build does.
fn export(to: &Path) {
    let result = specta_builder::<MockRuntime>().export(
        specta_typescript::Typescript::default()
            .header("// Generated from desktop/src-tauri by its tests; do not edit.\n// Regenerate: FERRY_UPDATE_BINDINGS=1 cargo test -p ferry-desktop\n"),
        to,
    );
    if let Err(e) = result {
        panic!("exporting the bindings failed: {e}");
    }
}

#[test]
fn the_committed_typescript_bindings_match_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("bindings.ts");
    export(&fresh);
    let fresh = std::fs::read_to_string(&fresh).unwrap();
    let committed = std::fs::read_to_string(bindings_path()).unwrap_or_default();
    if fresh != committed {
        if std::env::var_os("FERRY_UPDATE_BINDINGS").is_some() {
            std::fs::write(bindings_path(), &fresh).unwrap();
            return;
        }
        panic!(
            "desktop/ui/src/bindings.ts is out of date with the commands; \
             regenerate it with FERRY_UPDATE_BINDINGS=1 cargo test -p ferry-desktop"
        );
    }
}

/// One app on the mock runtime with a real node on loopback.
struct TestApp {
    _dir: tempfile::TempDir,
    webview: tauri::WebviewWindow<MockRuntime>,
    _app: tauri::App<MockRuntime>,
}

impl TestApp {
    fn start(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = NodeConfig::new(dir.path().join("data"));
        config.relay = RelayChoice::Disabled;
        config.device_name = Some(name.to_string());
        config.bind_addr = Some("127.0.0.1:0".parse().unwrap());
        let state =
            tauri::async_runtime::block_on(start_state(config, dir.path().join("Downloads")));
        let app = configure(mock_builder(), state)
            .build(mock_context(noop_assets()))
            .unwrap();
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Self {
            _dir: dir,
            webview,
            _app: app,
        }
    }

    /// Invokes a command as the UI does; the answer or the `{kind, message}` error.
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.webview, request).map(|body| body.deserialize::<Value>().unwrap())
    }
}

#[test]
fn commands_reach_the_node_and_errors_carry_a_kind() {
    let app = TestApp::start("desk");
    let info = app.call("node_info", json!({})).unwrap();
    assert_eq!(info["name"], "desk");
    assert_eq!(info["id"].as_str().map(str::len), Some(64));

    assert_eq!(app.call("devices", json!({})), Ok(json!([])));

    let code = app.call("start_pairing", json!({})).unwrap();
    assert!(
        code["ticket"]
            .as_str()
            .is_some_and(|t| t.starts_with("ferrypair"))
    );

    let err = app
        .call("join", json!({"ticket": "not a ticket"}))
        .expect_err("a bad ticket must fail");
    assert_eq!(err["kind"], "invalid_input");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));

    let err = app
        .call("rename_device", json!({"id": "nobody", "name": "x"}))
        .expect_err("an unknown device must fail");
    assert_eq!(err["kind"], "not_found");

    let err = app
        .call(
            "set_inbox",
            json!({"settings": {"accept": "trusted", "download_dir": " "}}),
        )
        .expect_err("an empty folder must fail");
    assert_eq!(err["kind"], "invalid_input");
    let set = app
        .call(
            "set_inbox",
            json!({"settings": {"accept": "trusted", "download_dir": "/tmp/x"}}),
        )
        .unwrap();
    assert_eq!(app.call("inbox_settings", json!({})), Ok(set));
    assert_eq!(
        app.call("respond_offer", json!({"offerId": 7, "accept": true})),
        Ok(json!(false))
    );
}

#[test]
fn two_desktops_pair_through_their_commands() {
    let a = TestApp::start("alpha");
    let b = TestApp::start("beta");
    let code = a.call("start_pairing", json!({})).unwrap();
    let joined = b.call("join", json!({"ticket": code["ticket"]})).unwrap();
    assert_eq!(joined["name"], "alpha");
    let listed = a.call("devices", json!({})).unwrap();
    assert_eq!(listed[0]["name"], "beta");
    let health = b.call("probe_devices", json!({})).unwrap();
    assert_eq!(health[0]["online"], true);
}
