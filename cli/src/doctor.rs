//! `ferry doctor`: what stands between this device and the others.

use ferry_core::{
    NatKind, NetworkReport, VerdictLevel,
    api::{call, params::NoParams},
};

use crate::{CliResult, Globals, backend::Backend, output};

pub async fn run(globals: &Globals) -> CliResult {
    let spinner = (!globals.json).then(|| output::spinner("Checking the network…"));
    let report = Backend::run(globals, async |node| {
        node.ask(call::NetworkDoctor, NoParams::default()).await
    })
    .await??;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    if globals.json {
        output::json_line(output::tagged(&report, "doctor"));
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &NetworkReport) {
    if r.relays.is_empty() {
        println!("Relays          off");
    } else {
        println!("Relays");
    }
    for relay in &r.relays {
        let state = match (relay.latency_ms, &relay.error) {
            (Some(ms), _) => format!("{ms} ms"),
            (None, Some(e)) => format!("cannot be reached: {e}"),
            (None, None) => "no answer".into(),
        };
        let home = if relay.connected { "  (connected)" } else { "" };
        println!("  {}  {state}{home}", relay.url);
    }
    let discovery = match (r.discovery.working, &r.discovery.error) {
        (None, _) => "off".to_string(),
        (Some(true), _) => format!("{}: working", r.discovery.service),
        (Some(false), Some(e)) => format!("{}: not working ({e})", r.discovery.service),
        (Some(false), None) => format!("{}: not working", r.discovery.service),
    };
    println!("Discovery       {discovery}");
    let udp = match r.udp {
        Some(true) => "works",
        Some(false) => "blocked",
        None => "unknown (no relay answered to test it with)",
    };
    println!("UDP             {udp}");
    println!(
        "Public address  {}",
        r.public_addr.as_deref().unwrap_or("unknown")
    );
    let nat = match r.nat {
        NatKind::Open => "none (a public address)",
        NatKind::Cone => "cone (direct paths work)",
        NatKind::Symmetric => "symmetric (other networks go through the relay)",
        NatKind::Unknown => "unknown",
    };
    println!("NAT             {nat}");
    if !r.devices.is_empty() {
        println!("Paired devices");
        for h in &r.devices {
            let state = match (h.online, h.route, h.rtt_ms) {
                (true, Some(route), Some(ms)) => format!("{}, {ms} ms", route.as_str()),
                (true, _, _) => "online".into(),
                (false, _, _) => "offline".into(),
            };
            println!("  {}  {state}", h.device.name);
        }
    }
    let mark = match r.verdict.level {
        VerdictLevel::Good => "✓",
        VerdictLevel::Limited => "!",
        VerdictLevel::Broken => "✗",
    };
    println!("\n{mark} {}", r.verdict.message);
}
