//! `ferry devices`: the paired (trusted) devices.

use clap::{Args, Subcommand, ValueEnum};
use ferry_core::{
    Device, Health, NearbyDevice, Route,
    api::{
        call,
        params::{DeviceParam, NoParams, RenameDevice, SetAutoAccept},
    },
};
use serde_json::json;

use crate::{
    CliResult, Failure, Globals, backend::Backend, history::format_time, output, pair::device_json,
};

/// Options of `ferry devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    #[command(subcommand)]
    action: Option<Action>,

    /// List Ferry devices on this network instead (paired or not), found
    /// by mDNS; works without internet.
    #[arg(long)]
    nearby: bool,

    /// With --nearby: how long to look around, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3, requires = "nearby")]
    wait: u64,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Forget a device: it can no longer push to this one.
    Remove {
        /// A device name or an unambiguous prefix of its id.
        device: String,
    },
    /// Give a device another name (on this device only).
    Rename {
        /// A device name or an unambiguous prefix of its id.
        device: String,
        /// The new name.
        #[arg(id = "new_name", value_name = "NAME")]
        name: String,
    },
    /// Change a device's settings.
    Set {
        /// A device name or an unambiguous prefix of its id.
        device: String,
        /// Accept pushes from this device without asking.
        #[arg(long, value_name = "on|off")]
        auto_accept: Switch,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Switch {
    On,
    Off,
}

pub async fn run(globals: &Globals, args: DevicesArgs) -> CliResult {
    Backend::run(globals, async |node| act(globals, node, args).await).await?
}

async fn act(globals: &Globals, node: &Backend, args: DevicesArgs) -> CliResult {
    match args.action {
        None if args.nearby => {
            let info = node.ask(call::NodeInfo, NoParams::default()).await?;
            if !info.lan_discovery {
                return Err(Failure::failed(
                    "LAN discovery is off: this node is bound to loopback (see --bind)",
                ));
            }
            tokio::time::sleep(std::time::Duration::from_secs(args.wait)).await;
            let list = node.ask(call::DevicesNearby, NoParams::default()).await?;
            print_nearby(globals, &list);
        }
        None => {
            let list = node.ask(call::DevicesStatus, NoParams::default()).await?;
            print_list(globals, &list);
        }
        Some(Action::Remove { device }) => {
            let d = node
                .ask_naming_device(call::DevicesRemove, DeviceParam { device })
                .await?;
            print_one(globals, "device-removed", &d, "Removed");
        }
        Some(Action::Rename { device, name }) => {
            let d = node
                .ask_naming_device(call::DevicesRename, RenameDevice { device, name })
                .await?;
            print_one(globals, "device-renamed", &d, "Renamed to");
        }
        Some(Action::Set {
            device,
            auto_accept,
        }) => {
            let on = matches!(auto_accept, Switch::On);
            let d = node
                .ask_naming_device(call::DevicesSetAutoAccept, SetAutoAccept { device, on })
                .await?;
            print_one(globals, "device-updated", &d, "Updated");
        }
    }
    Ok(())
}

fn print_list(globals: &Globals, list: &[Health]) {
    if globals.json {
        for h in list {
            let mut value = device_json(&h.device);
            value["event"] = json!("device");
            value["online"] = json!(h.online);
            value["route"] = json!(h.route.map(|r| r.as_str()));
            value["rtt_ms"] = json!(h.rtt_ms);
            output::json_line(value);
        }
        return;
    }
    if list.is_empty() {
        println!("No paired devices yet. Pair one with `ferry pair`.");
        return;
    }
    let width = list
        .iter()
        .map(|h| h.device.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<width$}  {:<10}  {:<24}  {:<11}  PAIRED",
        "NAME", "ID", "STATUS", "AUTO-ACCEPT"
    );
    for h in list {
        let d = &h.device;
        let status = match (h.online, h.route, h.rtt_ms) {
            (false, _, _) => "offline".to_string(),
            (true, Some(route), Some(rtt)) => format!("online, {} {rtt} ms", route_label(route)),
            (true, _, _) => "online".to_string(),
        };
        println!(
            "{:<width$}  {:<10}  {:<24}  {:<11}  {}",
            d.name,
            d.id.get(..10).unwrap_or(&d.id),
            status,
            if d.auto_accept { "on" } else { "off" },
            format_time(d.paired_at_ms),
        );
    }
}

fn print_nearby(globals: &Globals, list: &[NearbyDevice]) {
    if globals.json {
        for d in list {
            output::json_line(json!({"event": "nearby", "id": d.id, "name": d.name,
                                     "paired": d.paired, "addrs": d.addrs}));
        }
        return;
    }
    if list.is_empty() {
        println!("No other Ferry devices seen on this network.");
        return;
    }
    let width = list
        .iter()
        .map(|d| d.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("{:<width$}  {:<10}  PAIRED", "NAME", "ID");
    for d in list {
        println!(
            "{:<width$}  {:<10}  {}",
            d.name,
            d.id.get(..10).unwrap_or(&d.id),
            if d.paired { "yes" } else { "no" }
        );
    }
}

fn route_label(route: Route) -> &'static str {
    match route {
        Route::DirectLan => "LAN",
        Route::DirectInternet => "direct",
        Route::Relay => "relayed",
        Route::Local => "local",
    }
}

fn print_one(globals: &Globals, event: &str, d: &Device, verb: &str) {
    if globals.json {
        let mut value = device_json(d);
        value["event"] = json!(event);
        output::json_line(value);
    } else {
        println!(
            "{verb} \"{}\" ({}), auto-accept {}.",
            d.name,
            d.id.get(..10).unwrap_or(&d.id),
            if d.auto_accept { "on" } else { "off" }
        );
    }
}
