//! `ferry receive`: show what a ticket offers, then fetch it into a folder.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use clap::Args;
use ferry_core::{
    AnyTicket, ErrorKind, Event, OfferEntry,
    api::{
        call,
        params::{OfferInfo, ReceiveResult, ReceiveShare, TicketParam},
    },
};
use serde_json::json;

use crate::{
    CliResult, Failure, Globals,
    backend::{Backend, absolute, ended, operation_failure},
    output,
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
    // Check the ticket before starting anything.
    args.ticket
        .parse::<AnyTicket>()
        .map_err(|e| Failure::usage(format!("invalid ticket: {e}")))?;
    let out = match args.out {
        // The running node has another working folder.
        Some(dir) => absolute(&dir)?,
        None => std::env::current_dir().map_err(|e| {
            Failure::from_kind(
                ErrorKind::Storage,
                format!("cannot read the current folder: {e}"),
            )
        })?,
    };
    Backend::run(globals, async |node| {
        fetch(globals, node, args.ticket, out).await
    })
    .await?
}

/// Shows what the ticket offers, then has the node receive it while this
/// process shows its progress.
async fn fetch(globals: &Globals, node: &Backend, ticket: String, out: PathBuf) -> CliResult {
    let spinner = (!globals.json).then(|| output::spinner("Connecting…"));
    let offer = node
        .ask(
            call::SharesInspect,
            TicketParam {
                ticket: ticket.clone(),
            },
        )
        .await;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let offer = offer?;
    show_offer(globals, &offer);
    let mut progress = Progress::new(globals, offer.bytes);
    let mut events = node.subscribe().await?;
    let receive = ReceiveShare {
        ticket,
        out: Some(out.clone()),
    };
    let started = node.ask(call::SharesReceive, receive).await?;
    // The node's events are everybody's: this receive's are those of the
    // transfer that starts with this content.
    let mut transfer = None;
    let outcome = ended::<ReceiveResult>(&mut events, started, |event| match event {
        Event::ReceiveStarted {
            transfer_id, root, ..
        } if transfer.is_none() && *root == offer.root => transfer = Some(*transfer_id),
        Event::ReceiveProgress { transfer_id, .. } if transfer == Some(*transfer_id) => {
            progress.show(event)
        }
        _ => {}
    })
    .await;
    // Refused names are shown from the result: the node's events and the
    // operation's end may arrive in either order.
    if let Ok(Ok(result)) = &outcome {
        for (name, reason) in &result.rejected {
            progress.name_rejected(name, reason);
        }
    }
    progress.finish();
    let result = outcome?.map_err(|e| operation_failure(&e))?;
    done(globals, &out, &result)
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

    fn show(&mut self, event: &Event) {
        let Event::ReceiveProgress {
            bytes_done,
            bytes_total,
            bytes_transferred,
            files_done,
            files_total,
            path,
            ..
        } = event
        else {
            return;
        };
        let (bytes_done, bytes_total) = (*bytes_done, *bytes_total);
        if let Some(bar) = &self.bar {
            bar.set_length(bytes_total);
            bar.set_position(bytes_done);
            bar.set_message(format!(
                "{files_done}/{files_total} files, {}",
                path.as_str()
            ));
        }
        if self.json && self.last_json.elapsed() >= Duration::from_millis(200) {
            self.last_json = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            let rate = *bytes_transferred as f64 / secs;
            let eta_ms = (rate > 0.0)
                .then(|| ((bytes_total.saturating_sub(bytes_done)) as f64 / rate * 1000.0) as u64);
            output::json_line(json!({
                "event": "progress",
                "bytes_done": bytes_done,
                "bytes_total": bytes_total,
                "bytes_transferred": bytes_transferred,
                "files_done": files_done,
                "files_total": files_total,
                "rate_bytes_per_sec": rate as u64,
                "eta_ms": eta_ms,
                "path": path,
            }));
        }
    }

    /// A name the sender used that was refused as unsafe.
    fn name_rejected(&self, name: &str, reason: &str) {
        if self.json {
            output::json_line(json!({"event": "rejected", "name": name, "reason": reason}));
        } else if let Some(bar) = &self.bar {
            bar.println(format!("skipped unsafe name {name}: {reason}"));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn done(globals: &Globals, out: &Path, report: &ReceiveResult) -> CliResult {
    let rejected = report.rejected.len();
    if globals.json {
        output::json_line(json!({
            "event": "done",
            "files": report.files,
            "bytes": report.bytes,
            "bytes_transferred": report.bytes_transferred,
            "elapsed_ms": report.elapsed_ms,
            "path": report.path,
            "out": out.display().to_string(),
            "rejected": rejected,
            "text": report.text,
        }));
    } else {
        if let Some(text) = &report.text {
            println!("Text:\n{text}\n");
        }
        let secs = (report.elapsed_ms as f64 / 1000.0).max(1e-3);
        if report.files == 0 && rejected == 0 {
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
    if rejected > 0 {
        return Err(Failure::from_kind(
            ErrorKind::Protocol,
            format!(
                "{} skipped: the sender used unsafe names",
                output::count(rejected as u64, "entry was", "entries were"),
            ),
        ));
    }
    Ok(())
}

fn show_offer(globals: &Globals, offer: &OfferInfo) {
    // Folders are named with a trailing slash.
    let name = |e: &OfferEntry| {
        if e.is_dir && !e.name.ends_with('/') {
            format!("{}/", e.name)
        } else {
            e.name.clone()
        }
    };
    if globals.json {
        let names: Vec<String> = offer.entries.iter().map(name).collect();
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
    for entry in offer.entries.iter().take(SHOWN) {
        let size = if entry.is_dir {
            "folder".to_string()
        } else {
            output::bytes(entry.size)
        };
        println!("  {:>10}  {}", size, name(entry));
    }
    if offer.entries.len() > SHOWN {
        println!("  … and {} more", offer.entries.len() - SHOWN);
    }
}
