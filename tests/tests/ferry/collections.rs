//! Shared collections between in-process nodes on loopback.

use std::{path::Path, time::Duration};

use ferry_core::{HasKind, Node};
use ferry_tests::{loopback_node, pair_nodes, write_file};

/// Waits (up to a minute) until `check` holds.
pub(super) async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The files under `root`, sorted, with their content (folders are not
/// synced by themselves: a folder comes with its first file and goes with
/// its last). Ferry's temp files, and files that vanish while being read
/// (a sync in progress), are left out.
fn files(root: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Option<Vec<u8>>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with(".ferry-") {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                walk(root, &path, out);
            } else if let Ok(content) = std::fs::read(&path) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, Some(content)));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Like [`eventually`], for an async check.
pub(super) async fn eventually_async<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (up to a minute) until `events` report that the device `peer`
/// asked to sync a collection and was refused.
async fn refused_sync(events: &mut ferry_core::Events, peer: &str) {
    let refused = async {
        while let Some(event) = events.recv().await {
            if let ferry_core::Event::CollectionSyncRefused { peer: who } = event
                && who == peer
            {
                return;
            }
        }
        panic!("the event stream ended");
    };
    tokio::time::timeout(Duration::from_secs(60), refused)
        .await
        .expect("no refused sync within a minute");
}

pub(super) fn same_tree(a: &Path, b: &Path) -> bool {
    files(a) == files(b)
}

/// `laptop` creates `name` from `dir`, invites every other node, and each
/// accepts into its own folder.
pub(super) async fn share(name: &str, laptop: &Node, dir: &Path, others: &[(&Node, &Path)]) {
    laptop.collections().create(name, Some(dir)).await.unwrap();
    for (node, folder) in others {
        pair_nodes(laptop, node).await;
        let accepted = laptop
            .collections()
            .invite(name, node.device_name())
            .await
            .unwrap();
        assert!(!accepted, "without auto-accept an invitation waits");
        let invites = node.collections().invites().unwrap();
        assert_eq!(invites.len(), 1);
        assert_eq!(invites[0].from.name, laptop.device_name());
        node.collections().accept(name, Some(folder)).await.unwrap();
        assert!(node.collections().invites().unwrap().is_empty());
    }
    laptop.collections().start().await.unwrap();
    for (node, _) in others {
        node.collections().start().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_three_members_sync_changes_live_and_catch_up_after_being_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_, dc) = (root.join("a"), root.join("b"), root.join("c"));
    write_file(&da.join("notes/today.txt"), b"milk, eggs");
    write_file(
        &da.join("photo.jpg"),
        &ferry_tests::random_bytes(300_000, 1),
    );
    write_file(&da.join("empty.txt"), b"");
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    let c = loopback_node(&root.join("data-c"), "server").await;
    share("home", &a, &da, &[(&b, &db_), (&c, &dc)]).await;

    eventually("b and c hold the laptop's files", || {
        same_tree(&da, &db_) && same_tree(&da, &dc)
    })
    .await;
    let status = a.collections().status("home").await.unwrap();
    assert_eq!(status.members.len(), 3, "{status:?}");
    assert_eq!(status.files, 3);

    // Add, modify, delete and rename on b reach a and c.
    write_file(&db_.join("new/added.txt"), b"from b");
    write_file(&db_.join("notes/today.txt"), b"milk, eggs, bread");
    std::fs::remove_file(db_.join("empty.txt")).unwrap();
    std::fs::rename(db_.join("photo.jpg"), db_.join("renamed.jpg")).unwrap();
    eventually("b's changes reach a and c", || {
        same_tree(&db_, &da) && same_tree(&db_, &dc)
    })
    .await;
    assert!(!da.join("photo.jpg").exists());
    assert_eq!(
        std::fs::read(da.join("notes/today.txt")).unwrap(),
        b"milk, eggs, bread"
    );

    // c goes offline; a keeps changing; c catches up when it is back.
    let c_data = c.data_dir().to_path_buf();
    c.shutdown().await;
    drop(c);
    write_file(&da.join("while-away.txt"), b"c was offline");
    std::fs::remove_file(da.join("new/added.txt")).unwrap();
    eventually("b sees a's changes", || same_tree(&da, &db_)).await;
    let c = loopback_node(&c_data, "server").await;
    c.collections().start().await.unwrap();
    eventually("c catches up", || same_tree(&da, &dc)).await;
    assert!(!dc.join("new").exists(), "an emptied folder goes too");
    assert_eq!(files(&da), files(&dc));
    for node in [a, b, c] {
        node.shutdown().await;
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn names(root: &Path) -> Vec<String> {
    files(root).into_iter().map(|(n, _)| n).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_concurrent_edits_keep_both_and_history_restores_deleted_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_) = (root.join("a"), root.join("b"));
    write_file(&da.join("plan.txt"), b"v1");
    write_file(&da.join("keep.txt"), b"keep me");
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    share("work", &a, &da, &[(&b, &db_)]).await;
    eventually("b holds the files", || same_tree(&da, &db_)).await;

    // The desktop is off while both sides edit the same file.
    let b_data = b.data_dir().to_path_buf();
    b.shutdown().await;
    drop(b);
    write_file(&da.join("plan.txt"), b"laptop's edit");
    a.collections().sync_now("work").await.unwrap();
    eventually_async("the laptop records its edit", || async {
        a.collections()
            .history("work", "plan.txt")
            .await
            .is_ok_and(|h| h.len() == 2)
    })
    .await;
    write_file(&db_.join("plan.txt"), b"desktop's edit");
    let b = loopback_node(&b_data, "desktop").await;
    b.collections().start().await.unwrap();

    // The newest edit stays in place; the other is kept beside it, on both.
    eventually("both show the conflict", || {
        names(&da).len() == 3 && same_tree(&da, &db_)
    })
    .await;
    assert_eq!(read(&da.join("plan.txt")), b"desktop's edit");
    let status = a.collections().status("work").await.unwrap();
    assert_eq!(status.conflicts.len(), 1, "{status:?}");
    let copy = &status.conflicts[0];
    assert!(
        copy.starts_with("plan (conflict from laptop ") && copy.ends_with(").txt"),
        "{copy}"
    );
    assert_eq!(read(&da.join(copy)), b"laptop's edit");
    let history = a.collections().history("work", "plan.txt").await.unwrap();
    let devices: Vec<&str> = history.iter().map(|v| v.device.as_str()).collect();
    assert_eq!(devices, ["laptop", "laptop", "desktop"], "{history:?}");
    assert!(history[1].current && history[2].current && !history[0].current);

    // Deleting the copy resolves the conflict everywhere.
    std::fs::remove_file(da.join(copy)).unwrap();
    eventually("the resolution reaches the desktop", || {
        names(&db_) == ["keep.txt", "plan.txt"]
    })
    .await;
    assert!(
        b.collections()
            .status("work")
            .await
            .unwrap()
            .conflicts
            .is_empty()
    );
    assert_eq!(read(&db_.join("plan.txt")), b"desktop's edit");

    // A deletion propagates, and the file comes back from history.
    std::fs::remove_file(da.join("keep.txt")).unwrap();
    eventually("the deletion reaches the desktop", || {
        !db_.join("keep.txt").exists()
    })
    .await;
    let history = b.collections().history("work", "keep.txt").await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[1].deleted && !history[0].deleted);
    let restored = b
        .collections()
        .restore("work", "keep.txt", 1)
        .await
        .unwrap();
    assert_eq!(restored.number, 3);
    eventually("the restored file is back on both", || {
        read(&da.join("keep.txt")) == b"keep me" && read(&db_.join("keep.txt")) == b"keep me"
    })
    .await;
    assert!(
        b.collections()
            .restore("work", "keep.txt", 9)
            .await
            .is_err()
    );
    for node in [a, b] {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_member_without_a_folder_fetches_on_demand_and_keeps_pins() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let da = root.join("a");
    let one = ferry_tests::random_bytes(200_000, 7);
    write_file(&da.join("one.jpg"), &one);
    write_file(
        &da.join("trip/two.jpg"),
        &ferry_tests::random_bytes(150_000, 8),
    );
    write_file(
        &da.join("trip/three.jpg"),
        &ferry_tests::random_bytes(100_000, 9),
    );
    let laptop = loopback_node(&root.join("data-a"), "laptop").await;
    let phone = loopback_node(&root.join("data-p"), "phone").await;
    laptop
        .collections()
        .create("album", Some(&da))
        .await
        .unwrap();
    pair_nodes(&laptop, &phone).await;
    laptop.collections().invite("album", "phone").await.unwrap();
    phone.collections().accept("album", None).await.unwrap();
    laptop.collections().start().await.unwrap();
    phone.collections().start().await.unwrap();

    let listing = || async { phone.collections().files("album").await.unwrap() };
    eventually_async("the phone lists every file", || async {
        listing().await.len() == 3
    })
    .await;
    // Metadata only: nothing was downloaded.
    let files_now = listing().await;
    assert!(files_now.iter().all(|f| !f.local), "{files_now:?}");
    let status = phone.collections().status("album").await.unwrap();
    assert_eq!(status.dir, None);
    assert_eq!(status.bytes, 450_000);

    // Open one file: fetched on demand.
    let out = root.join("opened.jpg");
    let size = phone
        .collections()
        .fetch("album", "one.jpg", &out)
        .await
        .unwrap();
    assert_eq!(size, 200_000);
    assert_eq!(read(&out), one);

    // Pin a folder: its files are kept on the phone, the rest are not.
    phone
        .collections()
        .pin("album", "trip", true)
        .await
        .unwrap();
    eventually_async("the pinned folder is on the phone", || async {
        listing()
            .await
            .iter()
            .filter(|f| f.path.starts_with("trip/"))
            .all(|f| f.local)
    })
    .await;
    let files_now = listing().await;
    assert!(
        files_now.iter().any(|f| f.path == "one.jpg" && f.local),
        "opened"
    );
    let err = phone
        .collections()
        .fetch("album", "missing.jpg", &out)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ferry_core::ErrorKind::InvalidInput, "{err}");
    for node in [laptop, phone] {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_half_written_and_ignored_files_are_not_synced() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_) = (root.join("a"), root.join("b"));
    write_file(&da.join(".ferryignore"), b"*.log\nbuild/\n");
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    share("code", &a, &da, &[(&b, &db_)]).await;

    // Ignored and editor files never leave the laptop.
    write_file(&da.join("debug.log"), b"noise");
    write_file(&da.join("build/out.bin"), b"artifact");
    write_file(&da.join(".main.rs.swp"), b"swap");
    // A file held open for writing waits until it is closed.
    let mut open = std::fs::File::create(da.join("big.bin")).unwrap();
    open.write_all(&[1u8; 4096]).unwrap();
    open.flush().unwrap();
    write_file(&da.join("main.rs"), b"fn main() {}");
    eventually("main.rs arrives", || db_.join("main.rs").exists()).await;
    // A file written after all of those arriving means the scans and syncs
    // that saw them have run: whatever they were to send has arrived.
    write_file(&da.join("later.rs"), b"// later");
    eventually("a later file arrives", || db_.join("later.rs").exists()).await;
    assert_eq!(
        names(&db_),
        ["later.rs", "main.rs"],
        "only main.rs may arrive"
    );
    assert!(
        a.collections().history("code", "big.bin").await.is_err(),
        "nothing recorded mid-write"
    );
    open.write_all(&[2u8; 4096]).unwrap();
    drop(open);
    eventually("the finished file arrives whole", || {
        read(&db_.join("big.bin")).len() == 8192
    })
    .await;
    assert_eq!(
        a.collections()
            .history("code", "big.bin")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(names(&db_), ["big.bin", "later.rs", "main.rs"]);
    for node in [a, b] {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_collections_from_the_command_line() {
    use ferry_tests::{Running, ferry, run};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (laptop_dir, desktop_dir) = (root.join("laptop"), root.join("desktop"));
    let folder = root.join("home");
    write_file(&folder.join("todo.txt"), b"call mum");
    write_file(
        &folder.join("pics/cat.jpg"),
        &ferry_tests::random_bytes(64_000, 3),
    );
    ferry_tests::pair_dirs((&laptop_dir, "Laptop"), (&desktop_dir, "Desktop"), true)
        .await
        .unwrap();

    let mut cmd = ferry(&laptop_dir);
    cmd.args(["collection", "create", "home", "--dir"])
        .arg(&folder);
    let created = run(cmd).await.unwrap();
    assert_eq!(created.code, 0, "{}", created.stderr);
    let event = created.event("collection-created").unwrap();
    assert_eq!(event["files"], 2);
    assert_eq!(event["bytes"], 64_008);

    // The desktop listens and takes collections from auto-accept devices.
    let synced = root.join("synced");
    let mut desktop = listen_taking_collections(&desktop_dir, &root.join("inbox"), &synced).await;
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["collection", "invite", "home", "desktop"]);
    let invited = run(cmd).await.unwrap();
    assert_eq!(invited.code, 0, "{}", invited.stderr);
    assert_eq!(invited.event("invited").unwrap()["accepted"], true);
    let invite = desktop.next("collection-invite").await;
    assert_eq!(invite["from"]["name"], "Laptop");

    // While the laptop listens too, the folders converge and changes flow.
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["listen", "--out"]).arg(root.join("laptop-inbox"));
    let mut laptop = Running::spawn(cmd);
    laptop.next("listening").await;
    let desktop_home = synced.join("home");
    eventually("the desktop holds the collection", || {
        same_tree(&folder, &desktop_home)
    })
    .await;
    write_file(&folder.join("new.txt"), b"fresh");
    loop {
        let change = desktop.next("collection-change").await;
        if change["path"] == "new.txt" {
            assert_eq!(change["origin"], "remote");
            assert_eq!(change["change"], "added");
            break;
        }
    }
    assert_eq!(read(&desktop_home.join("new.txt")), b"fresh");
    // Killed right after the change: nothing written is lost.
    desktop.stop().await;

    // Where nothing syncs, core asks the members itself who is up.
    let member_online = |status: &serde_json::Value, name: &str| {
        status["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["online"].clone())
    };
    let mut cmd = ferry(&desktop_dir);
    cmd.args(["collection", "status", "home"]);
    let status = run(cmd).await.unwrap();
    let status = status.event("collection-status").unwrap().clone();
    assert_eq!(
        member_online(&status, "Laptop"),
        Some(true.into()),
        "{status}"
    );
    laptop.stop().await;

    let mut cmd = ferry(&desktop_dir);
    cmd.args(["collection", "status", "home"]);
    let status = run(cmd).await.unwrap();
    assert_eq!(status.code, 0, "{}", status.stderr);
    let status = status.event("collection-status").unwrap().clone();
    assert_eq!(
        member_online(&status, "Laptop"),
        Some(false.into()),
        "{status}"
    );
    assert_eq!(status["files"], 3, "{status}");
    assert_eq!(status["members"].as_array().unwrap().len(), 2);
    assert!(status["last_sync_ms"].is_i64(), "{status}");
    let mut cmd = ferry(&desktop_dir);
    cmd.args(["collection", "history", "home", "new.txt"]);
    let history = run(cmd).await.unwrap();
    let versions = history.all("version");
    assert_eq!(versions.len(), 1, "{}", history.stderr);
    assert_eq!(versions[0]["device"], "Laptop", "{:?}", versions);
    let mut cmd = ferry(&desktop_dir);
    cmd.args(["collection", "list"]);
    let list = run(cmd).await.unwrap();
    assert_eq!(list.event("collection").unwrap()["name"], "home");

    let mut cmd = ferry(&desktop_dir);
    cmd.args(["collection", "status", "nope"]);
    let missing = run(cmd).await.unwrap();
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no collection named \"nope\""),
        "{}",
        missing.stderr
    );
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["collection", "create", "a/b"]);
    let bad = run(cmd).await.unwrap();
    assert_eq!(bad.code, 2, "{}", bad.stderr);

    // Removing the desktop (off, and the only other member): re-keyed,
    // nobody left to tell.
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["collection", "remove-member", "home", "Desktop"]);
    let removed = run(cmd).await.unwrap();
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    let event = removed.event("member-removed").unwrap();
    assert_eq!(event["unreached"], serde_json::json!([]));
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["collection", "status", "home"]);
    let status = run(cmd).await.unwrap();
    let status = status.event("collection-status").unwrap();
    assert_eq!(status["members"].as_array().unwrap().len(), 1, "{status}");
    assert_eq!(status["files"], 3);
}

/// One member of the randomized test: its folder, data dir and node (none
/// while it is offline).
struct Member {
    name: &'static str,
    folder: std::path::PathBuf,
    data: std::path::PathBuf,
    node: Option<Node>,
}

/// Random create / modify / delete / rename on random members, some of
/// them offline for a while (their folders still change). After healing,
/// every folder is the same, and every write is still there (in place or as
/// a conflict copy) unless a later change on the same folder replaced it.
async fn random_run(seed: u64, steps: usize) {
    use rand::{Rng, SeedableRng, rngs::SmallRng};
    let mut rng = SmallRng::seed_from_u64(seed);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut members: Vec<Member> = ["one", "two", "three"]
        .iter()
        .map(|name| Member {
            name,
            folder: root.join(format!("folder-{name}")),
            data: root.join(format!("data-{name}")),
            node: None,
        })
        .collect();
    for m in &mut members {
        std::fs::create_dir_all(&m.folder).unwrap();
        m.node = Some(loopback_node(&m.data, m.name).await);
    }
    {
        let nodes: Vec<&Node> = members.iter().map(|m| m.node.as_ref().unwrap()).collect();
        share(
            "random",
            nodes[0],
            &members[0].folder,
            &[
                (nodes[1], &members[1].folder),
                (nodes[2], &members[2].folder),
            ],
        )
        .await;
    }
    // Every content ever written, and the ones a later change replaced.
    let mut written: Vec<Vec<u8>> = Vec::new();
    let mut replaced: std::collections::HashSet<Vec<u8>> = Default::default();
    let mut next = 0usize;
    for step in 0..steps {
        // Members two and three go offline and come back; one stays up.
        if rng.random_bool(0.12) {
            let m = &mut members[rng.random_range(1..3)];
            match m.node.take() {
                Some(node) => node.shutdown().await,
                None => {
                    let node = loopback_node(&m.data, m.name).await;
                    node.collections().start().await.unwrap();
                    m.node = Some(node);
                }
            }
        }
        let m = &members[rng.random_range(0..3)];
        let existing = names(&m.folder);
        let op = if existing.is_empty() {
            0
        } else {
            rng.random_range(0..4)
        };
        next += 1;
        let content = format!("write {next} on {} at step {step}", m.name).into_bytes();
        match op {
            0 => {
                let dir = ["", "a/", "a/b/", "c/"][rng.random_range(0..4)];
                let path = m.folder.join(format!("{dir}f{next}.txt"));
                write_file(&path, &content);
                written.push(content);
            }
            _ => {
                let pick = &existing[rng.random_range(0..existing.len())];
                let path = m.folder.join(pick);
                let Ok(old) = std::fs::read(&path) else {
                    continue;
                };
                match op {
                    1 => {
                        std::fs::write(&path, &content).unwrap();
                        written.push(content);
                        replaced.insert(old);
                    }
                    2 => {
                        if std::fs::remove_file(&path).is_ok() {
                            replaced.insert(old);
                        }
                    }
                    _ => {
                        let to = m.folder.join(format!("renamed-{next}.txt"));
                        std::fs::rename(&path, &to).ok();
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..250))).await;
    }
    // Heal: everyone online.
    for m in &mut members {
        if m.node.is_none() {
            let node = loopback_node(&m.data, m.name).await;
            node.collections().start().await.unwrap();
            m.node = Some(node);
        }
    }
    let (f0, f1, f2) = (
        members[0].folder.clone(),
        members[1].folder.clone(),
        members[2].folder.clone(),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while !(same_tree(&f0, &f1) && same_tree(&f0, &f2)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "seed {seed}: folders did not converge:\n{:?}\n{:?}\n{:?}",
            names(&f0),
            names(&f1),
            names(&f2)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let present: std::collections::HashSet<Vec<u8>> =
        files(&f0).into_iter().filter_map(|(_, c)| c).collect();
    for content in &written {
        assert!(
            present.contains(content) || replaced.contains(content),
            "seed {seed}: lost {:?}; folder: {:?}",
            String::from_utf8_lossy(content),
            names(&f0)
        );
    }
    for m in members {
        if let Some(node) = m.node {
            node.shutdown().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_random_changes_on_members_going_offline_converge_without_losing_writes() {
    // Fixed seeds, so a failure can be replayed; FERRY_SEED adds one more.
    let mut seeds = vec![1, 2, 3];
    if let Some(seed) = std::env::var("FERRY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        seeds.push(seed);
    }
    for seed in seeds {
        random_run(seed, 40).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_new_member_fills_up_with_thousands_of_files() {
    // Thousands of entries arrive while the new member is busy writing
    // files: the sync must not stall behind the folder work. More files
    // than a scan takes in per step (2048), so the creator's scan writes
    // one step's versions while it references the next step's files.
    const FILES: u64 = 2500;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_) = (root.join("a"), root.join("b"));
    for i in 0..FILES {
        let data = ferry_tests::random_bytes(1000 + (i as usize % 7) * 500, i);
        write_file(&da.join(format!("d{:02}/f{i:04}.bin", i % 40)), &data);
    }
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    share("many", &a, &da, &[(&b, &db_)]).await;
    eventually("all the files arrive", || {
        files(&db_).len() == FILES as usize
    })
    .await;
    assert!(same_tree(&da, &db_));
    // The status may take a moment to count the last files placed.
    eventually_async("the status has nothing left to fetch", || async {
        let status = b.collections().status("many").await.unwrap();
        (status.files, status.pending_files) == (FILES, 0)
    })
    .await;
    for node in [a, b] {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_new_member_fills_up_from_every_member_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_, dc) = (root.join("a"), root.join("b"), root.join("c"));
    for i in 0..300u64 {
        write_file(
            &da.join(format!("f{i:03}.bin")),
            &ferry_tests::random_bytes(40_000, i),
        );
    }
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    share("swarm", &a, &da, &[(&b, &db_)]).await;
    eventually("the desktop holds everything", || same_tree(&da, &db_)).await;

    // The third member joins while both hold every file.
    let c = loopback_node(&root.join("data-c"), "server").await;
    pair_nodes(&a, &c).await;
    a.collections().invite("swarm", "server").await.unwrap();
    // The desktop serves the server once it knows the server is a member.
    let server = c.id().to_string();
    eventually_async("the desktop knows the new member", || async {
        let status = b.collections().status("swarm").await.unwrap();
        status.members.iter().any(|m| m.id == server)
    })
    .await;
    let mut events = c.events();
    c.collections().accept("swarm", Some(&dc)).await.unwrap();
    c.collections().start().await.unwrap();
    eventually("the server fills up", || same_tree(&da, &dc)).await;
    let mut served = std::collections::HashMap::<String, u64>::new();
    while let Some(event) = events.try_recv() {
        if let ferry_core::Event::CollectionFetched { sources, .. } = event {
            for s in sources {
                *served.entry(s.device).or_default() += s.files;
            }
        }
    }
    let from_a = served.get(&a.id().to_string()).copied().unwrap_or(0);
    let from_b = served.get(&b.id().to_string()).copied().unwrap_or(0);
    assert_eq!(from_a + from_b, 300, "{served:?}");
    assert!(from_a > 0 && from_b > 0, "both members served: {served:?}");
    for node in [a, b, c] {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_member_that_leaves_keeps_its_files_and_stops_syncing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_) = (root.join("a"), root.join("b"));
    write_file(&da.join("shared.txt"), b"both");
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    share("temp", &a, &da, &[(&b, &db_)]).await;
    eventually("the desktop holds the file", || same_tree(&da, &db_)).await;

    b.collections().leave("temp").await.unwrap();
    assert!(b.collections().list().await.unwrap().is_empty());
    assert_eq!(read(&db_.join("shared.txt")), b"both", "files stay");
    eventually_async("the laptop sees it leave", || async {
        a.collections().status("temp").await.unwrap().members.len() == 1
    })
    .await;
    // Changes no longer flow either way.
    write_file(&db_.join("after.txt"), b"mine");
    write_file(&da.join("later.txt"), b"theirs");
    eventually_async("the laptop records its change", || async {
        a.collections().history("temp", "later.txt").await.is_ok()
    })
    .await;
    // Nothing is left on the desktop that could sync (no replica, no
    // watcher), and a sync round on the laptop reaches no one: the laptop
    // syncs with members only, and refuses a device that is a member of
    // nothing here (`a_removed_member_can_no_longer_read_or_write` shows
    // that refusal).
    let err = b.collections().sync_now("temp").await.unwrap_err();
    assert_eq!(err.kind(), ferry_core::ErrorKind::NotFound);
    a.collections().sync_now("temp").await.unwrap();
    assert!(!da.join("after.txt").exists());
    assert!(!db_.join("later.txt").exists());
    for node in [a, b] {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_removed_member_can_no_longer_read_or_write() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_, dc) = (root.join("a"), root.join("b"), root.join("c"));
    write_file(&da.join("plan.txt"), b"v1");
    write_file(&da.join("plan.txt"), b"v2");
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    let c = loopback_node(&root.join("data-c"), "old-phone").await;
    share("team", &a, &da, &[(&b, &db_), (&c, &dc)]).await;
    eventually("all three hold the files", || {
        same_tree(&da, &db_) && same_tree(&da, &dc)
    })
    .await;
    std::fs::write(da.join("plan.txt"), b"v3").unwrap();
    eventually("the edit reaches everyone", || {
        read(&db_.join("plan.txt")) == b"v3" && read(&dc.join("plan.txt")) == b"v3"
    })
    .await;

    let unreached = a
        .collections()
        .remove_member("team", "old-phone")
        .await
        .unwrap();
    assert!(unreached.is_empty(), "{unreached:?}");
    let err = a
        .collections()
        .remove_member("team", "laptop")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ferry_core::ErrorKind::InvalidInput);
    eventually_async("the desktop follows the re-key", || async {
        let s = b.collections().status("team").await.unwrap();
        s.members.len() == 2 && s.members.iter().all(|m| m.name != "old-phone")
    })
    .await;

    // New changes flow between the remaining members only.
    write_file(&da.join("secret.txt"), b"not for the old phone");
    write_file(&db_.join("from-desktop.txt"), b"b");
    eventually("the remaining members exchange changes", || {
        db_.join("secret.txt").exists() && da.join("from-desktop.txt").exists()
    })
    .await;
    // The removed member records a change of its own and tries to sync it
    // (it never learnt the new namespace): both remaining members refuse
    // it, which is the only way anything could cross between them.
    write_file(&dc.join("from-old-phone.txt"), b"c");
    eventually_async("the old phone records its change", || async {
        c.collections()
            .history("team", "from-old-phone.txt")
            .await
            .is_ok()
    })
    .await;
    let (mut at_a, mut at_b) = (a.events(), b.events());
    let old_phone = c.id().to_string();
    c.collections().sync_now("team").await.ok();
    for events in [&mut at_a, &mut at_b] {
        refused_sync(events, &old_phone).await;
    }
    assert!(
        !dc.join("secret.txt").exists(),
        "the removed member read a new change"
    );
    assert!(!dc.join("from-desktop.txt").exists());
    assert!(
        !da.join("from-old-phone.txt").exists(),
        "the removed member wrote"
    );
    assert!(!db_.join("from-old-phone.txt").exists());
    // History came along.
    let history = b.collections().history("team", "plan.txt").await.unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(read(&db_.join("plan.txt")), b"v3");
    for node in [a, b, c] {
        node.shutdown().await;
    }
}

/// The folder of a collection accepted by `ferry listen --accept trusted
/// --collections-dir` is one Ferry makes for it: a folder of that name that
/// holds the user's files is not shared, and a symlink of that name is not
/// followed (nothing it points to is read or written).
#[tokio::test(flavor = "multi_thread")]
async fn test_an_auto_accepted_invitation_never_takes_over_a_folder() {
    use ferry_tests::{Running, ferry, run};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (laptop_dir, desktop_dir) = (root.join("laptop"), root.join("desktop"));
    ferry_tests::pair_dirs((&laptop_dir, "Laptop"), (&desktop_dir, "Desktop"), true)
        .await
        .unwrap();
    let (photos, docs) = (root.join("photos"), root.join("docs"));
    write_file(&photos.join("cat.jpg"), b"a cat");
    write_file(&docs.join("plan.txt"), b"the plan");
    for (name, folder) in [("photos", &photos), ("docs", &docs)] {
        let mut cmd = ferry(&laptop_dir);
        cmd.args(["collection", "create", name, "--dir"])
            .arg(folder);
        let created = run(cmd).await.unwrap();
        assert_eq!(created.code, 0, "{}", created.stderr);
    }

    // Given: the desktop's collections folder already holds a folder named
    // like the first collection, with the user's files, and a symlink named
    // like the second, pointing outside it.
    let synced = root.join("synced");
    write_file(&synced.join("photos/private.txt"), b"not for the laptop");
    let outside = root.join("outside");
    write_file(&outside.join("secret.txt"), b"outside the collections");
    std::os::unix::fs::symlink(&outside, synced.join("docs")).unwrap();

    // When: the desktop auto-accepts both invitations.
    let desktop = listen_taking_collections(&desktop_dir, &root.join("inbox"), &synced).await;
    for name in ["photos", "docs"] {
        let mut cmd = ferry(&laptop_dir);
        cmd.args(["collection", "invite", name, "desktop"]);
        let invited = run(cmd).await.unwrap();
        assert_eq!(invited.code, 0, "{}", invited.stderr);
        assert_eq!(invited.event("invited").unwrap()["accepted"], true);
    }
    let mut cmd = ferry(&laptop_dir);
    cmd.args(["listen", "--out"]).arg(root.join("laptop-inbox"));
    let mut laptop = Running::spawn(cmd);
    laptop.next("listening").await;

    // Then: each collection lives in a new folder beside the old names…
    let (new_photos, new_docs) = (synced.join("photos (1)"), synced.join("docs (1)"));
    eventually("the collections land in new folders", || {
        same_tree(&photos, &new_photos) && same_tree(&docs, &new_docs)
    })
    .await;
    // …the folder that was there keeps only its own file, shared with no one…
    assert_eq!(names(&synced.join("photos")), ["private.txt"]);
    assert_eq!(names(&photos), ["cat.jpg"]);
    // …and nothing behind the symlink was read or written.
    assert_eq!(names(&outside), ["secret.txt"]);
    assert_eq!(names(&docs), ["plan.txt"]);
    for name in ["photos", "docs"] {
        let mut cmd = ferry(&laptop_dir);
        cmd.args(["collection", "status", name]);
        let status = run(cmd).await.unwrap();
        assert_eq!(status.code, 0, "{}", status.stderr);
        let status = status.event("collection-status").unwrap();
        assert_eq!(status["files"], 1, "{status}");
        assert_eq!(status["members"].as_array().unwrap().len(), 2, "{status}");
    }
    let mut cmd = ferry(&desktop_dir);
    cmd.args(["collection", "list"]);
    let list = run(cmd).await.unwrap();
    let dirs: Vec<String> = list
        .all("collection")
        .iter()
        .map(|c| c["dir"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    for dir in &dirs {
        assert!(dir.ends_with(" (1)"), "{dir}");
    }
    laptop.stop().await;
    desktop.stop().await;

    // A folder the user names is used as it is, but never a symlink.
    let mut cmd = ferry(&desktop_dir);
    cmd.args(["collection", "create", "linked", "--dir"])
        .arg(synced.join("docs"));
    let refused = run(cmd).await.unwrap();
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("symbolic link"),
        "{}",
        refused.stderr
    );
    assert_eq!(names(&outside), ["secret.txt"]);
}

/// An ignore pattern that a backtracking matcher takes exponential time on,
/// beside a file name that triggers it, does not hold up `collection
/// create` (which `run` gives a bounded time).
#[tokio::test(flavor = "multi_thread")]
async fn test_a_pathological_ignore_pattern_does_not_stall_a_scan() {
    use ferry_tests::{ferry, run};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let folder = root.join("folder");
    let long = "a".repeat(60);
    write_file(&folder.join(".ferryignore"), b"*a*a*a*a*a*a*a*a*a*b\n");
    write_file(&folder.join(&long), b"kept");
    write_file(&folder.join(format!("{long}b")), b"ignored");
    let mut cmd = ferry(&root.join("data"));
    cmd.args(["collection", "create", "c", "--dir"])
        .arg(&folder);
    let created = run(cmd).await.unwrap();
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert_eq!(created.event("collection-created").unwrap()["files"], 1);
}

/// `ferry listen` on `data_dir` that accepts pushes and invitations from
/// auto-accept devices, the collections into new folders in `collections`;
/// returned once it listens.
async fn listen_taking_collections(
    data_dir: &Path,
    out: &Path,
    collections: &Path,
) -> ferry_tests::Running {
    let mut cmd = ferry_tests::ferry(data_dir);
    cmd.args(["listen", "--accept", "trusted", "--out"])
        .arg(out)
        .arg("--collections-dir")
        .arg(collections);
    let mut running = ferry_tests::Running::spawn(cmd);
    running.next("listening").await;
    running
}
