//! Tickets, QR codes and the data dir lock, as the CLI sees them.

use ferry_tests::{Sender, ferry, run, write_file};

#[tokio::test(flavor = "multi_thread")]
async fn test_malformed_tickets_exit_2_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.txt");
    write_file(&file, b"a");
    let sender = Sender::start(&tmp.path().join("sender"), &[file.to_str().unwrap()])
        .await
        .unwrap();
    let good = sender.ticket();
    let truncated = good[..good.len() - 7].to_string();
    for bad in [
        "",
        "hello",
        "ferry",
        "ferry!!!!",
        "blob0",
        &truncated,
        "https://example.com/x",
    ] {
        let mut cmd = ferry(&tmp.path().join("receiver"));
        cmd.args(["receive", bad]);
        let result = run(cmd).await.unwrap();
        assert_eq!(result.code, 2, "{bad:?}: {}", result.stderr);
        assert_eq!(
            result.stderr.lines().count(),
            1,
            "{bad:?}: {}",
            result.stderr
        );
        assert!(
            result.stderr.starts_with("error: invalid ticket"),
            "{}",
            result.stderr
        );
        assert!(result.events.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_data_dir_in_use_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.txt");
    write_file(&file, b"a");
    let data_dir = tmp.path().join("busy");
    let mut sender = Sender::start(&data_dir, &[file.to_str().unwrap()])
        .await
        .unwrap();
    for args in [vec!["history"], vec!["send", file.to_str().unwrap()]] {
        let mut cmd = ferry(&data_dir);
        cmd.args(&args);
        let result = run(cmd).await.unwrap();
        assert_eq!(result.code, 1, "{args:?}: {}", result.stderr);
        let line = result.stderr.lines().next().unwrap_or_default();
        assert!(line.contains("in use"), "{line}");
        let canonical = std::fs::canonicalize(&data_dir).unwrap();
        assert!(line.contains(&*canonical.to_string_lossy()), "{line}");
    }
    // The holder is unaffected and still serves.
    let mut cmd = ferry(&tmp.path().join("receiver"));
    cmd.args(["receive", &sender.ticket(), "--out"])
        .arg(tmp.path().join("out"));
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "{}", result.stderr);
    sender.child.start_kill().unwrap();
    sender.child.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_qr_png_holds_the_upper_cased_ticket() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.txt");
    write_file(&file, b"a");
    let png = tmp.path().join("ticket.png");
    let mut sender = Sender::start(
        &tmp.path().join("sender"),
        &[file.to_str().unwrap(), "--qr-png", png.to_str().unwrap()],
    )
    .await
    .unwrap();
    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, sender.ticket().to_uppercase());
    // Short: no clutter addresses in it.
    assert!(sender.ticket().len() < 160, "{}", sender.ticket());
    sender.child.start_kill().unwrap();
    sender.child.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_bad_usage_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no such file.txt");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["send"], "nothing to send"),
        (vec!["send", missing.to_str().unwrap()], "does not exist"),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, message) in cases {
        let mut cmd = ferry(&tmp.path().join("node"));
        cmd.args(&args);
        let result = run(cmd).await.unwrap();
        assert_eq!(result.code, 2, "{args:?}: {}", result.stderr);
        let first = result.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error:") && first.contains(message),
            "{args:?}: {first}"
        );
    }
}
