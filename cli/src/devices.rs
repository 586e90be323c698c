//! `ferry devices`: the paired (trusted) devices.

use clap::{Args, Subcommand, ValueEnum};
use ferry_core::{Device, DeviceError, Health, NearbyDevice, Route};
use serde_json::json;

use crate::{
    CliResult, Failure, Globals,
    history::format_time,
    output,
    pair::device_json,
    remote::{Backend, Remote},
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
    match globals.backend().await? {
        Backend::Local(node) => {
            let result = run_local(globals, &node, args).await;
            node.shutdown().await;
            result
        }
        Backend::Remote(api) => run_remote(globals, &api, args).await,
    }
}

/// The same, through the API of the node that owns the data dir.
async fn run_remote(globals: &Globals, api: &Remote, args: DevicesArgs) -> CliResult {
    match args.action {
        None if args.nearby => {
            tokio::time::sleep(std::time::Duration::from_secs(args.wait)).await;
            let list: Vec<NearbyDevice> = api.call("devices.nearby", json!({})).await?;
            print_nearby(globals, &list);
        }
        None => {
            let list: Vec<Health> = api.call("devices.status", json!({})).await?;
            print_list(globals, &list);
        }
        Some(Action::Remove { device }) => {
            let d: Device = api
                .call_naming_device("devices.remove", json!({"device": device}))
                .await?;
            print_one(globals, "device-removed", &d, "Removed");
        }
        Some(Action::Rename { device, name }) => {
            let d: Device = api
                .call_naming_device("devices.rename", json!({"device": device, "name": name}))
                .await?;
            print_one(globals, "device-renamed", &d, "Renamed to");
        }
        Some(Action::Set {
            device,
            auto_accept,
        }) => {
            let on = matches!(auto_accept, Switch::On);
            let d: Device = api
                .call_naming_device(
                    "devices.set_auto_accept",
                    json!({"device": device, "on": on}),
                )
                .await?;
            print_one(globals, "device-updated", &d, "Updated");
        }
    }
    Ok(())
}

async fn run_local(globals: &Globals, node: &ferry_core::Node, args: DevicesArgs) -> CliResult {
    let devices = node.devices();
    match args.action {
        None if args.nearby => {
            if devices.nearby_active() {
                tokio::time::sleep(std::time::Duration::from_secs(args.wait)).await;
                print_nearby(globals, &devices.nearby());
                Ok(())
            } else {
                Err(Failure::failed(
                    "LAN discovery is off: this node is bound to loopback (see --bind)",
                ))
            }
        }
        None => devices
            .probe_all()
            .await
            .map_err(|e| Failure::from_kind(e.kind(), e))
            .map(|list| print_list(globals, &list)),
        Some(Action::Remove { device }) => devices
            .remove(&device)
            .map_err(device_failure)
            .map(|d| print_one(globals, "device-removed", &d, "Removed")),
        Some(Action::Rename { device, name }) => devices
            .rename(&device, &name)
            .map_err(device_failure)
            .map(|d| print_one(globals, "device-renamed", &d, "Renamed to")),
        Some(Action::Set {
            device,
            auto_accept,
        }) => devices
            .set_auto_accept(&device, matches!(auto_accept, Switch::On))
            .map_err(device_failure)
            .map(|d| print_one(globals, "device-updated", &d, "Updated")),
    }
}

/// A device that cannot be named is bad input (exit 2); the rest maps by kind.
fn device_failure(e: DeviceError) -> Failure {
    match e {
        DeviceError::NotFound(_) | DeviceError::Ambiguous { .. } | DeviceError::EmptyName => {
            Failure::usage(e.to_string())
        }
        other => Failure::from_kind(other.kind(), other),
    }
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
