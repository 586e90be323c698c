//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`).
//!
//! Each takes arbitrary bytes, feeds them to the code that reads peer or
//! user input, and panics only where an invariant of that code breaks; an
//! input that is merely refused is fine. Nothing here is part of Ferry's
//! API.

use std::{
    path::{Component, PathBuf},
    str::FromStr,
    sync::atomic::{AtomicU64, Ordering},
};

use iroh_blobs::Hash;
use iroh_tickets::Ticket;

use crate::{
    collections::model::{Member, Version, check_path},
    net::ticket::{self, AnyTicket, PairTicket, ShareTicket},
    pairing, safe_path,
    store::Device,
};

/// Ticket text of every kind and link form, and raw ticket payloads.
///
/// Invariants: whatever parses prints back to a text that parses to the
/// same ticket; a payload that decodes is exactly what encoding gives.
pub fn tickets(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = ticket::link_payload(&text);
    match AnyTicket::from_str(&text) {
        Ok(AnyTicket::Share(t)) => {
            assert_eq!(ShareTicket::from_str(&t.to_string()).ok(), Some(t));
        }
        Ok(AnyTicket::Blob(t)) => match AnyTicket::from_str(&t.to_string()) {
            Ok(AnyTicket::Blob(again)) => assert_eq!(again, t),
            other => panic!("a blob ticket reads back as {other:?}"),
        },
        Err(_) => {}
    }
    if let Ok(t) = PairTicket::from_str(&text) {
        assert_eq!(PairTicket::from_str(&t.to_string()).ok(), Some(t));
    }
    if let Ok(t) = ShareTicket::decode_bytes(data) {
        assert_eq!(t.encode_bytes(), data);
    }
    if let Ok(t) = PairTicket::decode_bytes(data) {
        assert_eq!(t.encode_bytes(), data);
    }
    if let Ok(t) = ticket::decode_blob_bytes(data) {
        assert_eq!(t.encode_bytes(), data);
    }
}

/// A stream of frames (4-byte big-endian length, body), each body read as
/// every message Ferry's protocols exchange: offers and replies, pairing
/// requests and answers, invitations and their replies.
pub fn frames(data: &[u8]) {
    pairing::fuzz_messages(data);
    let mut rest = data;
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = u32::from_be_bytes(*len) as usize;
        if len > crate::net::frame::MAX_FRAME || len > tail.len() {
            return;
        }
        let (body, tail) = tail.split_at(len);
        crate::push::fuzz_offer(body);
        crate::collections::decode_invite(body);
        rest = tail;
    }
}

/// A collection entry: the first two bytes say the value's size, the rest
/// is the key, read as a file version and as a member record.
///
/// Invariants: a version that decodes has a path `check_path` and
/// `sanitize` accept, names nothing invisible, and encodes back to a key
/// that decodes to the same version; likewise a member record.
pub fn collection_entry(data: &[u8]) {
    let Some((size, key)) = data.split_first_chunk::<2>() else {
        return;
    };
    let size = u64::from(u16::from_be_bytes(*size));
    for hash in [Hash::new(key), crate::collections::model::marker_hash()] {
        let Ok(version) = Version::decode(key, hash, size) else {
            continue;
        };
        assert!(check_path(&version.path).is_ok(), "{:?}", version.path);
        assert!(safe_path::sanitize(&version.path).is_ok());
        assert_clean_name(&version.device_name);
        let (key, hash, size) = version.encode();
        assert_eq!(Version::decode(&key, hash, size).ok(), Some(version));
    }
    if let Ok(member) = Member::decode(key) {
        assert_clean_name(&member.name);
        let (key, ..) = member.encode();
        assert_eq!(Member::decode(&key).ok(), Some(member));
    }
}

/// Device names from peers: up to eight names (separated by NUL bytes),
/// cleaned, told apart, and looked up again.
///
/// Invariants: a cleaned name has nothing invisible, keeps its bounds and
/// cleans to itself; no two names shown are alike; each device is found by
/// its full id and by the name it is shown with.
pub fn device_names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let devices: Vec<Device> = text
        .split('\0')
        .take(8)
        .enumerate()
        .map(|(i, raw)| {
            let name = crate::names::clean_name(raw);
            assert_clean_name(&name);
            assert_eq!(crate::names::clean_name(&name), name, "{raw:?}");
            // Ids that share prefixes, as an attacker grinding keys would make.
            let mut id = format!("{:x}", i % 3).repeat(12);
            id.push_str(&format!("{i:052x}"));
            Device {
                id,
                name,
                auto_accept: false,
                paired_at_ms: i as i64,
                addrs: Vec::new(),
                relay: None,
            }
        })
        .collect();
    let shown = pairing::fuzz_labels(&devices);
    let unique: std::collections::HashSet<String> =
        shown.iter().map(|d| d.name.to_lowercase()).collect();
    assert_eq!(unique.len(), shown.len(), "{shown:?}");
    for device in &shown {
        for query in [device.id.as_str(), device.name.as_str()] {
            match pairing::fuzz_resolve(&devices, query) {
                Some(found) => assert_eq!(found, device.id, "{query:?} in {shown:?}"),
                None => panic!("{query:?} finds nothing in {shown:?}"),
            }
        }
    }
}

fn assert_clean_name(name: &str) {
    assert!(!name.is_empty() && name.chars().count() <= 64, "{name:?}");
    assert_eq!(name.trim(), name, "{name:?}");
    let hidden = |c: char| c.is_control() || crate::names::is_format_char(c);
    assert!(!name.chars().any(hidden), "{name:?}");
}

/// A peer's file name, sanitized and published into a fresh folder twice:
/// once where the name is free, once where it is taken.
///
/// Invariants: a sanitized path has only plain components, keeps the depth
/// and length bounds, and stays under the folder it is joined to; publish
/// never replaces an existing file, and the content it moved is exactly
/// at the path it returns, inside the target folder.
pub fn safe_path(data: &[u8]) {
    let name = String::from_utf8_lossy(data);
    let dir_form = safe_path::sanitize_dir(&name);
    let Ok(rel) = safe_path::sanitize(&name) else {
        return;
    };
    assert!(dir_form.is_ok(), "{name:?}");
    assert!(rel.components().all(|c| matches!(c, Component::Normal(_))));
    assert!(rel.components().count() <= 64 && rel.as_os_str().len() <= 4096);
    for c in rel.components() {
        assert!(c.as_os_str().len() <= 255, "{name:?}");
    }
    let Some(scratch) = Scratch::new() else {
        return;
    };
    let root = scratch.0.join("out");
    assert!(root.join(&rel).starts_with(&root));
    if std::fs::create_dir(&root).is_err() {
        return;
    }
    let (Ok(parent), Some(file_name)) = (
        safe_path::create_parents(&root, &rel),
        rel.file_name().and_then(|n| n.to_str()),
    ) else {
        return;
    };
    assert!(parent.starts_with(&root), "{parent:?}");
    for (round, content) in [b"first".as_slice(), b"second"].into_iter().enumerate() {
        let temp = scratch.0.join(format!("temp{round}"));
        if std::fs::write(&temp, content).is_err() {
            return;
        }
        let before = std::fs::read(parent.join(file_name)).ok();
        match safe_path::publish(&temp, &parent, file_name) {
            Ok(path) => {
                assert!(path.starts_with(&parent), "{path:?}");
                assert_eq!(std::fs::read(&path).ok().as_deref(), Some(content));
                if round == 1 {
                    // The name was taken: the first file is untouched.
                    assert_ne!(path, parent.join(file_name));
                    assert_eq!(before.as_deref(), Some(b"first".as_slice()));
                    assert_eq!(
                        std::fs::read(parent.join(file_name)).ok(),
                        before,
                        "{name:?}"
                    );
                }
            }
            // A name with no free variant, or one the file system refuses.
            Err(_) => assert!(temp.exists()),
        }
    }
}

/// A folder of its own under the system temp folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Option<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ferry-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ok()?;
        Some(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Seed inputs for each target, made by the encoders the targets read
/// back: valid tickets of every kind, frames, entry keys, tricky names.
/// `fuzz/src/seeds.rs` writes them to `fuzz/seeds/TARGET/`.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    use iroh::EndpointAddr;
    use iroh_blobs::{BlobFormat, ticket::BlobTicket};

    let id = iroh::SecretKey::from_bytes(&[7; 32]).public();
    let lan = EndpointAddr::new(id).with_ip_addr(([192, 168, 1, 20], 41000).into());
    let relayed = match "https://relay.example".parse() {
        Ok(url) => lan.clone().with_relay_url(url),
        Err(_) => lan.clone(),
    };
    let share = ShareTicket {
        addr: lan.clone(),
        root: Hash::new(b"root"),
        text_entry: Some(3),
    };
    let share_relayed = ShareTicket {
        addr: relayed,
        root: Hash::new(b"root"),
        text_entry: None,
    };
    let pair = PairTicket {
        addr: lan.clone(),
        secret: [5; 16],
        expires_at: 1_800_000_000,
    };
    let blob = BlobTicket::new(lan.clone(), Hash::new(b"blob"), BlobFormat::HashSeq);
    let raw = BlobTicket::new(lan, Hash::new(b"raw"), BlobFormat::Raw);
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let mut texts = vec![
        share.to_string(),
        format!("ferry://{share_relayed}/"),
        share.to_string().to_uppercase(),
        pair.to_string(),
        blob.to_string(),
        raw.to_string(),
    ];
    texts.push(format!("{}{}", share, &share.to_string()[5..]));
    out.extend(texts.into_iter().map(|t| ("tickets", t.into_bytes())));
    for bytes in [
        share.encode_bytes(),
        pair.encode_bytes(),
        blob.encode_bytes(),
    ] {
        out.push(("tickets", bytes));
    }

    let framed = |body: Vec<u8>| {
        let mut f = u32::try_from(body.len())
            .unwrap_or(0)
            .to_be_bytes()
            .to_vec();
        f.extend(body);
        f
    };
    let mut bodies = crate::push::fuzz_seed_frames();
    bodies.push(crate::collections::fuzz_seed_invite());
    let all: Vec<u8> = bodies.iter().cloned().flat_map(framed).collect();
    out.extend(bodies.into_iter().map(|b| ("frames", framed(b))));
    out.push(("frames", all));
    out.extend(
        pairing::fuzz_seed_messages()
            .into_iter()
            .map(|m| ("frames", m)),
    );

    let version = Version {
        path: "album/a.jpg".into(),
        id: [1; 16],
        parents: vec![[2; 16]],
        content: Some((Hash::new(b"a"), 5)),
        device: [3; 32],
        device_name: "Laptop".into(),
        time_us: 1_700_000_000_000_000,
    };
    let deleted = Version {
        content: None,
        parents: Vec::new(),
        ..version.clone()
    };
    let member = Member {
        device: [4; 32],
        name: "Phone".into(),
        addrs: vec![([10, 0, 0, 7], 41001).into()],
        left: false,
        time_us: 1,
    };
    for (key, _, size) in [version.encode(), deleted.encode(), member.encode()] {
        let mut entry = u16::try_from(size)
            .unwrap_or(u16::MAX)
            .to_be_bytes()
            .to_vec();
        entry.extend(key);
        out.push(("collection_entry", entry));
    }

    for names in [
        "Laptop\0laptop\0Phone",
        "deadbeef\0abc\0Laptop (00000000)\0Laptop",
        "Ada\u{202e}enohp\0\u{200b}\0\u{2066}Laptop\u{2069}",
    ] {
        out.push(("device_names", names.as_bytes().to_vec()));
    }

    let long = "x".repeat(255);
    for name in [
        "a.txt",
        "album/sub/ö.txt",
        "../etc/passwd",
        "/abs",
        "a\\b",
        "C:x",
        "CON",
        "lpt1.txt",
        "trailing. ",
        "a//b",
        "dir/",
        "x (1).txt",
        ".ferry-partial/0000.part",
        "photo\u{202e}gpj.exe",
        long.as_str(),
    ] {
        out.push(("safe_path", name.as_bytes().to_vec()));
    }
    out
}
