//! `ferry listen`: run the node in the foreground and take pushes from
//! paired devices.

use std::{collections::HashMap, io::IsTerminal, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};
use ferry_core::{
    AcceptPolicy, ChangeOrigin, ErrorKind, Event, FileChange, HasKind, Node, Route, Services,
    api::{ApiConfig, ApiServer},
};
use serde_json::json;

use crate::{CliResult, Failure, Globals, backend::absolute, output};

/// Options of `ferry listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Where accepted files go (default: the current folder).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// How to answer offers: `ask` prompts (on a terminal; elsewhere it acts
    /// as `trusted`), `trusted` accepts from devices with auto-accept on and
    /// rejects the rest, `never` rejects everything.
    #[arg(long, value_enum, default_value = "ask")]
    accept: Mode,

    /// Where collections from auto-accept devices go: each is accepted
    /// into a new folder DIR/NAME, or DIR/NAME (1)… when that name is taken
    /// (an existing folder is never used; unless `--accept never`). Without
    /// it invitations wait for `ferry collection accept`.
    #[arg(long, value_name = "DIR")]
    collections_dir: Option<PathBuf>,

    /// Where the local JSON-RPC API listens over HTTP: a loopback address
    /// (default: 127.0.0.1 on a free port; `api.json` in the data dir says
    /// which). It is also served on the Unix socket `api.sock` in the data
    /// dir.
    #[arg(long, value_name = "ADDR", conflicts_with = "no_api")]
    api: Option<std::net::SocketAddr>,

    /// Serve no API: other `ferry` commands cannot use this data dir while
    /// it runs.
    #[arg(long)]
    no_api: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Ask,
    Trusted,
    Never,
}

pub async fn run(globals: &Globals, args: ListenArgs) -> CliResult {
    let out = match args.out {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(|e| {
            Failure::from_kind(
                ErrorKind::Storage,
                format!("cannot read the current folder: {e}"),
            )
        })?,
    };
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let policy = match args.accept {
        Mode::Ask if interactive && !globals.json => AcceptPolicy::Ask,
        Mode::Ask | Mode::Trusted => AcceptPolicy::Trusted,
        Mode::Never => AcceptPolicy::Never,
    };
    let collections_dir = match args.collections_dir {
        Some(dir) => Some(absolute(&dir)?),
        None => None,
    };
    let api_config = ApiConfig {
        http: args.api.or(ApiConfig::default().http),
        ..ApiConfig::default()
    };
    // Before the node starts: a bad address is bad usage, found at once.
    if !args.no_api {
        api_config
            .check()
            .map_err(|e| Failure::from_kind(e.kind(), e))?;
    }
    let node = globals.start_node().await?;
    let api = if args.no_api {
        None
    } else {
        match ApiServer::start(&node, api_config).await {
            Ok(api) => Some(api),
            Err(e) => {
                node.shutdown().await;
                return Err(Failure::from_kind(e.kind(), e));
            }
        }
    };
    // Subscribed first: the first probes' answers are shown too.
    let events = node.events();
    let services = Services {
        accept: policy,
        inbox_dir: Some(out.clone()),
        collections_dir,
        probe_every: Some(HEALTH_EVERY),
    };
    let result = match node.start_services(services).await {
        Ok(()) => listen(globals, &node, events, policy, out, api.as_ref()).await,
        Err(e) => Err(Failure::from_kind(e.kind(), e)),
    };
    if let Some(api) = api {
        api.stop().await;
    }
    node.shutdown().await;
    result
}

async fn listen(
    globals: &Globals,
    node: &Node,
    mut events: ferry_core::Events,
    policy: AcceptPolicy,
    out: PathBuf,
    api: Option<&ApiServer>,
) -> CliResult {
    let mut last_status: HashMap<String, (bool, Option<Route>)> = HashMap::new();
    if globals.json {
        output::json_line(json!({
            "event": "listening",
            "id": node.id().to_string(),
            "name": node.device_name(),
            "out": out.display().to_string(),
            "api_http": api.and_then(|a| a.endpoint().http).map(|a| a.to_string()),
            "api_socket": api.and_then(|a| a.endpoint().socket.clone()),
        }));
    } else {
        println!(
            "\"{}\" is listening; files go to {}. Ctrl-C to stop.",
            node.device_name(),
            out.display()
        );
        if let Some(http) = api.and_then(|a| a.endpoint().http) {
            println!(
                "API: POST http://{http}/rpc (token in {}).",
                node.data_dir().join(ferry_core::api::TOKEN_FILE).display()
            );
        }
        if policy == AcceptPolicy::Trusted {
            println!("Accepting from devices with auto-accept on; rejecting the rest.");
        }
    }
    let mut bar: Option<indicatif::ProgressBar> = None;
    let stop = crate::stop_signal();
    tokio::pin!(stop);
    loop {
        let event = tokio::select! {
            _ = &mut stop => {
                if globals.json {
                    output::json_line(json!({"event": "stopped", "reason": "interrupted"}));
                }
                return Ok(());
            }
            event = events.recv() => event,
        };
        let Some(event) = event else {
            return Err(Failure::failed("the node stopped unexpectedly"));
        };
        if let Event::DeviceStatus {
            id, online, route, ..
        } = &event
        {
            let now = (*online, *route);
            if last_status.insert(id.clone(), now) == Some(now) {
                continue;
            }
        }
        if globals.json {
            if let Some(line) = crate::events::json_line_of(&event) {
                output::json_line(line);
            }
            continue;
        }
        match event {
            Event::OfferReceived {
                offer_id,
                from,
                files,
                bytes,
                names,
                text,
                ..
            } => {
                let mut what = Vec::new();
                if files > 0 {
                    what.push(format!(
                        "{} ({})",
                        output::count(files, "file", "files"),
                        output::bytes(bytes)
                    ));
                }
                if text.is_some() {
                    what.push("a text".to_string());
                }
                println!("{} offers {}", from.name, what.join(" and "));
                for name in names.iter().take(10) {
                    println!("  {name}");
                }
                if names.len() > 10 {
                    println!("  … and {} more", names.len() - 10);
                }
                if policy == AcceptPolicy::Ask {
                    let accept = tokio::task::spawn_blocking(|| {
                        use std::io::Write;
                        print!("Accept? [y/N] ");
                        let _ = std::io::stdout().flush();
                        let mut line = String::new();
                        std::io::stdin().read_line(&mut line).is_ok()
                            && matches!(line.trim(), "y" | "Y" | "yes")
                    })
                    .await
                    .unwrap_or(false);
                    node.transfers().respond(offer_id, accept);
                }
            }
            Event::OfferAccepted { .. } => println!("Accepted."),
            Event::OfferRejected { reason, .. } => println!("Rejected ({reason})."),
            Event::TextReceived { from, text, .. } => println!("{}:\n{text}\n", from.name),
            Event::ReceiveProgress {
                bytes_done,
                bytes_total,
                ..
            } => {
                let b = bar.get_or_insert_with(|| output::byte_bar(bytes_total, "Receiving"));
                b.set_length(bytes_total);
                b.set_position(bytes_done);
            }
            Event::OfferDone {
                files, bytes, out, ..
            } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                println!(
                    "Received {} ({}) into {out}.",
                    output::count(files, "file", "files"),
                    output::bytes(bytes)
                );
            }
            Event::OfferFailed { message, .. } => {
                if let Some(b) = bar.take() {
                    b.abandon();
                }
                eprintln!("Receiving failed: {message}");
            }
            Event::OutboxDelivered { to, report, .. } => println!(
                "Delivered a queued push to {} ({}).",
                to.name,
                output::count(report.files, "file", "files")
            ),
            Event::OutboxGaveUp { to, message, .. } => {
                eprintln!("Gave up a queued push to {}: {message}", to.name)
            }
            Event::DeviceStatus {
                name,
                online,
                route,
                rtt_ms,
                ..
            } => match (online, route, rtt_ms) {
                (true, Some(route), Some(rtt)) => {
                    println!("{name} is online ({}, {rtt} ms).", route.as_str());
                }
                (true, _, _) => println!("{name} is online."),
                (false, _, _) => println!("{name} is offline."),
            },
            Event::CollectionInvited { name, from } => {
                println!(
                    "{} invites you to the collection \"{name}\": ferry collection accept {name} --dir DIR",
                    from.name
                );
            }
            Event::CollectionChanged {
                collection,
                path,
                change,
                origin: ChangeOrigin::Remote,
            } => {
                let mark = match change {
                    FileChange::Added => "+",
                    FileChange::Deleted => "-",
                    FileChange::Conflict => "!",
                    FileChange::Modified => "~",
                };
                println!("{collection}: {mark} {path}");
            }
            Event::CollectionEntryRefused {
                collection, reason, ..
            } => eprintln!("{collection}: skipped {reason}"),
            Event::StrangerRefused { peer } => {
                eprintln!(
                    "Refused {}: not a paired device.",
                    peer.get(..10).unwrap_or(&peer)
                );
            }
            _ => {}
        }
    }
}

/// How often `listen` probes the paired devices.
const HEALTH_EVERY: Duration = Duration::from_secs(30);
