//! Pushes across the network lab (see `ferry_tests::lab`): a laptop behind
//! a cone NAT pushes 256 MiB to a phone behind another cone NAT (a
//! hole-punched, direct path) and to a tablet behind a symmetric NAT
//! (relayed). Reports the time to the first byte, the throughput from the
//! offer's acceptance to the end,
//! and how long the connection took to move from the relay to a direct
//! path (from iroh's own path events in the pusher's log).
//!
//! ```sh
//! cargo build --release -p ferry-cli
//! cargo bench -p ferry-tests --bench lab            # 3 runs; `-- --runs N`
//! ```
//!
//! Needs root and the lab's tools, like the lab tests (`FERRY_LAB_TOOLS`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use ferry_tests::{
    Running,
    lab::{Lab, LanRules, Nat},
    random_bytes, write_file,
};
use tokio::io::{AsyncBufReadExt, BufReader};

const SIZE: usize = 256 * 1024 * 1024;

/// One push's numbers.
#[derive(Debug, Clone, Copy)]
struct Sample {
    first_byte: Duration,
    mib_per_s: f64,
    /// Whether the first path the pusher used was the relay.
    started_relayed: bool,
    /// From the first connection to a direct path selected (zero when it
    /// was direct from the start).
    to_direct: Option<Duration>,
}

/// A log line without its colours.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Skip to the end of the escape sequence (a letter).
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Pushes `src` to `device` and times it.
async fn push(lab: &Lab, host: usize, dir: &Path, device: &str, src: &Path) -> Sample {
    let mut cmd = lab.ferry(host, dir);
    cmd.args(["push", device])
        .arg(src)
        .env(
            "RUST_LOG",
            if std::env::var_os("LAB_BENCH_LOG").is_some() {
                "iroh=debug,iroh_relay=debug"
            } else {
                "iroh::_events=debug"
            },
        )
        .stderr(match std::env::var_os("LAB_BENCH_LOG") {
            Some(file) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .unwrap()
                .into(),
            None => Stdio::piped(),
        });
    let started = Instant::now();
    let mut running = Running::spawn(cmd);
    let stderr = running.child.stderr.take();
    // The path events, timed as they come.
    let log = tokio::spawn(async move {
        let Some(stderr) = stderr else {
            return (None, false, None);
        };
        let mut lines = BufReader::new(stderr).lines();
        let (mut connected, mut first, mut direct) = (None, None, None);
        while let Ok(Some(line)) = lines.next_line().await {
            let at = started.elapsed();
            let line = plain(&line);
            if connected.is_none() && line.contains("_events::conn::connected") {
                connected = Some(at);
            }
            if line.contains("_events::path::selected") {
                let ip = line.contains("network_path=Ip(");
                first.get_or_insert(!ip);
                if ip && direct.is_none() {
                    direct = Some(at);
                }
            }
        }
        (connected, first.unwrap_or(false), direct)
    });
    let (mut first_byte, mut accepted) = (None, None);
    loop {
        let event = running.next_any().await;
        if event["event"] == "accepted" {
            accepted = Some(started.elapsed());
        }
        if first_byte.is_none()
            && event["event"] == "progress"
            && event["bytes_done"].as_u64().unwrap_or(0) > 0
        {
            first_byte = Some(started.elapsed());
        }
        if event["event"] == "done" {
            break;
        }
        assert_ne!(event["event"], "queued", "{event}");
    }
    let done = started.elapsed();
    assert!(running.success().await);
    let (connected, started_relayed, direct) = log.await.unwrap();
    let first_byte = first_byte.expect("progress events");
    Sample {
        first_byte,
        mib_per_s: SIZE as f64
            / (1024.0 * 1024.0)
            / (done - accepted.expect("an accepted event")).as_secs_f64(),
        started_relayed,
        to_direct: direct.zip(connected).map(|(d, c)| d.saturating_sub(c)),
    }
}

/// One lab: the phone is paired at home, then moves behind another cone
/// NAT; the tablet sits behind a symmetric NAT. Pushes: to the phone just
/// after its move, to the phone again, to the tablet.
async fn run_once(srcs: &[PathBuf; 3]) -> [Sample; 3] {
    let mut lab = Lab::build(&[
        (Nat::Cone, LanRules::default()),
        (Nat::Cone, LanRules::default()),
        (Nat::Symmetric, LanRules::default()),
    ])
    .await
    .expect("building the lab needs root, nftables and the lab servers");
    let (laptop, phone, tablet) = (
        lab.add_host(1).unwrap(),
        lab.add_host(1).unwrap(),
        lab.add_host(3).unwrap(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let dirs = ["laptop", "phone", "tablet"].map(|n| tmp.path().join(n));
    lab.pair((laptop, &dirs[0], "Laptop"), (phone, &dirs[1], "Phone"))
        .await
        .unwrap();
    lab.pair((laptop, &dirs[0], "Laptop"), (tablet, &dirs[2], "Tablet"))
        .await
        .unwrap();
    lab.move_host(phone, 2).unwrap();

    let phone_runs = lab.listen(phone, &dirs[1], &tmp.path().join("p")).await;
    let tablet_runs = lab.listen(tablet, &dirs[2], &tmp.path().join("t")).await;
    let moved = push(&lab, laptop, &dirs[0], "Phone", &srcs[0]).await;
    let again = push(&lab, laptop, &dirs[0], "Phone", &srcs[1]).await;
    let relayed = push(&lab, laptop, &dirs[0], "Tablet", &srcs[2]).await;
    phone_runs.stop().await;
    tablet_runs.stop().await;
    [moved, again, relayed]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn row(name: &str, samples: &[Sample]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let first = median(samples.iter().map(|s| ms(s.first_byte)).collect());
    let rate = median(samples.iter().map(|s| s.mib_per_s).collect());
    let relayed = samples.iter().filter(|s| s.started_relayed).count();
    let to_direct: Vec<f64> = samples.iter().filter_map(|s| s.to_direct.map(ms)).collect();
    let direct = match to_direct.len() {
        0 => "never".to_string(),
        n if n < samples.len() => format!("{:.0} ms ({n} of {})", median(to_direct), samples.len()),
        _ => format!("{:.0} ms", median(to_direct)),
    };
    let all: Vec<String> = samples
        .iter()
        .map(|s| format!("{:.0} ms / {:.0} MiB/s", ms(s.first_byte), s.mib_per_s))
        .collect();
    println!(
        "| {name} | {first:.0} | {rate:.0} | {relayed} of {} | {direct} | {} |",
        samples.len(),
        all.join(", ")
    );
}

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(3usize);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let data = tempfile::tempdir().unwrap();
        // A new file for each push: nothing is known to the receiver.
        let srcs = [0u64, 1, 2].map(|i| data.path().join(format!("video-{i}")));
        for (i, src) in srcs.iter().enumerate() {
            write_file(&src.join("clip.mp4"), &random_bytes(SIZE, 42 + i as u64));
        }
        let mut rows: [Vec<Sample>; 3] = Default::default();
        for i in 0..runs {
            let samples = run_once(&srcs).await;
            eprintln!("run {}: {samples:?}", i + 1);
            for (row, sample) in rows.iter_mut().zip(samples) {
                row.push(sample);
            }
        }
        println!("256 MiB push across the lab, median of {runs}:\n");
        println!(
            "| push | first byte (ms) | MiB/s | started relayed | relay to direct | all runs |"
        );
        println!("|---|---:|---:|---|---|---|");
        row("to a phone just moved behind another cone NAT", &rows[0]);
        row("to the same phone again (hole-punched)", &rows[1]);
        row("to a tablet behind a symmetric NAT (relayed)", &rows[2]);
    });
}
