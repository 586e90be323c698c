//! The commands the UI calls. Each converts its arguments, calls core and
//! converts the answer; none decides anything itself. The Collections
//! screen's are in `commands/collections.rs`, the settings' and the
//! desktop's own in `commands/system.rs`.

pub mod collections;
pub mod system;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use ferry_core::{AnyTicket, ErrorKind, PairTicket, PushRequest, ShareRequest};
use serde::Serialize;
use specta::Type;
use tauri::State;

use crate::{
    AppState,
    error::{CommandError, CommandResult},
    lock,
    settings::Settings,
    views::{
        CollectionStatusView, CollectionView, DeviceHealthView, DeviceView, InviteView, KeepView,
        NearbyView, NodeInfo, OfferView, PushView, ReceiveView, ShareView, TicketView,
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
/// it has them (or declined), or at once queued when it does not answer.
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
    let queue_for = Some(ferry_core::push::QUEUE_FOR);
    Ok(node
        .push_or_queue(&device, request, queue_for)
        .await?
        .into())
}

/// The offers from paired devices that wait for an answer or are being
/// received, oldest first: a window opened late shows them too.
#[tauri::command]
#[specta::specta]
pub fn offers(state: State<'_, AppState>) -> CommandResult<Vec<OfferView>> {
    let node = state.node()?;
    Ok(node
        .transfers()
        .offers()
        .into_iter()
        .map(Into::into)
        .collect())
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

/// Which kind of ticket a text is (`pair` or `share`), judged by core as
/// the user types; none for anything else.
#[tauri::command]
#[specta::specta]
pub fn ticket_kind(text: String) -> Option<ferry_core::TicketKind> {
    ferry_core::ticket_kind(&text)
}

/// Whether a text is one web link, as core judges it.
#[tauri::command]
#[specta::specta]
pub fn is_link(text: String) -> bool {
    ferry_core::is_link(&text)
}

/// What a scanned, pasted or linked ticket is. A share is opened (its
/// contents listed) and kept until `receive_share` or `discard_share`.
#[tauri::command]
#[specta::specta]
pub async fn inspect_ticket(
    state: State<'_, AppState>,
    ticket: String,
) -> CommandResult<TicketView> {
    let text: String = ticket.chars().filter(|c| !c.is_whitespace()).collect();
    if ferry_core::ticket_kind(&text) == Some(ferry_core::TicketKind::Pair) {
        let pair: PairTicket = text.parse()?;
        return Ok(TicketView::Pair {
            ticket: pair.to_string(),
        });
    }
    let any: AnyTicket = text.parse()?;
    let node = state.node()?;
    let offer = node.transfers().offer(&any).await?;
    let sender = offer.sender.to_string();
    let from = node
        .devices()
        .find(&sender)
        .map(|d| d.name)
        .unwrap_or_else(|_| sender.chars().take(10).collect());
    let view = TicketView::share(&offer, from);
    let id = state.keep_share(offer);
    Ok(view.with_id(id))
}

/// Receives an opened share into the download folder.
#[tauri::command]
#[specta::specta]
pub async fn receive_share(state: State<'_, AppState>, id: u32) -> CommandResult<ReceiveView> {
    let node = state.node()?;
    let offer = state.take_share(id).ok_or_else(|| {
        CommandError::new(
            ErrorKind::NotFound,
            "this share is no longer open; open its ticket again",
        )
    })?;
    let out = PathBuf::from(state.settings().download_dir);
    let report = node.transfers().receive(offer, &out).await?;
    Ok(ReceiveView::new(report, &out))
}

/// Closes an opened share without receiving it.
#[tauri::command]
#[specta::specta]
pub fn discard_share(state: State<'_, AppState>, id: u32) -> bool {
    state.take_share(id).is_some()
}

/// The text of the QR code in an image file (a screenshot or photo of a
/// pairing code or a share), for computers without a camera.
#[tauri::command]
#[specta::specta]
pub async fn read_qr_image(path: String) -> CommandResult<String> {
    tauri::async_runtime::spawn_blocking(move || ferry_core::qr::read_image(Path::new(&path)))
        .await
        .map_err(|e| CommandError::new(ErrorKind::Internal, e))?
        .map_err(|m| CommandError::new(ErrorKind::InvalidInput, m))
}

/// `ferry://` links that arrived (at start, or from a second launch) and
/// were not taken yet; each is a ticket to open.
#[tauri::command]
#[specta::specta]
pub fn take_links(state: State<'_, AppState>) -> Vec<String> {
    std::mem::take(&mut *lock(&state.links))
}
