//! What a collection costs on disk: its files are referenced where they
//! are (no second copy in the data dir), content arrives straight into the
//! folder, and a file edited in place is noticed before its old content is
//! served again.

use std::path::Path;

use ferry_tests::{loopback_node, random_bytes, write_file};

use super::collections::{eventually, eventually_async, same_tree, share};

/// Bytes a folder's files take on disk (allocated blocks, as `du` counts)
/// and the sum of their sizes.
fn sizes(root: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let (mut on_disk, mut content) = (0, 0);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                on_disk += meta.blocks() * 512;
                content += meta.len();
            }
        }
    }
    (on_disk, content)
}

fn disk_bytes(root: &Path) -> u64 {
    sizes(root).0
}

/// The creator and a member that mirrors the folder each keep the
/// collection's content once: in the folder. The data dir holds outboards,
/// entries and the index, under 2 % of the folder's size, after the
/// create and after the first sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_collection_costs_its_members_no_second_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_) = (root.join("a"), root.join("b"));
    // Photos of a few MiB, a video, and small notes.
    for i in 0..24u64 {
        write_file(
            &da.join(format!("photos/{i:03}.jpg")),
            &random_bytes(2 << 20, i),
        );
    }
    write_file(&da.join("video.mp4"), &random_bytes(40 << 20, 99));
    for i in 0..40u64 {
        write_file(
            &da.join(format!("notes/{i}.txt")),
            &random_bytes(3000, 1000 + i),
        );
    }
    let folder = sizes(&da).1;
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    let empty = disk_bytes(a.data_dir());
    share("photos", &a, &da, &[(&b, &db_)]).await;
    let created = disk_bytes(a.data_dir());
    eventually("the member holds every file", || same_tree(&da, &db_)).await;
    eventually_async("the member is synced", || async {
        b.collections()
            .status("photos")
            .await
            .is_ok_and(|s| s.pending_files == 0)
    })
    .await;
    let (synced_a, synced_b) = (disk_bytes(a.data_dir()), disk_bytes(b.data_dir()));
    let limit = folder / 50;
    println!(
        "folder {folder} B; data dir: empty {empty} B, creator after create {created} B, \
         after sync {synced_a} B, member {synced_b} B (limit {limit} B)"
    );
    assert!(created < limit, "creator: {created} of {folder}");
    assert!(synced_a < limit, "creator after the sync: {synced_a}");
    assert!(synced_b < limit, "member: {synced_b} of {folder}");
    // Nothing Ferry keeps is left in the folder once it is synced.
    assert!(!db_.join(".ferry-partial").exists());
    for node in [a, b] {
        node.shutdown().await;
    }
}

/// A file rewritten in place with the same size and its modification time
/// put back is still noticed (its change time moved): the edit reaches the
/// other member, and the content it replaced there is kept aside, so the
/// old version restores byte-identical although the editing device no
/// longer holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_file_edited_in_place_is_noticed_and_its_old_content_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_) = (root.join("a"), root.join("b"));
    let old = random_bytes(512 << 10, 1);
    write_file(&da.join("raw/photo.dng"), &old);
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    share("photos", &a, &da, &[(&b, &db_)]).await;
    eventually("the member holds the photo", || same_tree(&da, &db_)).await;

    // Edited in place: same size, the time put back.
    let path = da.join("raw/photo.dng");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let new = random_bytes(512 << 10, 2);
    {
        use std::os::unix::fs::FileExt;
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.write_all_at(&new, 0).unwrap();
        file.set_modified(mtime).unwrap();
        file.sync_all().unwrap();
    }
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    a.collections().sync_now("photos").await.unwrap();
    eventually("the edit reaches the member", || {
        std::fs::read(db_.join("raw/photo.dng")).unwrap_or_default() == new
    })
    .await;
    let history = b
        .collections()
        .history("photos", "raw/photo.dng")
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "{history:?}");

    // The laptop's old bytes are gone; the desktop kept them aside.
    let restored = b
        .collections()
        .restore("photos", "raw/photo.dng", 1)
        .await
        .unwrap();
    assert_eq!(restored.number, 3);
    eventually("the old version is back on both", || {
        std::fs::read(da.join("raw/photo.dng")).unwrap_or_default() == old
            && std::fs::read(db_.join("raw/photo.dng")).unwrap_or_default() == old
    })
    .await;
    for node in [a, b] {
        node.shutdown().await;
    }
}

/// Files in a folder's history area and their total size.
fn history_of(dir: &Path) -> (usize, u64) {
    match std::fs::read_dir(dir.join(".ferry-history")) {
        Ok(entries) => entries
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .fold((0, 0), |(n, b), m| (n + 1, b + m.len())),
        Err(_) => (0, 0),
    }
}

/// Ten rewrites of a 16 MiB file by another member: the member keeps the
/// content each one replaced, within its policy (40 MiB here: the two
/// newest), by renaming it aside, so its data dir does not grow with the
/// versions; `history` says which versions are still here, the kept ones
/// restore byte-identical on every member, and restoring one that is kept
/// nowhere says so. A tighter policy, and `off`, apply at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_ten_rewrites_of_a_large_file_stay_within_the_policy() {
    const SIZE: usize = 16 << 20;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (da, db_) = (root.join("a"), root.join("b"));
    let contents: Vec<Vec<u8>> = (0..11u64).map(|i| random_bytes(SIZE, 500 + i)).collect();
    write_file(&da.join("video.mov"), &contents[0]);
    let a = loopback_node(&root.join("data-a"), "laptop").await;
    let b = loopback_node(&root.join("data-b"), "desktop").await;
    share("videos", &a, &da, &[(&b, &db_)]).await;
    let policy = ferry_core::KeepPolicy {
        days: 30,
        max_percent: None,
        max_bytes: Some(40 << 20),
    };
    assert_eq!(
        b.collections().set_keep("videos", policy).await.unwrap(),
        policy
    );
    eventually("the member holds the video", || same_tree(&da, &db_)).await;
    let before = disk_bytes(b.data_dir());

    for (i, content) in contents.iter().enumerate().skip(1) {
        write_file(&da.join("video.mov"), content);
        a.collections().sync_now("videos").await.unwrap();
        eventually(&format!("rewrite {i} reaches the member"), || {
            std::fs::read(db_.join("video.mov")).is_ok_and(|b| b == *content)
        })
        .await;
    }
    // Kept by a rename: the two newest replaced versions, nothing more, on
    // disk and in what the status counts (a trim removes the file, then
    // its record).
    eventually_async("the member keeps two old versions", || async {
        let status = b.collections().status("videos").await.unwrap();
        history_of(&db_) == (2, 2 * SIZE as u64) && status.kept_bytes == 2 * SIZE as u64
    })
    .await;
    let status = b.collections().status("videos").await.unwrap();
    assert_eq!(status.keep, policy);
    assert_eq!(status.kept_bytes, 2 * SIZE as u64);
    // Outboards of content no version keeps go with the next sweep.
    eventually(
        "the member's data dir does not grow with the versions",
        || disk_bytes(b.data_dir()) < before + (1 << 20),
    )
    .await;
    let after = disk_bytes(b.data_dir());
    println!("member data dir: {before} B before the rewrites, {after} B after");
    // The editor keeps nothing of its own edits beyond its default policy.
    assert!(history_of(&da).1 <= 16 << 20);

    let history = b
        .collections()
        .history("videos", "video.mov")
        .await
        .unwrap();
    assert_eq!(history.len(), 11, "{history:?}");
    let here: Vec<usize> = history
        .iter()
        .filter(|v| v.here)
        .map(|v| v.number)
        .collect();
    assert_eq!(here, vec![9, 10, 11], "{history:?}");
    assert!(history[10].current);

    // The newest kept versions restore byte-identical, on both members.
    for number in [10, 9] {
        b.collections()
            .restore("videos", "video.mov", number)
            .await
            .unwrap();
        let want = &contents[number - 1];
        eventually(&format!("version {number} is back on both"), || {
            std::fs::read(da.join("video.mov")).is_ok_and(|b| b == *want)
                && std::fs::read(db_.join("video.mov")).is_ok_and(|b| b == *want)
        })
        .await;
    }
    // One kept nowhere: a clear refusal, nothing written.
    let err = b
        .collections()
        .restore("videos", "video.mov", 3)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, ferry_core::CollectionError::NotKept { number: 3, .. }),
        "{text}"
    );
    assert!(
        text.contains("no longer kept") && text.contains("40.0 MiB"),
        "{text}"
    );
    assert_eq!(
        b.collections()
            .history("videos", "video.mov")
            .await
            .unwrap()
            .len(),
        13
    );

    // A tighter policy applies at once, and `off` keeps nothing.
    let tight = ferry_core::KeepPolicy {
        max_bytes: Some(20 << 20),
        ..policy
    };
    b.collections().set_keep("videos", tight).await.unwrap();
    let (kept, bytes) = history_of(&db_);
    assert_eq!((kept, bytes), (1, SIZE as u64));
    assert_eq!(
        b.collections().status("videos").await.unwrap().kept_bytes,
        SIZE as u64
    );
    b.collections()
        .set_keep("videos", ferry_core::KeepPolicy::OFF)
        .await
        .unwrap();
    assert_eq!(history_of(&db_), (0, 0));
    assert_eq!(
        b.collections().status("videos").await.unwrap().kept_bytes,
        0
    );
    // Out of range: refused.
    let bad = ferry_core::KeepPolicy {
        max_percent: Some(0),
        ..policy
    };
    assert!(b.collections().set_keep("videos", bad).await.is_err());
    for node in [a, b] {
        node.shutdown().await;
    }
}
