//! Pushing to paired devices: real nodes on loopback.

use std::{path::Path, time::Duration};

use ferry_core::{AcceptPolicy, Event, PushError, PushRequest};
use ferry_tests::{
    Running, STEP, assert_same_tree, loopback_node as node, pair_nodes as pair, random_bytes,
    write_file,
};

/// Waits for the first event that `pick` maps to something.
async fn next<T>(events: &mut ferry_core::Events, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    loop {
        let event = tokio::time::timeout(STEP, events.recv())
            .await
            .expect("no event in time")
            .expect("event stream ended");
        if let Some(found) = pick(event) {
            return found;
        }
    }
}

fn files_in(dir: &Path) -> usize {
    if !dir.exists() {
        return 0;
    }
    ferry_tests::snapshot(dir)
        .into_iter()
        .filter(|(_, content)| content.is_some())
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn test_push_is_accepted_rejected_asked_and_delivers_text() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_file(&src.join("album/one.jpg"), &random_bytes(700_000, 11));
    write_file(&src.join("album/sub/two.jpg"), &random_bytes(5_000, 12));
    std::fs::create_dir_all(src.join("album/empty")).unwrap();
    let out = tmp.path().join("out");
    let laptop = node(&tmp.path().join("laptop"), "Laptop").await;
    let phone = node(&tmp.path().join("phone"), "Phone").await;
    pair(&laptop, &phone).await;
    let album = || PushRequest {
        paths: vec![src.join("album")],
        text: None,
    };

    // Only devices with auto-accept on get in under `trusted`.
    phone
        .transfers()
        .set_inbox(AcceptPolicy::Trusted, Some(out.clone()));
    match laptop.push("Phone", album()).await {
        Err(PushError::Rejected { device, .. }) => assert_eq!(device, "Phone"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(files_in(&out), 0, "a rejected offer wrote something");

    // Auto-accept on: accepted at once, byte-identical, progress reported.
    phone.devices().set_auto_accept("laptop", true).unwrap();
    let mut laptop_events = laptop.events();
    let mut phone_events = phone.events();
    let report = laptop.push("Phone", album()).await.unwrap();
    assert_eq!(report.files, 2);
    assert_eq!(report.bytes, 705_000);
    assert_same_tree(&src, &out);
    // The receive's events name the offer they answer.
    let offered = next(&mut phone_events, |e| match e {
        Event::OfferReceived { offer_id, .. } => Some(offer_id),
        _ => None,
    })
    .await;
    let started = next(&mut phone_events, |e| match e {
        Event::ReceiveStarted { offer_id, .. } => Some(offer_id),
        _ => None,
    })
    .await;
    assert_eq!(started, Some(offered));
    let progress = next(&mut phone_events, |e| match e {
        Event::ReceiveProgress { offer_id, .. } => Some(offer_id),
        _ => None,
    })
    .await;
    assert_eq!(progress, Some(offered));
    let to = next(&mut laptop_events, |e| match e {
        Event::PushAccepted { to } => Some(to),
        _ => None,
    })
    .await;
    assert_eq!(to.name, "Phone");

    // Text and links arrive inline.
    let mut phone_events = phone.events();
    laptop
        .push(
            "pho", // a name prefix is enough when it is unambiguous
            PushRequest {
                paths: vec![],
                text: Some("https://example.org/menu".into()),
            },
        )
        .await
        .unwrap();
    let (text, is_link, from) = next(&mut phone_events, |e| match e {
        Event::TextReceived {
            text,
            is_link,
            from,
            ..
        } => Some((text, is_link, from)),
        _ => None,
    })
    .await;
    assert_eq!(text, "https://example.org/menu");
    assert!(is_link);
    assert_eq!(from.name, "Laptop");

    // `ask`: the receiver sees who offers what, and answers.
    phone.devices().set_auto_accept("laptop", false).unwrap();
    let asked_out = tmp.path().join("asked");
    phone
        .transfers()
        .set_inbox(AcceptPolicy::Ask, Some(asked_out.clone()));
    for accept in [false, true] {
        let pusher = laptop.clone();
        let request = album();
        let push = tokio::spawn(async move { pusher.push("Phone", request).await });
        let (offer_id, files, bytes, names, from) = next(&mut phone_events, |e| match e {
            Event::OfferReceived {
                offer_id,
                files,
                bytes,
                names,
                from,
                ..
            } => Some((offer_id, files, bytes, names, from)),
            _ => None,
        })
        .await;
        assert_eq!((files, bytes), (2, 705_000));
        assert!(names.contains(&"album/one.jpg".to_string()), "{names:?}");
        assert_eq!(from.id, laptop.id().to_string());
        assert!(phone.transfers().respond(offer_id, accept));
        let result = push.await.unwrap();
        if accept {
            result.unwrap();
            assert_same_tree(&src, &asked_out);
        } else {
            assert!(
                matches!(result, Err(PushError::Rejected { .. })),
                "{result:?}"
            );
            assert_eq!(files_in(&asked_out), 0);
        }
    }

    for n in [laptop, phone] {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_a_device_offering_without_end_is_refused_beyond_the_bound() {
    // Given a phone that asks before it takes anything, and a laptop whose
    // offers nobody answers.
    let tmp = tempfile::tempdir().unwrap();
    let laptop = node(&tmp.path().join("laptop"), "Laptop").await;
    let phone = node(&tmp.path().join("phone"), "Phone").await;
    pair(&laptop, &phone).await;
    phone
        .transfers()
        .set_inbox(AcceptPolicy::Ask, Some(tmp.path().join("out")));
    let text = |i: usize| PushRequest {
        paths: Vec::new(),
        text: Some(format!("offer {i}")),
    };
    let mut waiting = Vec::new();
    for i in 0..4 {
        let laptop = laptop.clone();
        waiting.push(tokio::spawn(
            async move { laptop.push("Phone", text(i)).await },
        ));
    }
    let deadline = tokio::time::Instant::now() + STEP;
    while phone.transfers().offers().len() < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the offers never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // When it offers once more, that offer is refused with the reason and
    // never listed; the four keep waiting.
    let fifth = tokio::time::timeout(STEP, laptop.push("Phone", text(4)))
        .await
        .expect("the offer beyond the bound was left waiting");
    match fifth {
        Err(PushError::Rejected { reason, .. }) => {
            assert!(
                reason.contains("offers from this device are open"),
                "{reason}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let open = phone.transfers().offers();
    assert_eq!(open.len(), 4);
    assert!(open.iter().all(|o| o.text.as_deref() != Some("offer 4")));

    // Once one is answered, there is room again.
    let first = open[0].offer_id;
    assert!(phone.transfers().respond(first, false));
    let deadline = tokio::time::Instant::now() + STEP;
    while phone.transfers().offers().len() > 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the answer never landed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sixth = {
        let laptop = laptop.clone();
        tokio::spawn(async move { laptop.push("Phone", text(5)).await })
    };
    let deadline = tokio::time::Instant::now() + STEP;
    while !phone
        .transfers()
        .offers()
        .iter()
        .any(|o| o.text.as_deref() == Some("offer 5"))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new offer never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for task in waiting.into_iter().chain([sixth]) {
        task.abort();
    }
    for n in [laptop, phone] {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_strangers_and_removed_devices_are_refused_at_the_door() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("note.txt");
    write_file(&file, b"for your eyes only");
    let out = tmp.path().join("out");
    let laptop = node(&tmp.path().join("laptop"), "Laptop").await;
    let phone = node(&tmp.path().join("phone"), "Phone").await;
    let stranger = node(&tmp.path().join("stranger"), "Stranger").await;
    pair(&laptop, &phone).await;
    phone
        .transfers()
        .set_inbox(AcceptPolicy::Ask, Some(out.clone()));
    phone.devices().set_auto_accept("laptop", true).unwrap();
    let mut phone_events = phone.events();
    let request = || PushRequest {
        paths: vec![file.clone()],
        text: Some("hello".into()),
    };

    // A device that never paired: refused before its offer is read.
    let result = stranger
        .push_to(phone.addr().await, "Phone", request())
        .await;
    assert!(
        matches!(result, Err(PushError::NotTrusted(_))),
        "{result:?}"
    );
    let peer = next(&mut phone_events, |e| match e {
        Event::StrangerRefused { peer } => Some(peer),
        Event::OfferReceived { .. } => panic!("a stranger's offer reached the inbox"),
        _ => None,
    })
    .await;
    assert_eq!(peer, stranger.id().to_string());
    assert_eq!(files_in(&out), 0);

    // The paired laptop gets in ...
    laptop.push("Phone", request()).await.unwrap();
    assert_eq!(
        std::fs::read(out.join("note.txt")).unwrap(),
        b"for your eyes only"
    );

    // ... until the phone removes it.
    phone.devices().remove("Laptop").unwrap();
    std::fs::remove_file(out.join("note.txt")).unwrap();
    let result = laptop.push("Phone", request()).await;
    assert!(
        matches!(result, Err(PushError::NotTrusted(_))),
        "{result:?}"
    );
    assert_eq!(files_in(&out), 0);

    for n in [laptop, phone, stranger] {
        n.shutdown().await;
    }
}

/// A running `ferry listen` and the `listening` event it started with.
struct Listener {
    started: serde_json::Value,
    running: Running,
}

impl Listener {
    async fn start(dir: &Path, out: &Path, accept: &str) -> Self {
        let mut cmd = ferry_tests::ferry(dir);
        cmd.args(["listen", "--accept", accept, "--out"]).arg(out);
        let mut running = Running::spawn(cmd);
        let started = running.next("listening").await;
        Self { started, running }
    }

    async fn next(&mut self, name: &str) -> serde_json::Value {
        self.running.next(name).await
    }

    async fn stop(self) {
        self.running.stop().await;
    }
}

/// Two data dirs paired by `ferry pair`, the phone accepting the laptop's
/// pushes without asking.
async fn paired_dirs(laptop_dir: &Path, phone_dir: &Path) {
    ferry_tests::pair_dirs((laptop_dir, "Laptop"), (phone_dir, "Phone"), true)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn test_listen_and_push_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_file(
        &src.join("trip/map.png"),
        &random_bytes(2 * 1024 * 1024, 21),
    );
    write_file(&src.join("trip/notes/day 1.txt"), b"sunny");
    let out = tmp.path().join("out");
    let (laptop_dir, phone_dir) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    paired_dirs(&laptop_dir, &phone_dir).await;

    // Auto-accepted: files and text arrive; both sides report each step.
    let mut listener = Listener::start(&phone_dir, &out, "trusted").await;
    // The name given once (when the node was created) is kept.
    assert_eq!(listener.started["name"], "Phone");
    let mut cmd = ferry_tests::ferry(&laptop_dir);
    cmd.args(["push", "phone"])
        .arg(src.join("trip"))
        .args(["--text", "back on sunday"]);
    let pushed = ferry_tests::run(cmd).await.unwrap();
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    let names: Vec<&str> = pushed
        .events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"offered"), "{names:?}");
    assert_eq!(names.get(1), Some(&"accepted"), "{names:?}");
    let done = pushed.events.last().unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["files"], 2);
    assert_eq!(done["bytes"], 2 * 1024 * 1024 + 5);

    let offer = listener.next("offer").await;
    assert_eq!(offer["from"]["name"], "Laptop");
    assert_eq!(offer["files"], 2);
    assert_eq!(offer["text"], "back on sunday");
    listener.next("accepted").await;
    let text = listener.next("text").await;
    assert_eq!(text["text"], "back on sunday");
    let received = listener.next("done").await;
    assert_eq!(received["files"], 2);
    assert_same_tree(&src, &out);

    // While the phone listens, the laptop sees it online, and how.
    let mut cmd = ferry_tests::ferry(&laptop_dir);
    cmd.arg("devices");
    let list = ferry_tests::run(cmd).await.unwrap();
    let phone_row = list.event("device").unwrap();
    assert_eq!(phone_row["name"], "Phone");
    assert_eq!(phone_row["online"], true);
    assert_eq!(phone_row["route"], "local");
    assert!(phone_row["rtt_ms"].is_u64());
    listener.stop().await;

    // `never`: the push is rejected, exit 1, nothing new arrives.
    let mut listener = Listener::start(&phone_dir, &tmp.path().join("out2"), "never").await;
    let mut cmd = ferry_tests::ferry(&laptop_dir);
    cmd.args(["push", "Phone"]).arg(src.join("trip"));
    let pushed = ferry_tests::run(cmd).await.unwrap();
    assert_eq!(pushed.code, 1, "{}", pushed.stderr);
    assert!(pushed.event("rejected").is_some(), "{:?}", pushed.events);
    assert!(pushed.stderr.contains("rejected"), "{}", pushed.stderr);
    listener.next("rejected").await;
    assert_eq!(files_in(&tmp.path().join("out2")), 0);
    listener.stop().await;

    // An unknown device is bad input.
    let mut cmd = ferry_tests::ferry(&laptop_dir);
    cmd.args(["push", "toaster", "--text", "hi"]);
    assert_eq!(ferry_tests::run(cmd).await.unwrap().code, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn test_the_outbox_delivers_once_the_device_comes_online() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("boarding pass.pdf");
    write_file(&file, &random_bytes(300_000, 31));
    let out = tmp.path().join("out");
    let (laptop_dir, phone_dir) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    paired_dirs(&laptop_dir, &phone_dir).await;

    // The phone is off: the push is queued and the pushing process ends.
    let mut cmd = ferry_tests::ferry(&laptop_dir);
    cmd.args(["push", "Phone", "--no-wait"]).arg(&file);
    let queued = ferry_tests::run(cmd).await.unwrap();
    assert_eq!(queued.code, 0, "{}", queued.stderr);
    let event = queued.event("queued").expect("no queued event");
    assert_eq!(event["device"]["name"], "Phone");
    assert_eq!(files_in(&out), 0);

    // Later the laptop's daemon runs, and later still the phone comes online.
    let mut laptop = Listener::start(&laptop_dir, &tmp.path().join("unused"), "never").await;
    let mut phone = Listener::start(&phone_dir, &out, "trusted").await;
    let delivered = laptop.next("delivered").await;
    assert_eq!(delivered["outbox_id"], event["outbox_id"]);
    assert_eq!(delivered["files"], 1);
    phone.next("done").await;
    assert_eq!(
        std::fs::read(out.join("boarding pass.pdf")).unwrap(),
        std::fs::read(&file).unwrap()
    );
    laptop.stop().await;
    phone.stop().await;

    // Delivered once: a restarted daemon has nothing left to send.
    let laptop = node(&laptop_dir, "Laptop").await;
    assert!(laptop.outbox().unwrap().is_empty());
    laptop.shutdown().await;
}

/// The outbox finds a device that came back on another port than the one
/// it was paired on: the device's own probe tells where it is now.
#[tokio::test(flavor = "multi_thread")]
async fn test_the_outbox_finds_a_device_that_came_back_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (laptop_dir, phone_dir) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    paired_dirs(&laptop_dir, &phone_dir).await;

    let mut cmd = ferry_tests::ferry(&laptop_dir);
    cmd.args(["push", "Phone", "--no-wait", "--text", "gate 12"]);
    let queued = ferry_tests::run(cmd).await.unwrap();
    assert_eq!(queued.code, 0, "{}", queued.stderr);
    assert!(queued.event("queued").is_some(), "not queued");

    // The phone comes back on a port the laptop never saw it on.
    let elsewhere = {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut laptop = Listener::start(&laptop_dir, &tmp.path().join("unused"), "never").await;
    let mut cmd = ferry_tests::ferry(&phone_dir);
    cmd.env("FERRY_BIND", elsewhere.to_string())
        .args(["listen", "--accept", "trusted", "--out"])
        .arg(&out);
    let mut phone = Running::spawn(cmd);
    phone.next("listening").await;
    let delivered = laptop.next("delivered").await;
    assert_eq!(delivered["device"]["name"], "Phone");
    let text = phone.next("text").await;
    assert_eq!(text["text"], "gate 12");
    laptop.stop().await;
    phone.stop().await;

    // The laptop now tries the phone where it last came from first.
    let laptop = node(&laptop_dir, "Laptop").await;
    let phone_seen = laptop.devices().find("Phone").unwrap().addrs;
    assert_eq!(phone_seen.first(), Some(&elsewhere));
    assert!(laptop.outbox().unwrap().is_empty());
    laptop.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_queued_push_expires() {
    let tmp = tempfile::tempdir().unwrap();
    let laptop = node(&tmp.path().join("laptop"), "Laptop").await;
    let phone = node(&tmp.path().join("phone"), "Phone").await;
    pair(&laptop, &phone).await;
    phone.shutdown().await;
    let mut events = laptop.events();
    let entry = laptop
        .queue_push(
            "Phone",
            PushRequest {
                paths: vec![],
                text: Some("call me".into()),
            },
            Duration::from_millis(1),
        )
        .unwrap();
    assert_eq!(laptop.outbox().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(laptop.deliver_outbox().await, 0);
    let (id, status) = next(&mut events, |e| match e {
        Event::OutboxGaveUp {
            outbox_id, status, ..
        } => Some((outbox_id, status)),
        _ => None,
    })
    .await;
    assert_eq!((id, status.as_str()), (entry.id, "expired"));
    assert!(laptop.outbox().unwrap().is_empty());
    laptop.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_device_health_shows_online_path_and_rtt() {
    let tmp = tempfile::tempdir().unwrap();
    let laptop = node(&tmp.path().join("laptop"), "Laptop").await;
    let phone = node(&tmp.path().join("phone"), "Phone").await;
    pair(&laptop, &phone).await;
    let mut events = laptop.events();

    let health = laptop.devices().probe("Phone").await.unwrap();
    assert!(health.online);
    assert_eq!(health.route, Some(ferry_core::Route::Local));
    assert!(health.rtt_ms.is_some());
    let (online, route) = next(&mut events, |e| match e {
        Event::DeviceStatus { online, route, .. } => Some((online, route)),
        _ => None,
    })
    .await;
    assert!(online);
    assert_eq!(route, Some(ferry_core::Route::Local));

    phone.shutdown().await;
    let all = laptop.devices().probe_all().await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(!all[0].online);
    assert_eq!(all[0].route, None);
    laptop.shutdown().await;
}

/// One call starts what a long-running node does (`ferry listen`, the
/// desktop app and the phone's service all make it): the inbox answers as
/// told, and the paired devices are probed on their own, again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_start_services_sets_the_inbox_and_keeps_probing_the_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let laptop = node(&tmp.path().join("laptop"), "Laptop").await;
    let phone = node(&tmp.path().join("phone"), "Phone").await;
    pair(&laptop, &phone).await;
    let mut events = laptop.events();
    let inbox = tmp.path().join("inbox");
    let mut services = ferry_core::Services::new(AcceptPolicy::Trusted, Some(inbox.clone()));
    services.probe_every = Some(Duration::from_millis(200));
    laptop.start_services(services).await.unwrap();

    let rule = laptop.transfers().inbox();
    assert_eq!(rule.policy, AcceptPolicy::Trusted);
    assert_eq!(rule.download_dir, Some(inbox));
    // Nobody asked for a probe: the services probe the phone ...
    let status = |want: bool| {
        move |e: Event| match e {
            Event::DeviceStatus { name, online, .. } if name == "Phone" && online == want => {
                Some(())
            }
            _ => None,
        }
    };
    next(&mut events, status(true)).await;
    // ... and keep probing, so the phone going away shows too.
    phone.shutdown().await;
    next(&mut events, status(false)).await;
    laptop.shutdown().await;
}
