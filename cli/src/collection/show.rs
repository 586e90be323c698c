//! How `ferry collection` shows a collection's list, status and history:
//! JSON Lines under `--json`, tables for people.

use ferry_core::{CollectionInfo, CollectionStatus, Invite, VersionInfo};
use serde_json::json;

use super::info_json;
use crate::{history::format_time, output};

/// The collections and the invitations that wait.
pub(super) fn list(json: bool, list: &[CollectionInfo], invites: &[Invite]) {
    if json {
        for info in list {
            output::json_line(info_json("collection", info));
        }
        for invite in invites {
            output::json_line(json!({"event": "invite", "name": invite.name,
                                     "from": invite.from,
                                     "received_at_ms": invite.received_at_ms}));
        }
        return;
    }
    if list.is_empty() && invites.is_empty() {
        println!("No collections yet. Create one with: ferry collection create NAME --dir DIR");
    }
    for info in list {
        let place = info
            .dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "(no folder)".into());
        println!(
            "{:<20} {:>6} {:>10}  {}  {}",
            info.name,
            output::count(info.files, "file", "files"),
            output::bytes(info.bytes),
            output::count(info.members as u64, "member", "members"),
            place
        );
    }
    for invite in invites {
        println!(
            "{:<20} invited by {} on {}: ferry collection accept {} --dir DIR",
            invite.name,
            invite.from.name,
            format_time(invite.received_at_ms),
            invite.name
        );
    }
}

/// A collection's members, files, pending downloads and conflicts.
pub(super) fn status(json: bool, status: &CollectionStatus) {
    if json {
        output::json_line(output::tagged(status, "collection-status"));
        return;
    }
    println!("\"{}\"", status.name);
    match &status.dir {
        Some(dir) => println!("  folder:    {}", dir.display()),
        None => println!("  folder:    none (files are fetched on demand)"),
    }
    println!(
        "  files:     {} ({})",
        status.files,
        output::bytes(status.bytes)
    );
    if status.pending_files > 0 {
        println!(
            "  to fetch:  {} ({})",
            output::count(status.pending_files, "file", "files"),
            output::bytes(status.pending_bytes)
        );
    }
    if status.dir.is_some() {
        println!(
            "  history:   {}; {} kept now",
            status.keep,
            output::bytes(status.kept_bytes)
        );
    }
    println!(
        "  last sync: {}",
        status
            .last_sync_ms
            .map(format_time)
            .unwrap_or_else(|| "never".into())
    );
    println!("  members:");
    for m in &status.members {
        let state = if m.this_device {
            "this device"
        } else if m.online {
            "online"
        } else {
            "offline"
        };
        println!("    {:<24} {}", m.name, state);
    }
    if !status.conflicts.is_empty() {
        println!("  conflicts (delete a copy to resolve it):");
        for c in &status.conflicts {
            println!("    {c}");
        }
    }
}

/// The versions of a file.
pub(super) fn history(json: bool, versions: &[VersionInfo]) {
    if json {
        for v in versions {
            output::json_line(output::tagged(v, "version"));
        }
        return;
    }
    for v in versions {
        let what = if v.deleted {
            "deleted".to_string()
        } else {
            output::bytes(v.size)
        };
        let mark = match (v.current, v.deleted || v.here) {
            (true, true) => "  (current)",
            (true, false) => "  (current, not on this device)",
            (false, true) => "",
            (false, false) => "  (not kept here)",
        };
        println!(
            "{:>3}  {}  {:<20} {:>10}{mark}",
            v.number,
            format_time(v.time_ms),
            v.device,
            what,
        );
    }
}
