//! Properties of the one function that maps a peer's name to a path
//! (`sanitize`) and of the one that places a finished file (`publish`),
//! checked on generated names (proptest). The fuzz targets in `fuzz/` check
//! the same on mutated bytes for longer.

#![allow(clippy::unwrap_used)]

use std::path::{Component, Path};

use ferry_core::safe_path::{numbered_name, publish, sanitize, sanitize_dir};
use proptest::prelude::*;

/// Pieces peer names are made of, hostile ones weighted up.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._-]{1,12}",
        2 => Just("/".to_string()),
        1 => Just("..".to_string()),
        1 => Just(".".to_string()),
        1 => Just("\\".to_string()),
        1 => Just("C:".to_string()),
        1 => Just("CON".to_string()),
        1 => Just("//?/".to_string()),
        1 => Just("\0".to_string()),
        1 => Just("\u{202e}".to_string()),
        1 => Just("ö".to_string()),
        1 => "\\PC{1,4}",
        1 => "[a-z]{200,300}",
    ]
}

fn peer_name() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 1..12).prop_map(|p| p.concat())
}

/// A file name `sanitize` accepts as one component.
fn file_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._()-]{1,255}".prop_filter("a name sanitize accepts", |n| {
        sanitize(n).is_ok_and(|p| p.components().count() == 1)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_sanitized_path_has_plain_components_within_bounds_and_stays_under_its_root(
        name in peer_name(),
    ) {
        let Ok(rel) = sanitize(&name) else {
            return Ok(());
        };
        prop_assert!(rel.is_relative());
        prop_assert!(rel.components().all(|c| matches!(c, Component::Normal(_))), "{rel:?}");
        prop_assert!(rel.components().count() <= 64);
        prop_assert!(rel.as_os_str().len() <= 4096);
        for c in rel.components() {
            prop_assert!(c.as_os_str().len() <= 255);
        }
        let root = Path::new("/srv/inbox");
        let joined = root.join(&rel);
        prop_assert!(joined.starts_with(root));
        // Nothing in it climbs: resolving `..` lexically changes nothing.
        prop_assert_eq!(joined.components().count(), root.components().count() + rel.components().count());
        // The same name as a folder reads the same.
        prop_assert_eq!(sanitize_dir(&format!("{name}/")).ok(), Some(rel));
    }

    #[test]
    fn publish_never_replaces_a_file_and_puts_the_content_at_the_path_it_returns(
        name in file_name(),
        taken in 0u32..4,
        content in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        // Given a folder where the name and its first numbered variants exist.
        let dir = tempfile::tempdir().unwrap();
        let existing: Vec<_> = (0..taken)
            .map(|n| {
                let path = dir.path().join(numbered_name(&name, n));
                std::fs::write(&path, format!("existing {n}")).ok().map(|()| path)
            })
            .collect();
        let temp = dir.path().join(".incoming.tmp");
        std::fs::write(&temp, &content).unwrap();

        // When a finished file is published under that name.
        let result = publish(&temp, dir.path(), &name);

        // Then no existing file changed.
        for (n, path) in existing.iter().enumerate() {
            if let Some(path) = path {
                prop_assert_eq!(std::fs::read_to_string(path).unwrap(), format!("existing {n}"));
            }
        }
        match result {
            // And the content is exactly at the path returned, a new one.
            Ok(path) => {
                prop_assert_eq!(path.parent(), Some(dir.path()));
                prop_assert!(!existing.iter().flatten().any(|p| *p == path));
                prop_assert_eq!(std::fs::read(&path).unwrap(), content);
                prop_assert!(!temp.exists());
            }
            // Or, where no name was free, nothing moved.
            Err(_) => prop_assert_eq!(std::fs::read(&temp).unwrap(), content),
        }
    }
}
