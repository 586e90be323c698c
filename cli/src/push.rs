//! `ferry push`: offer files, folders, text or a link to a paired device.

use std::path::PathBuf;

use clap::Args;
use ferry_core::{Event, PushError, PushRequest};
use serde_json::json;

use crate::{CliResult, Failure, Globals, output};

/// Options of `ferry push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The paired device: its name or an unambiguous prefix of its id.
    #[arg(value_name = "DEVICE")]
    device: String,

    /// Files and folders to offer; each arrives under its own name.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Text or a link to deliver with the offer.
    #[arg(long)]
    text: Option<String>,
}

pub async fn run(globals: &Globals, args: PushArgs) -> CliResult {
    if args.paths.is_empty() && args.text.is_none() {
        return Err(Failure::usage(
            "nothing to push: give at least one PATH or --text TEXT",
        ));
    }
    let node = globals.start_node().await?;
    let mut events = node.events();
    let json = globals.json;
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let printer = tokio::spawn(async move {
        let mut bar: Option<indicatif::ProgressBar> = None;
        loop {
            let event = tokio::select! {
                biased;
                event = events.recv() => event,
                _ = &mut stopped => {
                    // Everything emitted before the push returned is queued.
                    while let Some(event) = events.try_recv() {
                        show(json, &mut bar, event);
                    }
                    break;
                }
            };
            match event {
                Some(event) => show(json, &mut bar, event),
                None => break,
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    });
    let result = node
        .push(
            &args.device,
            PushRequest {
                paths: args.paths,
                text: args.text,
            },
        )
        .await;
    let _ = stop.send(());
    let _ = printer.await;
    node.shutdown().await;
    match result {
        Ok(report) => {
            if globals.json {
                output::json_line(json!({"event": "done", "files": report.files,
                                         "bytes": report.bytes,
                                         "bytes_transferred": report.bytes_transferred}));
            } else {
                println!(
                    "Delivered {} ({}).",
                    output::count(report.files, "file", "files"),
                    output::bytes(report.bytes)
                );
            }
            Ok(())
        }
        Err(PushError::Rejected { device, reason }) => {
            if globals.json {
                output::json_line(json!({"event": "rejected", "reason": reason}));
            }
            Err(Failure::failed(format!(
                "{device} rejected the offer: {reason}"
            )))
        }
        Err(PushError::Device(e)) => Err(Failure::usage(e.to_string())),
        Err(e) => Err(Failure::from_kind(e.kind(), e)),
    }
}

fn show(json: bool, bar: &mut Option<indicatif::ProgressBar>, event: Event) {
    match event {
        Event::PushOffered { to } => {
            if json {
                output::json_line(json!({"event": "offered", "device": to}));
            } else {
                println!("Offered to {}; waiting for an answer…", to.name);
            }
        }
        Event::PushAccepted { to } => {
            if json {
                output::json_line(json!({"event": "accepted", "device": to}));
            } else {
                println!("{} accepted.", to.name);
            }
        }
        Event::PushProgress {
            bytes_done,
            bytes_total,
            ..
        } => {
            if json {
                output::json_line(json!({"event": "progress", "bytes_done": bytes_done,
                                         "bytes_total": bytes_total}));
            } else {
                let b = bar.get_or_insert_with(|| output::byte_bar(bytes_total, "Sending"));
                b.set_length(bytes_total);
                b.set_position(bytes_done);
            }
        }
        _ => {}
    }
}
