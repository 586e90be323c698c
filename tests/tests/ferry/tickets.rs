//! Tickets, QR codes and the data dir lock, as the CLI sees them.

use std::time::Duration;

use ferry_core::{PairTicket, ShareTicket};
use ferry_tests::{Sender, ferry, pair_dirs, run, write_file};
use iroh::EndpointAddr;
use iroh_blobs::{BlobFormat, Hash, ticket::BlobTicket};

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
        assert_only_an_error_of_kind(&result.events, "invalid_input");
    }
}

/// Under `--json`, a failed command prints one `error` event that carries
/// its kind and exit code, and nothing else.
fn assert_only_an_error_of_kind(events: &[serde_json::Value], kind: &str) {
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "error", "{events:?}");
    assert_eq!(events[0]["kind"], kind, "{events:?}");
    let code = if kind == "invalid_input" { 2 } else { 1 };
    assert_eq!(events[0]["exit_code"], code, "{events:?}");
    assert!(events[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_data_dir_in_use_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.txt");
    write_file(&file, b"a");
    let data_dir = tmp.path().join("busy");
    let sender = Sender::start(&data_dir, &[file.to_str().unwrap()])
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
    sender.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_qr_png_holds_the_upper_cased_ticket() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.txt");
    write_file(&file, b"a");
    let png = tmp.path().join("ticket.png");
    let sender = Sender::start(
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
    sender.stop().await;
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

/// `ticket` with `extra` bytes after its payload, written as a ticket is.
fn with_extra_bytes(ticket: &str, kind: &str, extra: &[u8]) -> String {
    let body = ticket.strip_prefix(kind).unwrap();
    let mut bytes = data_encoding::BASE32_NOPAD
        .decode(body.to_ascii_uppercase().as_bytes())
        .unwrap();
    bytes.extend_from_slice(extra);
    format!(
        "{kind}{}",
        data_encoding::BASE32_NOPAD
            .encode(&bytes)
            .to_ascii_lowercase()
    )
}

/// The payload of `ticket`, twice over.
fn with_body_twice(ticket: &str, kind: &str) -> String {
    let body = ticket.strip_prefix(kind).unwrap();
    let bytes = data_encoding::BASE32_NOPAD
        .decode(body.to_ascii_uppercase().as_bytes())
        .unwrap();
    with_extra_bytes(ticket, kind, &bytes)
}

/// Runs `ferry ARGS` on a fresh data dir and checks it ended as bad input
/// with one line saying `why`.
async fn assert_bad_input(data_dir: &std::path::Path, args: &[&str], why: &str) {
    let mut cmd = ferry(data_dir);
    cmd.args(args);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 2, "{args:?}: {}", result.stderr);
    assert_eq!(result.stderr.lines().count(), 1, "{}", result.stderr);
    assert!(result.stderr.contains(why), "{args:?}: {}", result.stderr);
    assert_only_an_error_of_kind(&result.events, "invalid_input");
}

#[tokio::test(flavor = "multi_thread")]
async fn test_tickets_with_bytes_after_their_end_are_bad_input_for_every_kind() {
    // Given a running sender and its two tickets, and a pairing ticket for
    // the same address.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.txt");
    write_file(&file, b"a");
    let sender = Sender::start(&tmp.path().join("sender"), &[file.to_str().unwrap()])
        .await
        .unwrap();
    let share: ShareTicket = sender.ticket().parse().unwrap();
    let pair = PairTicket {
        addr: share.addr.clone(),
        secret: [1; 16],
        expires_at: 4_000_000_000,
    }
    .to_string();
    let receiver = tmp.path().join("receiver");

    // When each carries one byte more, or its whole body twice.
    let mut cases = Vec::new();
    for (ticket, kind) in [
        (sender.ticket(), "ferry"),
        (sender.blob_ticket(), "blob"),
        (pair, "ferrypair"),
    ] {
        let command = if kind == "ferrypair" {
            "pair"
        } else {
            "receive"
        };
        cases.push((command, with_extra_bytes(&ticket, kind, &[0])));
        cases.push((command, with_body_twice(&ticket, kind)));
        cases.push((
            command,
            format!("ferry://{}", with_extra_bytes(&ticket, kind, b"x")),
        ));
    }

    // Then each is refused as bad input before anything is dialed.
    let out = tmp.path().join("refused");
    for (command, ticket) in cases {
        let mut args = vec![command, ticket.as_str()];
        if command == "receive" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        assert_bad_input(&receiver, &args, "left over after its end").await;
    }
    assert!(!out.exists(), "a refused ticket wrote something");
    // The tickets as printed still work.
    let mut cmd = ferry(&receiver);
    cmd.args(["receive", &sender.ticket(), "--out"])
        .arg(tmp.path().join("out"));
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 0, "{}", result.stderr);
    sender.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_ticket_with_no_address_to_dial_is_bad_input() {
    // Given tickets of every kind that name a device but no address and no
    // relay, or only an address nobody can dial.
    let tmp = tempfile::tempdir().unwrap();
    let id = iroh::SecretKey::from_bytes(&[9; 32]).public();
    let mut cases = Vec::new();
    for addr in [
        EndpointAddr::new(id),
        EndpointAddr::new(id).with_ip_addr("0.0.0.0:4242".parse().unwrap()),
    ] {
        let share = ShareTicket {
            addr: addr.clone(),
            root: Hash::new(b"root"),
            text_entry: None,
        };
        let blob = BlobTicket::new(addr.clone(), Hash::new(b"root"), BlobFormat::HashSeq);
        let pair = PairTicket {
            addr,
            secret: [1; 16],
            expires_at: 4_000_000_000,
        };
        cases.push(("receive", share.to_string()));
        cases.push(("receive", blob.to_string()));
        cases.push(("pair", pair.to_string()));
    }

    // Then each says so as bad input, at once.
    let out = tmp.path().join("out");
    for (command, ticket) in cases {
        let mut args = vec![command, ticket.as_str()];
        if command == "receive" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        assert_bad_input(
            &tmp.path().join("node"),
            &args,
            "holds no address to reach the other device",
        )
        .await;
    }
}

/// A loopback address where nothing listens (a port just freed).
fn closed_port() -> std::net::SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn test_dialing_nobody_gives_up_with_one_message_for_receive_pair_and_push() {
    // Given tickets pointing at a loopback port where nothing answers, and a
    // paired device that is not running.
    let tmp = tempfile::tempdir().unwrap();
    let nowhere = EndpointAddr::new(iroh::SecretKey::from_bytes(&[9; 32]).public())
        .with_ip_addr(closed_port());
    let share = ShareTicket {
        addr: nowhere.clone(),
        root: Hash::new(b"root"),
        text_entry: None,
    };
    let pair = PairTicket {
        addr: nowhere,
        secret: [1; 16],
        expires_at: 4_000_000_000,
    };
    let (laptop, phone) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    pair_dirs((&laptop, "Laptop"), (&phone, "Phone"), false)
        .await
        .unwrap();
    let file = tmp.path().join("a.txt");
    write_file(&file, b"a");

    // When a receive, a pairing and a push each dial, all at once.
    let command = |dir: &std::path::Path, args: Vec<String>| {
        let mut cmd = ferry(dir);
        cmd.args(args);
        run(cmd)
    };
    let receive = command(
        &tmp.path().join("receiver"),
        vec![
            "receive".into(),
            share.to_string(),
            "--out".into(),
            tmp.path().join("out").to_str().unwrap().into(),
        ],
    );
    let join = command(
        &tmp.path().join("joiner"),
        vec!["pair".into(), pair.to_string()],
    );
    let push = command(
        &phone,
        vec![
            "push".into(),
            "Laptop".into(),
            file.to_str().unwrap().into(),
            "--no-wait".into(),
        ],
    );
    let (receive, join, push) = tokio::time::timeout(Duration::from_secs(90), async {
        tokio::join!(receive, join, push)
    })
    .await
    .expect("dialing did not give up in time");

    // Then each gave up with the same words.
    let gave_up = "no answer within 20 s; is it running, on a network this device can reach?";
    let (receive, join, push) = (receive.unwrap(), join.unwrap(), push.unwrap());
    assert_eq!(receive.code, 1, "{}", receive.stderr);
    assert_eq!(
        receive.stderr.trim(),
        format!("error: cannot reach the sender: {gave_up}")
    );
    assert_eq!(join.code, 1, "{}", join.stderr);
    assert_eq!(
        join.stderr.trim(),
        format!("error: cannot reach the other device: {gave_up}")
    );
    assert_eq!(push.code, 0, "{}", push.stderr);
    let queued = push.event("queued").unwrap();
    assert_eq!(queued["reason"], format!("cannot reach Laptop: {gave_up}"));
}
