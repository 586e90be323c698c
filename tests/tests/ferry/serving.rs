//! What a sending node serves: its live shares, and nothing else of its store.

use std::str::FromStr;

use ferry_tests::{Sender, ferry, random_bytes, run, snapshot, write_file};
use iroh_blobs::{BlobFormat, Hash, store::fs::FsStore, ticket::BlobTicket};

#[tokio::test(flavor = "multi_thread")]
async fn test_a_sender_serves_nothing_but_its_live_shares() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("sender");
    let secret = tmp.path().join("diary.txt");
    let secret_bytes = random_bytes(100 * 1024, 7);
    write_file(&secret, &secret_bytes);
    let public = tmp.path().join("menu.txt");
    write_file(&public, b"soup of the day: lentil\n");

    // An earlier share of the diary, downloaded once; its blobs stay in the
    // sender's store.
    let mut first = Sender::start(&data_dir, &[secret.to_str().unwrap(), "--once"])
        .await
        .unwrap();
    let old_root = BlobTicket::from_str(&first.blob_ticket()).unwrap().hash();
    let mut cmd = ferry(&tmp.path().join("friend"));
    cmd.args(["receive", &first.ticket(), "--out"])
        .arg(tmp.path().join("friend-out"));
    assert_eq!(run(cmd).await.unwrap().code, 0);
    assert_eq!(first.wait().await.unwrap(), 0);

    // Now the same node shares only the menu.
    let mut second = Sender::start(&data_dir, &[public.to_str().unwrap()])
        .await
        .unwrap();
    let addr = BlobTicket::from_str(&second.blob_ticket())
        .unwrap()
        .addr()
        .clone();

    // Asking it for the diary, as a blob or as the old collection, is refused.
    let secret_hash = Hash::new(&secret_bytes);
    for (hash, format) in [
        (secret_hash, BlobFormat::Raw),
        (old_root, BlobFormat::HashSeq),
    ] {
        let probe = BlobTicket::new(addr.clone(), hash, format).to_string();
        let out = tmp.path().join(format!("probe-{}", hash.fmt_short()));
        let mut cmd = ferry(&tmp.path().join("stranger"));
        cmd.args(["receive", &probe, "--out"]).arg(&out);
        let result = run(cmd).await.unwrap();
        assert_eq!(result.code, 1, "{format:?}: {}", result.stderr);
        assert!(
            result.stderr.starts_with("error: the sender refused"),
            "{format:?}: {}",
            result.stderr
        );
        assert!(result.event("done").is_none());
        if out.exists() {
            let files: Vec<_> = snapshot(&out)
                .into_iter()
                .filter(|(_, content)| content.is_some())
                .collect();
            assert!(files.is_empty(), "{format:?} wrote {files:?}");
        }
        let refused = second.next_event("refused").await.unwrap();
        assert_eq!(refused["hash"], hash.to_string());
    }

    // The live share is still served to anyone with its ticket.
    let out = tmp.path().join("menu-out");
    let mut cmd = ferry(&tmp.path().join("stranger"));
    cmd.args(["receive", &second.ticket(), "--out"]).arg(&out);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert_eq!(
        std::fs::read(out.join("menu.txt")).unwrap(),
        b"soup of the day: lentil\n"
    );

    // The refusals were the policy, not a missing blob: the diary is still
    // in the sender's store.
    second.child.kill().await.unwrap();
    let store = FsStore::load(data_dir.join("blobs")).await.unwrap();
    assert!(store.has(secret_hash).await.unwrap());
    assert!(store.has(old_root).await.unwrap());
    store.shutdown().await.unwrap();
}
