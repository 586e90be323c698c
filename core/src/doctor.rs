//! The network doctor: what a person (or whoever helps them) needs to know
//! when devices on other networks do not connect. The relays and their
//! latency, the public address the relays see, how the NAT maps it, whether
//! UDP gets out, discovery, every paired device's route, and one verdict
//! with what to try.

use std::{net::SocketAddr, time::Duration};

use iroh::{
    Endpoint, EndpointId, RelayUrl, Watcher,
    address_lookup::{AddressLookup, PkarrResolver},
};
use n0_future::StreamExt;
use serde::{Deserialize, Serialize};

use crate::{
    Node,
    config::{DiscoveryChoice, RelayChoice},
    health::Health,
    net::{self, Reach},
};

/// How long the doctor waits for the first network report and the relay.
const SETTLE: Duration = Duration::from_secs(6);
/// How long it waits to find its own record at the discovery server.
const DISCOVERY_WAIT: Duration = Duration::from_secs(5);

/// What the network doctor found.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct NetworkReport {
    /// The relay servers this device uses, nearest first.
    pub relays: Vec<RelayCheck>,
    /// The discovery service and whether it answers.
    pub discovery: DiscoveryCheck,
    /// Whether UDP gets out to the internet (needed for direct paths); not
    /// known when no relay answered to test it with.
    pub udp: Option<bool>,
    /// This device's address as the relays see it, when known.
    pub public_addr: Option<String>,
    /// How the network in front of this device maps its address.
    pub nat: NatKind,
    /// Every paired device, probed now.
    pub devices: Vec<Health>,
    /// One line to act on.
    pub verdict: Verdict,
}

/// One relay server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RelayCheck {
    /// Its URL.
    pub url: String,
    /// Whether this device holds a connection to it now (its home relay).
    pub connected: bool,
    /// The measured round trip in milliseconds, if it answered.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub latency_ms: Option<u64>,
    /// Why it could not be reached, if it could not.
    pub error: Option<String>,
}

/// The discovery service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DiscoveryCheck {
    /// `public`, `off`, or the URL of the server in use.
    pub service: String,
    /// Whether this device's own record could be read back from it (none
    /// when discovery is off).
    pub working: Option<bool>,
    /// What went wrong, if it did.
    pub error: Option<String>,
}

/// How the network in front of a device maps its address to the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum NatKind {
    /// No NAT: the public address is this machine's own.
    Open,
    /// One public port per socket, whoever it talks to ("cone",
    /// endpoint-independent): hole punching works.
    Cone,
    /// A new public port for each destination ("symmetric"): other
    /// networks are reached through the relay.
    Symmetric,
    /// Not known: UDP does not get out, or there is only one relay to
    /// compare with.
    Unknown,
}

/// The doctor's overall finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Verdict {
    /// How bad it is.
    pub level: VerdictLevel,
    /// What was found and what to try, in one line.
    pub message: String,
}

/// How well this device can reach others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum VerdictLevel {
    /// Other networks are reached, directly where they allow it.
    Good,
    /// Some devices are reached only slowly (relayed), or not when they
    /// move.
    Limited,
    /// Only devices on this network can be reached.
    Broken,
}

impl Node {
    /// Runs the network doctor: waits a few seconds for the network report
    /// and the relay, reads back this device's discovery record, and
    /// probes every paired device.
    pub async fn doctor(&self) -> NetworkReport {
        let inner = &self.inner;
        let (ep, reach) = (&inner.endpoint, &inner.reach);
        // With relays off there is nothing to measure the network with.
        let report = if reach.relay == RelayChoice::Disabled {
            None
        } else {
            let _ = tokio::time::timeout(SETTLE, ep.online()).await;
            tokio::time::timeout(SETTLE, ep.net_report().initialized())
                .await
                .ok()
        };
        let devices = self.devices();
        let paired = devices.list().unwrap_or_default();
        let (discovery, devices) =
            tokio::join!(check_discovery(ep, reach), devices.probe_each(paired));
        let relays = relay_checks(ep, reach, report.as_ref());
        let relay_ok = relays.iter().any(|r| r.connected || r.latency_ms.is_some());
        let udp = match report.as_ref().is_some_and(|r| r.udp_v4 || r.udp_v6) {
            true => Some(true),
            false if relay_ok => Some(false),
            false => None,
        };
        let public = report.as_ref().and_then(|r| {
            r.global_v4
                .map(SocketAddr::V4)
                .or(r.global_v6.map(SocketAddr::V6))
        });
        let varies = report.as_ref().and_then(|r| r.mapping_varies_by_dest());
        let nat = nat_kind(udp, public, varies);
        let verdict = verdict(
            reach,
            &relays,
            &discovery,
            udp,
            nat,
            net::relay_trouble(ep, reach),
        );
        NetworkReport {
            relays,
            discovery,
            udp,
            public_addr: public.map(|a| a.to_string()),
            nat,
            devices,
            verdict,
        }
    }
}

/// The relays in use (configured, or the public ones), with what the
/// network report measured.
fn relay_checks(
    ep: &Endpoint,
    reach: &Reach,
    report: Option<&iroh::unstable_net_report::NetReport>,
) -> Vec<RelayCheck> {
    let urls: Vec<RelayUrl> = match &reach.relay {
        RelayChoice::Disabled => return Vec::new(),
        RelayChoice::Default => iroh::endpoint::default_relay_mode().relay_map().urls(),
        RelayChoice::Custom(_) => reach
            .relay
            .urls()
            .iter()
            .filter_map(|u| u.parse().ok())
            .collect(),
    };
    let statuses = ep.home_relay_status().get();
    let mut checks: Vec<RelayCheck> = urls
        .into_iter()
        .map(|url| {
            let latency = report.and_then(|r| {
                r.relay_latency
                    .iter()
                    .filter(|(_, u, _)| **u == url)
                    .map(|(_, _, d)| d)
                    .min()
            });
            let status = statuses.iter().find(|s| *s.url() == url);
            let connected = status.is_some_and(|s| s.is_connected());
            let error = match (latency, connected) {
                (None, false) => Some(
                    status
                        .and_then(|s| s.last_error().map(|e| e.to_string()))
                        .unwrap_or_else(|| "no answer".to_string()),
                ),
                _ => None,
            };
            RelayCheck {
                url: url.to_string(),
                connected,
                latency_ms: latency.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                error,
            }
        })
        .collect();
    checks.sort_by_key(|c| c.latency_ms.unwrap_or(u64::MAX));
    checks
}

/// Reads this device's own record back from the discovery server.
async fn check_discovery(ep: &Endpoint, reach: &Reach) -> DiscoveryCheck {
    let service = reach.discovery_label();
    if !reach.discovery_on() {
        return DiscoveryCheck {
            service,
            working: None,
            error: None,
        };
    }
    let resolver = match &reach.discovery {
        DiscoveryChoice::Custom(url) => match url.trim().parse::<url::Url>() {
            Ok(u) => PkarrResolver::builder(u),
            Err(e) => {
                return DiscoveryCheck {
                    service,
                    working: Some(false),
                    error: Some(e.to_string()),
                };
            }
        },
        _ => PkarrResolver::n0_dns(),
    };
    let resolver = resolver.build(ep.tls_config().clone());
    let mut last_error = None;
    let deadline = tokio::time::Instant::now() + DISCOVERY_WAIT;
    while tokio::time::Instant::now() < deadline {
        match resolve_once(&resolver, ep.id()).await {
            Ok(()) => {
                return DiscoveryCheck {
                    service,
                    working: Some(true),
                    error: None,
                };
            }
            Err(e) => last_error = Some(e),
        }
        // Published a moment after start: look again.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    DiscoveryCheck {
        service,
        working: Some(false),
        error: last_error,
    }
}

async fn resolve_once(resolver: &PkarrResolver, id: EndpointId) -> Result<(), String> {
    let Some(mut items) = resolver.resolve(id) else {
        return Err("no lookup".into());
    };
    match tokio::time::timeout(Duration::from_secs(2), items.next()).await {
        Ok(Some(Ok(_))) => Ok(()),
        Ok(Some(Err(e))) => Err(e.to_string()),
        Ok(None) => Err("no record".into()),
        Err(_) => Err("no answer".into()),
    }
}

fn nat_kind(udp: Option<bool>, public: Option<SocketAddr>, varies: Option<bool>) -> NatKind {
    let Some(public) = public.filter(|_| udp == Some(true)) else {
        return NatKind::Unknown;
    };
    if is_own_address(public.ip()) {
        return NatKind::Open;
    }
    match varies {
        Some(true) => NatKind::Symmetric,
        Some(false) => NatKind::Cone,
        None => NatKind::Unknown,
    }
}

/// Whether `ip` is an address of this machine: a socket aimed at it
/// leaves from it (the route to one's own address is local).
fn is_own_address(ip: std::net::IpAddr) -> bool {
    let any: std::net::IpAddr = match ip {
        std::net::IpAddr::V4(_) => std::net::Ipv4Addr::UNSPECIFIED.into(),
        std::net::IpAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
    };
    std::net::UdpSocket::bind((any, 0))
        .and_then(|s| {
            s.connect((ip, 9))?;
            s.local_addr()
        })
        .is_ok_and(|local| local.ip() == ip)
}

fn verdict(
    reach: &Reach,
    relays: &[RelayCheck],
    discovery: &DiscoveryCheck,
    udp: Option<bool>,
    nat: NatKind,
    relay_trouble: Option<String>,
) -> Verdict {
    let say = |level, message: String| Verdict { level, message };
    if reach.relay == RelayChoice::Disabled {
        return say(
            VerdictLevel::Limited,
            "Relays are off: only devices on this network, or with addresses open to it, can be \
             reached; set the relay to `default` or your own server to reach the others."
                .into(),
        );
    }
    let relay_ok = relays.iter().any(|r| r.connected || r.latency_ms.is_some());
    if !relay_ok {
        return say(
            VerdictLevel::Broken,
            format!(
                "{}: devices on other networks are reached only where a direct path opens; this \
                 network's devices still connect. Check the internet connection, the relay URL, \
                 and that the server runs.",
                capitalized(&relay_trouble.unwrap_or_else(|| "no relay server answers".into()))
            ),
        );
    }
    if udp == Some(false) {
        return say(
            VerdictLevel::Limited,
            "UDP does not get out of this network: everything goes through the relay, more \
             slowly. Allow outgoing UDP for direct paths."
                .into(),
        );
    }
    if discovery.working == Some(false) {
        return say(
            VerdictLevel::Limited,
            format!(
                "The discovery server ({}) does not answer: a paired device that moved to another \
                 network may not be found until it is seen again.",
                discovery.service
            ),
        );
    }
    if nat == NatKind::Symmetric {
        return say(
            VerdictLevel::Limited,
            "Behind a symmetric NAT: devices on other networks are reached through the relay, more \
             slowly. A router with endpoint-independent NAT (or UPnP on) gives direct paths."
                .into(),
        );
    }
    say(
        VerdictLevel::Good,
        "Good: devices on other networks are reached directly where their network allows it, \
         through the relay otherwise."
            .into(),
    )
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(connected: bool, latency: Option<u64>) -> RelayCheck {
        RelayCheck {
            url: "http://r.example/".into(),
            connected,
            latency_ms: latency,
            error: None,
        }
    }

    fn discovery(working: Option<bool>) -> DiscoveryCheck {
        DiscoveryCheck {
            service: "http://d.example/pkarr".into(),
            working,
            error: None,
        }
    }

    #[test]
    fn the_verdict_names_what_is_missing_first() {
        let reach = Reach::default();
        let good = [relay(true, Some(20))];
        let v = verdict(
            &reach,
            &good,
            &discovery(Some(true)),
            Some(true),
            NatKind::Cone,
            None,
        );
        assert_eq!(v.level, VerdictLevel::Good);
        let v = verdict(
            &reach,
            &good,
            &discovery(Some(true)),
            Some(true),
            NatKind::Symmetric,
            None,
        );
        assert_eq!(v.level, VerdictLevel::Limited);
        assert!(v.message.contains("symmetric NAT"), "{}", v.message);
        let v = verdict(
            &reach,
            &good,
            &discovery(Some(false)),
            Some(true),
            NatKind::Cone,
            None,
        );
        assert!(v.message.contains("discovery server"), "{}", v.message);
        let v = verdict(
            &reach,
            &good,
            &discovery(None),
            Some(false),
            NatKind::Unknown,
            None,
        );
        assert!(
            v.message.starts_with("UDP does not get out"),
            "{}",
            v.message
        );
        let down = [relay(false, None)];
        let why = Some("the relay server http://r.example/ cannot be reached".to_string());
        let v = verdict(&reach, &down, &discovery(None), None, NatKind::Unknown, why);
        assert_eq!(v.level, VerdictLevel::Broken);
        assert!(
            v.message
                .starts_with("The relay server http://r.example/ cannot"),
            "{}",
            v.message
        );
        let off = Reach {
            relay: RelayChoice::Disabled,
            ..Reach::default()
        };
        let v = verdict(&off, &[], &discovery(None), None, NatKind::Unknown, None);
        assert!(v.message.starts_with("Relays are off"), "{}", v.message);
    }
}
