//! `ferry receive`: show what a ticket offers, then fetch it into a folder.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use clap::Args;
use ferry_core::AnyTicket;
use serde_json::{Value, json};

use crate::{
    CliResult, Failure, Globals, output,
    remote::{Backend, EventSource, Remote, absolute, operation_failure},
};

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
        // The running node has another working folder.
        Some(dir) => absolute(&dir)?,
        None => std::env::current_dir()
            .map_err(|e| Failure::failed(format!("cannot read the current folder: {e}")))?,
    };
    match globals.backend().await? {
        Backend::Local(node) => {
            let result = fetch(globals, &node, &ticket, out).await;
            node.shutdown().await;
            result
        }
        Backend::Remote(api) => fetch_remote(globals, &api, &args.ticket, out).await,
    }
}

/// What a ticket offers, as shown before receiving.
struct Shown {
    sender: String,
    files: u64,
    bytes: u64,
    /// Name, size, is a folder.
    entries: Vec<(String, u64, bool)>,
    text: Option<String>,
    path: String,
}

/// How a receive ended.
struct Received {
    files: u64,
    bytes: u64,
    bytes_transferred: u64,
    elapsed_ms: u64,
    path: String,
    rejected: usize,
    text: Option<String>,
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
    show_offer(
        globals,
        &Shown {
            sender: offer.sender.to_string(),
            files: offer.files,
            bytes: offer.bytes,
            entries: offer
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.size, e.is_dir))
                .collect(),
            text: offer.text.clone(),
            path: offer.path.as_str().to_string(),
        },
    );
    let mut progress = Progress::new(globals, offer.bytes);
    let mut events = EventSource::Local(node.events());
    let transfers = node.transfers();
    let receiving = transfers.receive(offer, &out);
    tokio::pin!(receiving);
    let report = loop {
        tokio::select! {
            report = &mut receiving => break report,
            Some(event) = events.next() => progress.show(&event),
        }
    };
    // What was emitted before the receive returned is queued: show it all.
    while let Some(event) = events.try_next() {
        progress.show(&event);
    }
    progress.finish();
    let report = report.map_err(|e| Failure::from_kind(e.kind(), e))?;
    done(
        globals,
        &out,
        Received {
            files: report.files,
            bytes: report.bytes,
            bytes_transferred: report.bytes_transferred,
            elapsed_ms: report.elapsed.as_millis() as u64,
            path: report.path.as_str().to_string(),
            rejected: report.rejected.len(),
            text: report.text,
        },
    )
}

/// The same, by the running node that owns the data dir: it fetches, this
/// process shows its events.
async fn fetch_remote(globals: &Globals, api: &Remote, ticket: &str, out: PathBuf) -> CliResult {
    let spinner = (!globals.json).then(|| output::spinner("Connecting…"));
    let offer: CliResult<Value> = api.call("shares.inspect", json!({"ticket": ticket})).await;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let offer = offer?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    show_offer(
        globals,
        &Shown {
            sender: text(&offer["sender"]),
            files: offer["files"].as_u64().unwrap_or(0),
            bytes: offer["bytes"].as_u64().unwrap_or(0),
            entries: offer["entries"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    let name = text(&e["name"]);
                    let is_dir = e["is_dir"].as_bool().unwrap_or(false);
                    // Folders are named with a trailing slash, as locally.
                    let name = if is_dir { format!("{name}/") } else { name };
                    (name, e["size"].as_u64().unwrap_or(0), is_dir)
                })
                .collect(),
            text: offer["text"].as_str().map(str::to_string),
            path: text(&offer["path"]),
        },
    );
    let root = text(&offer["root"]);
    let mut progress = Progress::new(globals, offer["bytes"].as_u64().unwrap_or(0));
    let mut events = EventSource::Remote(api.events().await?);
    let started: Value = api
        .call("shares.receive", json!({"ticket": ticket, "out": out}))
        .await?;
    let operation = started["operation"].clone();
    // The node's events are everybody's: this receive's are those of the
    // transfer that starts with this content.
    let mut transfer = None;
    let result = loop {
        let Some(event) = events.next().await else {
            progress.finish();
            return Err(Failure::failed("the running node stopped"));
        };
        match event["event"].as_str() {
            Some("receive_started") if transfer.is_none() && event["root"] == root.as_str() => {
                transfer = Some(event["transfer_id"].clone());
            }
            Some("operation_finished") if event["operation"] == operation => {
                break Ok(event["result"].clone());
            }
            Some("operation_failed") if event["operation"] == operation => {
                break Err(event["error"].clone());
            }
            // Refused names are shown from the result: the node's events
            // and the operation's end may arrive in either order.
            Some("receive_progress")
                if transfer.is_some()
                    && event["transfer_id"] == *transfer.as_ref().unwrap_or(&Value::Null) =>
            {
                progress.show(&event);
            }
            _ => {}
        }
    };
    if let Ok(result) = &result {
        for refused in result["rejected"].as_array().into_iter().flatten() {
            progress
                .show(&json!({"event": "name_rejected", "name": refused[0], "reason": refused[1]}));
        }
    }
    progress.finish();
    let result = result.map_err(|e| operation_failure(&e))?;
    done(
        globals,
        &out,
        Received {
            files: result["files"].as_u64().unwrap_or(0),
            bytes: result["bytes"].as_u64().unwrap_or(0),
            bytes_transferred: result["bytes_transferred"].as_u64().unwrap_or(0),
            elapsed_ms: result["elapsed_ms"].as_u64().unwrap_or(0),
            path: text(&result["path"]),
            rejected: result["rejected"].as_array().map_or(0, Vec::len),
            text: result["text"].as_str().map(str::to_string),
        },
    )
}

/// The progress bar (on a terminal) or progress lines (JSON), from the
/// receive's events.
struct Progress {
    json: bool,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last_json: Instant,
}

impl Progress {
    fn new(globals: &Globals, bytes: u64) -> Self {
        Self {
            json: globals.json,
            bar: (!globals.json).then(|| output::byte_bar(bytes, "Receiving")),
            started: Instant::now(),
            last_json: Instant::now() - Duration::from_secs(1),
        }
    }

    fn show(&mut self, event: &Value) {
        let n = |k: &str| event[k].as_u64().unwrap_or(0);
        match event["event"].as_str() {
            Some("receive_progress") => {
                let (bytes_done, bytes_total) = (n("bytes_done"), n("bytes_total"));
                let path = event["path"].as_str().unwrap_or_default();
                if let Some(bar) = &self.bar {
                    bar.set_length(bytes_total);
                    bar.set_position(bytes_done);
                    bar.set_message(format!(
                        "{}/{} files, {path}",
                        n("files_done"),
                        n("files_total")
                    ));
                }
                if self.json && self.last_json.elapsed() >= Duration::from_millis(200) {
                    self.last_json = Instant::now();
                    let secs = self.started.elapsed().as_secs_f64().max(1e-3);
                    let rate = n("bytes_transferred") as f64 / secs;
                    let eta_ms = (rate > 0.0).then(|| {
                        ((bytes_total.saturating_sub(bytes_done)) as f64 / rate * 1000.0) as u64
                    });
                    output::json_line(json!({
                        "event": "progress",
                        "bytes_done": bytes_done,
                        "bytes_total": bytes_total,
                        "bytes_transferred": n("bytes_transferred"),
                        "files_done": n("files_done"),
                        "files_total": n("files_total"),
                        "rate_bytes_per_sec": rate as u64,
                        "eta_ms": eta_ms,
                        "path": path,
                    }));
                }
            }
            Some("name_rejected") => {
                let (name, reason) = (&event["name"], &event["reason"]);
                if self.json {
                    output::json_line(json!({"event": "rejected", "name": name, "reason": reason}));
                } else if let Some(bar) = &self.bar {
                    bar.println(format!(
                        "skipped unsafe name {}: {}",
                        name.as_str().unwrap_or_default(),
                        reason.as_str().unwrap_or_default()
                    ));
                }
            }
            _ => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn done(globals: &Globals, out: &Path, report: Received) -> CliResult {
    if globals.json {
        output::json_line(json!({
            "event": "done",
            "files": report.files,
            "bytes": report.bytes,
            "bytes_transferred": report.bytes_transferred,
            "elapsed_ms": report.elapsed_ms,
            "path": report.path,
            "out": out.display().to_string(),
            "rejected": report.rejected,
            "text": report.text,
        }));
    } else {
        if let Some(text) = &report.text {
            println!("Text:\n{text}\n");
        }
        let secs = (report.elapsed_ms as f64 / 1000.0).max(1e-3);
        if report.files == 0 && report.rejected == 0 {
            return Ok(());
        }
        println!(
            "Received {} ({}) into {} in {:.1} s, {}/s over a {} path{}.",
            output::count(report.files, "file", "files"),
            output::bytes(report.bytes),
            out.display(),
            secs,
            output::bytes((report.bytes_transferred as f64 / secs) as u64),
            report.path,
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
    if report.rejected > 0 {
        return Err(Failure::failed(format!(
            "{} skipped: the sender used unsafe names",
            output::count(report.rejected as u64, "entry was", "entries were"),
        )));
    }
    Ok(())
}

fn show_offer(globals: &Globals, offer: &Shown) {
    if globals.json {
        let names: Vec<&str> = offer.entries.iter().map(|e| e.0.as_str()).collect();
        output::json_line(json!({
            "event": "offer",
            "sender": offer.sender,
            "files": offer.files,
            "bytes": offer.bytes,
            "names": names,
            "text": offer.text,
            "path": offer.path,
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
    let short = offer
        .sender
        .parse::<ferry_core::EndpointId>()
        .map(|id| id.fmt_short().to_string())
        .unwrap_or_else(|_| offer.sender.clone());
    println!("Offered by {short}: {what}");
    const SHOWN: usize = 10;
    for (name, size, is_dir) in offer.entries.iter().take(SHOWN) {
        let size = if *is_dir {
            "folder".to_string()
        } else {
            output::bytes(*size)
        };
        println!("  {:>10}  {}", size, name);
    }
    if offer.entries.len() > SHOWN {
        println!("  … and {} more", offer.entries.len() - SHOWN);
    }
}
