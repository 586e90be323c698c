//! `ferry push`: offer files, folders, text or a link to a paired device.

use std::path::PathBuf;

use clap::Args;
use ferry_core::{Event, Node, PushError, PushReport, PushRequest};
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
    let ending = drive(globals, &node, &args).await;
    let _ = stop.send(());
    let _ = printer.await;
    node.shutdown().await;
    match ending {
        Ending::Done(report) => {
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
        Ending::Queued => {
            if !globals.json {
                println!("It stays queued; `ferry listen` on this device delivers it.");
            }
            Ok(())
        }
        Ending::Failed(PushError::Rejected { device, reason }) => {
            if globals.json {
                output::json_line(json!({"event": "rejected", "reason": reason}));
            }
            Err(Failure::failed(format!(
                "{device} rejected the offer: {reason}"
            )))
        }
        Ending::Failed(PushError::Device(e)) => Err(Failure::usage(e.to_string())),
        Ending::Failed(e) => Err(Failure::from_kind(e.kind(), e)),
    }
}

/// How a push command ends.
enum Ending {
    /// Delivered and received.
    Done(PushReport),
    /// Left in the outbox (`--no-wait`, or stopped while waiting).
    Queued,
    /// Not delivered.
    Failed(PushError),
}

/// Pushes now; if the device is offline, queues the push and (unless
/// `--no-wait`) delivers it from the outbox once the device answers.
async fn drive(globals: &Globals, node: &Node, args: &PushArgs) -> Ending {
    let request = PushRequest {
        paths: args.paths.clone(),
        text: args.text.clone(),
    };
    let mut queue_events = node.events();
    let why = match node.push(&args.device, request.clone()).await {
        Ok(report) => return Ending::Done(report),
        Err(PushError::Offline(why)) => why,
        Err(e) => return Ending::Failed(e),
    };
    let keep_for = std::time::Duration::from_secs(args.expires);
    let entry = match node.queue_push(&args.device, request, keep_for) {
        Ok(entry) => entry,
        Err(e) => return Ending::Failed(e),
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
        return Ending::Queued;
    }
    if !globals.json {
        println!("Waiting (Ctrl-C leaves it queued for `ferry listen`)…");
    }
    node.start_outbox();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ending::Queued,
            event = queue_events.recv() => match event {
                Some(Event::OutboxDelivered { outbox_id, report, .. }) if outbox_id == entry.id => {
                    return Ending::Done(report);
                }
                Some(Event::OutboxGaveUp { outbox_id, message, .. }) if outbox_id == entry.id => {
                    return Ending::Failed(PushError::Offline(message));
                }
                Some(_) => {}
                None => return Ending::Failed(PushError::Offline("the node stopped".into())),
            }
        }
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
