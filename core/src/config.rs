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
    /// Self-hosted relays: one URL, or several separated by commas or
    /// spaces (the nearest one becomes the home relay).
    Custom(String),
}

impl RelayChoice {
    /// Parses `default`, `disabled` or one or more relay URLs.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "default" => Self::Default,
            "disabled" | "none" | "off" => Self::Disabled,
            _ => Self::Custom(s.trim().to_string()),
        }
    }

    /// Parses a relay choice as a settings screen takes it, refusing a URL
    /// that cannot name a relay server.
    pub fn checked(s: &str) -> Result<Self, SettingError> {
        let choice = Self::parse(s);
        if let Self::Custom(urls) = &choice {
            check_relay_url(urls)?;
        }
        Ok(choice)
    }

    /// The self-hosted relays' URLs, in the order given (none for the
    /// default and disabled choices).
    pub fn urls(&self) -> Vec<&str> {
        match self {
            Self::Custom(urls) => url_list(urls),
            _ => Vec::new(),
        }
    }
}

/// Where a node publishes its current addresses and looks up the paired
/// devices' ones, so a device that moved network is still found by its id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DiscoveryChoice {
    /// The public default discovery service.
    #[default]
    Default,
    /// No address lookup: devices are dialled at the addresses they were
    /// last seen at, and found on the LAN.
    Disabled,
    /// A self-hosted discovery server (pkarr over HTTP), by URL, such as
    /// `https://dns.example.net/pkarr`.
    Custom(String),
}

impl DiscoveryChoice {
    /// Parses `default`, `disabled` or a discovery server URL.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "default" => Self::Default,
            "disabled" | "none" | "off" => Self::Disabled,
            _ => Self::Custom(s.trim().to_string()),
        }
    }

    /// Parses a discovery choice as a settings screen takes it, refusing a
    /// URL that cannot name a discovery server.
    pub fn checked(s: &str) -> Result<Self, SettingError> {
        let choice = Self::parse(s);
        if let Self::Custom(url) = &choice {
            check_discovery_url(url)?;
        }
        Ok(choice)
    }
}

/// Splits a list of URLs at commas and white space.
fn url_list(s: &str) -> Vec<&str> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|u| !u.is_empty())
        .collect()
}

/// Why a setting cannot be used. Each message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// The device name is empty (or only spaces).
    #[error("give this device a name")]
    NameEmpty,
    /// The device name is too long.
    #[error(
        "the device name is longer than {} characters",
        crate::names::MAX_NAME_CHARS
    )]
    NameTooLong,
    /// The device name holds control or format characters.
    #[error("the device name has control characters")]
    NameHasControl,
    /// No relay URL was given.
    #[error("enter the URL of your relay server")]
    RelayUrlEmpty,
    /// The relay URL is not http or https.
    #[error("the relay URL must start with https:// or http://")]
    RelayUrlScheme,
    /// The relay URL names no host.
    #[error("the relay URL has no host name")]
    RelayUrlNoHost,
    /// No discovery server URL was given.
    #[error("enter the URL of your discovery server")]
    DiscoveryUrlEmpty,
    /// The discovery server URL is not http or https, or names no host.
    #[error("the discovery server URL must be http:// or https:// and name a host")]
    DiscoveryUrlInvalid,
    /// The certificate file to trust is not there.
    #[error("the certificate file {0} does not exist")]
    TrustCertMissing(String),
    /// The certificate file to trust cannot be read.
    #[error("the certificate file {path} cannot be read: {reason}")]
    TrustCertUnreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The certificate file to trust holds no certificate.
    #[error("the certificate file {0} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    TrustCertEmpty(String),
}

impl crate::HasKind for SettingError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

/// A device name as it is kept: trimmed, at most 64
/// characters, with no control or format characters (names other devices
/// show must not hide or reorder text).
pub fn check_device_name(name: &str) -> Result<String, SettingError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(SettingError::NameEmpty);
    }
    if name.chars().count() > crate::names::MAX_NAME_CHARS {
        return Err(SettingError::NameTooLong);
    }
    if name
        .chars()
        .any(|c| c.is_control() || crate::names::is_format_char(c))
    {
        return Err(SettingError::NameHasControl);
    }
    Ok(name.to_string())
}

/// Checks relay server URLs (one, or several separated by commas or
/// spaces): each http or https, with a host name.
pub fn check_relay_url(urls: &str) -> Result<(), SettingError> {
    let urls = url_list(urls);
    if urls.is_empty() {
        return Err(SettingError::RelayUrlEmpty);
    }
    for url in urls {
        match http_host(url) {
            Err(UrlFault::Scheme) => return Err(SettingError::RelayUrlScheme),
            Err(UrlFault::NoHost) => return Err(SettingError::RelayUrlNoHost),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Checks a discovery server's URL: http or https, with a host name.
pub fn check_discovery_url(url: &str) -> Result<(), SettingError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(SettingError::DiscoveryUrlEmpty);
    }
    if url.contains(char::is_whitespace) || http_host(url).is_err() {
        return Err(SettingError::DiscoveryUrlInvalid);
    }
    Ok(())
}

/// Checks a certificate file to trust for self-hosted servers: a readable
/// file holding at least one PEM certificate (a node refuses any other).
pub fn check_trust_cert(path: &std::path::Path) -> Result<(), SettingError> {
    crate::net::read_trust_cert(path).map(|_| ())
}

enum UrlFault {
    Scheme,
    NoHost,
}

/// The host part of an http or https URL.
fn http_host(url: &str) -> Result<&str, UrlFault> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(UrlFault::Scheme);
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(UrlFault::Scheme);
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(UrlFault::NoHost);
    }
    Ok(host)
}

/// Everything a node needs to start.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The folder holding the device key, the blob store and the database.
    pub data_dir: PathBuf,
    /// Relay servers to use.
    pub relay: RelayChoice,
    /// Where to publish this device's addresses and look up others'.
    pub discovery: DiscoveryChoice,
    /// A PEM file of certificates to trust, besides the public ones, for
    /// self-hosted relay and discovery servers (a private CA or a
    /// self-signed certificate).
    pub trust_cert: Option<PathBuf>,
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
            discovery: DiscoveryChoice::Default,
            trust_cert: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_name_is_trimmed_bounded_and_plain() {
        assert_eq!(check_device_name("  Studio "), Ok("Studio".to_string()));
        assert_eq!(
            check_device_name("Ana’s Pixel 9"),
            Ok("Ana’s Pixel 9".into())
        );
        assert_eq!(check_device_name("   "), Err(SettingError::NameEmpty));
        assert_eq!(check_device_name(&"é".repeat(64)), Ok("é".repeat(64)));
        assert_eq!(
            check_device_name(&"x".repeat(65)),
            Err(SettingError::NameTooLong)
        );
        // Spaces inside are the user's: kept as typed.
        assert_eq!(check_device_name("a  b"), Ok("a  b".into()));
        for hidden in ["a\tb", "a\u{202e}b", "a\u{200b}b", "a\nb"] {
            assert_eq!(
                check_device_name(hidden),
                Err(SettingError::NameHasControl),
                "{hidden:?}"
            );
        }
    }

    #[test]
    fn a_relay_is_a_word_or_an_http_url_with_a_host() {
        assert_eq!(RelayChoice::checked(" Default "), Ok(RelayChoice::Default));
        assert_eq!(RelayChoice::checked("off"), Ok(RelayChoice::Disabled));
        assert_eq!(
            RelayChoice::checked(" https://relay.example.net "),
            Ok(RelayChoice::Custom("https://relay.example.net".into()))
        );
        assert_eq!(
            RelayChoice::checked("HTTP://r.example:3340/"),
            Ok(RelayChoice::Custom("HTTP://r.example:3340/".into()))
        );
        assert_eq!(
            RelayChoice::checked("relay.example"),
            Err(SettingError::RelayUrlScheme)
        );
        assert_eq!(
            RelayChoice::checked("ftp://relay.example"),
            Err(SettingError::RelayUrlScheme)
        );
        assert_eq!(
            RelayChoice::checked("https:///x"),
            Err(SettingError::RelayUrlNoHost)
        );
        assert_eq!(check_relay_url(" "), Err(SettingError::RelayUrlEmpty));
        // Several relays: each one is checked, in the order given.
        let two = RelayChoice::checked("http://10.0.0.1:3340, https://r.example");
        assert_eq!(
            two.as_ref().map(RelayChoice::urls),
            Ok(vec!["http://10.0.0.1:3340", "https://r.example"])
        );
        assert_eq!(
            RelayChoice::checked("https://r.example ftp://x"),
            Err(SettingError::RelayUrlScheme)
        );
        assert!(RelayChoice::Default.urls().is_empty());
    }

    #[test]
    fn discovery_is_a_word_or_an_http_url_with_a_host() {
        assert_eq!(DiscoveryChoice::checked(""), Ok(DiscoveryChoice::Default));
        assert_eq!(
            DiscoveryChoice::checked("Disabled"),
            Ok(DiscoveryChoice::Disabled)
        );
        assert_eq!(
            DiscoveryChoice::checked(" http://10.0.0.1:8080/pkarr "),
            Ok(DiscoveryChoice::Custom("http://10.0.0.1:8080/pkarr".into()))
        );
        for bad in ["dns.example", "https://", "https://a b/pkarr", "udp://x"] {
            assert_eq!(
                DiscoveryChoice::checked(bad),
                Err(SettingError::DiscoveryUrlInvalid),
                "{bad}"
            );
        }
        assert_eq!(
            check_discovery_url("  "),
            Err(SettingError::DiscoveryUrlEmpty)
        );
    }
}
