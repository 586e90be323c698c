//! Devices that never share a LAN, LANs that get in the way (no multicast,
//! client isolation), and the relay going down.

use std::path::Path;

use ferry_tests::{
    Running, assert_same_tree,
    lab::{Lab, LanRules, Nat},
    random_bytes, run, write_file,
};

/// The route `ferry devices` shows for the device named `name`.
async fn route_to(lab: &Lab, host: usize, dir: &Path, name: &str) -> String {
    let mut cmd = lab.ferry(host, dir);
    cmd.arg("devices");
    let list = run(cmd).await.unwrap();
    let row = list
        .all("device")
        .into_iter()
        .find(|d| d["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no device {name}: {:?}", list.events));
    assert_eq!(row["online"], true, "{row}");
    row["route"].as_str().unwrap_or("").to_string()
}

/// Pushes the folder `src` and waits until the listener has it in `out`.
async fn push(
    lab: &Lab,
    from: (usize, &Path),
    to: &str,
    src: &Path,
    listener: &mut Running,
    out: &Path,
) {
    let mut cmd = lab.ferry(from.0, from.1);
    cmd.args(["push", to]).arg(src);
    let pushed = run(cmd).await.unwrap();
    assert_eq!(pushed.code, 0, "{}\n{:?}", pushed.stderr, pushed.events);
    listener.next("done").await;
    assert_same_tree(src, &out.join(src.file_name().unwrap()));
}

#[tokio::test(flavor = "multi_thread")]
async fn test_pairing_by_qr_code_across_two_nats_then_pushing_both_ways() {
    let lab = &mut Lab::build(&[
        (Nat::Cone, LanRules::default()),
        (Nat::Symmetric, LanRules::default()),
    ])
    .await
    .expect("building the lab needs root, nftables and the lab servers");
    let (laptop, phone) = (lab.add_host(1).unwrap(), lab.add_host(2).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let (laptop_dir, phone_dir) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    // No common LAN: the QR code carries the relay, and that is enough.
    lab.pair(
        (laptop, &laptop_dir, "Laptop"),
        (phone, &phone_dir, "Phone"),
    )
    .await
    .unwrap();
    let mut cmd = lab.ferry(laptop, &laptop_dir);
    cmd.args(["devices", "set", "Phone", "--auto-accept", "on"]);
    assert_eq!(run(cmd).await.unwrap().code, 0);

    // Laptop to phone: the phone is found through discovery.
    let out = tmp.path().join("phone-out");
    let mut phone_listens = lab.listen(phone, &phone_dir, &out).await;
    let src = tmp.path().join("to-phone");
    write_file(&src.join("boarding pass.pdf"), &random_bytes(200_000, 4));
    push(
        lab,
        (laptop, &laptop_dir),
        "Phone",
        &src,
        &mut phone_listens,
        &out,
    )
    .await;
    assert_eq!(route_to(lab, laptop, &laptop_dir, "Phone").await, "relay");
    phone_listens.stop().await;

    // Phone to laptop: the laptop is dialled at the relay its code named.
    let out = tmp.path().join("laptop-out");
    let mut laptop_listens = lab.listen(laptop, &laptop_dir, &out).await;
    let src = tmp.path().join("to-laptop");
    write_file(&src.join("IMG_0001.jpg"), &random_bytes(200_000, 5));
    push(
        lab,
        (phone, &phone_dir),
        "Laptop",
        &src,
        &mut laptop_listens,
        &out,
    )
    .await;
    laptop_listens.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_lans_that_block_multicast_or_isolate_clients_still_connect_paired_devices() {
    let no_multicast = LanRules {
        drop_multicast: true,
        ..LanRules::default()
    };
    let guest_wifi = LanRules {
        isolate_clients: true,
        ..LanRules::default()
    };
    let lab = &mut Lab::build(&[(Nat::Cone, no_multicast), (Nat::Cone, guest_wifi)])
        .await
        .expect("building the lab needs root, nftables and the lab servers");
    let tmp = tempfile::tempdir().unwrap();

    // A LAN that drops multicast: nobody shows up nearby, but a paired
    // device is dialled at its stored address, directly.
    let (laptop, phone) = (lab.add_host(1).unwrap(), lab.add_host(1).unwrap());
    let (laptop_dir, phone_dir) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    lab.pair(
        (laptop, &laptop_dir, "Laptop"),
        (phone, &phone_dir, "Phone"),
    )
    .await
    .unwrap();
    let out = tmp.path().join("out");
    let mut listener = lab.listen(phone, &phone_dir, &out).await;
    let mut cmd = lab.ferry(laptop, &laptop_dir);
    cmd.args(["devices", "--nearby", "--wait", "3"]);
    let nearby = run(cmd).await.unwrap();
    assert_eq!(nearby.code, 0, "{}", nearby.stderr);
    assert!(nearby.all("nearby").is_empty(), "{:?}", nearby.events);
    let src = tmp.path().join("slides");
    write_file(&src.join("deck.pdf"), &random_bytes(200_000, 6));
    push(
        lab,
        (laptop, &laptop_dir),
        "Phone",
        &src,
        &mut listener,
        &out,
    )
    .await;
    assert_eq!(
        route_to(lab, laptop, &laptop_dir, "Phone").await,
        "direct_lan"
    );
    listener.stop().await;

    // Guest Wi-Fi: the two cannot reach each other on the LAN at all; they
    // pair and push through the relay.
    let (a, b) = (lab.add_host(2).unwrap(), lab.add_host(2).unwrap());
    lab.isolate_clients(2).unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    lab.pair((a, &a_dir, "Tablet"), (b, &b_dir, "Phone"))
        .await
        .unwrap();
    let out = tmp.path().join("guest-out");
    let mut listener = lab.listen(b, &b_dir, &out).await;
    let src = tmp.path().join("menu");
    write_file(&src.join("menu.pdf"), &random_bytes(200_000, 7));
    push(lab, (a, &a_dir), "Phone", &src, &mut listener, &out).await;
    assert_eq!(route_to(lab, a, &a_dir, "Phone").await, "relay");
    listener.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_with_the_relay_down_a_lan_still_works_and_across_nats_the_error_says_why() {
    // The tablet is behind a symmetric NAT: the public address it was seen
    // at is of no use without the relay. (Behind two cone NATs, the stored
    // public addresses and both sides dialling can punch through even with
    // the relay down.)
    let lab = &mut Lab::build(&[
        (Nat::Cone, LanRules::default()),
        (Nat::Symmetric, LanRules::default()),
    ])
    .await
    .expect("building the lab needs root, nftables and the lab servers");
    let (laptop, phone, tablet) = (
        lab.add_host(1).unwrap(),
        lab.add_host(1).unwrap(),
        lab.add_host(2).unwrap(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let dirs = ["laptop", "phone", "tablet"].map(|n| tmp.path().join(n));
    lab.pair((laptop, &dirs[0], "Laptop"), (phone, &dirs[1], "Phone"))
        .await
        .unwrap();
    lab.pair((laptop, &dirs[0], "Laptop"), (tablet, &dirs[2], "Tablet"))
        .await
        .unwrap();
    lab.stop_servers();

    // On the LAN nothing is missing.
    let out = tmp.path().join("phone-out");
    let mut listener = lab.listen(phone, &dirs[1], &out).await;
    let src = tmp.path().join("notes");
    write_file(&src.join("notes.txt"), b"the relay is down, the LAN is not");
    push(lab, (laptop, &dirs[0]), "Phone", &src, &mut listener, &out).await;
    listener.stop().await;

    // Behind the other NAT the tablet cannot be reached, and the error
    // names the relay.
    let out = tmp.path().join("tablet-out");
    let listener = lab.listen(tablet, &dirs[2], &out).await;
    let mut cmd = lab.ferry(laptop, &dirs[0]);
    cmd.args(["push", "Tablet", "--no-wait"]).arg(&src);
    let pushed = run(cmd).await.unwrap();
    let queued = pushed
        .event("queued")
        .unwrap_or_else(|| panic!("{:?}", pushed.events));
    let reason = queued["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "the relay server {} cannot be reached",
            lab.relay_url()
        )),
        "{reason}"
    );
    listener.stop().await;
}
