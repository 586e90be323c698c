//! Writes the seed corpora into fuzz/seeds/ (run.sh runs it, with
//! `-runs=0`, when that folder is missing; delete the folder to make them
//! again). The seeds come from Ferry's own encoders, so they stay valid when
//! a format changes. It is built as a fuzz target only so that it links
//! against the same instrumented build; it fuzzes nothing.

#![no_main]

use std::{fs, path::Path};

fn write_seeds() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for (target, bytes) in ferry_core::fuzz::seeds() {
        let n = counts.entry(target).or_default();
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(format!("seed-{n:02}")), bytes)?;
        *n += 1;
    }
    for (target, n) in counts {
        println!("{target}: {n} seeds");
    }
    Ok(())
}

libfuzzer_sys::fuzz_target!(
    init: {
        if let Err(e) = write_seeds() {
            eprintln!("cannot write the seeds: {e}");
            std::process::exit(1);
        }
    },
    |_data: &[u8]| {}
);
