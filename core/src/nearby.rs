//! Nearby devices: Ferry devices on the same network, found by mDNS.
//!
//! Every node not bound to loopback announces itself under the `ferry`
//! service name with its device name as user data, and listens for the
//! others. Works with no internet and no relay. A paired device seen on the
//! LAN also gets its stored addresses refreshed, so pushes find it.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use iroh::{
    Endpoint, EndpointId, TransportAddr,
    address_lookup::{EndpointInfo, UserData},
};
use iroh_mdns_address_lookup::{DiscoveryEvent, MdnsAddressLookup};
use n0_future::StreamExt;
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use crate::{
    events::{Event, EventBus},
    names::clean_name,
    pairing::{Devices, nearby_labels},
    store::Db,
};

/// The mDNS service name Ferry devices announce under.
const SERVICE: &str = "ferry";

/// A Ferry device seen on the local network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(schemars::JsonSchema))]
pub struct NearbyDevice {
    /// Its device id.
    pub id: String,
    /// The name to show: a paired device's name here; another device's
    /// announced name, with the first digits of its id added, `name
    /// (1a2b3c4d)`, where it could pass for a paired device or an id.
    pub name: String,
    /// Its addresses on this network.
    pub addrs: Vec<SocketAddr>,
    /// Whether it is paired with this device.
    pub paired: bool,
}

/// What mDNS said about each device: its name and addresses.
type Seen = HashMap<EndpointId, (String, Vec<SocketAddr>)>;

/// The devices seen so far, by id.
#[derive(Debug, Default, Clone)]
pub(crate) struct Nearby {
    seen: Arc<Mutex<Seen>>,
    /// Whether mDNS runs at all (not on loopback, not where it failed).
    pub active: bool,
}

impl Nearby {
    /// Starts announcing and listening, unless the endpoint is bound to
    /// loopback only (no multicast there).
    pub fn start(
        endpoint: &Endpoint,
        name: &str,
        loopback: bool,
        db: Db,
        events: EventBus,
    ) -> Self {
        if loopback {
            return Self::default();
        }
        let mdns = match MdnsAddressLookup::builder()
            .service_name(SERVICE)
            .build(endpoint.id())
        {
            Ok(mdns) => mdns,
            Err(e) => {
                warn!("no LAN discovery: {e}");
                return Self::default();
            }
        };
        let mut announced = name.to_string();
        while announced.len() > UserData::MAX_LENGTH {
            announced.pop();
        }
        endpoint.set_user_data_for_address_lookup(UserData::try_from(announced).ok());
        match endpoint.address_lookup() {
            Ok(lookup) => lookup.add(mdns.clone()),
            Err(e) => warn!("no LAN discovery: {e}"),
        }
        let nearby = Self {
            seen: Arc::default(),
            active: true,
        };
        let seen = nearby.seen.clone();
        let own = endpoint.id();
        tokio::spawn(async move {
            let mut stream = mdns.subscribe().await;
            while let Some(event) = stream.next().await {
                match event {
                    DiscoveryEvent::Discovered { endpoint_info, .. } => {
                        if endpoint_info.endpoint_id == own {
                            continue;
                        }
                        found(&seen, &db, &events, endpoint_info);
                    }
                    DiscoveryEvent::Expired { endpoint_id } => {
                        let gone = seen
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&endpoint_id);
                        if gone.is_some() {
                            events.emit(Event::NearbyLost {
                                id: endpoint_id.to_string(),
                            });
                        }
                    }
                    _ => {}
                }
            }
        });
        nearby
    }
}

fn found(seen: &Mutex<Seen>, db: &Db, events: &EventBus, info: EndpointInfo) {
    let id = info.endpoint_id;
    let name = clean_name(info.data.user_data().map(|u| u.as_ref()).unwrap_or(""));
    let addrs: Vec<SocketAddr> = info
        .addrs()
        .filter_map(|a| match a {
            TransportAddr::Ip(ip) => Some(*ip),
            _ => None,
        })
        .take(8)
        .collect();
    let paired = matches!(db.device(&id.to_string()), Ok(Some(_)));
    let is_new = {
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        match make_room(&mut seen, db, &id, paired) {
            Room::Yes => {}
            Room::InPlaceOf(stranger) => events.emit(Event::NearbyLost {
                id: stranger.to_string(),
            }),
            Room::No => {
                debug!(peer = %id.fmt_short(), "nearby list full: not listed");
                return;
            }
        }
        seen.insert(id, (name.clone(), addrs.clone())).is_none()
    };
    if paired && !addrs.is_empty() {
        let _ = db.set_device_addrs(&id.to_string(), &addrs);
    }
    if is_new {
        debug!(peer = %id.fmt_short(), %name, "nearby");
        let id = id.to_string();
        let name = nearby_labels(db, &[(id.as_str(), name.as_str())])
            .ok()
            .and_then(|mut labels| labels.pop())
            .unwrap_or(name);
        events.emit(Event::NearbyFound { id, name, paired });
    }
}

/// The most devices listed as nearby. Anyone on the network can announce
/// ids without end; beyond this many, strangers are not listed, and a
/// paired device takes the place of a stranger.
const MAX_NEARBY: usize = 256;

/// Whether a device may be listed as nearby.
#[derive(Debug, PartialEq, Eq)]
enum Room {
    /// It is listed already, or there is room.
    Yes,
    /// It is paired: this stranger left the list to make room.
    InPlaceOf(EndpointId),
    /// The list is full.
    No,
}

fn make_room(seen: &mut Seen, db: &Db, id: &EndpointId, paired: bool) -> Room {
    if seen.contains_key(id) || seen.len() < MAX_NEARBY {
        return Room::Yes;
    }
    if !paired {
        return Room::No;
    }
    let stranger = seen
        .keys()
        .find(|other| !matches!(db.device(&other.to_string()), Ok(Some(_))))
        .copied();
    match stranger {
        Some(other) => {
            seen.remove(&other);
            Room::InPlaceOf(other)
        }
        None => Room::No,
    }
}

impl Devices<'_> {
    /// Whether LAN discovery runs on this node.
    pub fn nearby_active(&self) -> bool {
        self.node.inner.nearby.active
    }

    /// Ferry devices seen on the local network so far.
    pub fn nearby(&self) -> Vec<NearbyDevice> {
        let inner = &self.node.inner;
        let seen = inner
            .nearby
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut seen: Vec<(String, String, Vec<SocketAddr>)> = seen
            .into_iter()
            .map(|(id, (name, addrs))| (id.to_string(), name, addrs))
            .collect();
        // Earlier ids first, so that a name two strangers share is told
        // apart the same way each time.
        seen.sort();
        let entries: Vec<(&str, &str)> = seen
            .iter()
            .map(|(id, name, _)| (id.as_str(), name.as_str()))
            .collect();
        let labels = nearby_labels(&inner.db, &entries).unwrap_or_default();
        let mut list: Vec<NearbyDevice> = seen
            .iter()
            .enumerate()
            .map(|(i, (id, name, addrs))| NearbyDevice {
                paired: matches!(inner.db.device(id), Ok(Some(_))),
                id: id.clone(),
                name: labels.get(i).cloned().unwrap_or_else(|| name.clone()),
                addrs: addrs.clone(),
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        list
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(n: u64) -> EndpointId {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&n.to_be_bytes());
        iroh::SecretKey::from_bytes(&bytes).public()
    }

    /// Anyone on the network may announce ids without end: the list stops
    /// growing at its bound, and a paired device still gets in.
    #[test]
    fn the_nearby_list_stops_at_its_bound_and_keeps_room_for_paired_devices() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("ferry.sqlite")).unwrap();
        let mut seen = Seen::new();
        for n in 0..MAX_NEARBY as u64 {
            assert_eq!(make_room(&mut seen, &db, &id(n), false), Room::Yes);
            seen.insert(id(n), (format!("s{n}"), Vec::new()));
        }
        assert_eq!(make_room(&mut seen, &db, &id(10_000), false), Room::No);
        assert_eq!(make_room(&mut seen, &db, &id(3), false), Room::Yes);
        let friend = id(20_000);
        db.upsert_device(&friend.to_string(), "friend", &[], None)
            .unwrap();
        let Room::InPlaceOf(stranger) = make_room(&mut seen, &db, &friend, true) else {
            panic!("a paired device found no room");
        };
        assert!(!seen.contains_key(&stranger));
        assert_eq!(seen.len(), MAX_NEARBY - 1);
    }
}
