//! `ferry`: send and receive files, folders and text from the command line.

mod backend;
mod collection;
mod devices;
mod doctor;
mod events;
mod history;
mod listen;
mod output;
mod pair;
mod push;
mod qr;
mod receive;
mod send;

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use ferry_core::{DiscoveryChoice, ErrorKind, HasKind, Node, NodeConfig, RelayChoice};

/// Ferry moves files, folders and text directly between your devices.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about, long_about = None)]
struct Cli {
    /// Where this device keeps its key, store and history.
    #[arg(long, global = true, env = "FERRY_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Relay servers: `default`, `disabled`, or the URL of your own relay
    /// (several separated by commas: the nearest is used).
    #[arg(
        long,
        global = true,
        env = "FERRY_RELAY",
        value_name = "default|disabled|URL"
    )]
    relay: Option<String>,

    /// Where this device publishes its addresses and finds paired devices
    /// that moved: `default` (the public service, off when relays are
    /// disabled), `disabled`, or your own discovery server's pkarr URL.
    #[arg(
        long,
        global = true,
        env = "FERRY_DISCOVERY",
        value_name = "default|disabled|URL"
    )]
    discovery: Option<String>,

    /// A PEM certificate to trust for your own relay and discovery servers
    /// (a private CA or a self-signed certificate).
    #[arg(long, global = true, env = "FERRY_TRUST_CERT", value_name = "FILE")]
    trust_cert: Option<PathBuf>,

    /// The name other devices see; remembered for the data dir once given
    /// (default: this computer's host name).
    #[arg(long, global = true, env = "FERRY_NAME")]
    name: Option<String>,

    /// The local address to listen on, e.g. 127.0.0.1:0 (default: all interfaces).
    #[arg(long, global = true, env = "FERRY_BIND", value_name = "ADDR")]
    bind: Option<SocketAddr>,

    /// Print JSON Lines (one object per event) instead of human output.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Share files, folders and text; prints a ticket and a QR code.
    Send(send::SendArgs),
    /// Fetch what a ticket offers into a folder.
    Receive(receive::ReceiveArgs),
    /// List past transfers.
    History(history::HistoryArgs),
    /// Pair with another device: show a pairing code, or join one.
    Pair(pair::PairArgs),
    /// List, rename or remove paired devices; set auto-accept.
    Devices(devices::DevicesArgs),
    /// Offer files, folders, text or a link to a paired device.
    Push(push::PushArgs),
    /// Run in the foreground and take pushes from paired devices.
    Listen(listen::ListenArgs),
    /// Shared collections: folders kept the same on several paired devices.
    #[command(subcommand_required = true)]
    Collection(collection::CollectionArgs),
    /// Check the network: relays, public address and NAT, UDP, discovery,
    /// and the route to each paired device, with what to try.
    Doctor,
}

/// An error on its way out of the CLI, with its kind and the exit code it
/// maps to.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    kind: ErrorKind,
    message: String,
}

impl Failure {
    /// Bad usage or bad input: exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            kind: ErrorKind::InvalidInput,
            message: message.into(),
        }
    }

    /// Anything else that went wrong, of no kind more precise than
    /// `internal`: exit code 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::from_kind(ErrorKind::Internal, message.into())
    }

    /// An error of a kind: bad input exits 2, the rest 1.
    pub fn from_kind(kind: ErrorKind, message: impl std::fmt::Display) -> Self {
        Self {
            code: if kind == ErrorKind::InvalidInput {
                2
            } else {
                1
            },
            kind,
            message: message.to_string(),
        }
    }

    /// Reports the failure: one line on stderr, and with `--json` an
    /// `error` event on stdout that carries its kind.
    fn report(&self, json: bool) {
        if json {
            output::json_line(serde_json::json!({
                "event": "error",
                "kind": self.kind,
                "message": self.message,
                "exit_code": self.code,
            }));
        }
        eprintln!("error: {}", self.message);
    }
}

pub(crate) type CliResult<T = ()> = Result<T, Failure>;

/// Global options every command needs to start a node.
#[derive(Debug, Clone)]
pub(crate) struct Globals {
    pub data_dir: Option<PathBuf>,
    pub relay: Option<String>,
    pub discovery: Option<String>,
    pub trust_cert: Option<PathBuf>,
    pub name: Option<String>,
    pub bind: Option<SocketAddr>,
    pub json: bool,
}

impl Globals {
    /// The data dir: `--data-dir`, or the system's default.
    pub fn data_dir(&self) -> CliResult<PathBuf> {
        match &self.data_dir {
            Some(d) => Ok(d.clone()),
            None => NodeConfig::default_data_dir().ok_or_else(|| {
                Failure::usage("no default data dir on this system; pass --data-dir")
            }),
        }
    }

    pub async fn start_node(&self) -> CliResult<Node> {
        let mut config = NodeConfig::new(self.data_dir()?);
        config.relay = self
            .relay
            .as_deref()
            .map(RelayChoice::parse)
            .unwrap_or_default();
        config.discovery = self
            .discovery
            .as_deref()
            .map(DiscoveryChoice::parse)
            .unwrap_or_default();
        config.trust_cert = self.trust_cert.clone();
        config.device_name = self.name.clone();
        config.bind_addr = self.bind;
        Node::start(config)
            .await
            .map_err(|e| Failure::from_kind(e.kind(), e))
    }
}

/// Ctrl-C, or (on Unix) SIGTERM: either lets a command end cleanly (the
/// node's API files go with it, a share made in a running node is stopped
/// there). A hang-up keeps its default (or `nohup`'s): a command it kills
/// leaves nothing served, as the running node stops the shares of a
/// reader that went away.
pub(crate) async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// A node holds large indexes for a while (a first sync of a big
/// collection) and then sits idle for days: memory it freed goes back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A transparent huge page keeps 2 MiB resident for a few small
    // allocations (an idle `ferry listen` holding 100,000 files had 170 MiB
    // in them). The allocator never asks for them (`no_thp`); this keeps a
    // system that hands them out unasked from doing so.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = Cli::parse();
    init_tracing();
    let json = cli.json;
    let globals = Globals {
        data_dir: cli.data_dir,
        relay: cli.relay,
        discovery: cli.discovery,
        trust_cert: cli.trust_cert,
        name: cli.name,
        bind: cli.bind,
        json: cli.json,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Send(args) => send::run(&globals, args).await,
            Command::Receive(args) => receive::run(&globals, args).await,
            Command::History(args) => history::run(&globals, args).await,
            Command::Pair(args) => pair::run(&globals, args).await,
            Command::Devices(args) => devices::run(&globals, args).await,
            Command::Push(args) => push::run(&globals, args).await,
            Command::Listen(args) => listen::run(&globals, args).await,
            Command::Collection(args) => collection::run(&globals, args).await,
            Command::Doctor => doctor::run(&globals).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.report(json);
            ExitCode::from(f.code)
        }
    }
}

fn init_tracing() {
    // Quiet by default; RUST_LOG turns on diagnostics, always on stderr.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
