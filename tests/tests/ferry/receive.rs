//! Sending and receiving between two `ferry` processes.

use std::path::Path;

use ferry_tests::{
    Sender, SenderOptions, TestSender, assert_same_tree, ferry, random_bytes, run, wait_until,
    write_file,
};

const MIB: usize = 1024 * 1024;

fn make_tree(root: &Path) {
    write_file(
        &root.join("trip/day 1/photo.jpg"),
        &random_bytes(300 * 1024, 1),
    );
    write_file(&root.join("trip/empty.txt"), b"");
    std::fs::create_dir_all(root.join("trip/nothing here")).unwrap();
    write_file(&root.join("trip/big.bin"), &random_bytes(51 * MIB + 123, 2));
    write_file(
        &root.join("trip/Ünïcödé 日本/straße.txt"),
        "grüße\n".as_bytes(),
    );
    write_file(&root.join("notes.md"), b"# notes\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn test_round_trip_of_a_tree_is_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_tree(&src);
    let trip = src.join("trip");
    let notes = src.join("notes.md");
    let mut sender = Sender::start(
        &tmp.path().join("sender"),
        &[
            trip.to_str().unwrap(),
            notes.to_str().unwrap(),
            "--text",
            "see you there",
            "--once",
        ],
    )
    .await
    .unwrap();
    assert_eq!(sender.ticket_event["event"], "ticket");
    assert!(sender.ticket().starts_with("ferry"));
    assert!(sender.blob_ticket().starts_with("blob"));

    // The QR code shows the ticket upper-cased; that form must work too.
    let out = tmp.path().join("out");
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &sender.ticket().to_uppercase(), "--out"])
        .arg(&out);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);

    let offer = result.event("offer").expect("an offer event");
    assert_eq!(offer["files"], 5);
    let total = 300 * 1024 + 51 * MIB + 123 + "grüße\n".len() + 8;
    assert_eq!(offer["bytes"], total);
    assert_eq!(offer["text"], "see you there");
    assert_eq!(result.events[0]["event"], "offer", "the offer comes first");
    let done = result.events.last().unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["files"], 5);
    assert_eq!(done["bytes"], total);
    assert_eq!(done["path"], "local");
    assert!(done["elapsed_ms"].is_u64());
    let fetched = done["bytes_transferred"].as_u64().unwrap();
    assert!(
        fetched >= total as u64 && fetched < total as u64 + 64 * 1024,
        "{fetched}"
    );
    assert!(!result.all("progress").is_empty());

    assert_same_tree(&src, &out);
    assert!(!out.join(".ferry-partial").exists());

    // --once: the sender reports the download and exits by itself.
    let downloaded = sender.next_event("downloaded").await.unwrap();
    assert!(downloaded["peer"].is_string());
    assert_eq!(sender.wait().await.unwrap(), 0);

    // Both sides keep a record.
    for side in ["receiver", "sender"] {
        let mut cmd = ferry(&tmp.path().join(side));
        cmd.arg("history");
        let history = run(cmd).await.unwrap();
        assert_eq!(history.code, 0, "{}", history.stderr);
        let rows = history.all("transfer");
        assert_eq!(rows.len(), 1, "{side}: {:?}", history.events);
        assert_eq!(rows[0]["status"], "complete");
        assert_eq!(rows[0]["files"], 5);
        assert_eq!(rows[0]["bytes"], total);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_receiving_again_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("report.pdf");
    write_file(&file, &random_bytes(40_000, 3));
    let out = tmp.path().join("out");
    write_file(&out.join("report.pdf"), b"my own, different report");
    let sender = Sender::start(&tmp.path().join("sender"), &[file.to_str().unwrap()])
        .await
        .unwrap();
    for _ in 0..2 {
        let mut cmd = ferry(&tmp.path().join("receiver"));
        cmd.args(["receive", &sender.ticket(), "--out"]).arg(&out);
        let result = run(cmd).await.unwrap();
        assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    }
    assert_eq!(
        std::fs::read(out.join("report.pdf")).unwrap(),
        b"my own, different report"
    );
    assert_eq!(
        std::fs::read(out.join("report (1).pdf")).unwrap(),
        std::fs::read(&file).unwrap()
    );
    // The second run found its identical copy and made no third one.
    assert!(!out.join("report (2).pdf").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn test_resumes_after_the_receiver_is_killed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = random_bytes(24 * MIB, 4);
    let sender = TestSender::start(
        vec![("movie.bin".to_string(), data.clone())],
        SenderOptions {
            delay_per_group: Some(std::time::Duration::from_millis(2)),
            corrupt: false,
        },
    )
    .await
    .unwrap();
    let out = tmp.path().join("out");
    let receiver_dir = tmp.path().join("receiver");

    // First run: kill it once a few MiB are on disk.
    let mut cmd = ferry(&receiver_dir);
    cmd.args(["receive", &sender.ticket, "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let partial_dir = out.join(".ferry-partial");
    wait_until("4 MiB are on disk", || {
        partial_bytes(&partial_dir) >= 4 * MIB as u64
    })
    .await
    .unwrap();
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let kept = partial_bytes(&partial_dir);
    assert!(kept >= 4 * MIB as u64 && kept < data.len() as u64, "{kept}");
    assert!(
        !out.join("movie.bin").exists(),
        "an incomplete file appeared"
    );

    // Second run: the same command finishes, fetching less than the whole.
    let mut cmd = ferry(&receiver_dir);
    cmd.args(["receive", &sender.ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    let done = result.event("done").unwrap();
    let fetched = done["bytes_transferred"].as_u64().unwrap();
    assert!(
        fetched <= data.len() as u64 - kept + 32 * 1024,
        "fetched {fetched} of {} with {kept} already verified",
        data.len()
    );
    assert_eq!(std::fs::read(out.join("movie.bin")).unwrap(), data);
    assert!(!partial_dir.exists());
    sender.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_resumes_after_the_network_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let film = tmp.path().join("film.mkv");
    let data = random_bytes(128 * MIB, 5);
    write_file(&film, &data);
    // A fixed port, so that the restarted sender is where the ticket says.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let sender_dir = tmp.path().join("sender");
    let args = [film.to_str().unwrap(), "--bind", &bind];
    let sender = Sender::start(&sender_dir, &args).await.unwrap();
    let ticket = sender.ticket();
    let out = tmp.path().join("out");
    let receiver_dir = tmp.path().join("receiver");

    // The sender vanishes without a word once a few MiB have arrived, as
    // when a laptop leaves the Wi-Fi.
    let mut cmd = ferry(&receiver_dir);
    cmd.args(["receive", &ticket, "--out"]).arg(&out);
    let receiving = tokio::spawn(run(cmd));
    let partial_dir = out.join(".ferry-partial");
    wait_until("4 MiB are on disk", || {
        partial_bytes(&partial_dir) >= 4 * MIB as u64
    })
    .await
    .unwrap();
    sender.stop().await;
    let result = receiving.await.unwrap().unwrap();
    assert_eq!(result.code, 1, "stderr: {}", result.stderr);
    let first_line = result.stderr.lines().next().unwrap_or_default();
    assert!(
        first_line.contains("lost the connection")
            && first_line.contains("run the same command again"),
        "{first_line}"
    );
    assert!(result.event("done").is_none());
    assert!(
        !out.join("film.mkv").exists(),
        "an incomplete file appeared"
    );
    let kept = partial_bytes(&partial_dir);
    assert!(kept >= 4 * MIB as u64 && kept < data.len() as u64, "{kept}");

    // Back online: the same sender, the same ticket, the same command.
    let mut sender = Sender::start(&sender_dir, &args).await.unwrap();
    assert_eq!(sender.ticket(), ticket);
    let mut cmd = ferry(&receiver_dir);
    cmd.args(["receive", &ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    let fetched = result.event("done").unwrap()["bytes_transferred"]
        .as_u64()
        .unwrap();
    assert!(
        fetched <= data.len() as u64 - kept + 32 * 1024,
        "fetched {fetched} of {} with {kept} already verified",
        data.len()
    );
    assert!(std::fs::read(out.join("film.mkv")).unwrap() == data);
    assert!(!partial_dir.exists());
    sender.child.start_kill().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_partial_file_resumes_only_when_its_kept_bytes_match_the_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let data = random_bytes(3 * MIB + 777, 31);
    let kept = 1280 * 1024;
    let part = format!("{}.part", iroh_blobs::Hash::new(&data).to_hex());
    let sender = TestSender::start(
        vec![("movie.bin".to_string(), data.clone())],
        SenderOptions::default(),
    )
    .await
    .unwrap();
    let receive = |out: std::path::PathBuf| {
        let mut cmd = ferry(&tmp.path().join("receiver"));
        cmd.args(["receive", &sender.ticket, "--out"]).arg(out);
        run(cmd)
    };

    // Given a partial file that holds the first bytes of the content, as an
    // interrupted run leaves it, the receive resumes after them.
    let good = tmp.path().join("good");
    write_file(&good.join(".ferry-partial").join(&part), &data[..kept]);
    let result = receive(good.clone()).await.unwrap();
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    let fetched = result.event("done").unwrap()["bytes_transferred"]
        .as_u64()
        .unwrap();
    assert!(
        fetched <= (data.len() - kept) as u64 + 32 * 1024,
        "fetched {fetched} of {} with {kept} kept",
        data.len()
    );
    assert!(std::fs::read(good.join("movie.bin")).unwrap() == data);

    // Given one whose kept bytes differ in one byte near their end (a disk
    // error, another program), the receive fetches the file again from its
    // start and the result is exact.
    let bad = tmp.path().join("bad");
    let mut damaged = data[..kept].to_vec();
    damaged[kept - 100] ^= 0x40;
    write_file(&bad.join(".ferry-partial").join(&part), &damaged);
    let result = receive(bad.clone()).await.unwrap();
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    assert!(
        std::fs::read(bad.join("movie.bin")).unwrap() == data,
        "the received file differs from what was sent"
    );
    let fetched = result.event("done").unwrap()["bytes_transferred"]
        .as_u64()
        .unwrap();
    assert!(fetched >= data.len() as u64, "fetched only {fetched}");
    assert!(!bad.join(".ferry-partial").exists());
    sender.shutdown().await.unwrap();
}

fn partial_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
