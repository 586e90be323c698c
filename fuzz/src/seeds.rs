//! Writes the seed corpora: `cargo run --bin seeds` in fuzz/ (run.sh does
//! it when a folder is missing). The seeds come from Ferry's own encoders,
//! so they stay valid when a format changes.

use std::{fs, path::Path};

fn main() -> std::io::Result<()> {
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
