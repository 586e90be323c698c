//! Peers that lie: escaping names, corrupted content, and a full disk.

use std::{path::Path, process::Command as StdCommand};

use ferry_tests::{
    CORRUPT_AT, Sender, SenderOptions, TestSender, ferry, random_bytes, run, snapshot, write_file,
};

#[tokio::test(flavor = "multi_thread")]
async fn test_hostile_names_write_nothing_outside_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let out = root.join("out");
    let outside = root.join("outside");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    // A symlink already in the target that points out of it.
    std::os::unix::fs::symlink(&outside, out.join("link")).unwrap();

    let absolute = format!("{}/absolute.txt", outside.display());
    let names = [
        "../escape.txt",
        "sub/../../escape2.txt",
        absolute.as_str(),
        "..\\windows.txt",
        "C:/drive.txt",
        "c:\\drive2.txt",
        "nul\0byte.txt",
        "ansi\u{1b}[31m.txt",
        "CON",
        "dir/aux.txt",
        "link/through-symlink.txt",
        "trailing. ",
        "ok/fine.txt",
    ];
    let entries = names
        .iter()
        .map(|n| (n.to_string(), format!("payload of {n:?}").into_bytes()))
        .collect();
    let sender = TestSender::start(entries, SenderOptions::default())
        .await
        .unwrap();

    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &sender.ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();

    // The safe entry lands; every other one is refused by name, with a reason.
    assert_eq!(result.code, 1, "stderr: {}", result.stderr);
    assert!(result.stderr.contains("unsafe names"), "{}", result.stderr);
    assert_eq!(
        result.all("rejected").len(),
        names.len() - 1,
        "{:?}",
        result.events
    );
    assert_eq!(
        std::fs::read(out.join("ok/fine.txt")).unwrap(),
        b"payload of \"ok/fine.txt\""
    );
    let inside: Vec<String> = snapshot(&out).into_iter().map(|e| e.0).collect();
    assert_eq!(inside, ["link -> symlink", "ok/", "ok/fine.txt"]);
    assert!(
        snapshot(&outside).is_empty(),
        "written outside: {:?}",
        snapshot(&outside)
    );
    let beside: Vec<String> = snapshot(&root)
        .into_iter()
        .map(|e| e.0)
        .filter(|n| !n.trim_end_matches('/').contains('/'))
        .collect();
    assert_eq!(beside, ["out/", "outside/"]);
    sender.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_corrupting_sender_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let good = random_bytes(1000, 5);
    let bad = random_bytes(1024 * 1024, 6);
    let sender = TestSender::start(
        vec![
            ("a-good.txt".into(), good.clone()),
            ("b-bad.bin".into(), bad.clone()),
        ],
        SenderOptions {
            corrupt: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let out = tmp.path().join("out");
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &sender.ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();

    assert_eq!(result.code, 1, "stderr: {}", result.stderr);
    let first_line = result.stderr.lines().next().unwrap_or_default();
    assert!(
        first_line.contains("verification failed for b-bad.bin"),
        "{first_line}"
    );
    assert!(result.event("done").is_none());
    assert_eq!(std::fs::read(out.join("a-good.txt")).unwrap(), good);
    assert!(!out.join("b-bad.bin").exists(), "a corrupt file appeared");
    // Whatever was kept for a later resume is a verified prefix of the real data.
    let partial_dir = out.join(".ferry-partial");
    if partial_dir.exists() {
        for (name, data) in snapshot(&partial_dir) {
            let data = data.unwrap_or_default();
            assert!(bad.starts_with(&data), "{name} holds unverified bytes");
            assert!(
                (data.len() as u64) < CORRUPT_AT,
                "{name} kept bytes past the corruption"
            );
        }
    }
    sender.shutdown().await.unwrap();
}

/// A small tmpfs, unmounted on drop.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Self {
        std::fs::create_dir_all(path).unwrap();
        let status = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs failed: this test needs root (CI runs as root)"
        );
        Self(path.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_full_disk_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_file(&src.join("small.txt"), b"fits");
    write_file(&src.join("huge.bin"), &random_bytes(3 * 1024 * 1024, 7));
    let disk = SmallDisk::mount(&tmp.path().join("disk"), "1m");
    let sender = Sender::start(&tmp.path().join("sender"), &[src.to_str().unwrap()])
        .await
        .unwrap();
    let out = disk.0.join("out");
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &sender.ticket(), "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();

    assert_eq!(result.code, 1, "stderr: {}", result.stderr);
    let first_line = result.stderr.lines().next().unwrap_or_default();
    assert!(first_line.contains("disk is full"), "{first_line}");
    let files: Vec<String> = snapshot(&disk.0)
        .into_iter()
        .filter(|e| e.1.is_some())
        .map(|e| e.0)
        .filter(|n| n != "out/src/small.txt")
        .collect();
    assert!(files.is_empty(), "partial files left: {files:?}");
    assert!(!out.join("src/huge.bin").exists());
    drop(disk);
}

/// The name of the partial file a receive of `data` resumes from.
fn partial_name(data: &[u8]) -> String {
    format!("{}.part", iroh_blobs::Hash::new(data).to_hex())
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_planted_partial_file_never_reaches_a_verified_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let receiver = tmp.path().join("receiver");
    let real = random_bytes(1024 * 1024 + 4321, 21);
    let planted = random_bytes(640 * 1024, 22);

    // Given a peer that ships a file named like the partial file of content
    // it expects the victim to receive later.
    let hostile = TestSender::start(
        vec![
            (format!(".ferry-partial/{}", partial_name(&real)), planted),
            ("hello.txt".into(), b"hi".to_vec()),
        ],
        SenderOptions::default(),
    )
    .await
    .unwrap();
    let mut cmd = ferry(&receiver);
    cmd.args(["receive", &hostile.ticket, "--out"]).arg(&out);
    let planting = run(cmd).await.unwrap();
    hostile.shutdown().await.unwrap();

    // When that content arrives from an honest sender into the same folder,
    let honest = TestSender::start(
        vec![("movie.bin".into(), real.clone())],
        SenderOptions::default(),
    )
    .await
    .unwrap();
    let mut cmd = ferry(&receiver);
    cmd.args(["receive", &honest.ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();

    // then the verified file holds exactly what was sent: the peer's name
    // was refused as one of Ferry's own.
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    assert!(
        std::fs::read(out.join("movie.bin")).unwrap() == real,
        "the received file differs from what was sent"
    );
    let rejected = planting.all("rejected");
    assert_eq!(rejected.len(), 1, "{:?}", planting.events);
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains("Ferry keeps"),
        "{:?}",
        rejected[0]
    );
    assert_eq!(std::fs::read(out.join("hello.txt")).unwrap(), b"hi");
    honest.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_symlinked_partial_folder_is_refused_and_nothing_lands_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    // Given a symlink where the partial folder goes, pointing out of the target,
    std::os::unix::fs::symlink(&outside, out.join(".ferry-partial")).unwrap();
    let data = random_bytes(2 * 1024 * 1024, 23);
    let sender = TestSender::start(
        vec![("movie.bin".into(), data.clone())],
        SenderOptions::default(),
    )
    .await
    .unwrap();

    // when a file that needs a partial file is received,
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &sender.ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();

    // then the receive stops with a clear error and writes nothing outside.
    assert_eq!(result.code, 1, "stderr: {}", result.stderr);
    let first_line = result.stderr.lines().next().unwrap_or_default();
    assert!(
        first_line.contains(".ferry-partial") && first_line.contains("symlink"),
        "{first_line}"
    );
    assert!(result.event("done").is_none());
    assert!(
        snapshot(&outside).is_empty(),
        "written outside: {:?}",
        snapshot(&outside)
    );
    assert!(!out.join("movie.bin").exists());
    sender.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_symlinked_partial_file_is_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(out.join(".ferry-partial")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let (movie, film) = (random_bytes(1024 * 1024, 24), random_bytes(700 * 1024, 25));
    // Given partial files that are symlinks out of the target: one to a
    // file that exists, one to a file that does not,
    let victim = outside.join("victim.txt");
    std::fs::write(&victim, b"keep me").unwrap();
    let partials = out.join(".ferry-partial");
    std::os::unix::fs::symlink(&victim, partials.join(partial_name(&movie))).unwrap();
    std::os::unix::fs::symlink(outside.join("new.bin"), partials.join(partial_name(&film)))
        .unwrap();
    let sender = TestSender::start(
        vec![
            ("movie.bin".into(), movie.clone()),
            ("film.bin".into(), film.clone()),
        ],
        SenderOptions::default(),
    )
    .await
    .unwrap();

    // when those files are received,
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &sender.ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();

    // then they arrive as plain files inside the target and nothing outside
    // is written.
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    for (name, data) in [("movie.bin", &movie), ("film.bin", &film)] {
        let path = out.join(name);
        assert!(
            std::fs::symlink_metadata(&path).unwrap().is_file(),
            "{name} is not a regular file"
        );
        assert!(std::fs::read(&path).unwrap() == *data, "{name} differs");
    }
    assert_eq!(
        snapshot(&outside),
        [("victim.txt".to_string(), Some(b"keep me".to_vec()))]
    );
    sender.shutdown().await.unwrap();
}
