//! The network side of a node: the endpoint, its addresses, path kinds.

pub(crate) mod frame;
pub mod ticket;

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use iroh::{
    Endpoint, EndpointAddr, RelayMode, RelayUrl, SecretKey, TransportAddr, Watcher,
    address_lookup::{AddrFilter, DnsAddressLookup, PkarrPublisher, PkarrResolver},
    endpoint::{BindOpts, Connection, PortmapperConfig, presets},
    tls::CaTlsConfig,
};
use rustls_pki_types::{CertificateDer, pem::PemObject};
use tracing::debug;

use crate::{
    config::{DiscoveryChoice, RelayChoice, SettingError},
    error::NodeError,
    events::{Event, EventBus, PathKind},
};

/// How the endpoint reaches devices beyond its LAN: the relays, the
/// discovery service and the certificates trusted for self-hosted servers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reach {
    pub relay: RelayChoice,
    pub discovery: DiscoveryChoice,
    /// Trusted besides the public roots.
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Reach {
    /// The choices of a node's configuration, with the certificate file
    /// read (refused with a clear error if it holds no certificate).
    pub(crate) fn from_config(config: &crate::NodeConfig) -> Result<Self, NodeError> {
        let extra_roots = match &config.trust_cert {
            None => Vec::new(),
            Some(path) => read_trust_cert(path).map_err(|e| NodeError::BadTrustCert {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        };
        Ok(Self {
            relay: config.relay.clone(),
            discovery: config.discovery.clone(),
            extra_roots,
        })
    }

    /// The discovery service in use, as shown to people: `off`, `public`,
    /// or the URL of one's own server.
    pub(crate) fn discovery_label(&self) -> String {
        match &self.discovery {
            _ if !self.discovery_on() => "off".into(),
            DiscoveryChoice::Custom(url) => url.trim().to_string(),
            _ => "public".into(),
        }
    }

    /// Whether the node publishes and looks up addresses: the default
    /// service follows the relays (a node with relays off stays off every
    /// internet service), a chosen server is always used.
    pub(crate) fn discovery_on(&self) -> bool {
        match self.discovery {
            DiscoveryChoice::Disabled => false,
            DiscoveryChoice::Default => self.relay != RelayChoice::Disabled,
            DiscoveryChoice::Custom(_) => true,
        }
    }
}

/// The close code for a peer this device does not trust.
pub(crate) const NOT_PAIRED: u32 = 403;

/// How long dialing another device may take before Ferry gives up:
/// receiving from a ticket, joining a pairing and pushing all wait this
/// long, and say the same when it runs out.
pub(crate) const DIAL_TIMEOUT: Duration = Duration::from_secs(20);

/// Why another device could not be reached.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum DialError {
    /// Nothing answered in time.
    #[error(
        "no answer within {} s; is it running, on a network this device can reach?",
        DIAL_TIMEOUT.as_secs()
    )]
    TimedOut,
    /// The connection attempt failed (refused, wrong key, no route).
    #[error("{0}")]
    Failed(String),
}

/// The largest certificate file read.
const MAX_CERT_FILE: u64 = 4 << 20;

/// The certificates of a PEM file to trust: a readable file holding at
/// least one certificate.
pub(crate) fn read_trust_cert(
    path: &std::path::Path,
) -> Result<Vec<CertificateDer<'static>>, SettingError> {
    use std::io::Read;
    let shown = path.display().to_string();
    if !path.is_file() {
        return Err(SettingError::TrustCertMissing(shown));
    }
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CERT_FILE).read_to_end(&mut text))
        .map_err(|e| SettingError::TrustCertUnreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&text)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(SettingError::TrustCertEmpty(shown));
    }
    Ok(certs)
}

/// Why the relays cannot carry traffic right now, in a sentence: `None`
/// when none is configured or one is connected.
pub(crate) fn relay_trouble(ep: &Endpoint, reach: &Reach) -> Option<String> {
    let which = match &reach.relay {
        RelayChoice::Disabled => return None,
        RelayChoice::Default => "the public relay servers cannot".to_string(),
        RelayChoice::Custom(_) => match reach.relay.urls().as_slice() {
            [one] => format!("the relay server {one} cannot"),
            many => format!("none of the relay servers {} can", many.join(", ")),
        },
    };
    let statuses = ep.home_relay_status().get();
    if statuses.iter().any(|s| s.is_connected()) {
        return None;
    }
    let error = statuses
        .iter()
        .find_map(|s| s.last_error().map(|e| e.to_string()));
    Some(match error {
        Some(e) => format!("{which} be reached ({e})"),
        None => format!("{which} be reached"),
    })
}

impl DialError {
    /// The error as a failure to reach `name`, naming the relay when it is
    /// what is missing (off this LAN, a device is reached through one).
    pub(crate) fn explained(&self, name: &str, ep: &Endpoint, reach: &Reach) -> String {
        match relay_trouble(ep, reach) {
            None => format!("cannot reach {name}: {self}"),
            Some(why) => {
                let what = match self {
                    Self::TimedOut => format!("no answer within {} s", DIAL_TIMEOUT.as_secs()),
                    Self::Failed(e) => e.clone(),
                };
                format!(
                    "cannot reach {name}: {what}, and {why}; devices on other networks are \
                     reached through it"
                )
            }
        }
    }
}

/// Dials `addr` on `alpn`, giving up after [`DIAL_TIMEOUT`].
pub(crate) async fn dial(
    endpoint: &Endpoint,
    addr: EndpointAddr,
    alpn: &[u8],
) -> Result<Connection, DialError> {
    match tokio::time::timeout(DIAL_TIMEOUT, endpoint.connect(addr, alpn)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(DialError::Failed(e.to_string())),
        Err(_) => Err(DialError::TimedOut),
    }
}

/// Turns a stranger away before anything it sent is read, and says so.
pub(crate) fn refuse_stranger(conn: &Connection, events: &EventBus) {
    conn.close(NOT_PAIRED.into(), b"not paired");
    events.emit(Event::StrangerRefused {
        peer: conn.remote_id().to_string(),
    });
}

/// Binds the node's endpoint with its device key and relay choice.
///
/// Where the port is left open (no bind address, or port 0), the endpoint
/// first tries `preferred_port` (the port this data dir used last), so that
/// paired devices find it again where they last saw it; if that port is
/// taken it binds any free port.
pub(crate) async fn bind_endpoint(
    key: SecretKey,
    reach: &Reach,
    bind_addr: Option<SocketAddr>,
    preferred_port: Option<u16>,
    alpns: Vec<Vec<u8>>,
) -> Result<Endpoint, NodeError> {
    let open_port = bind_addr.is_none_or(|a| a.port() == 0);
    if let Some(port) = preferred_port.filter(|p| *p != 0 && open_port) {
        let attempt = match bind_addr {
            Some(a) => Bind::Exact(SocketAddr::new(a.ip(), port)),
            None => Bind::AnyInterface(port),
        };
        match try_bind(key.clone(), reach, attempt, alpns.clone()).await {
            Ok(ep) => return Ok(ep),
            Err(NodeError::Endpoint(e)) => debug!("port {port} is not free ({e}); taking another"),
            Err(e) => return Err(e),
        }
    }
    let attempt = match bind_addr {
        Some(a) => Bind::Exact(a),
        None => Bind::Default,
    };
    try_bind(key, reach, attempt, alpns).await
}

/// Which sockets to bind.
#[derive(Debug, Clone, Copy)]
enum Bind {
    /// iroh's default: all interfaces, any port.
    Default,
    /// All interfaces (IPv4, and IPv6 where available) on this port.
    AnyInterface(u16),
    /// Exactly this address.
    Exact(SocketAddr),
}

/// The relay mode of a relay choice.
fn relay_mode(relay: &RelayChoice) -> Result<RelayMode, NodeError> {
    Ok(match relay {
        RelayChoice::Default => iroh::endpoint::default_relay_mode(),
        RelayChoice::Disabled => RelayMode::Disabled,
        RelayChoice::Custom(_) => {
            let urls = relay
                .urls()
                .into_iter()
                .map(|url| {
                    url.parse::<RelayUrl>().map_err(|e| NodeError::BadRelayUrl {
                        url: url.to_string(),
                        reason: e.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            RelayMode::custom(urls)
        }
    })
}

async fn try_bind(
    key: SecretKey,
    reach: &Reach,
    bind: Bind,
    alpns: Vec<Vec<u8>>,
) -> Result<Endpoint, NodeError> {
    let mut builder = Endpoint::builder(presets::Minimal)
        .relay_mode(relay_mode(&reach.relay)?)
        .secret_key(key)
        .alpns(alpns);
    if !reach.extra_roots.is_empty() {
        builder = builder
            .ca_tls_config(CaTlsConfig::embedded().with_extra_roots(reach.extra_roots.clone()));
    }
    if reach.discovery_on() {
        builder = match &reach.discovery {
            DiscoveryChoice::Custom(url) => {
                let url: url::Url = url.trim().parse().map_err(|e: url::ParseError| {
                    NodeError::BadDiscoveryUrl {
                        url: url.clone(),
                        reason: e.to_string(),
                    }
                })?;
                // A server of one's own: publish the direct addresses too,
                // so devices find each other even with no relay between them.
                builder
                    .address_lookup(
                        PkarrPublisher::builder(url.clone()).addr_filter(AddrFilter::unfiltered()),
                    )
                    .address_lookup(PkarrResolver::builder(url))
            }
            // The public service learns the relay only, never an address.
            _ => builder
                .address_lookup(PkarrPublisher::n0_dns())
                .address_lookup(PkarrResolver::n0_dns())
                .address_lookup(DnsAddressLookup::n0_dns()),
        };
    }
    let endpoint_err = |e: &dyn std::fmt::Display| NodeError::Endpoint(e.to_string());
    match bind {
        Bind::Default => {}
        Bind::AnyInterface(port) => {
            builder = builder
                .clear_ip_transports()
                .bind_addr(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port))
                .map_err(|e| endpoint_err(&e))?
                .bind_addr_with_opts(
                    SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port),
                    BindOpts::default().set_is_required(false),
                )
                .map_err(|e| endpoint_err(&e))?;
        }
        Bind::Exact(addr) => {
            builder = builder
                .clear_ip_transports()
                .bind_addr(addr)
                .map_err(|e| endpoint_err(&e))?;
            if addr.ip().is_loopback() {
                // Nothing on loopback is behind a gateway; do not probe for one.
                builder = builder.portmapper_config(PortmapperConfig::Disabled);
            }
        }
    }
    if matches!(reach.relay, RelayChoice::Disabled) {
        builder = builder.portmapper_config(PortmapperConfig::Disabled);
    }
    builder.bind().await.map_err(|e| endpoint_err(&e))
}

/// The port the endpoint listens on (its first IPv4 socket, else any).
pub(crate) fn bound_port(ep: &Endpoint) -> Option<u16> {
    let sockets = ep.bound_sockets();
    sockets
        .iter()
        .find(|a| a.is_ipv4())
        .or(sockets.first())
        .map(|a| a.port())
}

/// The endpoint's address trimmed for a ticket or QR code: the relay URL and
/// the direct addresses another device could plausibly use, without
/// link-local, container-bridge or VPN clutter.
pub(crate) fn ticket_addr(ep: &Endpoint) -> EndpointAddr {
    let full = ep.addr();
    let mut v4: Vec<SocketAddr> = Vec::new();
    let mut v6: Vec<SocketAddr> = Vec::new();
    let mut loopback: Vec<SocketAddr> = Vec::new();
    for addr in full.ip_addrs() {
        match addr.ip() {
            ip if ip.is_loopback() => loopback.push(*addr),
            IpAddr::V4(ip) if useful_v4(ip) => v4.push(*addr),
            IpAddr::V6(ip) if useful_v6(ip) => v6.push(*addr),
            _ => {}
        }
    }
    v4.sort_by_key(|a| v4_rank(a.ip()));
    v4.truncate(3);
    v6.truncate(1);
    let mut direct: Vec<SocketAddr> = v4.into_iter().chain(v6).collect();
    if direct.is_empty() {
        // Bound to loopback only (tests, or a deliberately local node).
        direct = loopback.into_iter().take(1).collect();
    }
    let mut out = EndpointAddr::new(full.id);
    if let Some(relay) = full.relay_urls().next() {
        out = out.with_relay_url(relay.clone());
    }
    for a in direct {
        out = out.with_ip_addr(a);
    }
    out
}

fn useful_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        // 172.17.0.0/16 is the default container bridge.
        || (a == 172 && b == 17)
        // 100.64.0.0/10: carrier-grade NAT, mostly overlay VPNs.
        || (a == 100 && (64..128).contains(&b)))
}

fn useful_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    // Global unicast only: no link-local (fe80::/10), unique-local (fc00::/7) or multicast.
    !(ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xffc0) == 0xfe80
        || (first & 0xfe00) == 0xfc00)
}

/// Orders LAN addresses first: they work with no internet at all.
fn v4_rank(ip: IpAddr) -> u8 {
    match ip {
        IpAddr::V4(v4) if v4.octets()[0] == 192 && v4.octets()[1] == 168 => 0,
        IpAddr::V4(v4) if v4.octets()[0] == 10 => 1,
        IpAddr::V4(v4) if v4.is_private() => 2,
        _ => 3,
    }
}

/// Tells whether the connection's selected path is direct, relayed or local.
pub(crate) fn path_kind(conn: &Connection) -> PathKind {
    let paths = conn.paths();
    let selected = paths.iter().find(|p| p.is_selected());
    match selected.as_ref().map(|p| p.remote_addr()) {
        Some(TransportAddr::Relay(_)) => PathKind::Relay,
        Some(TransportAddr::Ip(addr)) if addr.ip().is_loopback() => PathKind::Local,
        Some(_) => PathKind::Direct,
        None => PathKind::Direct,
    }
}

/// Like [`ticket_addr`], after giving the endpoint a moment to learn its
/// addresses: at most a few seconds for a home relay (never forever, so a
/// node with no internet still gets a ticket with its LAN addresses).
pub(crate) async fn ticket_addr_when_ready(ep: &Endpoint, relays: bool) -> EndpointAddr {
    if relays && ep.addr().relay_urls().next().is_none() {
        let _ = tokio::time::timeout(Duration::from_secs(3), ep.online()).await;
    }
    for _ in 0..20 {
        if ep.addr().ip_addrs().next().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ticket_addr(ep)
}
