//! `ferry receive`: show what a ticket offers, then fetch it into a folder.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use clap::Args;
use ferry_core::{AnyTicket, Event, Offer};
use serde_json::json;

use crate::{CliResult, Failure, Globals, output};

/// Options of `ferry receive`.
#[derive(Debug, Args)]
pub struct ReceiveArgs {
    /// The ticket from `ferry send` (or a `blob…` ticket from sendme).
    ticket: String,

    /// The folder to write into (default: the current folder).
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub async fn run(globals: &Globals, args: ReceiveArgs) -> CliResult {
    let ticket: AnyTicket = args
        .ticket
        .parse()
        .map_err(|e| Failure::usage(format!("invalid ticket: {e}")))?;
    let out = match args.out {
        Some(dir) => dir,
        None => std::env::current_dir()
            .map_err(|e| Failure::failed(format!("cannot read the current folder: {e}")))?,
    };
    let node = globals.start_node().await?;
    let result = fetch(globals, &node, &ticket, out).await;
    node.shutdown().await;
    result
}

async fn fetch(
    globals: &Globals,
    node: &ferry_core::Node,
    ticket: &AnyTicket,
    out: PathBuf,
) -> CliResult {
    let spinner = (!globals.json).then(|| output::spinner("Connecting…"));
    let offer = node.transfers().offer(ticket).await;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let offer = offer.map_err(|e| Failure::from_kind(e.kind(), e))?;
    show_offer(globals, &offer);

    let bar = (!globals.json).then(|| output::byte_bar(offer.bytes, "Receiving"));
    let mut events = node.events();
    let json = globals.json;
    let progress_bar = bar.clone();
    let reporter = tokio::spawn(async move {
        let started = Instant::now();
        let mut last_json = Instant::now() - Duration::from_secs(1);
        while let Some(event) = events.recv().await {
            match event {
                Event::ReceiveProgress {
                    bytes_done,
                    bytes_total,
                    bytes_transferred,
                    files_done,
                    files_total,
                    path,
                    ..
                } => {
                    if let Some(bar) = &progress_bar {
                        bar.set_length(bytes_total);
                        bar.set_position(bytes_done);
                        bar.set_message(format!(
                            "{files_done}/{files_total} files, {}",
                            path.as_str()
                        ));
                    }
                    if json && last_json.elapsed() >= Duration::from_millis(200) {
                        last_json = Instant::now();
                        let secs = started.elapsed().as_secs_f64().max(1e-3);
                        let rate = bytes_transferred as f64 / secs;
                        let eta_ms = (rate > 0.0).then(|| {
                            ((bytes_total.saturating_sub(bytes_done)) as f64 / rate * 1000.0) as u64
                        });
                        output::json_line(json!({
                            "event": "progress",
                            "bytes_done": bytes_done,
                            "bytes_total": bytes_total,
                            "bytes_transferred": bytes_transferred,
                            "files_done": files_done,
                            "files_total": files_total,
                            "rate_bytes_per_sec": rate as u64,
                            "eta_ms": eta_ms,
                            "path": path.as_str(),
                        }));
                    }
                }
                Event::NameRejected { name, reason, .. } => {
                    if json {
                        output::json_line(
                            json!({"event": "rejected", "name": name, "reason": reason}),
                        );
                    } else if let Some(bar) = &progress_bar {
                        bar.println(format!("skipped unsafe name {name}: {reason}"));
                    }
                }
                _ => {}
            }
        }
    });
    let report = node.transfers().receive(offer, &out).await;
    reporter.abort();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = report.map_err(|e| Failure::from_kind(e.kind(), e))?;
    if globals.json {
        output::json_line(json!({
            "event": "done",
            "files": report.files,
            "bytes": report.bytes,
            "bytes_transferred": report.bytes_transferred,
            "elapsed_ms": report.elapsed.as_millis() as u64,
            "path": report.path.as_str(),
            "out": out.display().to_string(),
            "rejected": report.rejected.len(),
            "text": report.text,
        }));
    } else {
        if let Some(text) = &report.text {
            println!("Text:\n{text}\n");
        }
        let secs = report.elapsed.as_secs_f64().max(1e-3);
        if report.files == 0 && report.rejected.is_empty() {
            return Ok(());
        }
        println!(
            "Received {} ({}) into {} in {:.1} s, {}/s over a {} path{}.",
            output::count(report.files, "file", "files"),
            output::bytes(report.bytes),
            out.display(),
            secs,
            output::bytes((report.bytes_transferred as f64 / secs) as u64),
            report.path.as_str(),
            if report.bytes_transferred < report.bytes {
                format!(
                    "; {} were already here",
                    output::bytes(report.bytes - report.bytes_transferred)
                )
            } else {
                String::new()
            }
        );
    }
    if !report.rejected.is_empty() {
        return Err(Failure::failed(format!(
            "{} skipped: the sender used unsafe names",
            output::count(report.rejected.len() as u64, "entry was", "entries were"),
        )));
    }
    Ok(())
}

fn show_offer(globals: &Globals, offer: &Offer) {
    if globals.json {
        let names: Vec<&str> = offer.entries.iter().map(|e| e.name.as_str()).collect();
        output::json_line(json!({
            "event": "offer",
            "sender": offer.sender.to_string(),
            "files": offer.files,
            "bytes": offer.bytes,
            "names": names,
            "text": offer.text,
            "path": offer.path.as_str(),
        }));
        return;
    }
    let what = match (offer.files, offer.text.is_some()) {
        (0, true) => "a text snippet".to_string(),
        (n, text) => format!(
            "{} ({}){}",
            output::count(n, "file", "files"),
            output::bytes(offer.bytes),
            if text { " and a text snippet" } else { "" }
        ),
    };
    println!("Offered by {}: {what}", offer.sender.fmt_short());
    const SHOWN: usize = 10;
    for entry in offer.entries.iter().take(SHOWN) {
        let size = if entry.is_dir {
            "folder".to_string()
        } else {
            output::bytes(entry.size)
        };
        println!("  {:>10}  {}", size, entry.name);
    }
    if offer.entries.len() > SHOWN {
        println!("  … and {} more", offer.entries.len() - SHOWN);
    }
}
