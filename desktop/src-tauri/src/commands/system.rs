//! The commands of the Settings screen and of the desktop itself: the
//! saved settings, restart, and opening files, folders and links.

use super::*;
use crate::views::NetworkReportView;

/// The settings, and whether a saved change waits for a restart.
#[derive(Debug, Clone, Serialize, Type)]
pub struct SettingsView {
    pub settings: Settings,
    /// The device name or a network setting (relay, discovery, trusted
    /// certificate) changed; they apply when Ferry restarts.
    pub restart_needed: bool,
    /// Whether this system lets Ferry start at login.
    pub start_at_login_available: bool,
    /// Why the saved settings could not be read (the defaults are in use).
    pub problem: Option<String>,
}

fn settings_view(state: &AppState) -> SettingsView {
    let settings = state.settings();
    let running = &state.started_with;
    SettingsView {
        restart_needed: settings.device_name != running.device_name
            || settings.relay_choice() != running.relay_choice()
            || settings.discovery_choice() != running.discovery_choice()
            || settings.trust_cert_path() != running.trust_cert_path(),
        start_at_login_available: state.autostart.is_some(),
        problem: state.settings_problem.clone(),
        settings,
    }
}

#[tauri::command]
#[specta::specta]
pub fn settings(state: State<'_, AppState>) -> SettingsView {
    settings_view(&state)
}

/// Checks and saves the settings. The inbox policy and folder, start at
/// login, notifications and the tray apply at once. They can be saved when
/// the node did not start (a certificate file that went away, say), so
/// that what stopped it can be put right.
#[tauri::command]
#[specta::specta]
pub fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> CommandResult<SettingsView> {
    let settings = settings.validated()?;
    let before = state.settings();
    if settings.start_at_login != before.start_at_login {
        let Some(autostart) = &state.autostart else {
            return Err(CommandError::new(
                ErrorKind::InvalidInput,
                "starting at login is not available on this system",
            ));
        };
        let done = if settings.start_at_login {
            // The autostart folder's parent may not exist on a fresh account.
            autostart_parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map_err(|e| e.to_string())
                .and_then(|()| autostart.enable().map_err(|e| e.to_string()))
        } else {
            autostart.disable().map_err(|e| e.to_string())
        };
        done.map_err(|e| {
            CommandError::new(
                ErrorKind::Storage,
                format!("cannot change starting at login: {e}"),
            )
        })?;
    }
    state.file.save(&settings)?;
    if let Ok(node) = state.node() {
        node.transfers().set_inbox(
            settings.accept.policy(),
            Some(PathBuf::from(&settings.download_dir)),
        );
    }
    *lock(&state.settings) = settings;
    Ok(settings_view(&state))
}

/// Runs the network doctor: the relays and their latency, discovery, UDP,
/// the public address and NAT kind, every paired device's route, and a
/// verdict. Takes a few seconds (up to about 15 with nothing reachable).
#[tauri::command]
#[specta::specta]
pub async fn network_doctor(state: State<'_, AppState>) -> CommandResult<NetworkReportView> {
    Ok(state.node()?.doctor().await.into())
}

fn autostart_parent() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
}

/// Restarts Ferry, to apply a new device name or network settings.
#[tauri::command]
#[specta::specta]
pub fn restart_app(state: State<'_, AppState>) -> bool {
    // The node shuts down on the way out (`RunEvent::Exit`).
    state.request_restart()
}

fn opener_error(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorKind::NotFound, e)
}

/// Shows a received file or folder in the file manager.
#[tauri::command]
#[specta::specta]
pub fn show_in_folder(path: String) -> CommandResult<()> {
    let path = existing(&path)?;
    tauri_plugin_opener::reveal_item_in_dir(path).map_err(opener_error)
}

/// Opens a file or folder with its default application.
#[tauri::command]
#[specta::specta]
pub fn open_path(path: String) -> CommandResult<()> {
    let path = existing(&path)?;
    tauri_plugin_opener::open_path(path, None::<&str>).map_err(opener_error)
}

fn existing(path: &str) -> CommandResult<PathBuf> {
    let p = PathBuf::from(path);
    if p.is_absolute() && p.exists() {
        Ok(p)
    } else {
        Err(CommandError::new(
            ErrorKind::NotFound,
            format!("{path} is no longer there"),
        ))
    }
}

/// Opens a received link in the browser (http and https only).
#[tauri::command]
#[specta::specta]
pub fn open_link(url: String) -> CommandResult<()> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        return Err(CommandError::new(
            ErrorKind::InvalidInput,
            "only web links (https:// or http://) are opened",
        ));
    }
    tauri_plugin_opener::open_url(url, None::<&str>).map_err(opener_error)
}
