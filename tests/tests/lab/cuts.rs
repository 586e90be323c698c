//! A push that loses its network half-way: the link goes down for a few
//! seconds, or the receiving phone moves to another network behind a NAT.
//! Either way it finishes once the network is back, without starting over.

use std::{path::Path, time::Duration};

use ferry_tests::{
    Running, assert_same_tree,
    lab::{Lab, LanRules, Nat},
    random_bytes, write_file,
};

const SIZE: usize = 24 * 1024 * 1024;

/// Starts a push of `src` from the laptop and waits until a third of it
/// has gone out.
async fn push_a_third(lab: &Lab, laptop: usize, dir: &Path, src: &Path) -> Running {
    let mut cmd = lab.ferry(laptop, dir);
    cmd.args(["push", "Phone"]).arg(src);
    let mut pushing = Running::spawn(cmd);
    loop {
        let event = pushing.next_any().await;
        assert_ne!(event["event"], "done", "it finished before it could be cut");
        if event["event"] == "progress" && event["bytes_done"].as_u64().unwrap() > SIZE as u64 / 3 {
            return pushing;
        }
    }
}

/// Waits for the push to end well, and checks it did not start over:
/// delivered at once, no more than half again the size crossed; or, where
/// the connection was lost and the push waited in the outbox, the
/// delivery that finished it sent less than the whole file (the phone
/// resumed from what it had).
async fn finishes(mut pushing: Running) {
    let mut queued = false;
    let done = loop {
        let event = pushing.next_any().await;
        match event["event"].as_str() {
            Some("queued") => queued = true,
            Some("done") => break event,
            _ => {}
        }
    };
    assert!(pushing.success().await);
    let crossed = done["bytes_transferred"].as_u64().unwrap();
    if queued {
        eprintln!("resumed from the outbox: {crossed} of {SIZE} bytes crossed again");
        assert!(
            crossed < SIZE as u64,
            "{crossed} bytes crossed again for {SIZE}"
        );
    } else {
        assert!(
            crossed < SIZE as u64 * 3 / 2,
            "{crossed} bytes crossed for {SIZE}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_push_that_loses_its_network_half_way_finishes_without_starting_over() {
    let lab = &mut Lab::build(&[
        (Nat::Cone, LanRules::default()),
        (Nat::Cone, LanRules::default()),
    ])
    .await
    .expect("building the lab needs root, nftables and the lab servers");
    let (laptop, phone) = (lab.add_host(1).unwrap(), lab.add_host(1).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let (laptop_dir, phone_dir) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    lab.pair(
        (laptop, &laptop_dir, "Laptop"),
        (phone, &phone_dir, "Phone"),
    )
    .await
    .unwrap();
    // A slow uplink: the push takes seconds, long enough to cut it.
    lab.limit_rate(laptop, 48).unwrap();
    let out = tmp.path().join("out");
    let mut listener = lab.listen(phone, &phone_dir, &out).await;

    // The phone's link goes down for four seconds.
    let src = tmp.path().join("video");
    write_file(&src.join("clip.mp4"), &random_bytes(SIZE, 8));
    let pushing = push_a_third(lab, laptop, &laptop_dir, &src).await;
    lab.set_link(phone, false).unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    lab.set_link(phone, true).unwrap();
    finishes(pushing).await;
    listener.next("done").await;
    assert_same_tree(&src, &out.join("video"));

    // The phone leaves for a network behind another NAT mid-push: the push
    // carries on through the relay (and a hole punch) to the end.
    let src = tmp.path().join("album");
    write_file(&src.join("holiday.mov"), &random_bytes(SIZE, 9));
    let pushing = push_a_third(lab, laptop, &laptop_dir, &src).await;
    lab.move_host(phone, 2).unwrap();
    finishes(pushing).await;
    listener.next("done").await;
    assert_same_tree(&src, &out.join("album"));
    // Delivered once: no second copy beside it.
    let mut arrived: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    arrived.sort();
    assert_eq!(arrived, ["album", "video"]);
    listener.stop().await;
}
