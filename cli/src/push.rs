//! `ferry push`: offer files, folders, text or a link to a paired device.

use std::path::PathBuf;

use clap::Args;
use ferry_core::{ErrorKind, Node, PushError, PushOutcome, PushRequest};
use serde_json::{Value, json};

use crate::{
    CliResult, Failure, Globals, output,
    remote::{Backend, EventSource, Remote, absolute_all, operation_failure},
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
    let ending = match globals.backend().await? {
        Backend::Local(node) => {
            let ending = push_local(globals, &node, &args).await;
            node.shutdown().await;
            ending
        }
        Backend::Remote(api) => push_remote(globals, &api, &args).await,
    };
    match ending {
        Ending::Done(report) => {
            let number = |key: &str| report[key].as_u64().unwrap_or(0);
            if globals.json {
                output::json_line(json!({"event": "done", "files": number("files"),
                                         "bytes": number("bytes"),
                                         "bytes_transferred": number("bytes_transferred")}));
            } else {
                println!(
                    "Delivered {} ({}).",
                    output::count(number("files"), "file", "files"),
                    output::bytes(number("bytes"))
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
    /// Delivered and received: the `PushReport`.
    Done(Value),
    /// Left in the outbox (`--no-wait`, or stopped while waiting), for
    /// whoever delivers it.
    Queued { delivered_by: &'static str },
    /// Not delivered.
    Failed(Failure),
}

/// Who delivers what this process leaves queued.
const LISTEN_DELIVERS: &str = "`ferry listen` on this device";
const RUNNING_NODE_DELIVERS: &str = "the running node";

/// Pushes now; if the device is offline, queues the push and (unless
/// `--no-wait`) delivers it from the outbox once the device answers.
async fn push_local(globals: &Globals, node: &Node, args: &PushArgs) -> Ending {
    let request = PushRequest {
        paths: args.paths.clone(),
        text: args.text.clone(),
    };
    let mut events = EventSource::Local(node.events());
    let mut shown = Shown::new(globals.json);
    let keep_for = std::time::Duration::from_secs(args.expires);
    let pushing = node.push_or_queue(&args.device, request, Some(keep_for));
    tokio::pin!(pushing);
    let pushed = loop {
        tokio::select! {
            biased;
            pushed = &mut pushing => break pushed,
            Some(event) = events.next() => shown.show(&event),
        }
    };
    // What was emitted before the push returned is queued: show it all.
    while let Some(event) = events.try_next() {
        shown.show(&event);
    }
    shown.finish();
    let (entry, why) = match pushed {
        Ok(PushOutcome::Delivered(report)) => return Ending::Done(json!(report)),
        Ok(PushOutcome::Queued { entry, reason }) => (json!(entry), reason),
        Err(PushError::Rejected { device, reason }) => return rejected(globals, &device, &reason),
        Err(PushError::Device(e)) => return Ending::Failed(Failure::usage(e.to_string())),
        Err(e) => return Ending::Failed(Failure::from_kind(e.kind(), e)),
    };
    if !args.no_wait {
        node.start_outbox();
    }
    wait_in_outbox(globals, args, &entry, &why, &mut events, LISTEN_DELIVERS).await
}

/// The same, by the running node that owns the data dir: it pushes (and
/// queues), this process shows its events. Stopping before the device
/// answered stops the push there too.
async fn push_remote(globals: &Globals, api: &Remote, args: &PushArgs) -> Ending {
    let outcome = async {
        let paths = absolute_all(&args.paths)?;
        let events = api.events().await?;
        let started: Value = api
            .call_naming_device(
                "transfers.push",
                json!({"device": args.device, "paths": paths, "text": args.text,
                       "queue_for_secs": args.expires}),
            )
            .await?;
        Ok::<_, Failure>((EventSource::Remote(events), started))
    };
    let (mut events, started) = match outcome.await {
        Ok(o) => o,
        Err(failure) => return Ending::Failed(failure),
    };
    let operation = &started["operation"];
    let device_id = &started["device"]["id"];
    let mut shown = Shown::new(globals.json);
    let stop = crate::stop_signal();
    tokio::pin!(stop);
    let ended = loop {
        let event = tokio::select! {
            _ = &mut stop => {
                shown.finish();
                let _: CliResult<Value> = api
                    .call("operations.cancel", json!({"operation": operation}))
                    .await;
                return Ending::Failed(Failure::failed("stopped: nothing more is sent"));
            }
            event = events.next() => event,
        };
        let Some(event) = event else {
            shown.finish();
            return Ending::Failed(Failure::failed("the running node stopped"));
        };
        match event["event"].as_str() {
            Some("push_offered" | "push_accepted" | "push_progress")
                if event["to"]["id"] == *device_id =>
            {
                shown.show(&event);
            }
            Some("operation_finished" | "operation_failed") if event["operation"] == *operation => {
                break event;
            }
            _ => {}
        }
    };
    shown.finish();
    if ended["event"] == "operation_failed" {
        let error = &ended["error"];
        if let (Some("rejected"), Some(reason)) = (error["kind"].as_str(), error["reason"].as_str())
            && globals.json
        {
            output::json_line(json!({"event": "rejected", "reason": reason}));
        }
        return Ending::Failed(operation_failure(error));
    }
    let result = &ended["result"];
    if result.get("queued").is_none() {
        return Ending::Done(result.clone());
    }
    let why = result["reason"].as_str().unwrap_or("the device is offline");
    wait_in_outbox(
        globals,
        args,
        &result["queued"],
        why,
        &mut events,
        RUNNING_NODE_DELIVERS,
    )
    .await
}

/// A rejection, as both nodes report it.
fn rejected(globals: &Globals, device: &str, reason: &str) -> Ending {
    if globals.json {
        output::json_line(json!({"event": "rejected", "reason": reason}));
    }
    Ending::Failed(Failure::failed(format!(
        "{device} rejected the offer: {reason}"
    )))
}

/// Reports a push left in the outbox (an `OutboxEntry`) and, unless
/// `--no-wait`, waits until it is delivered or given up.
async fn wait_in_outbox(
    globals: &Globals,
    args: &PushArgs,
    entry: &Value,
    why: &str,
    events: &mut EventSource,
    delivered_by: &'static str,
) -> Ending {
    let name = entry["device_name"].as_str().unwrap_or_default();
    if globals.json {
        output::json_line(json!({"event": "queued", "outbox_id": entry["id"],
                                 "device": {"id": entry["device_id"], "name": name},
                                 "expires_at_ms": entry["expires_at_ms"], "reason": why}));
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
        let Some(event) = event else {
            return Ending::Failed(Failure::failed("the node stopped"));
        };
        if event["outbox_id"] != entry["id"] {
            continue;
        }
        match event["event"].as_str() {
            Some("outbox_delivered") => return Ending::Done(event["report"].clone()),
            Some("outbox_gave_up") => {
                let message = event["message"].as_str().unwrap_or("it was given up");
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

    fn show(&mut self, event: &Value) {
        let to = &event["to"];
        let name = to["name"].as_str().unwrap_or_default();
        match event["event"].as_str() {
            Some("push_offered") => {
                if self.json {
                    output::json_line(json!({"event": "offered", "device": to}));
                } else {
                    println!("Offered to {name}; waiting for an answer…");
                }
            }
            Some("push_accepted") => {
                if self.json {
                    output::json_line(json!({"event": "accepted", "device": to}));
                } else {
                    println!("{name} accepted.");
                }
            }
            Some("push_progress") => {
                let done = event["bytes_done"].as_u64().unwrap_or(0);
                let total = event["bytes_total"].as_u64().unwrap_or(0);
                if self.json {
                    output::json_line(json!({"event": "progress", "bytes_done": done,
                                             "bytes_total": total}));
                } else {
                    let b = self
                        .bar
                        .get_or_insert_with(|| output::byte_bar(total, "Sending"));
                    b.set_length(total);
                    b.set_position(done);
                }
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
