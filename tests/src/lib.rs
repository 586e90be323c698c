//! Helpers for Ferry's multi-node tests.
//!
//! Everything runs on loopback with relays disabled: `ferry` processes get
//! `FERRY_BIND=127.0.0.1:0` and `FERRY_RELAY=disabled`, and the scripted
//! test peer ([`TestSender`]) binds 127.0.0.1 only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, Result, bail};
use rand::{RngCore, SeedableRng, rngs::SmallRng};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::{Child, ChildStdout, Command},
};

pub mod lab;
mod sender;
mod strace;
pub use sender::{CORRUPT_AT, SenderOptions, TestSender};
pub use strace::{Call, Trace, ferry_traced};

/// The longest any single step of a test may take.
pub const STEP: Duration = Duration::from_secs(120);

/// The `ferry` binary built from this workspace.
pub fn ferry_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("FERRY_BIN") {
        return PathBuf::from(path);
    }
    // Test executables live in target/<profile>/deps; the binary one level up.
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join(format!("ferry{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first with `cargo build -p ferry-cli`",
        bin.display()
    );
    bin
}

/// A `ferry` command on a data dir, on loopback, relays off, JSON output.
pub fn ferry(data_dir: &Path) -> Command {
    let mut cmd = Command::new(ferry_bin());
    cmd.env("FERRY_DATA_DIR", data_dir)
        .env("FERRY_RELAY", "disabled")
        .env("FERRY_BIND", "127.0.0.1:0")
        .env_remove("RUST_LOG")
        .arg("--json")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// The output of a finished `ferry` run.
#[derive(Debug)]
pub struct Output {
    /// The exit code.
    pub code: i32,
    /// Every JSON line of stdout.
    pub events: Vec<Value>,
    /// Stderr as text.
    pub stderr: String,
}

impl Output {
    /// The first event with this name.
    pub fn event(&self, name: &str) -> Option<&Value> {
        self.events.iter().find(|e| e["event"] == name)
    }

    /// All events with this name.
    pub fn all(&self, name: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["event"] == name).collect()
    }
}

/// Runs a command to completion within [`STEP`] and parses its JSON lines.
pub async fn run(mut cmd: Command) -> Result<Output> {
    let out = tokio::time::timeout(STEP, cmd.output())
        .await
        .context("ferry did not finish in time")??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut events = Vec::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line)
            .with_context(|| format!("stdout line is not JSON: {line:?}"))?;
        events.push(value);
    }
    Ok(Output {
        code: out.status.code().unwrap_or(-1),
        events,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A running `ferry send` and its ticket event.
#[derive(Debug)]
pub struct Sender {
    /// The process.
    pub child: Child,
    /// The first JSON event (`ticket`).
    pub ticket_event: Value,
    /// The rest of stdout.
    pub lines: Lines<BufReader<ChildStdout>>,
}

impl Sender {
    /// Starts `ferry send` with `args` and waits for its ticket.
    pub async fn start(data_dir: &Path, args: &[&str]) -> Result<Self> {
        let mut cmd = ferry(data_dir);
        cmd.arg("send")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(STEP, lines.next_line())
            .await
            .context("no ticket in time")??
            .context("ferry send exited before printing a ticket")?;
        let ticket_event: Value = serde_json::from_str(&first)?;
        Ok(Self {
            child,
            ticket_event,
            lines,
        })
    }

    /// Ferry's own ticket.
    pub fn ticket(&self) -> String {
        self.ticket_event["ticket"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The plain `blob…` ticket.
    pub fn blob_ticket(&self) -> String {
        self.ticket_event["blob_ticket"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits for the process to exit by itself.
    pub async fn wait(&mut self) -> Result<i32> {
        let status = tokio::time::timeout(STEP, self.child.wait())
            .await
            .context("ferry send did not exit in time")??;
        Ok(status.code().unwrap_or(-1))
    }

    /// Stops the process and waits for it to be gone.
    pub async fn stop(mut self) {
        self.child.start_kill().ok();
        self.child.wait().await.ok();
    }

    /// Waits for the next JSON event with this name.
    pub async fn next_event(&mut self, name: &str) -> Result<Value> {
        loop {
            let line = tokio::time::timeout(STEP, self.lines.next_line())
                .await
                .context("no event in time")??
                .with_context(|| format!("ferry send ended before a {name} event"))?;
            let value: Value = serde_json::from_str(&line)?;
            if value["event"] == name {
                return Ok(value);
            }
        }
    }
}

/// Deterministic pseudo-random bytes.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut data = vec![0u8; len];
    SmallRng::seed_from_u64(seed).fill_bytes(&mut data);
    data
}

/// Writes a file, creating its parent folders.
pub fn write_file(path: &Path, data: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, data).unwrap();
}

/// Every file, folder and symlink under `root`, as sorted relative paths
/// with a kind marker and, for files, the content.
pub fn snapshot(root: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    tree(root, false)
}

/// What a collection's folder shows, as [`snapshot`] lists it, without
/// Ferry's own staging and history areas (`.ferry-…`, which come and go
/// while a sync runs) and without entries that vanish while being read.
pub fn folder_view(root: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    tree(root, true)
}

/// The walk behind [`snapshot`] (`live` false: every entry, and a read
/// that fails is a test failure) and [`folder_view`] (`live` true).
fn tree(root: &Path, live: bool) -> Vec<(String, Option<Vec<u8>>)> {
    fn walk(root: &Path, dir: &Path, live: bool, out: &mut Vec<(String, Option<Vec<u8>>)>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(_) if live => return,
            Err(e) => panic!("reading {}: {e}", dir.display()),
        };
        let mut entries: Vec<_> = entries
            .filter_map(|e| match e {
                Ok(e) => Some(e),
                Err(_) if live => None,
                Err(e) => panic!("reading {}: {e}", dir.display()),
            })
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if live && entry.file_name().to_string_lossy().starts_with(".ferry-") {
                continue;
            }
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(_) if live => continue,
                Err(e) => panic!("reading {rel}: {e}"),
            };
            if kind.is_symlink() {
                out.push((format!("{rel} -> symlink"), None));
            } else if kind.is_dir() {
                out.push((format!("{rel}/"), None));
                walk(root, &path, live, out);
            } else {
                match std::fs::read(&path) {
                    Ok(data) => out.push((rel, Some(data))),
                    Err(_) if live => {}
                    Err(e) => panic!("reading {rel}: {e}"),
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, live, &mut out);
    out
}

/// Fails unless the two trees hold the same names and bytes.
pub fn assert_same_tree(expected: &Path, actual: &Path) {
    let a = snapshot(expected);
    let b = snapshot(actual);
    let names = |s: &[(String, Option<Vec<u8>>)]| s.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the trees hold different names");
    for ((name, x), (_, y)) in a.iter().zip(b.iter()) {
        assert!(x == y, "{name} differs");
    }
}

/// The size of a file, or 0.
pub fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Polls until `check` holds, or fails after [`STEP`].
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) -> Result<()> {
    let deadline = tokio::time::Instant::now() + STEP;
    while !check() {
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting until {what}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Two network namespaces joined by a veth pair: two "devices" on one LAN
/// with multicast, created for a test and deleted on drop. Needs root.
#[derive(Debug)]
pub struct Lan {
    /// The namespaces' names.
    pub names: [String; 2],
    /// Each namespace's address on the LAN.
    pub addrs: [String; 2],
}

impl Lan {
    /// Creates the namespaces `ferry-<tag>-a` and `-b` on 10.<n>.<m>.0/24.
    pub fn create(tag: &str) -> Result<Self> {
        let pid = std::process::id();
        let names = [
            format!("ferry-{tag}-{pid}-a"),
            format!("ferry-{tag}-{pid}-b"),
        ];
        let subnet = format!("10.{}.{}", 100 + pid % 100, (pid / 100) % 250);
        let addrs = [format!("{subnet}.1"), format!("{subnet}.2")];
        let veth = [
            format!("fv{}a", pid % 100_000),
            format!("fv{}b", pid % 100_000),
        ];
        let lan = Self { names, addrs };
        let ip = |args: &[&str]| -> Result<()> {
            let status = std::process::Command::new("ip")
                .args(args)
                .status()
                .context("running `ip` (iproute2)")?;
            if !status.success() {
                bail!(
                    "`ip {}` failed: creating network namespaces needs root",
                    args.join(" ")
                );
            }
            Ok(())
        };
        for ns in &lan.names {
            ip(&["netns", "add", ns])?;
        }
        ip(&[
            "link", "add", &veth[0], "type", "veth", "peer", "name", &veth[1],
        ])?;
        for ((ns, dev), addr) in lan.names.iter().zip(&veth).zip(&lan.addrs) {
            ip(&["link", "set", dev, "netns", ns])?;
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
            // Multicast (mDNS) leaves through the LAN, as on a real network.
            ip(&["-n", ns, "route", "add", "224.0.0.0/4", "dev", dev])?;
        }
        Ok(lan)
    }

    /// A `ferry` command run inside namespace `i` (0 or 1), bound to its
    /// LAN address, relays off, JSON output.
    pub fn ferry(&self, i: usize, data_dir: &Path) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.names[i]])
            .arg(ferry_bin())
            .env("FERRY_DATA_DIR", data_dir)
            .env("FERRY_RELAY", "disabled")
            .env("FERRY_BIND", format!("{}:0", self.addrs[i]))
            .env_remove("RUST_LOG")
            .arg("--json")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in &self.names {
            let _ = std::process::Command::new("ip")
                .args(["netns", "delete", ns])
                .status();
        }
    }
}

/// An in-process node on loopback with relays off.
pub async fn loopback_node(dir: &Path, name: &str) -> ferry_core::Node {
    let mut config = ferry_core::NodeConfig::new(dir);
    config.relay = ferry_core::RelayChoice::Disabled;
    config.device_name = Some(name.to_string());
    config.bind_addr = Some("127.0.0.1:0".parse().expect("a socket address"));
    ferry_core::Node::start(config).await.expect("node start")
}

/// Pairs two in-process nodes: `joiner` uses the code `shower` shows.
pub async fn pair_nodes(shower: &ferry_core::Node, joiner: &ferry_core::Node) {
    let ticket = shower
        .devices()
        .start_pairing(Duration::from_secs(60))
        .await;
    joiner.devices().join(&ticket).await.expect("pairing");
}

/// A running `ferry` process whose stdout (JSON lines) the test reads.
#[derive(Debug)]
pub struct Running {
    /// The process.
    pub child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    /// Spawns the command with stdout piped.
    pub fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawning ferry");
        let stdout = child.stdout.take().expect("piped stdout");
        Self {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// The next JSON line, whatever its event.
    pub async fn next_any(&mut self) -> Value {
        let line = tokio::time::timeout(STEP, self.lines.next_line())
            .await
            .expect("no output in time")
            .expect("reading stdout")
            .expect("ferry ended early");
        serde_json::from_str(&line).expect("a JSON line")
    }

    /// The next JSON line with this event name (earlier ones are skipped).
    pub async fn next(&mut self, name: &str) -> Value {
        loop {
            let value = self.next_any().await;
            if value["event"] == name {
                return value;
            }
        }
    }

    /// Waits for the process to exit by itself; true if it succeeded.
    pub async fn success(&mut self) -> bool {
        tokio::time::timeout(STEP, self.child.wait())
            .await
            .expect("ferry did not exit in time")
            .expect("waiting for ferry")
            .success()
    }

    /// Kills the process.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// The next JSON line if one comes within `wait`.
    pub async fn try_next(&mut self, wait: Duration) -> Option<Value> {
        match tokio::time::timeout(wait, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => serde_json::from_str(&line).ok(),
            _ => None,
        }
    }

    /// Every JSON line it printed that was not read yet, up to its end
    /// (for a process that ended or was interrupted).
    pub async fn rest(mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(Ok(Some(line))) = tokio::time::timeout(STEP, self.lines.next_line()).await {
            if let Ok(value) = serde_json::from_str(&line) {
                out.push(value);
            }
        }
        out
    }

    /// Interrupts the process as Ctrl-C does (SIGINT) and waits for it to
    /// end; true if it ended well. What it printed can still be read.
    pub async fn interrupt(&mut self) -> bool {
        let pid = self.child.id().expect("the process runs");
        let sent = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .await
            .expect("running kill");
        assert!(sent.success(), "kill -INT {pid} failed");
        self.success().await
    }
}

/// Pairs two data dirs with real `ferry pair` processes: `shower` shows
/// the code, `joiner` joins; the names are kept for the data dirs. With
/// `auto_accept`, the joiner accepts the shower's pushes and invitations
/// without asking.
pub async fn pair_dirs(
    shower: (&Path, &str),
    joiner: (&Path, &str),
    auto_accept: bool,
) -> Result<()> {
    let mut cmd = ferry(shower.0);
    cmd.args(["--name", shower.1, "pair", "--timeout", "120"]);
    let mut showing = Running::spawn(cmd);
    let first = showing.next("pair-ticket").await;
    let ticket = first["ticket"].as_str().context("no ticket")?.to_string();
    let mut cmd = ferry(joiner.0);
    cmd.args(["--name", joiner.1, "pair", &ticket]);
    let joined = run(cmd).await?;
    if joined.code != 0 {
        bail!("pairing failed: {}", joined.stderr);
    }
    showing.next("paired").await;
    if !showing.success().await {
        bail!("the showing side failed");
    }
    if auto_accept {
        let mut cmd = ferry(joiner.0);
        cmd.args(["devices", "set", shower.1, "--auto-accept", "on"]);
        let set = run(cmd).await?;
        if set.code != 0 {
            bail!("setting auto-accept failed: {}", set.stderr);
        }
    }
    Ok(())
}
