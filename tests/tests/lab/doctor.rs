//! `ferry doctor` behind the lab's cone and symmetric NATs, and with the
//! relay down.

use std::path::Path;

use ferry_tests::{
    Running,
    lab::{Lab, LanRules, Nat, RELAY_IP, RELAY2_IP},
    run,
};
use serde_json::Value;

/// `ferry doctor --json` on a host, using both of the lab's relays (two
/// vantage points tell a symmetric NAT from a cone).
async fn doctor(lab: &Lab, host: usize, dir: &Path) -> Value {
    let mut cmd = lab.ferry(host, dir);
    cmd.env("FERRY_RELAY", lab.relay_urls()).arg("doctor");
    let out = run(cmd).await.unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.event("doctor").unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn test_the_doctor_tells_a_cone_nat_from_a_symmetric_one_and_a_dead_relay() {
    let lab = &mut Lab::build(&[
        (Nat::Cone, LanRules::default()),
        (Nat::Symmetric, LanRules::default()),
    ])
    .await
    .expect("building the lab needs root, nftables and the lab servers");
    let (home, mobile) = (lab.add_host(1).unwrap(), lab.add_host(2).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let (laptop_dir, phone_dir) = (tmp.path().join("laptop"), tmp.path().join("phone"));
    lab.pair((home, &laptop_dir, "Laptop"), (mobile, &phone_dir, "Phone"))
        .await
        .unwrap();
    let mut cmd = lab.ferry(mobile, &phone_dir);
    cmd.env("FERRY_RELAY", lab.relay_urls())
        .args(["listen", "--accept", "never", "--out"])
        .arg(tmp.path().join("out"));
    let mut phone_runs = Running::spawn(cmd);
    phone_runs.next("listening").await;

    // Behind the cone NAT: both relays answer, the public address is the
    // router's, direct paths are possible; the phone is reached (relayed,
    // as it sits behind the symmetric NAT).
    let report = doctor(lab, home, &laptop_dir).await;
    assert_eq!(report["nat"], "cone", "{report:#}");
    assert_eq!(report["udp"], true, "{report:#}");
    let public = report["public_addr"].as_str().unwrap();
    assert!(public.starts_with("203.0.113.11:"), "{report:#}");
    let relays = report["relays"].as_array().unwrap();
    assert_eq!(relays.len(), 2, "{report:#}");
    for relay in relays {
        assert!(relay["latency_ms"].is_u64(), "{report:#}");
        let url = relay["url"].as_str().unwrap();
        assert!(url.contains(RELAY_IP) || url.contains(RELAY2_IP), "{url}");
    }
    assert_eq!(report["discovery"]["working"], true, "{report:#}");
    assert_eq!(report["discovery"]["service"], lab.discovery_url());
    let phone = &report["devices"][0];
    assert_eq!(phone["device"]["name"], "Phone");
    assert_eq!(phone["online"], true, "{report:#}");
    assert_eq!(phone["route"], "relay", "{report:#}");
    assert_eq!(report["verdict"]["level"], "good", "{report:#}");
    phone_runs.stop().await;

    // Behind the symmetric NAT: each relay sees another public port.
    let report = doctor(lab, mobile, &phone_dir).await;
    assert_eq!(report["nat"], "symmetric", "{report:#}");
    assert_eq!(report["udp"], true, "{report:#}");
    assert_eq!(report["verdict"]["level"], "limited", "{report:#}");
    let message = report["verdict"]["message"].as_str().unwrap();
    assert!(message.contains("symmetric NAT"), "{message}");

    // The servers down: the verdict says the relay cannot be reached.
    lab.stop_servers();
    let mut cmd = lab.ferry(home, &laptop_dir);
    cmd.arg("doctor");
    let out = run(cmd).await.unwrap();
    let report = out.event("doctor").unwrap();
    assert_eq!(report["verdict"]["level"], "broken", "{report:#}");
    let message = report["verdict"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "The relay server {} cannot be reached",
            lab.relay_url()
        )),
        "{message}"
    );
    assert_eq!(report["discovery"]["working"], false, "{report:#}");
    assert_eq!(report["relays"][0]["latency_ms"], Value::Null, "{report:#}");
}
