//! How a node is configured.

use std::{net::SocketAddr, path::PathBuf};

/// Which relay servers a node uses when a direct path is not available.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RelayChoice {
    /// The public default relays.
    #[default]
    Default,
    /// No relays: LAN, loopback and direct addresses only.
    Disabled,
    /// One self-hosted relay, by URL.
    Custom(String),
}

impl RelayChoice {
    /// Parses `default`, `disabled` or a relay URL.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "default" => Self::Default,
            "disabled" | "none" | "off" => Self::Disabled,
            _ => Self::Custom(s.trim().to_string()),
        }
    }
}

/// Everything a node needs to start.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The folder holding the device key, the blob store and the database.
    pub data_dir: PathBuf,
    /// Relay servers to use.
    pub relay: RelayChoice,
    /// The name other devices see; `None` uses the host name.
    pub device_name: Option<String>,
    /// The local socket to bind; `None` binds all interfaces.
    pub bind_addr: Option<SocketAddr>,
}

impl NodeConfig {
    /// A configuration with defaults for everything but the data dir.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            relay: RelayChoice::Default,
            device_name: None,
            bind_addr: None,
        }
    }

    /// The platform's data dir for Ferry (`~/.local/share/ferry` on Linux).
    pub fn default_data_dir() -> Option<PathBuf> {
        dirs::data_dir().map(|d| d.join("ferry"))
    }
}

/// The host name, used as the default device name.
pub(crate) fn host_name() -> String {
    let name = gethostname::gethostname()
        .to_string_lossy()
        .trim()
        .to_string();
    if name.is_empty() {
        "Ferry device".to_string()
    } else {
        name
    }
}
