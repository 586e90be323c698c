//! The network doctor as the foreign side sees it: what stands between
//! this device and the others, and what to try.

use crate::{DeviceHealth, FerryError, FerryNode, run};

/// What the network doctor found.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NetworkCheck {
    /// The relay servers in use, nearest first.
    pub relays: Vec<RelayCheckInfo>,
    /// `public`, `off`, or the URL of the discovery server in use.
    pub discovery_service: String,
    /// Whether this device's record could be read back from discovery
    /// (none when discovery is off).
    pub discovery_working: Option<bool>,
    /// Why discovery does not work, if it does not.
    pub discovery_error: Option<String>,
    /// Whether UDP gets out (none: no relay answered to test it with).
    pub udp: Option<bool>,
    /// This device's address as the relays see it.
    pub public_addr: Option<String>,
    /// How the network in front of this device maps its address.
    pub nat: NatBehaviour,
    /// Every paired device, probed now.
    pub devices: Vec<DeviceHealth>,
    /// How well this device reaches others.
    pub verdict: VerdictKind,
    /// What was found and what to try, in one line.
    pub verdict_message: String,
}

/// One relay server.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RelayCheckInfo {
    /// Its URL.
    pub url: String,
    /// Whether this device is connected to it now.
    pub connected: bool,
    /// Its round trip in milliseconds, if it answered.
    pub latency_ms: Option<u64>,
    /// Why it could not be reached.
    pub error: Option<String>,
}

/// How the network in front of a device maps its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NatBehaviour {
    /// No NAT: a public address.
    Open,
    /// Endpoint-independent ("cone"): direct paths work.
    Cone,
    /// A new port per destination ("symmetric"): other networks go
    /// through the relay.
    Symmetric,
    /// Not known.
    Unknown,
}

/// The doctor's overall finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VerdictKind {
    /// Other networks are reached, directly where they allow it.
    Good,
    /// Some devices only relayed, or not found after they move.
    Limited,
    /// Only devices on this network can be reached.
    Broken,
}

impl From<ferry_core::NetworkReport> for NetworkCheck {
    fn from(r: ferry_core::NetworkReport) -> Self {
        Self {
            relays: r
                .relays
                .into_iter()
                .map(|c| RelayCheckInfo {
                    url: c.url,
                    connected: c.connected,
                    latency_ms: c.latency_ms,
                    error: c.error,
                })
                .collect(),
            discovery_service: r.discovery.service,
            discovery_working: r.discovery.working,
            discovery_error: r.discovery.error,
            udp: r.udp,
            public_addr: r.public_addr,
            nat: match r.nat {
                ferry_core::NatKind::Open => NatBehaviour::Open,
                ferry_core::NatKind::Cone => NatBehaviour::Cone,
                ferry_core::NatKind::Symmetric => NatBehaviour::Symmetric,
                ferry_core::NatKind::Unknown => NatBehaviour::Unknown,
            },
            devices: r.devices.into_iter().map(DeviceHealth::from).collect(),
            verdict: match r.verdict.level {
                ferry_core::VerdictLevel::Good => VerdictKind::Good,
                ferry_core::VerdictLevel::Limited => VerdictKind::Limited,
                ferry_core::VerdictLevel::Broken => VerdictKind::Broken,
            },
            verdict_message: r.verdict.message,
        }
    }
}

/// The network doctor.
#[uniffi::export]
impl FerryNode {
    /// Checks the network: the relays and their latency, the public
    /// address and NAT, UDP, discovery, every paired device's route, and a
    /// verdict with what to try. Takes a few seconds.
    pub async fn check_network(&self) -> Result<NetworkCheck, FerryError> {
        let node = self.node.clone();
        run(async move { Ok(node.doctor().await.into()) }).await
    }
}
