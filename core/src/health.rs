//! Health of paired devices: online or not, over which path, how far.
//!
//! A probe dials the device on `ferry/ping/1` with a short timeout and reads
//! the selected path and its round-trip time from the connection. The
//! answering side serves only paired devices, like every private protocol.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use iroh::{
    Endpoint, TransportAddr,
    endpoint::Connection,
    protocol::{AcceptError, ProtocolHandler},
};
use n0_future::StreamExt;
use serde::{Deserialize, Serialize};

use crate::{
    events::{Event, EventBus},
    pairing::Devices,
    store::{Db, Device},
};

/// The ping protocol's ALPN.
pub const ALPN: &[u8] = b"ferry/ping/1";

/// How long a probe waits for a device to answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// How a device can be reached right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Directly, on the local network.
    DirectLan,
    /// Directly, across the internet (hole-punched).
    DirectInternet,
    /// Through a relay server.
    Relay,
    /// On this very machine.
    Local,
}

impl Route {
    /// The lower-case name: `direct_lan`, `direct_internet`, `relay`, `local`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirectLan => "direct_lan",
            Self::DirectInternet => "direct_internet",
            Self::Relay => "relay",
            Self::Local => "local",
        }
    }
}

/// One device's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct Health {
    /// The device.
    pub device: Device,
    /// Whether it answered.
    pub online: bool,
    /// The path in use, when online.
    pub route: Option<Route>,
    /// The round-trip time of that path in milliseconds, when online.
    pub rtt_ms: Option<u64>,
}

fn is_lan(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

fn route_of(conn: &Connection) -> (Option<Route>, Option<u64>) {
    let paths = conn.paths();
    let Some(path) = paths.iter().find(|p| p.is_selected()) else {
        return (None, None);
    };
    let route = match path.remote_addr() {
        TransportAddr::Relay(_) => Route::Relay,
        TransportAddr::Ip(addr) if addr.ip().is_loopback() => Route::Local,
        TransportAddr::Ip(addr) if is_lan(addr.ip()) => Route::DirectLan,
        _ => Route::DirectInternet,
    };
    let rtt = u64::try_from(path.rtt().as_millis()).unwrap_or(u64::MAX);
    (Some(route), Some(rtt))
}

/// How long a probe that reached a device through a relay waits for a
/// direct path to be found (hole punching takes a round trip or two).
const DIRECT_WAIT: Duration = Duration::from_secs(3);

fn relayed(conn: &Connection) -> bool {
    conn.paths()
        .iter()
        .find(|p| p.is_selected())
        .is_some_and(|p| matches!(p.remote_addr(), TransportAddr::Relay(_)))
}

/// Waits, at most [`DIRECT_WAIT`], for a relayed connection to move to a
/// direct path; returns at once for one that is direct already.
pub(crate) async fn settle_route(conn: &Connection) {
    if !relayed(conn) {
        return;
    }
    let _ = tokio::time::timeout(DIRECT_WAIT, async {
        let mut paths = conn.paths_stream();
        while paths.next().await.is_some() {
            if !relayed(conn) {
                break;
            }
        }
    })
    .await;
}

/// The relay a dialled connection has a path through (the one the other
/// device is reachable at), if any.
pub(crate) fn relay_of(conn: &Connection) -> Option<String> {
    conn.paths().iter().find_map(|p| match p.remote_addr() {
        TransportAddr::Relay(url) => Some(url.to_string()),
        _ => None,
    })
}

/// Remembers how a dialled device answered: the direct address it was
/// reached at goes first among its stored addresses (tried first next
/// time, before stale ones), and a relay it was reached through is kept.
pub(crate) fn remember_route(db: &Db, device: &mut Device, conn: &Connection) {
    let selected =
        conn.paths()
            .iter()
            .find(|p| p.is_selected())
            .and_then(|p| match p.remote_addr() {
                TransportAddr::Ip(addr) => Some(*addr),
                _ => None,
            });
    if let Some(addr) = selected {
        let addrs = seen_at(&device.addrs, addr);
        if addrs != device.addrs && db.set_device_addrs(&device.id, &addrs).unwrap_or(false) {
            device.addrs = addrs;
        }
    }
    if let Some(relay) = relay_of(conn)
        && device.relay.as_deref() != Some(relay.as_str())
        && db.set_device_relay(&device.id, &relay).unwrap_or(false)
    {
        device.relay = Some(relay);
    }
}

/// The answering side of `ferry/ping/1`.
#[derive(Debug, Clone)]
pub(crate) struct PingProtocol {
    pub db: Db,
}

impl ProtocolHandler for PingProtocol {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Ok(Some(device)) = self.db.device(&conn.remote_id().to_string()) else {
            conn.close(403u32.into(), b"not paired");
            return Ok(());
        };
        // A device that probes us is where it dials from: remember that, so
        // a push queued for it finds it even when it came back on another
        // port or network than the one it was last seen on.
        let observed = conn.paths().iter().find_map(|p| match p.remote_addr() {
            TransportAddr::Ip(addr) => Some(*addr),
            _ => None,
        });
        if let Some(addr) = observed {
            let addrs = seen_at(&device.addrs, addr);
            if addrs != device.addrs {
                let _ = self.db.set_device_addrs(&device.id, &addrs);
            }
        }
        // The prober hangs up once it has measured the path.
        let _ = tokio::time::timeout(Duration::from_secs(10), conn.closed()).await;
        Ok(())
    }
}

/// How many direct addresses are kept per device.
const KEPT_ADDRS: usize = 8;

/// The addresses to keep for a device that was just seen at `observed`:
/// that one first, then the others it had, at most [`KEPT_ADDRS`].
fn seen_at(known: &[SocketAddr], observed: SocketAddr) -> Vec<SocketAddr> {
    std::iter::once(observed)
        .chain(known.iter().copied().filter(|a| *a != observed))
        .take(KEPT_ADDRS)
        .collect()
}

impl Devices<'_> {
    /// Probes one paired device (by name or id prefix) and emits
    /// [`Event::DeviceStatus`].
    pub async fn probe(&self, query: &str) -> Result<Health, crate::DeviceError> {
        let device = self.find(query)?;
        let inner = &self.node.inner;
        Ok(probe_device(&inner.endpoint, &inner.db, &inner.events, device).await)
    }

    /// Probes every paired device at once.
    pub async fn probe_all(&self) -> Result<Vec<Health>, crate::StoreError> {
        Ok(self.probe_each(self.list()?).await)
    }

    /// Probes `devices` at once; their health in the same order.
    pub(crate) async fn probe_each(&self, devices: Vec<Device>) -> Vec<Health> {
        let mut probes = tokio::task::JoinSet::new();
        for (i, device) in devices.into_iter().enumerate() {
            let (endpoint, db, events) = (
                self.node.inner.endpoint.clone(),
                self.node.inner.db.clone(),
                self.node.inner.events.clone(),
            );
            probes.spawn(async move { (i, probe_device(&endpoint, &db, &events, device).await) });
        }
        let mut all: Vec<(usize, Health)> = probes.join_all().await;
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, h)| h).collect()
    }
}

/// Probes one paired device over `endpoint` and emits
/// [`Event::DeviceStatus`] on `events`. A relay it answered through is
/// remembered for it, so it is tried again after a move.
pub(crate) async fn probe_device(
    endpoint: &Endpoint,
    db: &Db,
    events: &EventBus,
    device: Device,
) -> Health {
    let mut health = Health {
        device,
        online: false,
        route: None,
        rtt_ms: None,
    };
    if let Some(addr) = health.device.endpoint_addr()
        && let Ok(Ok(conn)) =
            tokio::time::timeout(PROBE_TIMEOUT, endpoint.connect(addr, ALPN)).await
    {
        settle_route(&conn).await;
        let (route, rtt) = route_of(&conn);
        remember_route(db, &mut health.device, &conn);
        health.online = true;
        health.route = route;
        health.rtt_ms = rtt;
        conn.close(0u32.into(), b"bye");
    }
    events.emit(Event::DeviceStatus {
        id: health.device.id.clone(),
        name: health.device.name.clone(),
        online: health.online,
        route: health.route,
        rtt_ms: health.rtt_ms,
    });
    health
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_device_seen_somewhere_is_tried_there_first() {
        let known = [a("192.168.1.5:4000"), a("10.0.0.2:4000")];
        // A new address goes first; the old ones stay behind it.
        assert_eq!(
            seen_at(&known, a("192.168.1.5:4100")),
            [a("192.168.1.5:4100"), known[0], known[1]]
        );
        // A known one moves to the front, once.
        assert_eq!(seen_at(&known, known[1]), [known[1], known[0]]);
        // At most so many are kept: the oldest go.
        let many: Vec<SocketAddr> = (0..KEPT_ADDRS as u16)
            .map(|i| SocketAddr::from(([10, 0, 0, 1], 5000 + i)))
            .collect();
        let kept = seen_at(&many, a("127.0.0.1:1"));
        assert_eq!(kept.len(), KEPT_ADDRS);
        assert_eq!(kept[0], a("127.0.0.1:1"));
        assert!(!kept.contains(many.last().unwrap()));
    }
}
