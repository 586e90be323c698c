//! The test harness: one desktop app on Tauri's mock runtime with a real
//! node on loopback, and the calls the UI makes.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use ferry_core::{Node, RelayChoice};
use ferry_desktop::{AppState, Hooks, Launch, configure_with, notices::Notice, start_state};
use serde_json::{Value, json};
use tauri::{
    Manager, WebviewWindowBuilder,
    ipc::{CallbackFn, InvokeBody},
    test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets},
    webview::InvokeRequest,
};

/// What the shell's hooks were handed.
#[derive(Default)]
pub struct Seen {
    pub notices: Vec<Notice>,
    pub statuses: Vec<String>,
}

/// One app on the mock runtime with a real node on loopback.
pub struct TestApp {
    pub dir: PathBuf,
    pub webview: tauri::WebviewWindow<MockRuntime>,
    pub app: tauri::App<MockRuntime>,
    pub seen: Arc<Mutex<Seen>>,
}

impl TestApp {
    pub fn start(name: &str) -> (tempfile::TempDir, Self) {
        let dir = tempfile::tempdir().unwrap();
        let app = Self::start_in(dir.path(), name);
        (dir, app)
    }

    /// An app on `dir` (its data dir and download folder inside).
    pub fn start_in(dir: &Path, name: &str) -> Self {
        let mut launch = Launch::for_data_dir(dir.join("data"), dir.join("Downloads"));
        launch.config.relay = RelayChoice::Disabled;
        launch.settings.set_relay(&RelayChoice::Disabled);
        if launch.config.device_name.is_none() {
            launch.config.device_name = Some(name.to_string());
        }
        launch.config.bind_addr = Some("127.0.0.1:0".parse().unwrap());
        let state = tauri::async_runtime::block_on(start_state(launch));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let hooks_seen = seen.clone();
        let mut app = configure_with(mock_builder(), state, move |_| {
            let (a, b) = (hooks_seen.clone(), hooks_seen);
            Some(Hooks {
                notify: Box::new(move |_, n| a.lock().unwrap().notices.push(n)),
                status: Box::new(move |_, s| b.lock().unwrap().statuses.push(s)),
            })
        })
        .build(mock_context(noop_assets()))
        .unwrap();
        // The mock runtime has no event loop; one iteration runs the app's
        // setup (events mounted, the node's events forwarded).
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Self {
            dir: dir.to_path_buf(),
            webview,
            app,
            seen,
        }
    }

    pub fn node(&self) -> Node {
        self.app.state::<AppState>().node().unwrap()
    }

    pub fn downloads(&self) -> PathBuf {
        self.dir.join("Downloads")
    }

    pub fn stop(self) {
        tauri::async_runtime::block_on(self.node().shutdown());
    }

    /// Invokes a command as the UI does; the answer or the `{kind, message}` error.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
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

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    pub fn err(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => panic!("{cmd} should have failed, answered {v}"),
            Err(e) => e,
        }
    }
}

pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..600 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Two apps, paired through their commands.
pub fn paired() -> (tempfile::TempDir, TestApp, tempfile::TempDir, TestApp) {
    let (da, a) = TestApp::start("alpha");
    let (db, b) = TestApp::start("beta");
    let code = a.ok("start_pairing", json!({}));
    let joined = b.ok("join", json!({"ticket": code["ticket"]}));
    assert_eq!(joined["name"], "alpha");
    (da, a, db, b)
}
