//! Shared collections between in-process nodes on loopback.

use std::{path::Path, time::Duration};

use ferry_core::Node;
use ferry_tests::{loopback_node, pair_nodes, write_file};

/// Waits (up to a minute) until `check` holds.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The files under `root` (folders are not synced by themselves: a folder
/// comes with its first file and goes with its last).
fn files(root: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    ferry_tests::snapshot(root)
        .into_iter()
        .filter(|(name, _)| !name.ends_with('/'))
        .collect()
}

fn same_tree(a: &Path, b: &Path) -> bool {
    files(a) == files(b)
}

/// `laptop` creates `name` from `dir`, invites every other node, and each
/// accepts into its own folder.
async fn share(name: &str, laptop: &Node, dir: &Path, others: &[(&Node, &Path)]) {
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
