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

    /// If the device is offline, queue the push and exit at once; a running
    /// `ferry listen` on this device delivers it when the device comes online.
    #[arg(long)]
    no_wait: bool,

    /// How long a queued push waits for an offline device, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 7 * 24 * 3600)]
    expires: u64,
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
    let request = PushRequest {
        paths: args.paths,
        text: args.text,
    };
    let mut queue_events = node.events();
    let mut result = node.push(&args.device, request.clone()).await;
    if let Err(PushError::Offline(why)) = &result {
        // The device is away: keep the push in the outbox.
        let entry = node
            .queue_push(
                &args.device,
                request,
                std::time::Duration::from_secs(args.expires),
            )
            .map_err(|e| Failure::from_kind(e.kind(), e));
        let entry = match entry {
            Ok(entry) => entry,
            Err(f) => {
                let _ = stop.send(());
                let _ = printer.await;
                node.shutdown().await;
                return Err(f);
            }
        };
        if globals.json {
            output::json_line(json!({"event": "queued", "outbox_id": entry.id,
                                     "device": {"id": entry.device_id, "name": entry.device_name},
                                     "expires_at_ms": entry.expires_at_ms, "reason": why}));
        } else {
            println!(
                "{why}.\nQueued: it goes out when {} comes online.",
                entry.device_name
            );
        }
        if args.no_wait {
            let _ = stop.send(());
            let _ = printer.await;
            node.shutdown().await;
            if !globals.json {
                println!("`ferry listen` on this device delivers it.");
            }
            return Ok(());
        }
        if !globals.json {
            println!("Waiting (Ctrl-C leaves it queued for `ferry listen`)…");
        }
        node.start_outbox();
        result = loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {
                    let _ = stop.send(());
                    let _ = printer.await;
                    node.shutdown().await;
                    return Ok(());
                }
                event = queue_events.recv() => match event {
                    Some(Event::OutboxDelivered { outbox_id, files, bytes, .. }) if outbox_id == entry.id => {
                        break Ok(ferry_core::PushReport { files, bytes, bytes_transferred: bytes });
                    }
                    Some(Event::OutboxGaveUp { outbox_id, message, .. }) if outbox_id == entry.id => {
                        break Err(PushError::Offline(message));
                    }
                    Some(_) => {}
                    None => break Err(PushError::Offline("the node stopped".into())),
                }
            }
        };
    }
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
