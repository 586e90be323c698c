//! `ferry push`: offer files, folders, text or a link to a paired device.

use std::path::PathBuf;

use clap::Args;
use ferry_core::{
    ErrorKind, Event, PushReport,
    api::{
        Started, StreamEvent, Subscription, call,
        params::{OperationParam, Push, PushResult, QueuedPush},
    },
};
use serde_json::json;

use crate::{
    CliResult, Failure, Globals,
    backend::{Backend, absolute_all, ended, operation_failure},
    output,
};

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
    #[arg(long, value_name = "SECS", default_value_t = ferry_core::push::QUEUE_FOR.as_secs())]
    expires: u64,
}

pub async fn run(globals: &Globals, args: PushArgs) -> CliResult {
    if args.paths.is_empty() && args.text.is_none() {
        return Err(Failure::usage(
            "nothing to push: give at least one PATH or --text TEXT",
        ));
    }
    if args.expires == 0 {
        return Err(Failure::usage("--expires must be at least 1 second"));
    }
    let paths = absolute_all(&args.paths)?;
    let ending = Backend::run(globals, async |node| {
        push(globals, node, &args, paths).await
    })
    .await?;
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
        Ending::Queued { delivered_by } => {
            if !globals.json {
                println!("It stays queued; {delivered_by} delivers it.");
            }
            Ok(())
        }
        Ending::Failed(failure) => Err(failure),
    }
}

/// How a push command ends.
enum Ending {
    /// Delivered and received.
    Done(PushReport),
    /// Left in the outbox (`--no-wait`, or stopped while waiting), for
    /// whoever delivers it.
    Queued { delivered_by: &'static str },
    /// Not delivered.
    Failed(Failure),
}

/// Pushes now; if the device is offline, the node queues the push and
/// (unless `--no-wait`) this command waits until the outbox delivers it.
/// Stopping before the device answered stops the push.
async fn push(globals: &Globals, node: &Backend, args: &PushArgs, paths: Vec<PathBuf>) -> Ending {
    let request = Push {
        device: args.device.clone(),
        paths,
        text: args.text.clone(),
        queue_for_secs: Some(args.expires),
    };
    let started = async {
        let events = node.subscribe().await?;
        let started = node.ask_naming_device(call::TransfersPush, request).await?;
        Ok::<_, Failure>((events, started))
    };
    let (mut events, started) = match started.await {
        Ok(o) => o,
        Err(failure) => return Ending::Failed(failure),
    };
    let operation = started.operation;
    let mut shown = Shown::new(globals.json);
    let stop = crate::stop_signal();
    let outcome = {
        let following = ended::<PushResult>(&mut events, Started { operation }, |event| {
            shown.show(&started.device.id, event)
        });
        tokio::select! {
            _ = stop => None,
            outcome = following => Some(outcome),
        }
    };
    shown.finish();
    let outcome = match outcome {
        None => {
            let _ = node
                .ask(call::OperationsCancel, OperationParam { operation })
                .await;
            return Ending::Failed(Failure::from_kind(
                ErrorKind::Cancelled,
                "stopped: nothing more is sent",
            ));
        }
        Some(Err(failure)) => return Ending::Failed(failure),
        Some(Ok(outcome)) => outcome,
    };
    match outcome {
        Ok(PushResult::Delivered(report)) => Ending::Done(report),
        Ok(PushResult::Queued(queued)) => {
            let delivered_by = node.delivers_queued();
            wait_in_outbox(globals, args, &queued, &mut events, delivered_by).await
        }
        Err(error) => {
            if let (Some(ErrorKind::Rejected), Some(reason)) = (error.kind, &error.reason)
                && globals.json
            {
                output::json_line(json!({"event": "rejected", "reason": reason}));
            }
            Ending::Failed(operation_failure(&error))
        }
    }
}

/// Reports a push left in the outbox and, unless `--no-wait`, waits until
/// it is delivered or given up.
async fn wait_in_outbox(
    globals: &Globals,
    args: &PushArgs,
    queued: &QueuedPush,
    events: &mut Subscription,
    delivered_by: &'static str,
) -> Ending {
    let (entry, why) = (&queued.queued, &queued.reason);
    let name = &entry.device_name;
    if globals.json {
        output::json_line(json!({"event": "queued", "outbox_id": entry.id,
                                 "device": {"id": entry.device_id, "name": name},
                                 "expires_at_ms": entry.expires_at_ms, "reason": why}));
    } else {
        println!("{why}.\nQueued: it goes out when {name} comes online.");
    }
    if args.no_wait {
        return Ending::Queued { delivered_by };
    }
    if !globals.json {
        println!("Waiting (Ctrl-C leaves it queued for {delivered_by})…");
    }
    let stop = crate::stop_signal();
    tokio::pin!(stop);
    loop {
        let event = tokio::select! {
            _ = &mut stop => return Ending::Queued { delivered_by },
            event = events.next() => event,
        };
        match event {
            None => return Ending::Failed(Failure::failed("the node stopped")),
            Some(StreamEvent::Node(Event::OutboxDelivered {
                outbox_id, report, ..
            })) if outbox_id == entry.id => return Ending::Done(report),
            Some(StreamEvent::Node(Event::OutboxGaveUp {
                outbox_id, message, ..
            })) if outbox_id == entry.id => {
                return Ending::Failed(Failure::from_kind(ErrorKind::Network, message));
            }
            _ => {}
        }
    }
}

/// Shows a push's events: the offer, the answer, a progress bar.
struct Shown {
    json: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Shown {
    fn new(json: bool) -> Self {
        Self { json, bar: None }
    }

    /// Shows an event of the push to `device`.
    fn show(&mut self, device: &str, event: &Event) {
        let to = match event {
            Event::PushOffered { to }
            | Event::PushAccepted { to }
            | Event::PushProgress { to, .. } => to,
            _ => return,
        };
        if to.id != device {
            return;
        }
        if self.json {
            if let Some(line) = crate::events::json_line_of(event) {
                output::json_line(line);
            }
            return;
        }
        match event {
            Event::PushOffered { .. } => {
                println!("Offered to {}; waiting for an answer…", to.name);
            }
            Event::PushAccepted { .. } => println!("{} accepted.", to.name),
            Event::PushProgress {
                bytes_done,
                bytes_total,
                ..
            } => {
                let b = self
                    .bar
                    .get_or_insert_with(|| output::byte_bar(*bytes_total, "Sending"));
                b.set_length(*bytes_total);
                b.set_position(*bytes_done);
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
