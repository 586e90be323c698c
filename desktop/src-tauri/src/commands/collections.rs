//! The commands of the Collections screen.

use super::*;

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

/// One collection: members and whether they are online, what is left to
/// fetch, conflict copies, last sync.
#[tauri::command]
#[specta::specta]
pub async fn collection_status(
    state: State<'_, AppState>,
    name: String,
) -> CommandResult<CollectionStatusView> {
    let node = state.node()?;
    Ok(node.collections().status(&name).await?.into())
}

/// Invites a paired device into a collection; true if it accepted at once.
#[tauri::command]
#[specta::specta]
pub async fn collection_invite(
    state: State<'_, AppState>,
    name: String,
    device: String,
) -> CommandResult<bool> {
    let node = state.node()?;
    Ok(node.collections().invite(&name, &device).await?)
}

/// Invitations waiting for an answer.
#[tauri::command]
#[specta::specta]
pub fn collection_invites(state: State<'_, AppState>) -> CommandResult<Vec<InviteView>> {
    Ok(state
        .node()?
        .collections()
        .invites()?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Accepts an invitation, into `dir` (synced) or into no folder (browse
/// and fetch on demand).
#[tauri::command]
#[specta::specta]
pub async fn accept_invite(
    state: State<'_, AppState>,
    name: String,
    dir: Option<String>,
) -> CommandResult<CollectionView> {
    let node = state.node()?;
    let dir = dir.filter(|d| !d.trim().is_empty()).map(PathBuf::from);
    Ok(node
        .collections()
        .accept(&name, dir.as_deref())
        .await?
        .into())
}

/// Sets how much old content a collection keeps on this device; returns
/// its status after the new policy removed what it no longer keeps.
#[tauri::command]
#[specta::specta]
pub async fn collection_set_keep(
    state: State<'_, AppState>,
    name: String,
    keep: KeepView,
) -> CommandResult<CollectionStatusView> {
    let node = state.node()?;
    let policy = keep.policy().ok_or_else(|| {
        CommandError::new(
            ErrorKind::InvalidInput,
            "days and limits are whole numbers, none below zero",
        )
    })?;
    node.collections().set_keep(&name, policy).await?;
    Ok(node.collections().status(&name).await?.into())
}
