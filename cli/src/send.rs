//! `ferry send`: share files, folders and text until stopped.

use std::path::PathBuf;

use clap::Args;
use ferry_core::{Node, ShareRequest};
use serde_json::{Value, json};

use crate::{
    CliResult, Failure, Globals, output, qr,
    remote::{Backend, EventSource, Remote, absolute_all},
};

/// Options of `ferry send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Files and folders to share; each arrives under its own name.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// A text snippet to share (shown to the receiver).
    #[arg(long)]
    text: Option<String>,

    /// Stop after the first complete download.
    #[arg(long)]
    once: bool,

    /// Also write the ticket's QR code to this PNG file.
    #[arg(long, value_name = "FILE")]
    qr_png: Option<PathBuf>,
}

/// A share being served, as either node describes it.
struct Serving {
    ticket: String,
    blob_ticket: String,
    files: u64,
    bytes: u64,
    root: String,
}

pub async fn run(globals: &Globals, args: SendArgs) -> CliResult {
    if args.paths.is_empty() && args.text.is_none() {
        return Err(Failure::usage(
            "nothing to send: give at least one PATH or --text TEXT",
        ));
    }
    match globals.backend().await? {
        Backend::Local(node) => {
            let result = serve_local(globals, &node, args).await;
            node.shutdown().await;
            result
        }
        Backend::Remote(api) => serve_remote(globals, &api, args).await,
    }
}

async fn serve_local(globals: &Globals, node: &Node, args: SendArgs) -> CliResult {
    let mut events = EventSource::Local(node.events());
    let request = ShareRequest {
        paths: args.paths.clone(),
        text: args.text.clone(),
    };
    let shares = node.shares();
    let share = importing(globals, &mut events, shares.create(request))
        .await
        .map_err(|e| Failure::from_kind(e.kind(), e))?;
    let serving = Serving {
        ticket: share.ticket.to_string(),
        blob_ticket: share.blob_ticket.to_string(),
        files: share.files,
        bytes: share.bytes,
        root: share.root.to_string(),
    };
    // The share ends with this process's node.
    watch(globals, &args, &serving, &mut events).await
}

/// The same, shared by the running node that owns the data dir: it serves
/// the share until this command ends, however it ends.
async fn serve_remote(globals: &Globals, api: &Remote, args: SendArgs) -> CliResult {
    let paths = absolute_all(&args.paths)?;
    let stream = api.events().await?;
    // The share lives as long as this command's event stream: if this
    // process is killed, the running node stops serving it by itself.
    let hold = stream.id();
    let mut events = EventSource::Remote(stream);
    let creating = api.call::<Value>(
        "shares.create",
        json!({"paths": paths, "text": args.text, "stream": hold}),
    );
    let share = importing(globals, &mut events, creating).await?;
    let text = |key: &str| share[key].as_str().unwrap_or_default().to_string();
    let serving = Serving {
        ticket: text("ticket"),
        blob_ticket: text("blob_ticket"),
        files: share["files"].as_u64().unwrap_or(0),
        bytes: share["bytes"].as_u64().unwrap_or(0),
        root: text("root"),
    };
    let result = watch(globals, &args, &serving, &mut events).await;
    // However it ended, the running node stops serving this share now.
    let stopped: CliResult<Value> = api
        .call("shares.stop", json!({"root": serving.root, "stream": hold}))
        .await;
    result.and(stopped.map(|_| ()))
}

/// Waits for a share to be made, with a progress bar of the hashing.
async fn importing<T>(
    globals: &Globals,
    events: &mut EventSource,
    creating: impl std::future::Future<Output = T>,
) -> T {
    let bar = (!globals.json).then(|| output::byte_bar(0, "Importing"));
    tokio::pin!(creating);
    let made = loop {
        tokio::select! {
            made = &mut creating => break made,
            Some(event) = events.next() => show_import(bar.as_ref(), &event),
        }
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    made
}

fn show_import(bar: Option<&indicatif::ProgressBar>, event: &Value) {
    if let (Some(bar), Some("import_progress")) = (bar, event["event"].as_str()) {
        let number = |key: &str| event[key].as_u64().unwrap_or(0);
        bar.set_length(number("bytes_total"));
        bar.set_position(number("bytes_done"));
        bar.set_message(format!(
            "{}/{} files",
            number("files_done"),
            number("files_total")
        ));
    }
}

/// Prints the ticket, then reports downloads until stopped (or, with
/// `--once`, until the first complete download).
async fn watch(
    globals: &Globals,
    args: &SendArgs,
    share: &Serving,
    events: &mut EventSource,
) -> CliResult {
    if let Some(path) = &args.qr_png {
        qr::png(&share.ticket, path).map_err(Failure::failed)?;
    }
    if globals.json {
        output::json_line(json!({
            "event": "ticket",
            "ticket": share.ticket,
            "blob_ticket": share.blob_ticket,
            "files": share.files,
            "bytes": share.bytes,
            "root": share.root,
        }));
    } else {
        let qr = qr::terminal(&share.ticket).map_err(Failure::failed)?;
        println!("{qr}");
        println!(
            "Sharing {} ({}). On the other device run:\n\n  ferry receive {}\n",
            output::count(share.files, "file", "files"),
            output::bytes(share.bytes),
            share.ticket,
        );
        println!(
            "For sendme and other iroh-blobs tools:\n\n  {}\n",
            share.blob_ticket
        );
        if let Some(path) = &args.qr_png {
            println!("QR code written to {}", path.display());
        }
        if args.once {
            println!("Waiting for one complete download… (Ctrl-C to stop)");
        } else {
            println!("Serving until you press Ctrl-C.");
        }
    }
    let stop = crate::stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => {
                if globals.json {
                    output::json_line(json!({"event": "stopped", "reason": "interrupted"}));
                } else {
                    eprintln!("\nStopped.");
                }
                return Ok(());
            }
            event = events.next() => {
                let Some(event) = event else {
                    return Err(Failure::failed("the node stopped unexpectedly"));
                };
                match event["event"].as_str() {
                    Some("share_downloaded") if event["root"] == share.root.as_str() => {
                        let peer = &event["peer"];
                        if globals.json {
                            output::json_line(json!({"event": "downloaded", "peer": peer}));
                        } else {
                            println!("Downloaded by {}", peer.as_str().unwrap_or_default());
                        }
                        if args.once {
                            if globals.json {
                                output::json_line(json!({"event": "stopped", "reason": "once"}));
                            }
                            return Ok(());
                        }
                    }
                    Some("request_refused") if globals.json => {
                        output::json_line(json!({"event": "refused", "peer": event["peer"],
                                                 "hash": event["hash"]}));
                    }
                    _ => {}
                }
            }
        }
    }
}
