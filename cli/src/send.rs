//! `ferry send`: share files, folders and text until stopped.

use std::path::PathBuf;

use clap::Args;
use ferry_core::{Event, ShareRequest};
use serde_json::json;

use crate::{CliResult, Failure, Globals, output, qr};

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

pub async fn run(globals: &Globals, args: SendArgs) -> CliResult {
    if args.paths.is_empty() && args.text.is_none() {
        return Err(Failure::usage(
            "nothing to send: give at least one PATH or --text TEXT",
        ));
    }
    let node = globals.start_node().await?;
    let result = serve(globals, &node, args).await;
    node.shutdown().await;
    result
}

async fn serve(globals: &Globals, node: &ferry_core::Node, args: SendArgs) -> CliResult {
    let mut events = node.events();
    let bar = (!globals.json).then(|| output::byte_bar(0, "Importing"));
    let import_events = node.events();
    let import_bar = bar.clone();
    let watcher = tokio::spawn(async move {
        let mut import_events = import_events;
        while let Some(event) = import_events.recv().await {
            if let (
                Event::ImportProgress {
                    bytes_done,
                    bytes_total,
                    files_done,
                    files_total,
                },
                Some(bar),
            ) = (&event, &import_bar)
            {
                bar.set_length(*bytes_total);
                bar.set_position(*bytes_done);
                bar.set_message(format!("{files_done}/{files_total} files"));
            }
        }
    });
    let share = node
        .shares()
        .create(ShareRequest {
            paths: args.paths,
            text: args.text,
        })
        .await;
    watcher.abort();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let share = share.map_err(|e| Failure::from_kind(e.kind(), e))?;
    let ticket = share.ticket.to_string();
    let blob_ticket = share.blob_ticket.to_string();
    if let Some(path) = &args.qr_png {
        qr::png(&ticket, path).map_err(Failure::failed)?;
    }
    if globals.json {
        output::json_line(json!({
            "event": "ticket",
            "ticket": ticket,
            "blob_ticket": blob_ticket,
            "files": share.files,
            "bytes": share.bytes,
            "root": share.root.to_string(),
        }));
    } else {
        let qr = qr::terminal(&ticket).map_err(Failure::failed)?;
        println!("{qr}");
        println!(
            "Sharing {} ({}). On the other device run:\n\n  ferry receive {ticket}\n",
            output::count(share.files, "file", "files"),
            output::bytes(share.bytes),
        );
        println!("For sendme and other iroh-blobs tools:\n\n  {blob_ticket}\n");
        if let Some(path) = &args.qr_png {
            println!("QR code written to {}", path.display());
        }
        if args.once {
            println!("Waiting for one complete download… (Ctrl-C to stop)");
        } else {
            println!("Serving until you press Ctrl-C.");
        }
    }
    let root = share.root.to_string();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                if globals.json {
                    output::json_line(json!({"event": "stopped", "reason": "interrupted"}));
                } else {
                    eprintln!("\nStopped.");
                }
                return Ok(());
            }
            event = events.recv() => match event {
                Some(Event::ShareDownloaded { root: r, peer }) if r == root => {
                    if globals.json {
                        output::json_line(json!({"event": "downloaded", "peer": peer}));
                    } else {
                        println!("Downloaded by {peer}");
                    }
                    if args.once {
                        if globals.json {
                            output::json_line(json!({"event": "stopped", "reason": "once"}));
                        }
                        return Ok(());
                    }
                }
                Some(Event::RequestRefused { peer, hash }) => {
                    if globals.json {
                        output::json_line(json!({"event": "refused", "peer": peer, "hash": hash}));
                    }
                }
                Some(_) => {}
                None => return Err(Failure::failed("the node stopped unexpectedly")),
            }
        }
    }
}
