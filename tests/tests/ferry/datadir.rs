//! The data dir as another user of the same computer sees it.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use ferry_core::api::{ApiConfig, ApiServer};
use ferry_tests::{loopback_node, pair_nodes, wait_until, write_file};

/// Every entry under `root` (itself included) with a group or other
/// permission bit, with its mode in octal. Symlinks are not followed.
fn readable_by_others(root: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        if !meta.file_type().is_symlink() && mode & 0o077 != 0 {
            found.push((path.clone(), format!("{mode:o}")));
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        }
    }
    found.sort();
    found
}

/// The permission bits of `path`, in octal as `ls` shows them.
fn mode(path: &Path) -> String {
    format!(
        "{:o}",
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_nothing_in_the_data_dir_is_readable_by_other_users() {
    // Given two paired nodes sharing a collection, one serving the local API.
    let tmp = tempfile::tempdir().unwrap();
    let (laptop_dir, phone_dir) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    let (photos, copy) = (tmp.path().join("photos"), tmp.path().join("copy"));
    write_file(&photos.join("a.jpg"), &[7u8; 100_000]);
    write_file(&photos.join("notes/b.txt"), b"small");
    let laptop = loopback_node(&laptop_dir, "laptop").await;
    let phone = loopback_node(&phone_dir, "phone").await;
    let api = ApiServer::start(&laptop, ApiConfig::default())
        .await
        .unwrap();
    laptop
        .collections()
        .create("photos", Some(&photos))
        .await
        .unwrap();
    pair_nodes(&laptop, &phone).await;
    laptop
        .collections()
        .invite("photos", phone.device_name())
        .await
        .unwrap();
    phone
        .collections()
        .accept("photos", Some(&copy))
        .await
        .unwrap();
    laptop.collections().start().await.unwrap();
    phone.collections().start().await.unwrap();
    wait_until("the phone has the photos", || {
        std::fs::read(copy.join("notes/b.txt")).is_ok_and(|b| b == b"small")
            && std::fs::read(copy.join("a.jpg")).is_ok_and(|b| b.len() == 100_000)
    })
    .await
    .unwrap();

    // While they run, the folders and the secrets in them are the owner's.
    for dir in [&laptop_dir, &phone_dir] {
        assert_eq!(mode(dir), "700", "{}", dir.display());
        for file in [
            "device.key",
            "ferry.sqlite",
            "blobs/blobs.db",
            "docs/docs.redb",
        ] {
            assert_eq!(mode(&dir.join(file)), "600", "{file} in {}", dir.display());
        }
    }
    assert_eq!(mode(&laptop_dir.join("api-token")), "600");
    assert_eq!(mode(&laptop_dir.join("api.json")), "600");

    // When they stop, nothing in either data dir has a group or other bit.
    api.stop().await;
    laptop.shutdown().await;
    phone.shutdown().await;
    for dir in [&laptop_dir, &phone_dir] {
        assert_eq!(readable_by_others(dir), vec![], "{}", dir.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_an_older_data_dir_is_made_private_at_start() {
    // Given a data dir whose modes were loosened (made by an older version,
    // or a `chmod -R a+rX` since).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let node = loopback_node(&dir, "laptop").await;
    node.shutdown().await;
    let mut stack = vec![dir.clone()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let loose = if meta.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).unwrap();
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        }
    }
    assert!(!readable_by_others(&dir).is_empty());

    // When a node starts on it, everything is the owner's again at once.
    let node = loopback_node(&dir, "laptop").await;
    let loose = readable_by_others(&dir);
    node.shutdown().await;
    assert_eq!(loose, vec![]);
}
