//! Members that restart together find each other at once: the syncs both
//! start when their loops begin end as syncs on both sides, so a change
//! made while they were down arrives without waiting for a later round,
//! and neither takes the other for offline.

use std::{path::Path, time::Duration};

use ferry_tests::{Running, ferry, folder_view as view, run, wait_until, write_file};
use serde_json::Value;

/// A `ferry` command for a device that keeps its port, as an installed
/// device does (the address the other stored stays valid).
fn ferry_on(data_dir: &Path, port: u16) -> tokio::process::Command {
    let mut cmd = ferry(data_dir);
    cmd.env("FERRY_BIND", format!("127.0.0.1:{port}"));
    cmd
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn ok(cmd: tokio::process::Command) -> Vec<Value> {
    let out = run(cmd).await.unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_members_restarted_together_converge_and_stay_online() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (data_a, data_b) = (root.join("laptop"), root.join("desktop"));
    let (folder, shared) = (root.join("home"), root.join("shared"));
    let (pa, pb) = (free_port(), free_port());
    write_file(&folder.join("first.txt"), b"one");

    let mut cmd = ferry_on(&data_a, pa);
    cmd.args(["--name", "Laptop", "pair", "--timeout", "120"]);
    let mut showing = Running::spawn(cmd);
    let ticket = showing.next("pair-ticket").await["ticket"]
        .as_str()
        .unwrap()
        .to_string();
    let mut cmd = ferry_on(&data_b, pb);
    cmd.args(["--name", "Desktop", "pair", &ticket]);
    ok(cmd).await;
    assert!(showing.success().await);
    let mut cmd = ferry_on(&data_b, pb);
    cmd.args(["devices", "set", "Laptop", "--auto-accept", "on"]);
    ok(cmd).await;
    let mut cmd = ferry_on(&data_a, pa);
    cmd.args(["collection", "create", "home", "--dir"])
        .arg(&folder);
    ok(cmd).await;

    let listen_b = || {
        let mut cmd = ferry_on(&data_b, pb);
        cmd.args(["listen", "--accept", "trusted", "--out"])
            .arg(root.join("inbox-b"))
            .arg("--collections-dir")
            .arg(&shared);
        Running::spawn(cmd)
    };
    let listen_a = || {
        let mut cmd = ferry_on(&data_a, pa);
        cmd.args(["listen", "--out"]).arg(root.join("inbox-a"));
        Running::spawn(cmd)
    };
    let mut b = listen_b();
    b.next("listening").await;
    let mut cmd = ferry_on(&data_a, pa);
    cmd.args(["collection", "invite", "home", "Desktop"]);
    ok(cmd).await;
    let mut a = listen_a();
    a.next("listening").await;
    let mirror = shared.join("home");
    wait_until("the desktop holds the collection", || {
        mirror.exists() && view(&folder) == view(&mirror)
    })
    .await
    .unwrap();

    // What each said while the members came back, converged and finished
    // their syncs (a member shut down at the end of a round may rightly be
    // seen going offline: that time is not read).
    let mut seen: (Vec<Value>, Vec<Value>) = (Vec::new(), Vec::new());
    for round in 0..3 {
        assert!(a.interrupt().await && b.interrupt().await);
        drop((a, b));
        // Changed on both sides while both were off.
        write_file(&folder.join(format!("laptop-{round}.txt")), b"laptop");
        write_file(&mirror.join(format!("desktop-{round}.txt")), b"desktop");
        // Both come back at once and dial each other at once.
        (a, b) = (listen_a(), listen_b());
        let converged = || {
            view(&folder) == view(&mirror)
                && mirror.join(format!("laptop-{round}.txt")).exists()
                && folder.join(format!("desktop-{round}.txt")).exists()
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !converged() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: the folders did not converge"
            );
            let step = Duration::from_millis(20);
            seen.0.extend(a.try_next(step).await);
            seen.1.extend(b.try_next(step).await);
        }
        // The syncs that brought the changes end just after: what each
        // says of them is read for a moment more, before either stops.
        let settle = tokio::time::Instant::now() + Duration::from_secs(2);
        while tokio::time::Instant::now() < settle {
            let step = Duration::from_millis(20);
            seen.0.extend(a.try_next(step).await);
            seen.1.extend(b.try_next(step).await);
        }
    }
    // Neither took the other for offline: every sync that started, on
    // either side, ended as a sync.
    for (who, events) in [("laptop", &seen.0), ("desktop", &seen.1)] {
        let offline: Vec<&Value> = events
            .iter()
            .filter(|e| e["event"] == "collection-peer" && e["online"] == false)
            .collect();
        assert!(offline.is_empty(), "{who}: {offline:?}");
        assert!(
            events.iter().any(|e| e["event"] == "collection-synced"),
            "{who} synced"
        );
    }
    assert!(a.interrupt().await && b.interrupt().await);
}

/// A restart on a folder nothing changed in takes it in with `stat` alone:
/// no file of the folder is opened (let alone hashed) by the first scan.
/// Shown by tracing the listener's `openat` calls until a file added after
/// the start was taken in (the first scan is over by then).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_restart_on_an_unchanged_folder_opens_none_of_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let data = root.join("laptop");
    std::fs::create_dir_all(root.join("home")).unwrap();
    let folder = std::fs::canonicalize(root.join("home")).unwrap();
    for i in 0..60u64 {
        write_file(
            &folder.join(format!("photos/{i:02}.jpg")),
            &ferry_tests::random_bytes(20_000, i),
        );
    }
    let mut cmd = ferry(&data);
    cmd.args(["collection", "create", "home", "--dir"])
        .arg(&folder);
    ok(cmd).await;
    // Started once, so that whatever a first start does is done.
    let mut cmd = ferry(&data);
    cmd.arg("listen");
    let mut first = Running::spawn(cmd);
    first.next("listening").await;
    first.stop().await;

    let trace = root.join("trace");
    let mut cmd = ferry_tests::ferry_traced(&data, &trace);
    cmd.arg("listen");
    let mut traced = Running::spawn(cmd);
    traced.next("listening").await;
    write_file(&folder.join("added.txt"), b"after the start");
    let status = || {
        let mut cmd = ferry(&data);
        cmd.args(["collection", "status", "home"]);
        cmd
    };
    let mut files = 0;
    for _ in 0..600 {
        files = ok(status()).await[0]["files"].as_u64().unwrap();
        if files == 61 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(files, 61, "the added file was not taken in");
    // Ends the traced process (strace's child), then strace with it.
    let strace = traced.child.id().unwrap();
    let children =
        std::fs::read_to_string(format!("/proc/{strace}/task/{strace}/children")).unwrap();
    for pid in children.split_whitespace() {
        std::process::Command::new("kill")
            .args(["-TERM", pid])
            .status()
            .unwrap();
    }
    tokio::time::timeout(Duration::from_secs(60), traced.child.wait())
        .await
        .expect("the traced listener stopped")
        .unwrap();

    let trace = ferry_tests::Trace::read(&trace);
    let prefix = format!("{}/", folder.display());
    let opened: Vec<&str> = trace
        .calls
        .iter()
        .filter(|c| c.name == "openat" && !c.args.contains("O_DIRECTORY"))
        .flat_map(|c| c.strings())
        .filter(|p| p.starts_with(&prefix) && !p.ends_with("added.txt"))
        .collect();
    assert!(
        opened.is_empty(),
        "the restart opened unchanged files: {:?}",
        &opened[..opened.len().min(5)]
    );
    // The trace saw the folder at all (the scan walked it).
    assert!(
        trace
            .calls
            .iter()
            .any(|c| c.name == "openat" && c.args.contains(&prefix[..prefix.len() - 1])),
        "the trace shows no scan of the folder"
    );
}
