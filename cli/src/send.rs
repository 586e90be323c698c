//! `ferry send`: share files, folders and text until stopped.

use std::path::PathBuf;

use clap::Args;
use ferry_core::{
    Event,
    api::{
        StreamEvent, Subscription, call,
        params::{CreateShare, ShareInfo, StopShare},
    },
};
use serde_json::json;

use crate::{
    CliResult, Failure, Globals,
    backend::{Backend, absolute_all},
    events::json_line_of,
    output, qr,
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

pub async fn run(globals: &Globals, args: SendArgs) -> CliResult {
    if args.paths.is_empty() && args.text.is_none() {
        return Err(Failure::usage(
            "nothing to send: give at least one PATH or --text TEXT",
        ));
    }
    let paths = absolute_all(&args.paths)?;
    Backend::run(globals, async |node| {
        serve(globals, node, &args, paths).await
    })
    .await?
}

/// Has the node share the files until this command ends, however it ends.
async fn serve(
    globals: &Globals,
    node: &Backend,
    args: &SendArgs,
    paths: Vec<PathBuf>,
) -> CliResult {
    let mut events = node.subscribe().await?;
    // A running node's share lives as long as this command's event stream:
    // if this process is killed, the node stops serving it by itself. This
    // process's own node ends with it anyway.
    let stream = events.id();
    let request = CreateShare {
        paths,
        text: args.text.clone(),
        stream,
    };
    let share = importing(globals, &mut events, node.ask(call::SharesCreate, request)).await?;
    let result = watch(globals, args, &share, &mut events).await;
    let root = share.root;
    let stopped = node.ask(call::SharesStop, StopShare { root, stream }).await;
    result.and(stopped.map(drop))
}

/// Waits for a share to be made, with a progress bar of the hashing.
async fn importing<T>(
    globals: &Globals,
    events: &mut Subscription,
    creating: impl std::future::Future<Output = T>,
) -> T {
    let bar = (!globals.json).then(|| output::byte_bar(0, "Importing"));
    tokio::pin!(creating);
    let made = loop {
        tokio::select! {
            made = &mut creating => break made,
            Some(event) = events.next() => {
                if let (Some(bar), StreamEvent::Node(Event::ImportProgress {
                    files_done, files_total, bytes_done, bytes_total,
                })) = (&bar, event) {
                    bar.set_length(bytes_total);
                    bar.set_position(bytes_done);
                    bar.set_message(format!("{files_done}/{files_total} files"));
                }
            }
        }
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    made
}

/// Prints the ticket, then reports downloads until stopped (or, with
/// `--once`, until the first complete download).
async fn watch(
    globals: &Globals,
    args: &SendArgs,
    share: &ShareInfo,
    events: &mut Subscription,
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
                match event {
                    StreamEvent::Node(event @ Event::ShareDownloaded { .. }) => {
                        let Event::ShareDownloaded { root, peer } = &event else { continue };
                        if *root != share.root {
                            continue;
                        }
                        if globals.json {
                            output::json_line(json_line_of(&event).unwrap_or_default());
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
                    StreamEvent::Node(event @ Event::RequestRefused { .. }) if globals.json => {
                        output::json_line(json_line_of(&event).unwrap_or_default());
                    }
                    _ => {}
                }
            }
        }
    }
}
