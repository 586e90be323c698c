//! The command wiring on Tauri's mock runtime, against a real node, and the
//! generated TypeScript bindings checked for drift.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod network;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use app::{TestApp, paired, wait_until};
use ferry_desktop::{open_links, specta_builder};
use serde_json::{Value, json};
use tauri::{Listener, test::MockRuntime};

fn bindings_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts")
}

/// Exports the bindings the way the app's build does.
fn export(to: &Path) {
    let result = specta_builder::<MockRuntime>().export(
        specta_typescript::Typescript::default()
            .header("// Generated from desktop/src-tauri by its tests; do not edit.\n// Regenerate: FERRY_UPDATE_BINDINGS=1 cargo test -p ferry-desktop\n"),
        to,
    );
    if let Err(e) = result {
        panic!("exporting the bindings failed: {e}");
    }
}

#[test]
fn the_committed_typescript_bindings_match_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("bindings.ts");
    export(&fresh);
    let fresh = std::fs::read_to_string(&fresh).unwrap();
    let committed = std::fs::read_to_string(bindings_path()).unwrap_or_default();
    if fresh != committed {
        if std::env::var_os("FERRY_UPDATE_BINDINGS").is_some() {
            std::fs::write(bindings_path(), &fresh).unwrap();
            return;
        }
        panic!(
            "desktop/ui/src/bindings.ts is out of date with the commands; \
             regenerate it with FERRY_UPDATE_BINDINGS=1 cargo test -p ferry-desktop"
        );
    }
}

#[test]
fn commands_reach_the_node_and_errors_carry_a_kind() {
    let (_d, app) = TestApp::start("desk");
    let info = app.ok("node_info", json!({}));
    assert_eq!(info["name"], "desk");
    assert_eq!(info["id"].as_str().map(str::len), Some(64));

    assert_eq!(app.call("devices", json!({})), Ok(json!([])));

    let code = app.ok("start_pairing", json!({}));
    assert!(
        code["ticket"]
            .as_str()
            .is_some_and(|t| t.starts_with("ferrypair"))
    );

    let err = app.err("join", json!({"ticket": "not a ticket"}));
    assert_eq!(err["kind"], "invalid_input");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));

    let err = app.err("rename_device", json!({"id": "nobody", "name": "x"}));
    assert_eq!(err["kind"], "not_found");
    assert_eq!(
        app.call("respond_offer", json!({"offerId": 7, "accept": true})),
        Ok(json!(false))
    );

    let err = app.err("show_in_folder", json!({"path": "/no/such/file"}));
    assert_eq!(err["kind"], "not_found");
    let err = app.err("open_link", json!({"url": "javascript:alert(1)"}));
    assert_eq!(err["kind"], "invalid_input");
    let err = app.err("open_path", json!({"path": "relative/path"}));
    assert_eq!(err["kind"], "not_found");
}

#[test]
fn two_desktops_pair_through_their_commands() {
    let (_da, a, _db, b) = paired();
    let listed = a.ok("devices", json!({}));
    assert_eq!(listed[0]["name"], "beta");
    let health = b.ok("probe_devices", json!({}));
    assert_eq!(health[0]["online"], true);
}

/// A push to a paired device that is off is not an error: core queues it
/// (the same `push_or_queue` as the CLI, the API and Android), and the
/// outbox delivers it once the device answers.
#[test]
fn a_push_to_a_device_that_is_off_waits_in_the_outbox() {
    let (_da, a, _db, b) = paired();
    b.stop();
    let sent = a.ok(
        "push",
        json!({"device": "beta", "paths": [], "text": "call me"}),
    );
    let queued = &sent["queued"];
    assert!(queued["outbox_id"].as_f64().is_some(), "{sent}");
    assert!(
        queued["reason"]
            .as_str()
            .is_some_and(|r| r.contains("beta")),
        "{sent}"
    );
    let outbox = a.node().outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].text.as_deref(), Some("call me"));
    assert_eq!(outbox[0].device_name, "beta");
}

#[test]
fn settings_are_checked_saved_applied_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start_in(dir.path(), "desk");
    let view = app.ok("settings", json!({}));
    assert_eq!(view["settings"]["device_name"], "desk");
    assert_eq!(view["settings"]["accept"], "ask");
    assert_eq!(view["settings"]["relay"], "disabled");
    assert_eq!(view["restart_needed"], false);
    assert_eq!(view["start_at_login_available"], false);
    let downloads = app.downloads().display().to_string();
    assert_eq!(view["settings"]["download_dir"], downloads.as_str());

    let mut settings = view["settings"].clone();
    settings["relay"] = json!("custom");
    settings["relay_url"] = json!("ftp://nope");
    let err = app.err("save_settings", json!({"settings": settings}));
    assert_eq!(err["kind"], "invalid_input");
    assert!(err["message"].as_str().unwrap().contains("https://"));
    settings["relay_url"] = json!("https://relay.example.net");
    settings["start_at_login"] = json!(true);
    let err = app.err("save_settings", json!({"settings": settings}));
    assert!(err["message"].as_str().unwrap().contains("not available"));
    settings["start_at_login"] = json!(false);
    settings["device_name"] = json!("  Studio  ");
    settings["accept"] = json!("trusted");
    settings["notifications"] = json!(false);
    let saved = app.ok("save_settings", json!({"settings": settings}));
    assert_eq!(saved["settings"]["device_name"], "Studio");
    assert_eq!(saved["restart_needed"], true);
    assert_eq!(app.ok("settings", json!({})), saved);
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("data/desktop-settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(file["relay_url"], "https://relay.example.net");
    assert_eq!(file["notifications"], false);
    app.stop();

    // The next start applies the name; the relay choice of the test stays
    // disabled, as it is given for this run only.
    let again = TestApp::start_in(dir.path(), "ignored");
    assert_eq!(again.ok("node_info", json!({}))["name"], "Studio");
    let view = again.ok("settings", json!({}));
    assert_eq!(view["settings"]["accept"], "trusted");
    assert_eq!(view["settings"]["notifications"], false);
    again.stop();

    // A damaged file is reported, not overwritten behind the user's back.
    std::fs::write(dir.path().join("data/desktop-settings.json"), "{oops").unwrap();
    let damaged = TestApp::start_in(dir.path(), "desk");
    let view = damaged.ok("settings", json!({}));
    assert!(view["problem"].as_str().unwrap().contains("damaged"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data/desktop-settings.json")).unwrap(),
        "{oops"
    );
    damaged.stop();
}

#[test]
fn a_share_ticket_or_link_opens_and_is_received_into_the_download_folder() {
    let (_da, a) = TestApp::start("alpha");
    let (_db, b) = TestApp::start("beta");
    let file = a.dir.join("photo.jpg");
    let bytes: Vec<u8> = (0..700_000u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let share = a.ok(
        "share",
        json!({"paths": [file.display().to_string()], "text": "from the trip"}),
    );
    let ticket = share["ticket"].as_str().unwrap();

    let opened = b.ok(
        "inspect_ticket",
        json!({"ticket": format!("ferry://{ticket}")}),
    );
    assert_eq!(opened["kind"], "share");
    assert_eq!(opened["names"], json!(["photo.jpg"]));
    assert_eq!(opened["bytes"], json!(700_000.0));
    assert_eq!(opened["text"], "from the trip");
    let got = b.ok("receive_share", json!({"id": opened["id"]}));
    assert_eq!(got["files"], json!(1.0));
    assert_eq!(got["text"], "from the trip");
    assert_eq!(
        std::fs::read(b.downloads().join("photo.jpg")).unwrap(),
        bytes
    );
    let err = b.err("receive_share", json!({"id": opened["id"]}));
    assert_eq!(err["kind"], "not_found");

    // Opened and discarded: nothing is written.
    let again = b.ok("inspect_ticket", json!({"ticket": ticket}));
    assert_eq!(
        b.ok("discard_share", json!({"id": again["id"]})),
        json!(true)
    );
    assert_eq!(std::fs::read_dir(b.downloads()).unwrap().count(), 1);

    let code = a.ok("start_pairing", json!({}));
    let pair = b.ok("inspect_ticket", json!({"ticket": code["ticket"]}));
    assert_eq!(pair["kind"], "pair");
    let err = b.err("inspect_ticket", json!({"ticket": "ferrygarbage"}));
    assert_eq!(err["kind"], "invalid_input");
}

#[test]
fn a_qr_image_is_read_and_a_broken_image_is_a_clear_error() {
    let (_d, app) = TestApp::start("desk");
    let code = app.ok("start_pairing", json!({}));
    let ticket = code["ticket"].as_str().unwrap();
    let png = app.dir.join("code.png");
    qrcode::QrCode::new(ticket.to_ascii_uppercase().as_bytes())
        .unwrap()
        .render::<image::Luma<u8>>()
        .min_dimensions(300, 300)
        .build()
        .save(&png)
        .unwrap();
    let text = app.ok("read_qr_image", json!({"path": png.display().to_string()}));
    assert_eq!(text.as_str().unwrap().to_ascii_lowercase(), ticket);

    let junk = app.dir.join("junk.png");
    std::fs::write(&junk, b"not an image").unwrap();
    let err = app.err("read_qr_image", json!({"path": junk.display().to_string()}));
    assert_eq!(err["kind"], "invalid_input");
    assert!(err["message"].as_str().unwrap().contains("junk.png"));
}

#[test]
fn links_are_queued_for_the_window_once_and_announced() {
    let (_d, app) = TestApp::start("desk");
    let announced = Arc::new(Mutex::new(0));
    let count = announced.clone();
    app.app.listen_any("shell-event", move |e| {
        if e.payload().contains("links_waiting") {
            *count.lock().unwrap() += 1;
        }
    });
    let link = "ferryabcdefghijklmnop".to_string();
    open_links(app.app.handle(), [link.clone(), link.clone()]);
    open_links(app.app.handle(), [link.clone()]);
    assert_eq!(app.ok("take_links", json!({})), json!([link]));
    assert_eq!(app.ok("take_links", json!({})), json!([]));
    wait_until("the announcement", || *announced.lock().unwrap() == 1);
}

#[test]
fn offers_notify_and_update_the_status_line() {
    let (_da, a, _db, b) = paired();
    let file = b.dir.join("notes.txt");
    std::fs::write(&file, b"hello from beta").unwrap();
    let node = b.node();
    let path = file.clone();
    let pushing = std::thread::spawn(move || {
        tauri::async_runtime::block_on(node.push(
            "alpha",
            ferry_core::PushRequest {
                paths: vec![path],
                text: None,
            },
        ))
    });
    wait_until("the offer notice", || {
        !a.seen.lock().unwrap().notices.is_empty()
    });
    {
        let seen = a.seen.lock().unwrap();
        assert_eq!(seen.notices[0].title, "beta wants to send you notes.txt");
        assert_eq!(seen.statuses, ["1 offer waiting"]);
    }
    assert_eq!(
        a.ok("respond_offer", json!({"offerId": 1, "accept": true})),
        json!(true)
    );
    pushing.join().unwrap().unwrap();
    wait_until("the arrival notice", || {
        a.seen.lock().unwrap().notices.len() == 2
    });
    let seen = a.seen.lock().unwrap();
    assert_eq!(seen.notices[1].title, "Received notes.txt from beta");
    assert_eq!(seen.statuses.last().unwrap(), "Ready to receive");
    assert_eq!(
        std::fs::read(a.downloads().join("notes.txt")).unwrap(),
        b"hello from beta"
    );
}

#[test]
fn collections_are_shared_and_their_status_lists_members() {
    let (_da, a, _db, b) = paired();
    let folder = a.dir.join("Shared");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("plan.md"), b"# plan").unwrap();
    tauri::async_runtime::block_on(a.node().collections().create("Family", Some(&folder))).unwrap();
    let accepted = a.ok(
        "collection_invite",
        json!({"name": "Family", "device": "beta"}),
    );
    assert_eq!(accepted, json!(false));
    let invites = b.ok("collection_invites", json!({}));
    assert_eq!(invites[0]["name"], "Family");
    assert_eq!(invites[0]["from"], "alpha");
    let into = b.dir.join("Family");
    let joined = b.ok(
        "accept_invite",
        json!({"name": "Family", "dir": into.display().to_string()}),
    );
    assert_eq!(joined["name"], "Family");
    wait_until("the file in the new member's folder", || {
        into.join("plan.md").exists()
    });
    let status = a.ok("collection_status", json!({"name": "Family"}));
    let names: Vec<&str> = status["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"alpha") && names.contains(&"beta"),
        "{names:?}"
    );
    assert_eq!(status["files"], json!(1.0));
    assert_eq!(
        status["keep"],
        json!({"days": 30.0, "max_percent": 10.0, "max_bytes": null})
    );
    assert_eq!(status["kept_bytes"], json!(0.0));
    // History settings: a week within 2 GiB, then off.
    let week = json!({"days": 7.0, "max_percent": null, "max_bytes": 2147483648.0});
    let status = a.ok(
        "collection_set_keep",
        json!({"name": "Family", "keep": week}),
    );
    assert_eq!(status["keep"], week);
    assert_eq!(
        a.ok("collection_status", json!({"name": "Family"}))["keep"],
        week
    );
    let bad = a.err(
        "collection_set_keep",
        json!({"name": "Family", "keep": {"days": 7.5, "max_percent": null, "max_bytes": null}}),
    );
    assert_eq!(bad["kind"], "invalid_input");
    let bad = a.err(
        "collection_set_keep",
        json!({"name": "Family", "keep": {"days": 7.0, "max_percent": 400.0, "max_bytes": null}}),
    );
    assert_eq!(bad["kind"], "invalid_input");
    let err = a.err("collection_status", json!({"name": "Nope"}));
    assert_eq!(err["kind"], "not_found");
}
