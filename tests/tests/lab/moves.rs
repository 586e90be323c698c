//! A paired phone leaves the home LAN for networks behind other NATs, and
//! is still reached by its id: through discovery and the relay, then on a
//! hole-punched direct path where the NATs allow it.

use std::path::Path;

use ferry_tests::{
    Running, assert_same_tree,
    lab::{Lab, LanRules, Nat, RELAY2_IP},
    random_bytes, run, write_file,
};

/// The route `ferry devices` shows for the one paired device.
async fn route_seen(lab: &Lab, host: usize, dir: &Path) -> (bool, String) {
    let mut cmd = lab.ferry(host, dir);
    cmd.arg("devices");
    let list = run(cmd).await.unwrap();
    let row = list.event("device").expect("a device row");
    (
        row["online"] == true,
        row["route"].as_str().unwrap_or("").to_string(),
    )
}

/// Pushes `src` from the laptop to the phone and checks that it arrives
/// whole in `out`.
async fn push_arrives(
    lab: &Lab,
    laptop: usize,
    laptop_dir: &Path,
    src: &Path,
    listener: &mut Running,
    out: &Path,
) {
    let mut cmd = lab.ferry(laptop, laptop_dir);
    cmd.args(["push", "Phone"]).arg(src);
    let pushed = run(cmd).await.unwrap();
    assert_eq!(pushed.code, 0, "{}\n{:?}", pushed.stderr, pushed.events);
    assert!(pushed.event("done").is_some(), "{:?}", pushed.events);
    listener.next("done").await;
    assert_same_tree(src, &out.join(src.file_name().unwrap()));
}

#[tokio::test(flavor = "multi_thread")]
async fn test_a_phone_that_moved_behind_other_nats_is_still_reached() {
    let mut lab = Lab::build(&[
        (Nat::Cone, LanRules::default()),
        (Nat::Cone, LanRules::default()),
        (Nat::Symmetric, LanRules::default()),
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

    // The phone runs Ferry in the background, as its app does.
    let out = tmp.path().join("out");
    let mut listener = lab.listen(phone, &phone_dir, &out).await;

    // At home, on one LAN: direct.
    let src = tmp.path().join("home");
    write_file(&src.join("photo.jpg"), &random_bytes(300_000, 1));
    push_arrives(&lab, laptop, &laptop_dir, &src, &mut listener, &out).await;
    assert_eq!(
        route_seen(&lab, laptop, &laptop_dir).await,
        (true, "direct_lan".into())
    );

    // Unplugged from home and plugged in behind another cone NAT, with a
    // new address: found through discovery, reached through the relay,
    // then directly once the hole punch succeeds.
    lab.move_host(phone, 2).unwrap();
    let src = tmp.path().join("cafe");
    write_file(&src.join("photo.jpg"), &random_bytes(300_000, 2));
    push_arrives(&lab, laptop, &laptop_dir, &src, &mut listener, &out).await;
    assert_eq!(
        route_seen(&lab, laptop, &laptop_dir).await,
        (true, "direct_internet".into()),
        "{}",
        lab.logs()
    );

    // Behind a symmetric NAT no hole punch works: relayed, but it works.
    lab.move_host(phone, 3).unwrap();
    let src = tmp.path().join("mobile");
    write_file(&src.join("photo.jpg"), &random_bytes(300_000, 3));
    push_arrives(&lab, laptop, &laptop_dir, &src, &mut listener, &out).await;
    assert_eq!(
        route_seen(&lab, laptop, &laptop_dir).await,
        (true, "relay".into())
    );
    listener.stop().await;

    // The phone changes its relay: the laptop still knows the old one, and
    // finds the new one through discovery.
    let mut cmd = lab.ferry(phone, &phone_dir);
    cmd.env("FERRY_RELAY", format!("http://{RELAY2_IP}:3340"))
        .args(["listen", "--accept", "trusted", "--out"])
        .arg(&out);
    let mut listener = Running::spawn(cmd);
    listener.next("listening").await;
    let src = tmp.path().join("new-relay");
    write_file(&src.join("photo.jpg"), &random_bytes(300_000, 4));
    push_arrives(&lab, laptop, &laptop_dir, &src, &mut listener, &out).await;
    listener.stop().await;
}
