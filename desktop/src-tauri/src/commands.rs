//! The commands the UI calls. Each converts its arguments, calls core and
//! converts the answer; none decides anything itself.

use std::{path::PathBuf, time::Duration};

use ferry_core::{AcceptPolicy, PairTicket, PushRequest, ShareRequest};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::{
    AppState,
    error::{CommandError, CommandResult},
    views::{
        CollectionView, DeviceHealthView, DeviceView, NearbyView, NodeInfo, PushView, ShareView,
        TransferView,
    },
};

/// How long a pairing code shown on screen stays valid.
const PAIRING_VALID_FOR: Duration = Duration::from_secs(300);

/// This device's id, name and data dir.
#[tauri::command]
#[specta::specta]
pub fn node_info(state: State<'_, AppState>) -> CommandResult<NodeInfo> {
    let node = state.node()?;
    Ok(NodeInfo {
        id: node.id().to_string(),
        name: node.device_name().to_string(),
        data_dir: node.data_dir().display().to_string(),
    })
}

/// The paired devices, by name.
#[tauri::command]
#[specta::specta]
pub fn devices(state: State<'_, AppState>) -> CommandResult<Vec<DeviceView>> {
    let mut list: Vec<DeviceView> = state
        .node()?
        .devices()
        .list()?
        .into_iter()
        .map(Into::into)
        .collect();
    list.sort_by_key(|d| d.name.to_lowercase());
    Ok(list)
}

/// Dials every paired device: online, route and round-trip time.
#[tauri::command]
#[specta::specta]
pub async fn probe_devices(state: State<'_, AppState>) -> CommandResult<Vec<DeviceHealthView>> {
    let node = state.node()?;
    Ok(node
        .devices()
        .probe_all()
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Ferry devices on the local network.
#[tauri::command]
#[specta::specta]
pub fn nearby(state: State<'_, AppState>) -> CommandResult<Vec<NearbyView>> {
    Ok(state
        .node()?
        .devices()
        .nearby()
        .into_iter()
        .map(Into::into)
        .collect())
}

/// A pairing code to show as a QR code.
#[derive(Debug, Clone, Serialize, Type)]
pub struct PairingCode {
    pub ticket: String,
    pub valid_for_secs: f64,
}

/// Shows a fresh pairing code (the previous one stops working).
#[tauri::command]
#[specta::specta]
pub async fn start_pairing(state: State<'_, AppState>) -> CommandResult<PairingCode> {
    let node = state.node()?;
    let ticket = node.devices().start_pairing(PAIRING_VALID_FOR).await;
    Ok(PairingCode {
        ticket: ticket.to_string(),
        valid_for_secs: PAIRING_VALID_FOR.as_secs() as f64,
    })
}

/// Pairs with the device showing `ticket` (pasted, or read from a QR image).
#[tauri::command]
#[specta::specta]
pub async fn join(state: State<'_, AppState>, ticket: String) -> CommandResult<DeviceView> {
    let node = state.node()?;
    let ticket: PairTicket = ticket.trim().parse()?;
    Ok(node.devices().join(&ticket).await?.into())
}

#[tauri::command]
#[specta::specta]
pub fn rename_device(
    state: State<'_, AppState>,
    id: String,
    name: String,
) -> CommandResult<DeviceView> {
    Ok(state.node()?.devices().rename(&id, &name)?.into())
}

#[tauri::command]
#[specta::specta]
pub fn set_auto_accept(
    state: State<'_, AppState>,
    id: String,
    on: bool,
) -> CommandResult<DeviceView> {
    Ok(state.node()?.devices().set_auto_accept(&id, on)?.into())
}

#[tauri::command]
#[specta::specta]
pub fn remove_device(state: State<'_, AppState>, id: String) -> CommandResult<DeviceView> {
    Ok(state.node()?.devices().remove(&id)?.into())
}

/// Shares files, folders and text by ticket (shown as a QR code).
#[tauri::command]
#[specta::specta]
pub async fn share(
    state: State<'_, AppState>,
    paths: Vec<String>,
    text: Option<String>,
) -> CommandResult<ShareView> {
    let node = state.node()?;
    let request = ShareRequest {
        paths: paths.into_iter().map(PathBuf::from).collect(),
        text: text.filter(|t| !t.is_empty()),
    };
    Ok(node.shares().create(request).await?.into())
}

/// Sends files, folders, text or a link to a paired device; answers when
/// it has them (or declined).
#[tauri::command]
#[specta::specta]
pub async fn push(
    state: State<'_, AppState>,
    device: String,
    paths: Vec<String>,
    text: Option<String>,
) -> CommandResult<PushView> {
    let node = state.node()?;
    let request = PushRequest {
        paths: paths.into_iter().map(PathBuf::from).collect(),
        text: text.filter(|t| !t.is_empty()),
    };
    Ok(node.push(&device, request).await?.into())
}

/// Accepts or rejects an incoming offer; false if it no longer waits.
#[tauri::command]
#[specta::specta]
pub fn respond_offer(
    state: State<'_, AppState>,
    offer_id: u32,
    accept: bool,
) -> CommandResult<bool> {
    Ok(state.node()?.transfers().respond(offer_id.into(), accept))
}

/// Stops receiving an accepted offer; false if it is not being received.
#[tauri::command]
#[specta::specta]
pub fn cancel_offer(state: State<'_, AppState>, offer_id: u32) -> CommandResult<bool> {
    Ok(state.node()?.transfers().cancel(offer_id.into()))
}

/// The newest transfers first.
#[tauri::command]
#[specta::specta]
pub fn history(state: State<'_, AppState>, limit: u32) -> CommandResult<Vec<TransferView>> {
    let limit = limit.clamp(1, 10_000);
    Ok(state
        .node()?
        .history(limit)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The collections this device is a member of.
#[tauri::command]
#[specta::specta]
pub async fn collections(state: State<'_, AppState>) -> CommandResult<Vec<CollectionView>> {
    let node = state.node()?;
    Ok(node
        .collections()
        .list()
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// How offers from paired devices are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum AcceptMode {
    /// Ask (devices with auto-accept on are accepted at once).
    Ask,
    /// Only devices with auto-accept on.
    Trusted,
    /// Refuse every offer.
    Never,
}

/// The inbox settings: how offers are answered and where files go.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct InboxSettings {
    pub accept: AcceptMode,
    pub download_dir: String,
}

/// Applies the inbox settings at once.
#[tauri::command]
#[specta::specta]
pub fn set_inbox(
    state: State<'_, AppState>,
    settings: InboxSettings,
) -> CommandResult<InboxSettings> {
    if settings.download_dir.trim().is_empty() {
        return Err(CommandError::new(
            ferry_core::ErrorKind::InvalidInput,
            "pick a folder for received files",
        ));
    }
    let policy = match settings.accept {
        AcceptMode::Ask => AcceptPolicy::Ask,
        AcceptMode::Trusted => AcceptPolicy::Trusted,
        AcceptMode::Never => AcceptPolicy::Never,
    };
    state
        .node()?
        .transfers()
        .set_inbox(policy, Some(PathBuf::from(&settings.download_dir)));
    *state.inbox.lock().unwrap_or_else(|p| p.into_inner()) = settings.clone();
    Ok(settings)
}

/// The inbox settings in force.
#[tauri::command]
#[specta::specta]
pub fn inbox_settings(state: State<'_, AppState>) -> InboxSettings {
    state
        .inbox
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}
