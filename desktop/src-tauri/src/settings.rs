//! The desktop app's settings, kept as JSON in the data dir
//! (`desktop-settings.json`) and applied when the node starts. The inbox
//! policy and folder apply at once; the device name and the network
//! settings (relay, discovery, trusted certificate) take effect when the
//! node next starts.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use ferry_core::{AcceptPolicy, DiscoveryChoice, ErrorKind, HasKind, RelayChoice};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::CommandError;

/// The file name, inside the data dir.
pub const FILE_NAME: &str = "desktop-settings.json";

/// How offers from paired devices are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, Default)]
#[serde(rename_all = "snake_case")]
pub enum AcceptMode {
    /// Ask (devices with auto-accept on are accepted at once).
    #[default]
    Ask,
    /// Only devices with auto-accept on.
    Trusted,
    /// Refuse every offer.
    Never,
}

impl AcceptMode {
    pub fn policy(self) -> AcceptPolicy {
        match self {
            Self::Ask => AcceptPolicy::Ask,
            Self::Trusted => AcceptPolicy::Trusted,
            Self::Never => AcceptPolicy::Never,
        }
    }
}

/// Which relay servers carry traffic when no direct path works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, Default)]
#[serde(rename_all = "snake_case")]
pub enum RelayMode {
    /// The public default relays.
    #[default]
    Default,
    /// None: only direct and LAN connections.
    Disabled,
    /// Relay servers of your own (`relay_url`: one URL, or several
    /// separated by commas).
    Custom,
}

/// Where this device publishes its addresses and looks up its paired
/// devices' ones, so that a device that changed network is found again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, Default)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryMode {
    /// The public discovery service (off when relays are disabled).
    #[default]
    Default,
    /// None: devices are dialled where they were last seen, and found on
    /// the local network.
    Disabled,
    /// A discovery server of your own (`discovery_url`, a pkarr URL).
    Custom,
}

/// Everything the Settings screen edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct Settings {
    /// The name other devices see.
    pub device_name: String,
    pub accept: AcceptMode,
    /// Where received files go.
    pub download_dir: String,
    pub relay: RelayMode,
    /// The relay servers when `relay` is `custom`.
    pub relay_url: String,
    pub discovery: DiscoveryMode,
    /// The discovery server when `discovery` is `custom`.
    pub discovery_url: String,
    /// A PEM file of certificates to trust besides the public ones, for a
    /// relay or discovery server of your own with a private certificate
    /// authority; empty for none.
    pub trust_cert: String,
    /// Start Ferry (in the tray) when the user logs in.
    pub start_at_login: bool,
    /// Show system notifications for offers and finished transfers.
    pub notifications: bool,
    /// Closing the window keeps Ferry running in the tray.
    pub close_to_tray: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            device_name: String::new(),
            accept: AcceptMode::Ask,
            download_dir: String::new(),
            relay: RelayMode::Default,
            relay_url: String::new(),
            discovery: DiscoveryMode::Default,
            discovery_url: String::new(),
            trust_cert: String::new(),
            start_at_login: false,
            notifications: true,
            close_to_tray: true,
        }
    }
}

impl Settings {
    /// The relay choice these settings make.
    pub fn relay_choice(&self) -> RelayChoice {
        match self.relay {
            RelayMode::Default => RelayChoice::Default,
            RelayMode::Disabled => RelayChoice::Disabled,
            RelayMode::Custom => RelayChoice::Custom(self.relay_url.trim().to_string()),
        }
    }

    /// The same relay choice as settings: mode and URL.
    pub fn set_relay(&mut self, choice: &RelayChoice) {
        (self.relay, self.relay_url) = match choice {
            RelayChoice::Default => (RelayMode::Default, String::new()),
            RelayChoice::Disabled => (RelayMode::Disabled, String::new()),
            RelayChoice::Custom(url) => (RelayMode::Custom, url.clone()),
        };
    }

    /// The discovery choice these settings make.
    pub fn discovery_choice(&self) -> DiscoveryChoice {
        match self.discovery {
            DiscoveryMode::Default => DiscoveryChoice::Default,
            DiscoveryMode::Disabled => DiscoveryChoice::Disabled,
            DiscoveryMode::Custom => DiscoveryChoice::Custom(self.discovery_url.trim().to_string()),
        }
    }

    /// The same discovery choice as settings: mode and URL.
    pub fn set_discovery(&mut self, choice: &DiscoveryChoice) {
        (self.discovery, self.discovery_url) = match choice {
            DiscoveryChoice::Default => (DiscoveryMode::Default, String::new()),
            DiscoveryChoice::Disabled => (DiscoveryMode::Disabled, String::new()),
            DiscoveryChoice::Custom(url) => (DiscoveryMode::Custom, url.clone()),
        };
    }

    /// The certificate file to trust, if one is set.
    pub fn trust_cert_path(&self) -> Option<PathBuf> {
        Some(self.trust_cert.trim())
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    }

    /// Trims the text fields and checks every value; the first problem is
    /// an `invalid_input` error whose message names the field.
    pub fn validated(mut self) -> Result<Self, CommandError> {
        let invalid = |e: ferry_core::SettingError| CommandError::new(e.kind(), e);
        self.device_name = self.device_name.trim().to_string();
        self.download_dir = self.download_dir.trim().to_string();
        self.relay_url = self.relay_url.trim().to_string();
        self.discovery_url = self.discovery_url.trim().to_string();
        self.trust_cert = self.trust_cert.trim().to_string();
        self.device_name = ferry_core::check_device_name(&self.device_name).map_err(invalid)?;
        if self.download_dir.is_empty() {
            return Err(CommandError::new(
                ErrorKind::InvalidInput,
                "pick a folder for received files",
            ));
        }
        if !Path::new(&self.download_dir).is_absolute() {
            return Err(CommandError::new(
                ErrorKind::InvalidInput,
                "the folder for received files must be a full path",
            ));
        }
        if self.relay == RelayMode::Custom {
            ferry_core::check_relay_url(&self.relay_url).map_err(invalid)?;
        } else {
            self.relay_url.clear();
        }
        if self.discovery == DiscoveryMode::Custom {
            ferry_core::check_discovery_url(&self.discovery_url).map_err(invalid)?;
        } else {
            self.discovery_url.clear();
        }
        if let Some(path) = self.trust_cert_path() {
            check_trust_cert(&path)?;
        }
        Ok(self)
    }
}

/// Checks a certificate file to trust: a full path (the app has no
/// folder of its own to read a relative one from), then core's rule.
fn check_trust_cert(path: &Path) -> Result<(), CommandError> {
    if !path.is_absolute() {
        return Err(CommandError::new(
            ErrorKind::InvalidInput,
            "the certificate file must be given by its full path",
        ));
    }
    ferry_core::check_trust_cert(path).map_err(|e| CommandError::new(e.kind(), e))
}

/// Where the settings are kept.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved settings; `None` if none were saved yet. A file that does
    /// not parse is an error, so that it is never silently overwritten.
    pub fn load(&self) -> Result<Option<Settings>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", self.path.display())),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{} is damaged: {e}", self.path.display()))
    }

    /// Writes the settings: a temporary file, flushed, then renamed over
    /// the old one, so a crash leaves either the old or the new settings.
    pub fn save(&self, settings: &Settings) -> Result<(), CommandError> {
        let storage = |e: std::io::Error| {
            CommandError::new(
                ErrorKind::Storage,
                format!("cannot save the settings to {}: {e}", self.path.display()),
            )
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(storage)?;
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(settings)
            .map_err(|e| CommandError::new(ErrorKind::Internal, e))?;
        // The data dir is its owner's alone; so is every file in it.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(storage)?;
        file.write_all(text.as_bytes()).map_err(storage)?;
        file.sync_all().map_err(storage)?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(storage)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn good() -> Settings {
        Settings {
            device_name: " Studio ".into(),
            download_dir: "/home/ana/Downloads ".into(),
            ..Settings::default()
        }
    }

    #[test]
    fn validation_trims_and_names_the_field_at_fault() {
        let ok = good().validated().unwrap();
        assert_eq!(ok.device_name, "Studio");
        assert_eq!(ok.download_dir, "/home/ana/Downloads");

        type Change = fn(&mut Settings);
        let cases: [(Change, &str); 6] = [
            (|s| s.device_name = "  ".into(), "name"),
            (|s| s.device_name = "x".repeat(65), "64"),
            (|s| s.download_dir = "Downloads".into(), "full path"),
            (|s| s.relay = RelayMode::Custom, "URL of your relay"),
            (
                |s| {
                    s.relay = RelayMode::Custom;
                    s.relay_url = "ftp://relay.example".into();
                },
                "https://",
            ),
            (
                |s| {
                    s.relay = RelayMode::Custom;
                    s.relay_url = "https:///x".into();
                },
                "host",
            ),
        ];
        for (change, needle) in cases {
            let mut s = good();
            change(&mut s);
            let e = s.validated().unwrap_err();
            assert_eq!(e.kind, "invalid_input");
            assert!(e.message.contains(needle), "{} lacks {needle}", e.message);
        }
    }

    #[test]
    fn a_custom_relay_round_trips_and_others_drop_the_url() {
        let mut s = good();
        s.relay = RelayMode::Custom;
        s.relay_url = " https://relay.example.net ".into();
        let s = s.validated().unwrap();
        assert_eq!(
            s.relay_choice(),
            RelayChoice::Custom("https://relay.example.net".into())
        );
        let mut d = good();
        d.relay_url = "https://left.over".into();
        let d = d.validated().unwrap();
        assert_eq!(d.relay_url, "");
        assert_eq!(d.relay_choice(), RelayChoice::Default);
        let mut back = Settings::default();
        back.set_relay(&RelayChoice::Disabled);
        assert_eq!(back.relay, RelayMode::Disabled);
    }

    #[test]
    fn discovery_is_checked_like_the_relay_and_round_trips() {
        type Change = fn(&mut Settings);
        let cases: [(Change, &str); 3] = [
            (
                |s| s.discovery = DiscoveryMode::Custom,
                "URL of your discovery server",
            ),
            (
                |s| {
                    s.discovery = DiscoveryMode::Custom;
                    s.discovery_url = "ftp://dns.example/pkarr".into();
                },
                "discovery server URL",
            ),
            (
                |s| {
                    s.discovery = DiscoveryMode::Custom;
                    s.discovery_url = "https://dns.example/pk arr".into();
                },
                "discovery server URL",
            ),
        ];
        for (change, needle) in cases {
            let mut s = good();
            change(&mut s);
            let e = s.validated().unwrap_err();
            assert_eq!(e.kind, "invalid_input");
            assert!(e.message.contains(needle), "{} lacks {needle}", e.message);
        }

        let mut s = good();
        s.discovery = DiscoveryMode::Custom;
        s.discovery_url = " http://10.0.0.1:8080/pkarr ".into();
        let s = s.validated().unwrap();
        assert_eq!(
            s.discovery_choice(),
            DiscoveryChoice::Custom("http://10.0.0.1:8080/pkarr".into())
        );
        let mut back = Settings::default();
        back.set_discovery(&s.discovery_choice());
        assert_eq!(back.discovery, DiscoveryMode::Custom);
        assert_eq!(back.discovery_url, "http://10.0.0.1:8080/pkarr");

        let mut off = good();
        off.discovery = DiscoveryMode::Disabled;
        off.discovery_url = "https://left.over/pkarr".into();
        let off = off.validated().unwrap();
        assert_eq!(off.discovery_url, "");
        assert_eq!(off.discovery_choice(), DiscoveryChoice::Disabled);
        assert_eq!(good().discovery_choice(), DiscoveryChoice::Default);
    }

    #[test]
    fn a_trusted_certificate_must_be_a_full_path_to_a_pem_file() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a certificate").unwrap();

        let none = good().validated().unwrap();
        assert_eq!(none.trust_cert_path(), None);

        let mut s = good();
        s.trust_cert = format!("  {}  ", pem.display());
        let s = s.validated().unwrap();
        assert_eq!(s.trust_cert, pem.display().to_string());
        assert_eq!(s.trust_cert_path(), Some(pem.clone()));

        let missing = dir.path().join("gone.pem");
        let cases = [
            ("ca.pem".to_string(), "full path"),
            (missing.display().to_string(), "does not exist"),
            (dir.path().display().to_string(), "does not exist"),
            (text.display().to_string(), "no PEM certificate"),
        ];
        for (path, needle) in cases {
            let mut s = good();
            s.trust_cert = path;
            let e = s.validated().unwrap_err();
            assert_eq!(e.kind, "invalid_input");
            assert!(e.message.contains("certificate file"), "{}", e.message);
            assert!(e.message.contains(needle), "{} lacks {needle}", e.message);
        }
    }

    #[test]
    fn the_file_survives_a_round_trip_and_a_damaged_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        assert_eq!(file.load().unwrap(), None);
        let s = good().validated().unwrap();
        file.save(&s).unwrap();
        assert_eq!(file.load().unwrap(), Some(s));
        assert!(!dir.path().join("desktop-settings.json.tmp").exists());

        // Fields added later take their defaults.
        std::fs::write(file.path(), r#"{"device_name":"Old"}"#).unwrap();
        let old = file.load().unwrap().unwrap();
        assert_eq!(old.device_name, "Old");
        assert!(old.notifications && old.close_to_tray);
        assert_eq!(old.discovery, DiscoveryMode::Default);
        assert_eq!(old.trust_cert, "");

        std::fs::write(file.path(), "{not json").unwrap();
        assert!(file.load().unwrap_err().contains("damaged"));
    }
}
