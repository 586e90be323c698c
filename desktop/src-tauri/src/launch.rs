//! How the app starts: the node's configuration and the saved settings
//! (or the environment's overrides), then the node, its services and the
//! local API.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Mutex, atomic::AtomicU32},
};

use ferry_core::{
    DiscoveryChoice, Node, NodeConfig, RelayChoice,
    api::{ApiConfig, ApiServer},
};

use crate::{
    AppState,
    notices::Attention,
    settings::{Settings, SettingsFile},
};

/// How the app starts: the node's configuration and the settings.
#[derive(Debug)]
pub struct Launch {
    pub config: NodeConfig,
    pub settings: Settings,
    pub file: SettingsFile,
    pub settings_problem: Option<String>,
    pub autostart: Option<auto_launch::AutoLaunch>,
}

impl Launch {
    /// The saved settings of `data_dir` (or the defaults), with the
    /// download folder defaulting to `default_downloads`.
    pub fn for_data_dir(data_dir: PathBuf, default_downloads: PathBuf) -> Self {
        let file = SettingsFile::in_dir(&data_dir);
        let (saved, settings_problem) = match file.load() {
            Ok(saved) => (saved, None),
            Err(problem) => {
                tracing::warn!("{problem}; using the default settings");
                (None, Some(problem))
            }
        };
        let mut settings = saved.unwrap_or_default();
        if settings.download_dir.is_empty() {
            settings.download_dir = default_downloads.display().to_string();
        }
        let mut config = NodeConfig::new(data_dir);
        config.relay = settings.relay_choice();
        config.discovery = settings.discovery_choice();
        config.trust_cert = settings.trust_cert_path();
        config.device_name = Some(settings.device_name.clone()).filter(|n| !n.is_empty());
        Self {
            config,
            settings,
            file,
            settings_problem,
            autostart: None,
        }
    }

    /// The launch from the environment (the same variables as the `ferry`
    /// command): `FERRY_DATA_DIR`, and for this run only `FERRY_NAME`,
    /// `FERRY_RELAY`, `FERRY_DISCOVERY`, `FERRY_TRUST_CERT`, `FERRY_BIND`
    /// and `FERRY_DOWNLOAD_DIR`.
    pub fn from_env() -> Result<Self, String> {
        let data_dir = match std::env::var_os("FERRY_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => NodeConfig::default_data_dir().ok_or("no default data dir on this system")?,
        };
        let downloads = std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join("Downloads"))
            .unwrap_or_else(|| data_dir.join("Downloads"));
        let mut launch = Self::for_data_dir(data_dir, downloads);
        if let Ok(relay) = std::env::var("FERRY_RELAY") {
            launch.config.relay = RelayChoice::parse(&relay);
            launch.settings.set_relay(&launch.config.relay);
        }
        if let Ok(discovery) = std::env::var("FERRY_DISCOVERY") {
            launch.config.discovery = DiscoveryChoice::parse(&discovery);
            launch.settings.set_discovery(&launch.config.discovery);
        }
        if let Some(cert) = std::env::var_os("FERRY_TRUST_CERT").filter(|c| !c.is_empty()) {
            // As a full path, so that the settings screen takes it.
            let cert = std::path::absolute(&cert).unwrap_or_else(|_| PathBuf::from(cert));
            launch.settings.trust_cert = cert.display().to_string();
            launch.config.trust_cert = Some(cert);
        }
        if let Ok(name) = std::env::var("FERRY_NAME")
            && !name.trim().is_empty()
        {
            launch.config.device_name = Some(name);
        }
        if let Some(dir) = std::env::var_os("FERRY_DOWNLOAD_DIR") {
            launch.settings.download_dir = PathBuf::from(dir).display().to_string();
        }
        if let Ok(bind) = std::env::var("FERRY_BIND") {
            launch.config.bind_addr = Some(
                bind.parse()
                    .map_err(|e| format!("FERRY_BIND {bind:?}: {e}"))?,
            );
        }
        Ok(launch)
    }
}

/// Starts the node and its services; the state the commands use.
pub async fn start_state(launch: Launch) -> AppState {
    let Launch {
        config,
        mut settings,
        file,
        settings_problem,
        autostart,
    } = launch;
    let node = Node::start(config).await.map_err(|e| e.to_string());
    if let Ok(node) = &node {
        settings.device_name = node.device_name().to_string();
        let services = ferry_core::Services::new(
            settings.accept.policy(),
            Some(PathBuf::from(&settings.download_dir)),
        );
        if let Err(e) = node.start_services(services).await {
            tracing::warn!("collections did not start: {e}");
        }
    }
    let api = match &node {
        Ok(node) => match ApiServer::start(node, ApiConfig::default()).await {
            Ok(api) => Some(api),
            Err(e) => {
                tracing::warn!("the local API did not start: {e}");
                None
            }
        },
        Err(_) => None,
    };
    AppState {
        node,
        started_with: settings.clone(),
        settings: Mutex::new(settings),
        file,
        settings_problem,
        autostart,
        shares: Mutex::new(HashMap::new()),
        next_share: AtomicU32::new(0),
        links: Mutex::new(Vec::new()),
        watch: Mutex::new(Attention::default()),
        restart: Mutex::new(None),
        api: Mutex::new(api),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::settings::DiscoveryMode;

    #[test]
    fn the_saved_network_settings_configure_the_node() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let fresh = Launch::for_data_dir(data.clone(), dir.path().join("Downloads"));
        assert_eq!(fresh.config.discovery, DiscoveryChoice::Default);
        assert_eq!(fresh.config.trust_cert, None);

        let cert = dir.path().join("ca.pem");
        let settings = Settings {
            relay: crate::settings::RelayMode::Custom,
            relay_url: "https://a.example, https://b.example".into(),
            discovery: DiscoveryMode::Custom,
            discovery_url: "https://dns.example/pkarr".into(),
            trust_cert: cert.display().to_string(),
            ..fresh.settings
        };
        fresh.file.save(&settings).unwrap();
        let launch = Launch::for_data_dir(data, dir.path().join("Downloads"));
        assert_eq!(
            launch.config.relay.urls(),
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(
            launch.config.discovery,
            DiscoveryChoice::Custom("https://dns.example/pkarr".into())
        );
        assert_eq!(launch.config.trust_cert, Some(cert));
    }
}
