//! Nearby devices on a LAN without internet: two network namespaces joined
//! by a veth pair, relays disabled.

use std::process::Stdio;

use ferry_tests::{Lan, STEP, random_bytes, run, write_file};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread")]
async fn test_nearby_devices_pair_and_push_on_a_lan_without_internet() {
    let lan = Lan::create("nb").expect("this test needs root for network namespaces");
    let tmp = tempfile::tempdir().unwrap();
    let (laptop, phone) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    let file = tmp.path().join("slides.pdf");
    write_file(&file, &random_bytes(3 * 1024 * 1024, 41));
    let out = tmp.path().join("out");

    // The laptop shows a pairing code (and announces itself meanwhile).
    let mut cmd = lan.ferry(0, &laptop);
    cmd.args(["--name", "Laptop", "pair", "--timeout", "120"])
        .stdout(Stdio::piped());
    let mut shower = cmd.spawn().unwrap();
    let mut lines = BufReader::new(shower.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(STEP, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let ticket: serde_json::Value = serde_json::from_str(&first).unwrap();
    let ticket = ticket["ticket"].as_str().unwrap().to_string();

    // The phone sees it nearby, not yet paired.
    let mut cmd = lan.ferry(1, &phone);
    cmd.args(["--name", "Phone", "devices", "--nearby", "--wait", "5"]);
    let nearby = run(cmd).await.unwrap();
    assert_eq!(nearby.code, 0, "{}", nearby.stderr);
    let seen = nearby.all("nearby");
    assert_eq!(seen.len(), 1, "{:?}", nearby.events);
    assert_eq!(seen[0]["name"], "Laptop");
    assert_eq!(seen[0]["paired"], false);

    // Pairing works across the LAN.
    let mut cmd = lan.ferry(1, &phone);
    cmd.args(["--name", "Phone", "pair", &ticket]);
    let joined = run(cmd).await.unwrap();
    assert_eq!(joined.code, 0, "{}", joined.stderr);
    assert!(
        tokio::time::timeout(STEP, shower.wait())
            .await
            .unwrap()
            .unwrap()
            .success()
    );
    let mut cmd = lan.ferry(1, &phone);
    cmd.args(["devices", "set", "Laptop", "--auto-accept", "on"]);
    assert_eq!(run(cmd).await.unwrap().code, 0);

    // The phone listens; the laptop sees it nearby and paired, and pushes.
    let mut cmd = lan.ferry(1, &phone);
    cmd.args(["--name", "Phone", "listen", "--accept", "trusted", "--out"])
        .arg(&out)
        .stdout(Stdio::piped());
    let mut listener = cmd.spawn().unwrap();
    let mut lines = BufReader::new(listener.stdout.take().unwrap()).lines();
    tokio::time::timeout(STEP, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let mut cmd = lan.ferry(0, &laptop);
    cmd.args(["--name", "Laptop", "devices", "--nearby", "--wait", "5"]);
    let nearby = run(cmd).await.unwrap();
    let seen = nearby.all("nearby");
    assert_eq!(seen.len(), 1, "{:?}", nearby.events);
    assert_eq!(seen[0]["name"], "Phone");
    assert_eq!(seen[0]["paired"], true);

    // Its health: online, directly over the LAN.
    let mut cmd = lan.ferry(0, &laptop);
    cmd.args(["--name", "Laptop", "devices"]);
    let list = run(cmd).await.unwrap();
    let row = list.event("device").unwrap();
    assert_eq!(row["online"], true, "{row}");
    assert_eq!(row["route"], "direct_lan", "{row}");
    assert!(row["rtt_ms"].is_u64(), "{row}");

    let mut cmd = lan.ferry(0, &laptop);
    cmd.args(["--name", "Laptop", "push", "Phone"]).arg(&file);
    let pushed = run(cmd).await.unwrap();
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert_eq!(
        std::fs::read(out.join("slides.pdf")).unwrap(),
        std::fs::read(&file).unwrap()
    );
    listener.kill().await.unwrap();
}
