//! Pairing by QR code and the trusted-device list: real nodes on loopback.

use std::time::Duration;

use ferry_core::{Event, Node, PairError, PairTicket, Refusal, pairing::MAX_FAILURES};
use ferry_tests::{Running, STEP, ferry, loopback_node as node, pair_dirs, run};

fn ids(node: &Node) -> Vec<String> {
    node.devices()
        .list()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect()
}

fn refusal(result: Result<ferry_core::Device, PairError>) -> Refusal {
    match result {
        Err(PairError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_pairing_by_cli_trusts_both_ways_and_survives_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let laptop = tmp.path().join("laptop");
    let phone = tmp.path().join("phone");
    let png = tmp.path().join("pair.png");

    // The laptop shows the code.
    let mut cmd = ferry(&laptop);
    cmd.args(["--name", "Laptop", "pair", "--timeout", "120", "--qr-png"])
        .arg(&png);
    let mut shower = Running::spawn(cmd);
    let first = shower.next_any().await;
    assert_eq!(first["event"], "pair-ticket");
    let ticket = first["ticket"].as_str().unwrap().to_string();
    assert!(ticket.starts_with("ferrypair"), "{ticket}");
    let laptop_id = ticket.parse::<PairTicket>().unwrap().addr.id.to_string();

    // The QR image holds the upper-cased ticket.
    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let (_, content) = prepared.detect_grids()[0].decode().unwrap();
    assert_eq!(content, ticket.to_ascii_uppercase());

    // The phone joins from the QR image (as a desktop reads a screenshot).
    let mut cmd = ferry(&phone);
    cmd.args(["--name", "Phone", "pair", "--from-image"])
        .arg(&png);
    let joined = run(cmd).await.unwrap();
    assert_eq!(joined.code, 0, "{}", joined.stderr);
    let paired = joined.event("paired").unwrap();
    assert_eq!(paired["device"]["id"], laptop_id.as_str());
    assert_eq!(paired["device"]["name"], "Laptop");

    // The laptop reports the phone and exits by itself.
    let paired = shower.next_any().await;
    assert_eq!(paired["event"], "paired");
    assert_eq!(paired["device"]["name"], "Phone");
    let phone_id = paired["device"]["id"].as_str().unwrap().to_string();
    assert!(shower.success().await);

    // New processes (restarts) on both sides see the other as trusted.
    for (dir, id, name) in [
        (&laptop, &phone_id, "Phone"),
        (&phone, &laptop_id, "Laptop"),
    ] {
        let mut cmd = ferry(dir);
        cmd.arg("devices");
        let list = run(cmd).await.unwrap();
        assert_eq!(list.code, 0, "{}", list.stderr);
        let devices = list.all("device");
        assert_eq!(devices.len(), 1, "{:?}", list.events);
        assert_eq!(devices[0]["id"], id.as_str());
        assert_eq!(devices[0]["name"], name);
        assert_eq!(devices[0]["auto_accept"], false);
        // The other side is not running now.
        assert_eq!(devices[0]["online"], false);
    }

    // Manage it by name or by id prefix.
    let steps: [(&[&str], &str); 3] = [
        (
            &["devices", "set", "phone", "--auto-accept", "on"],
            "device-updated",
        ),
        (
            &["devices", "rename", &phone_id[..8], "Ada's phone"],
            "device-renamed",
        ),
        (&["devices", "remove", "ada's phone"], "device-removed"),
    ];
    for (args, event) in steps {
        let mut cmd = ferry(&laptop);
        cmd.args(args);
        let result = run(cmd).await.unwrap();
        assert_eq!(result.code, 0, "{args:?}: {}", result.stderr);
        assert_eq!(result.events[0]["event"], event);
        assert_eq!(result.events[0]["id"], phone_id.as_str());
        if event == "device-updated" {
            assert_eq!(result.events[0]["auto_accept"], true);
        }
        if event == "device-renamed" {
            assert_eq!(result.events[0]["name"], "Ada's phone");
        }
    }
    let mut cmd = ferry(&laptop);
    cmd.arg("devices");
    assert!(run(cmd).await.unwrap().all("device").is_empty());

    // An unknown device is bad input.
    let mut cmd = ferry(&laptop);
    cmd.args(["devices", "remove", "toaster"]);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.contains("toaster"), "{}", result.stderr);

    // An image without a QR code is bad input.
    let not_qr = tmp.path().join("blank.png");
    image::GrayImage::from_pixel(64, 64, image::Luma([255u8]))
        .save(&not_qr)
        .unwrap();
    let mut cmd = ferry(&phone);
    cmd.args(["pair", "--from-image"]).arg(&not_qr);
    let result = run(cmd).await.unwrap();
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.contains("no QR code"), "{}", result.stderr);

    // A malformed pairing ticket is bad input too, and so is a share ticket.
    for bad in ["ferrypairzzzz", "hello", &ticket[..ticket.len() - 5]] {
        let mut cmd = ferry(&phone);
        cmd.args(["pair", bad]);
        let result = run(cmd).await.unwrap();
        assert_eq!(result.code, 2, "{bad}: {}", result.stderr);
        assert_eq!(result.stderr.lines().count(), 1, "{}", result.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_wrong_used_and_expired_secrets_are_refused_and_store_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let laptop = node(&tmp.path().join("laptop"), "Laptop").await;
    let phone = node(&tmp.path().join("phone"), "Phone").await;
    let intruder = node(&tmp.path().join("intruder"), "Intruder").await;
    let mut laptop_events = laptop.events();

    let ticket = laptop
        .devices()
        .start_pairing(Duration::from_secs(120))
        .await;

    // A wrong secret: refused, nothing stored on either side.
    let mut wrong = ticket.clone();
    wrong.secret[0] ^= 1;
    assert_eq!(
        refusal(intruder.devices().join(&wrong).await),
        Refusal::WrongSecret
    );
    assert!(ids(&laptop).is_empty());
    assert!(ids(&intruder).is_empty());
    loop {
        match tokio::time::timeout(STEP, laptop_events.recv())
            .await
            .unwrap()
        {
            Some(Event::PairingRefused { peer, reason }) => {
                assert_eq!(peer, intruder.id().to_string());
                assert_eq!(reason, "wrong_secret");
                break;
            }
            Some(_) => continue,
            None => panic!("event stream ended"),
        }
    }

    // The right secret still works after one wrong guess.
    let device = phone.devices().join(&ticket).await.unwrap();
    assert_eq!(device.id, laptop.id().to_string());
    assert_eq!(device.name, "Laptop");
    assert_eq!(ids(&phone), [laptop.id().to_string()]);
    assert_eq!(ids(&laptop), [phone.id().to_string()]);

    // The same secret again: already used.
    assert_eq!(
        refusal(intruder.devices().join(&ticket).await),
        Refusal::AlreadyUsed
    );
    assert!(ids(&intruder).is_empty());
    assert_eq!(ids(&laptop), [phone.id().to_string()]);

    // An expired secret.
    let short = laptop.devices().start_pairing(Duration::from_secs(1)).await;
    // Waits for the code's own expiry time to pass on the clock, not for a
    // guessed delay.
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    tokio::time::timeout(STEP, async {
        while now() <= short.expires_at {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the clock passes the code's expiry");
    assert_eq!(
        refusal(intruder.devices().join(&short).await),
        Refusal::Expired
    );
    assert!(ids(&intruder).is_empty());

    // Too many wrong guesses burn the code, even for the right secret.
    let fresh = laptop
        .devices()
        .start_pairing(Duration::from_secs(120))
        .await;
    let mut guess = fresh.clone();
    guess.secret[15] ^= 0x80;
    for _ in 0..MAX_FAILURES {
        assert_eq!(
            refusal(intruder.devices().join(&guess).await),
            Refusal::WrongSecret
        );
    }
    assert_eq!(
        refusal(intruder.devices().join(&fresh).await),
        Refusal::TooManyAttempts
    );
    assert!(ids(&intruder).is_empty());
    assert_eq!(ids(&laptop), [phone.id().to_string()]);

    // With no code shown, nobody can pair.
    laptop.devices().stop_pairing();
    assert_eq!(
        refusal(intruder.devices().join(&fresh).await),
        Refusal::NotPairing
    );

    // Joining one's own code is refused before any connection.
    assert!(matches!(
        laptop.devices().join(&fresh).await,
        Err(PairError::OwnTicket)
    ));

    // Trust survives a restart.
    let laptop_dir = laptop.data_dir().to_path_buf();
    let phone_id = phone.id().to_string();
    laptop.shutdown().await;
    let laptop = node(&laptop_dir, "Laptop").await;
    assert_eq!(ids(&laptop), [phone_id]);
    assert!(laptop.devices().is_trusted(&phone.id()).unwrap());
    assert!(!laptop.devices().is_trusted(&intruder.id()).unwrap());

    for n in [laptop, phone, intruder] {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_device_named_like_another_ids_prefix_does_not_capture_it() {
    // Given a laptop paired with a phone, then with a device that named
    // itself like the phone's id prefix, and one with a hidden bidi override.
    let tmp = tempfile::tempdir().unwrap();
    let laptop = tmp.path().join("laptop");
    let (phone, mimic, bidi) = (
        tmp.path().join("phone"),
        tmp.path().join("mimic"),
        tmp.path().join("bidi"),
    );
    pair_dirs((&laptop, "Laptop"), (&phone, "Phone"), false)
        .await
        .unwrap();
    let listed = |dir: std::path::PathBuf| async move {
        let mut cmd = ferry(&dir);
        cmd.arg("devices");
        let list = run(cmd).await.unwrap();
        assert_eq!(list.code, 0, "{}", list.stderr);
        list.all("device")
            .into_iter()
            .map(|d| {
                (
                    d["id"].as_str().unwrap().to_string(),
                    d["name"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let phone_id = listed(laptop.clone()).await[0].0.clone();
    let prefix = &phone_id[..8];
    pair_dirs((&laptop, "Laptop"), (&mimic, prefix), false)
        .await
        .unwrap();
    pair_dirs((&laptop, "Laptop"), (&bidi, "Evil\u{202e}txt.exe"), false)
        .await
        .unwrap();

    // When the user sets auto-accept on the phone by its id prefix.
    let mut cmd = ferry(&laptop);
    cmd.args(["devices", "set", prefix, "--auto-accept", "on"]);
    let set = run(cmd).await.unwrap();

    // Then the phone is the device changed, not the one named like its id.
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(set.events[0]["id"], phone_id.as_str());
    assert_eq!(set.events[0]["name"], "Phone");
    assert_eq!(set.events[0]["auto_accept"], true);

    // And the list tells the mimic apart by its own id, and shows the
    // other name without its invisible override.
    let devices = listed(laptop.clone()).await;
    assert_eq!(devices.len(), 3, "{devices:?}");
    for (id, name) in &devices {
        if *id == phone_id {
            assert_eq!(name, "Phone");
        } else if name.starts_with(prefix) {
            assert_eq!(*name, format!("{prefix} ({})", &id[..8]));
        } else {
            assert_eq!(name, "Eviltxt.exe");
        }
    }

    // Renaming drops invisible characters too, and ids still win.
    let mut cmd = ferry(&laptop);
    cmd.args(["devices", "rename", prefix, "Ph\u{200b}one\u{2066}2"]);
    let renamed = run(cmd).await.unwrap();
    assert_eq!(renamed.code, 0, "{}", renamed.stderr);
    assert_eq!(renamed.events[0]["id"], phone_id.as_str());
    assert_eq!(renamed.events[0]["name"], "Phone2");
}
