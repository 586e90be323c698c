//! `ferry pair`: show a pairing code, or join the device that shows one.

use std::{path::PathBuf, time::Duration};

use clap::Args;
use ferry_core::{
    Device, ErrorKind, Event, PairTicket,
    api::{
        StreamEvent, call,
        params::{NoParams, StartPairing, TicketParam},
    },
    pairing::MAX_VALIDITY,
};
use serde_json::json;

use crate::{CliResult, Failure, Globals, backend::Backend, output, qr};

/// Options of `ferry pair`.
#[derive(Debug, Args)]
pub struct PairArgs {
    /// The pairing ticket another device shows. Without it, this device
    /// shows one and waits for another device to join.
    #[arg(value_name = "TICKET")]
    ticket: Option<String>,

    /// How long to wait for a device to join, in seconds (the code expires
    /// then too; at most 600).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    timeout: u64,

    /// Also write the pairing code's QR code to this PNG file.
    #[arg(long, value_name = "FILE")]
    qr_png: Option<PathBuf>,

    /// Join with the pairing code shown in this image (a screenshot or
    /// photo of the other device's QR code, PNG or JPEG).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["ticket", "qr_png"])]
    from_image: Option<PathBuf>,
}

pub async fn run(globals: &Globals, args: PairArgs) -> CliResult {
    // Check the ticket before starting anything.
    let from_image = match &args.from_image {
        Some(path) => Some(qr::read(path).map_err(Failure::usage)?),
        None => None,
    };
    let ticket = match from_image.as_ref().or(args.ticket.as_ref()) {
        Some(text) => Some(
            text.parse::<PairTicket>()
                .map_err(|e| Failure::usage(format!("invalid pairing ticket: {e}")))?,
        ),
        None => None,
    };
    if args.timeout == 0 {
        return Err(Failure::usage("--timeout must be at least 1 second"));
    }
    Backend::run(globals, async |node| match ticket {
        Some(ticket) => join(globals, node, ticket.to_string()).await,
        None => show(globals, node, &args).await,
    })
    .await?
}

async fn join(globals: &Globals, node: &Backend, ticket: String) -> CliResult {
    let spinner = (!globals.json).then(|| output::spinner("Pairing…"));
    let result = node.ask(call::PairingJoin, TicketParam { ticket }).await;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let device = result?;
    print_paired(globals, &device.id, &device.name);
    Ok(())
}

async fn show(globals: &Globals, node: &Backend, args: &PairArgs) -> CliResult {
    let wait = Duration::from_secs(args.timeout);
    let valid_for = wait.min(MAX_VALIDITY);
    // Listen before the code exists: no join slips by.
    let mut events = node.subscribe().await?;
    let name = node.ask(call::NodeInfo, NoParams::default()).await?.name;
    let start = StartPairing {
        valid_for_secs: Some(valid_for.as_secs()),
    };
    let text = node.ask(call::PairingStart, start).await?.ticket;
    if let Some(path) = &args.qr_png {
        qr::png(&text, path).map_err(Failure::failed)?;
    }
    if globals.json {
        output::json_line(json!({"event": "pair-ticket", "ticket": text}));
    } else {
        println!("{}", qr::terminal(&text).map_err(Failure::failed)?);
        println!("Scan this code with the other device, or run there:\n\n  ferry pair {text}\n");
        if let Some(path) = &args.qr_png {
            println!("QR code written to {}", path.display());
        }
        println!(
            "This device is \"{name}\". The code works once, for {} minutes.",
            valid_for.as_secs().div_ceil(60)
        );
    }
    let deadline = tokio::time::sleep(wait);
    tokio::pin!(deadline);
    let outcome = loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break Err(Failure::from_kind(ErrorKind::Cancelled, "stopped before a device joined")),
            _ = &mut deadline => break Err(Failure::from_kind(
                ErrorKind::Timeout,
                format!("no device joined within {} s", args.timeout),
            )),
            event = events.next() => match event {
                None => break Err(Failure::failed("the node stopped unexpectedly")),
                Some(StreamEvent::Node(Event::Paired { id, name })) => {
                    print_paired(globals, &id, &name);
                    break Ok(());
                }
                Some(StreamEvent::Node(event @ Event::PairingRefused { .. })) => {
                    let Event::PairingRefused { peer, reason } = &event else { continue };
                    if globals.json {
                        output::json_line(crate::events::json_line_of(&event).unwrap_or_default());
                    } else {
                        eprintln!("Refused a pairing attempt from {} ({reason}).", short(peer));
                    }
                }
                Some(_) => {}
            },
        }
    };
    let _ = node.ask(call::PairingStop, NoParams::default()).await;
    outcome
}

fn print_paired(globals: &Globals, id: &str, name: &str) {
    if globals.json {
        output::json_line(json!({"event": "paired", "device": {"id": id, "name": name}}));
    } else {
        println!("Paired with \"{name}\" ({}).", short(id));
    }
}

fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

/// A device as one JSON object.
pub fn device_json(d: &Device) -> serde_json::Value {
    json!({
        "id": d.id,
        "name": d.name,
        "auto_accept": d.auto_accept,
        "paired_at_ms": d.paired_at_ms,
    })
}
