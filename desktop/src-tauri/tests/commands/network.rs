//! The network settings (discovery and a trusted certificate, besides the
//! relay) and the network doctor, through the commands.

use serde_json::{Value, json};

use crate::app::{TestApp, paired};

/// A self-signed CA certificate, as a private CA's would be.
const TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBhzCCAS2gAwIBAgIUJAY64iuH5mLYR59Tf/x06fZ0uQgwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNRmVycnkgdGVzdCBDQTAgFw0yNjEyMDIwNzE1MTRaGA8yMTI2
MTEwODA3MTUxNFowGDEWMBQGA1UEAwwNRmVycnkgdGVzdCBDQTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABLIZyHzxdmH7bMSim0Jy9va7KSdToxexQVS7NQ1q8bcF
Gybidm/nWHDag8TovEDba4t350V7XkTaUQJgsmJre+ujUzBRMB0GA1UdDgQWBBSk
nsfnlftoFyZqf+fMrK/ix6zuBTAfBgNVHSMEGDAWgBSknsfnlftoFyZqf+fMrK/i
x6zuBTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIBxSdCIJLAz/
u/9Tj2gVdpsfO2rtbGLTUcZmEBqyOYWfAiEAiMOK2d1UKfZcFaXJdonBUyJmMMrj
R5vwyyuYIOLCtVw=
-----END CERTIFICATE-----
";

/// Nothing listens there: lookups fail at once.
const NO_DISCOVERY: &str = "http://127.0.0.1:9/pkarr";

#[test]
fn the_network_doctor_reports_relays_off_and_each_paired_device() {
    let (_da, a, _db, _b) = paired();
    let report = a.ok("network_doctor", json!({}));
    assert_eq!(report["verdict"]["level"], "limited", "{report}");
    let message = report["verdict"]["message"].as_str().unwrap();
    assert!(message.starts_with("Relays are off"), "{message}");
    assert_eq!(report["relays"], json!([]));
    assert_eq!(report["discovery"]["service"], "off");
    assert_eq!(report["discovery"]["working"], Value::Null);
    assert_eq!(report["udp"], Value::Null);
    assert_eq!(report["public_addr"], Value::Null);
    assert_eq!(report["nat"], "unknown");
    let devices = report["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{report}");
    assert_eq!(devices[0]["device"]["name"], "beta");
    assert_eq!(devices[0]["online"], true);
    assert_eq!(devices[0]["route"], "local");
    assert!(devices[0]["rtt_ms"].as_f64().is_some(), "{report}");
}

#[test]
fn network_settings_are_checked_saved_and_used_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("private-ca.pem");
    let app = TestApp::start_in(dir.path(), "desk");
    let view = app.ok("settings", json!({}));
    assert_eq!(view["settings"]["discovery"], "default");
    assert_eq!(view["settings"]["discovery_url"], "");
    assert_eq!(view["settings"]["trust_cert"], "");

    let mut settings = view["settings"].clone();
    settings["discovery"] = json!("custom");
    settings["discovery_url"] = json!("ftp://dns.example/pkarr");
    let err = app.err("save_settings", json!({"settings": settings}));
    assert_eq!(err["kind"], "invalid_input");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("discovery server URL"),
        "{err}"
    );
    settings["discovery_url"] = json!(format!(" {NO_DISCOVERY} "));
    settings["trust_cert"] = json!(cert.display().to_string());
    let err = app.err("save_settings", json!({"settings": settings}));
    assert!(
        err["message"].as_str().unwrap().contains("does not exist"),
        "{err}"
    );
    std::fs::write(&cert, TEST_CA).unwrap();
    settings["relay"] = json!("custom");
    settings["relay_url"] = json!("https://a.example.net, https://b.example.net");
    let saved = app.ok("save_settings", json!({"settings": settings}));
    assert_eq!(saved["settings"]["discovery_url"], NO_DISCOVERY);
    assert_eq!(saved["restart_needed"], true);

    // Back to what the node runs with: no restart needed.
    let mut back = saved["settings"].clone();
    back["relay"] = json!("disabled");
    back["discovery"] = json!("default");
    back["trust_cert"] = json!("");
    let undone = app.ok("save_settings", json!({"settings": back}));
    assert_eq!(undone["restart_needed"], false);
    assert_eq!(undone["settings"]["discovery_url"], "");
    // Each of them alone asks for one.
    for (field, value) in [
        ("discovery", json!("disabled")),
        ("trust_cert", json!(cert.display().to_string())),
    ] {
        let mut one = undone["settings"].clone();
        one[field] = value;
        let view = app.ok("save_settings", json!({"settings": one}));
        assert_eq!(view["restart_needed"], true, "{field}");
    }
    let saved = app.ok("save_settings", json!({"settings": saved["settings"]}));
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("data/desktop-settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(file["discovery"], "custom");
    assert_eq!(file["discovery_url"], NO_DISCOVERY);
    assert_eq!(file["trust_cert"], cert.display().to_string());
    app.stop();

    // The next start uses the discovery server and the certificate (the
    // test's relay stays disabled, as it is given for this run only).
    let again = TestApp::start_in(dir.path(), "desk");
    let view = again.ok("settings", json!({}));
    assert_eq!(view["settings"]["discovery"], "custom");
    assert_eq!(
        view["settings"]["trust_cert"],
        saved["settings"]["trust_cert"]
    );
    let report = again.ok("network_doctor", json!({}));
    assert_eq!(report["discovery"]["service"], NO_DISCOVERY, "{report}");
    assert_eq!(report["discovery"]["working"], false, "{report}");
    again.stop();

    // A certificate that went away stops the node; the settings can still
    // be saved without it.
    std::fs::remove_file(&cert).unwrap();
    let broken = TestApp::start_in(dir.path(), "desk");
    let err = broken.err("node_info", json!({}));
    assert!(
        err["message"].as_str().unwrap().contains("private-ca.pem"),
        "{err}"
    );
    let mut fixed = broken.ok("settings", json!({}))["settings"].clone();
    fixed["trust_cert"] = json!("");
    let view = broken.ok("save_settings", json!({"settings": fixed}));
    assert_eq!(view["settings"]["trust_cert"], "");
    assert_eq!(view["restart_needed"], true);
}
