//! A collection kept in sync between a laptop behind a cone NAT and a
//! phone behind a symmetric one (relayed): it converges, and changes flow
//! both ways.

use ferry_tests::{
    Running, folder_view as snapshot,
    lab::{Lab, LanRules, Nat},
    random_bytes, run, wait_until, write_file,
};

#[tokio::test(flavor = "multi_thread")]
async fn test_a_collection_syncs_across_two_nats_and_converges() {
    let lab = &mut Lab::build(&[
        (Nat::Cone, LanRules::default()),
        (Nat::Symmetric, LanRules::default()),
    ])
    .await
    .expect("building the lab needs root, nftables and the lab servers");
    let (laptop, phone) = (lab.add_host(1).unwrap(), lab.add_host(2).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (laptop_dir, phone_dir) = (root.join("laptop"), root.join("phone"));
    lab.pair(
        (laptop, &laptop_dir, "Laptop"),
        (phone, &phone_dir, "Phone"),
    )
    .await
    .unwrap();
    let folder = root.join("family");
    write_file(&folder.join("recipes/bread.md"), b"flour, water, salt");
    write_file(&folder.join("photos/beach.jpg"), &random_bytes(400_000, 10));

    let mut cmd = lab.ferry(laptop, &laptop_dir);
    cmd.args(["collection", "create", "family", "--dir"])
        .arg(&folder);
    let created = run(cmd).await.unwrap();
    assert_eq!(created.code, 0, "{}", created.stderr);

    // The phone runs in the background and takes the laptop's invitations.
    let synced = root.join("synced");
    let mut cmd = lab.ferry(phone, &phone_dir);
    cmd.args(["listen", "--accept", "trusted", "--out"])
        .arg(root.join("inbox"))
        .arg("--collections-dir")
        .arg(&synced);
    let mut phone_runs = Running::spawn(cmd);
    phone_runs.next("listening").await;
    let mut cmd = lab.ferry(laptop, &laptop_dir);
    cmd.args(["collection", "invite", "family", "Phone"]);
    let invited = run(cmd).await.unwrap();
    assert_eq!(invited.code, 0, "{}", invited.stderr);
    assert_eq!(invited.event("invited").unwrap()["accepted"], true);

    // With the laptop running too, the folders converge ...
    let mut cmd = lab.ferry(laptop, &laptop_dir);
    cmd.args(["listen", "--out"]).arg(root.join("laptop-inbox"));
    let mut laptop_runs = Running::spawn(cmd);
    laptop_runs.next("listening").await;
    let on_phone = synced.join("family");
    wait_until("the phone holds the collection", || {
        on_phone.exists() && snapshot(&folder) == snapshot(&on_phone)
    })
    .await
    .unwrap();

    // ... and changes flow both ways.
    write_file(&folder.join("recipes/soup.md"), b"leeks");
    write_file(
        &on_phone.join("photos/sunset.jpg"),
        &random_bytes(300_000, 11),
    );
    std::fs::remove_file(on_phone.join("recipes/bread.md")).unwrap();
    wait_until("both hold every change", || {
        let (a, b) = (snapshot(&folder), snapshot(&on_phone));
        a == b && a.iter().any(|(p, _)| p == "photos/sunset.jpg") && a.len() == 5
    })
    .await
    .unwrap_or_else(|e| {
        panic!(
            "{e}: {:?} vs {:?}",
            snapshot(&folder)
                .iter()
                .map(|(p, _)| p.clone())
                .collect::<Vec<_>>(),
            snapshot(&on_phone)
                .iter()
                .map(|(p, _)| p.clone())
                .collect::<Vec<_>>()
        )
    });
    assert!(!folder.join("recipes/bread.md").exists());
    phone_runs.stop().await;
    laptop_runs.stop().await;
}
