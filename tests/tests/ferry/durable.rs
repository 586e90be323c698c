//! "Done" means durable: every received or synced file has its data on
//! disk before it gets its name, and its folder is synced after, before
//! anything reports it. The order is read from `strace -f`.

use ferry_tests::{SenderOptions, TestSender, Trace, ferry_traced, random_bytes, run};

#[tokio::test(flavor = "multi_thread")]
async fn test_received_files_are_synced_before_they_are_named_and_their_folder_after() {
    let tmp = tempfile::tempdir().unwrap();
    // Small files come whole with the offer (an anonymous file, then a
    // link); larger ones go through a partial file and a rename.
    let files = [
        ("top.txt", random_bytes(100, 41)),
        ("notes/a.txt", random_bytes(3000, 42)),
        ("notes/deep/b.txt", random_bytes(9000, 43)),
        ("film/movie.bin", random_bytes(2 * 1024 * 1024 + 1, 44)),
        ("big.bin", random_bytes(300 * 1024, 45)),
    ];
    let sender = TestSender::start(
        files
            .iter()
            .map(|(n, d)| (n.to_string(), d.clone()))
            .collect(),
        SenderOptions::default(),
    )
    .await
    .unwrap();
    std::fs::create_dir_all(tmp.path().join("out")).unwrap();
    let out = std::fs::canonicalize(tmp.path().join("out")).unwrap();
    let trace = tmp.path().join("trace");

    // When they are received under strace,
    let mut cmd = ferry_traced(&tmp.path().join("receiver"), &trace);
    cmd.args(["receive", &sender.ticket, "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    for (name, data) in &files {
        assert!(std::fs::read(out.join(name)).unwrap() == *data, "{name}");
    }

    // then each file's data was synced before it was named, its folder
    // after, and "done" was printed only after every folder sync.
    let trace = Trace::read(&trace);
    let mut last_sync = 0;
    for (name, _) in &files {
        last_sync = last_sync.max(trace.assert_durably_named(&out.join(name)));
    }
    let done = trace
        .stdout_write("\\\"done\\\"")
        .expect("the done line on stdout");
    assert!(
        done.start > last_sync,
        "done was printed before the last folder sync"
    );
    // and the history recorded the receive as complete only after them too
    // (the schema names the status quoted, a row holds it bare).
    let recorded = trace
        .first_write_to("ferry.sqlite", |data| {
            data.match_indices("complete")
                .any(|(at, word)| !data[at + word.len()..].starts_with('\''))
        })
        .expect("the history's record of the receive");
    assert!(
        recorded.start > last_sync,
        "the history recorded the receive before the last folder sync"
    );
    sender.shutdown().await.unwrap();
}

/// The files under `dir`, relative, skipping Ferry's own temp files.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    ferry_tests::snapshot(dir)
        .into_iter()
        .filter(|(name, data)| data.is_some() && !name.contains(".ferry-"))
        .map(|(name, _)| name)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn test_collection_files_are_synced_before_they_are_named_and_their_folder_after() {
    use ferry_tests::{Running, ferry, pair_dirs, write_file};
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let (laptop_dir, desktop_dir) = (root.join("laptop"), root.join("desktop"));
    let folder = root.join("home");
    write_file(&folder.join("todo.txt"), b"call mum");
    write_file(&folder.join("pics/cat.jpg"), &random_bytes(64_000, 46));
    write_file(
        &folder.join("pics/2026/dog.jpg"),
        &random_bytes(300_000, 47),
    );
    pair_dirs((&laptop_dir, "Laptop"), (&desktop_dir, "Desktop"), true)
        .await
        .unwrap();
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["collection", "create", "home", "--dir"])
        .arg(&folder);
    let created = run(cmd).await.unwrap();
    assert_eq!(created.code, 0, "{}", created.stderr);

    // Given a desktop that takes the laptop's collections, under strace,
    let synced = root.join("synced");
    let trace = root.join("trace");
    let mut cmd = ferry_traced(&desktop_dir, &trace);
    cmd.args(["listen", "--accept", "trusted", "--out"])
        .arg(root.join("inbox"))
        .arg("--collections-dir")
        .arg(&synced);
    let mut desktop = Running::spawn(cmd);
    desktop.next("listening").await;
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["collection", "invite", "home", "desktop"]);
    let invited = run(cmd).await.unwrap();
    assert_eq!(invited.code, 0, "{}", invited.stderr);
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["listen", "--out"]).arg(root.join("laptop-inbox"));
    let mut laptop = Running::spawn(cmd);
    laptop.next("listening").await;

    // when the collection's files arrive there (each reported as a change),
    let mut reported = std::collections::BTreeSet::new();
    while reported.len() < 3 {
        let change = desktop.next("collection-change").await;
        reported.insert(change["path"].as_str().unwrap().to_string());
    }
    laptop.stop().await;
    interrupt_traced(&mut desktop).await;

    // then each file's data was synced before its rename into place and its
    // folder after, and every change was reported, and the folder index
    // recorded it, only after those syncs.
    let trace = Trace::read(&trace);
    let homes: Vec<_> = std::fs::read_dir(&synced)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(homes.len(), 1, "{homes:?}");
    let home = &homes[0];
    assert_eq!(
        files_under(home),
        ["pics/2026/dog.jpg", "pics/cat.jpg", "todo.txt"]
    );
    for name in files_under(home) {
        let synced_at = trace.assert_durably_named(&home.join(&name));
        let line = format!("\\\"path\\\":\\\"{name}\\\"");
        let shown = trace
            .stdout_write(&line)
            .unwrap_or_else(|| panic!("no change line for {name}"));
        assert!(
            shown.start > synced_at,
            "{name} was reported before its folder was synced"
        );
        let indexed = trace
            .first_write_to("ferry.sqlite", |data| data.contains(&name))
            .unwrap_or_else(|| panic!("the folder index never recorded {name}"));
        assert!(
            indexed.start > synced_at,
            "the folder index recorded {name} before its folder was synced"
        );
    }
}

/// Ends a `ferry` process that runs under strace as Ctrl-C would (strace
/// itself does not pass signals on), and waits for both.
async fn interrupt_traced(traced: &mut ferry_tests::Running) {
    let strace = traced.child.id().expect("strace runs");
    let children = std::fs::read_to_string(format!("/proc/{strace}/task/{strace}/children"))
        .expect("reading strace's children");
    let ferry = children.split_whitespace().next().expect("ferry runs");
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", ferry])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    assert!(traced.success().await, "ferry did not stop cleanly");
}
