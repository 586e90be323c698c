//! Interop with a real `sendme` binary, both directions.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use ferry_tests::{STEP, Sender, assert_same_tree, ferry, random_bytes, run, snapshot, write_file};
use tokio::{io::AsyncBufReadExt, process::Command};

/// The sendme binary the test command installed.
fn sendme_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("SENDME_BIN") {
        return PathBuf::from(path);
    }
    let cached = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".cache/ferry/tools/bin/sendme");
    assert!(
        cached.exists(),
        "sendme is missing: run the test command (scripts/test.sh), which installs it, or set SENDME_BIN"
    );
    cached
}

fn sendme() -> Command {
    let mut cmd = Command::new(sendme_bin());
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    cmd
}

const LOOPBACK: [&str; 5] = [
    "--relay",
    "disabled",
    "--magic-ipv4-addr",
    "127.0.0.1:0",
    "--no-progress",
];

fn make_tree(root: &std::path::Path) {
    write_file(
        &root.join("album/a.jpg"),
        &random_bytes(2 * 1024 * 1024 + 5, 10),
    );
    write_file(&root.join("album/sub/b.txt"), b"bee");
    write_file(&root.join("album/sub/ö.txt"), b"umlaut");
}

#[tokio::test(flavor = "multi_thread")]
async fn test_sendme_receives_what_ferry_sends() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_tree(&src);
    let mut sender = Sender::start(
        &tmp.path().join("sender"),
        &[src.join("album").to_str().unwrap(), "--once"],
    )
    .await
    .unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    sendme_receive(&sender.blob_ticket(), &out).await;
    assert_same_tree(&src, &out);
    // sendme fetches the whole collection in one request: --once sees it.
    assert_eq!(sender.wait().await.unwrap(), 0);
}

/// Runs `sendme receive TICKET` on loopback in `out` and checks it succeeded.
async fn sendme_receive(ticket: &str, out: &Path) {
    let mut cmd = sendme();
    cmd.arg("receive")
        .arg(ticket)
        .args(LOOPBACK)
        .current_dir(out);
    let output = tokio::time::timeout(STEP, cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "sendme receive failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Starts `sendme send PATH` (working in `cwd`) on loopback; the running
/// sendme and the `blob…` ticket it printed.
async fn sendme_send(path: &Path, cwd: &Path) -> (tokio::process::Child, String) {
    let mut cmd = sendme();
    cmd.arg("send")
        .arg(path)
        .args(LOOPBACK)
        .args(["--ticket-type", "addresses"])
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let ticket = tokio::time::timeout(STEP, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(t) = line.split_whitespace().find(|w| w.starts_with("blob")) {
                return t.to_string();
            }
        }
        panic!("sendme printed no ticket");
    })
    .await
    .unwrap();
    (child, ticket)
}

#[tokio::test(flavor = "multi_thread")]
async fn test_ferry_receives_what_sendme_sends() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_tree(&src);
    let (mut child, ticket) = sendme_send(&src.join("album"), tmp.path()).await;

    let out = tmp.path().join("out");
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    assert_eq!(result.event("done").unwrap()["files"], 3);
    assert_same_tree(&src, &out);
    child.start_kill().unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
}

/// The tree of `make_tree`, with an empty folder at the top and one deeper.
fn make_tree_with_empty_folders(root: &std::path::Path) -> [&'static str; 2] {
    make_tree(root);
    let empty = ["album/empty/", "album/sub/deeper/"];
    for dir in empty {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    empty
}

/// A snapshot of `root` without the entries named in `leave_out`.
fn snapshot_without(root: &std::path::Path, leave_out: &[&str]) -> Vec<(String, Option<Vec<u8>>)> {
    snapshot(root)
        .into_iter()
        .filter(|(name, _)| !leave_out.contains(&name.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn test_sendme_receives_a_tree_with_empty_folders_and_ferry_keeps_them() {
    // Given a Ferry share of a tree that holds empty folders.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let empty = make_tree_with_empty_folders(&src);
    let sender = Sender::start(
        &tmp.path().join("sender"),
        &[src.join("album").to_str().unwrap()],
    )
    .await
    .unwrap();

    // When sendme receives its blob ticket.
    let out = tmp.path().join("sendme-out");
    std::fs::create_dir_all(&out).unwrap();
    sendme_receive(&sender.blob_ticket(), &out).await;

    // Then it exported every file (empty folders are not something it writes).
    assert_eq!(snapshot_without(&src, &empty), snapshot(&out));

    // And a Ferry receiver of the Ferry ticket still gets the empty folders.
    let ferry_out = tmp.path().join("ferry-out");
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &sender.ticket(), "--out"])
        .arg(&ferry_out);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    assert_same_tree(&src, &ferry_out);
    sender.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_ferry_receives_a_tree_with_empty_folders_from_sendme() {
    // Given sendme sending a tree that holds empty folders (it sends files only).
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let empty = make_tree_with_empty_folders(&src);
    let (mut child, ticket) = sendme_send(&src.join("album"), tmp.path()).await;

    // When Ferry receives it.
    let out = tmp.path().join("out");
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();

    // Then every file arrives.
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    assert_eq!(result.event("done").unwrap()["files"], 3);
    assert_eq!(snapshot_without(&src, &empty), snapshot(&out));
    child.start_kill().unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
}
