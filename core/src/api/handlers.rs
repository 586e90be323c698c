//! The handlers of the API's methods: each checks what the caller gave,
//! calls core and converts the answer; core's errors keep their kinds.

use crate::HasKind;
use std::{path::Path, time::Duration};

use serde_json::Value;

use super::{
    Ctx,
    methods::{Method, call, to_result},
    ops::Started,
    params::*,
    rpc::RpcError,
};
use crate::{
    AnyTicket, CollectionInfo, CollectionStatus, Device, DeviceRef, ErrorKind, FileInfo, Health,
    Invite, KeepPolicy, NearbyDevice, NetworkReport, OutboxEntry, PairTicket, PushError,
    PushOutcome, PushRequest, ShareRequest, TicketError, TransferRecord, VersionInfo,
};

fn invalid(message: impl std::fmt::Display) -> RpcError {
    RpcError::kind(ErrorKind::InvalidInput, message)
}

fn not_found(message: impl std::fmt::Display) -> RpcError {
    RpcError::kind(ErrorKind::NotFound, message)
}

/// Paths come from another process with another working folder: only
/// absolute ones mean the same thing to both.
fn absolute(what: &str, path: &Path) -> Result<(), RpcError> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} must be an absolute path, not {}",
            path.display()
        )))
    }
}

/// Reads a content hash: 64 hex digits, or 52 base32 characters. The
/// length is checked before iroh-blobs' parser sees the text, since that
/// parser panics on some wrong lengths.
fn content_hash(method: &str, text: &str) -> Result<crate::Hash, RpcError> {
    let text = text.trim();
    let parsed = match text.len() {
        64 if text.bytes().all(|b| b.is_ascii_hexdigit()) => text.to_ascii_lowercase().parse().ok(),
        52 if text.bytes().all(|b| b.is_ascii_alphanumeric()) => text.parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        let shown: String = text.chars().take(80).collect();
        RpcError::invalid_params(
            method,
            format!("{shown:?} is not a content hash (64 hex digits)"),
        )
    })
}

fn ticket<T: std::str::FromStr<Err = TicketError>>(text: &str) -> Result<T, RpcError> {
    text.parse::<T>()
        .map_err(|e| RpcError::kind(e.kind(), format!("invalid ticket: {e}")))
}

// ---- handlers --------------------------------------------------------------

pub(super) async fn node_info(ctx: &Ctx, _: NoParams) -> Result<NodeInfo, RpcError> {
    let addr = ctx.node.addr().await;
    Ok(NodeInfo {
        id: ctx.node.id().to_string(),
        name: ctx.node.device_name().to_string(),
        data_dir: ctx.node.data_dir().to_path_buf(),
        addrs: addr.ip_addrs().map(|a| a.to_string()).collect(),
        relays: addr.relay_urls().map(|u| u.to_string()).collect(),
        discovery: ctx.node.discovery(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        api_http: ctx.endpoint.http.map(|a| a.to_string()),
        api_socket: ctx.endpoint.socket.clone(),
        lan_discovery: ctx.node.devices().nearby_active(),
    })
}

pub(super) async fn node_settings(ctx: &Ctx, _: NoParams) -> Result<InboxSettings, RpcError> {
    let rule = ctx.node.transfers().inbox();
    Ok(InboxSettings {
        accept: rule.policy.into(),
        download_dir: rule.download_dir,
    })
}

pub(super) async fn node_set_settings(
    ctx: &Ctx,
    p: SetSettings,
) -> Result<InboxSettings, RpcError> {
    let rule = ctx.node.transfers().inbox();
    if let Some(dir) = &p.download_dir {
        absolute("download_dir", dir)?;
        if !dir.is_dir() {
            return Err(invalid(format!("{} is not a folder", dir.display())));
        }
    }
    ctx.node.transfers().set_inbox(
        p.accept.map(Into::into).unwrap_or(rule.policy),
        p.download_dir.or(rule.download_dir),
    );
    node_settings(ctx, NoParams {}).await
}

pub(super) async fn shares_create(ctx: &Ctx, p: CreateShare) -> Result<ShareInfo, RpcError> {
    for path in &p.paths {
        absolute("every path", path)?;
    }
    let closed = |stream| invalid(format!("no event stream {stream} is open"));
    if let Some(stream) = p.stream
        && !ctx.holds.is_open(stream)
    {
        return Err(closed(stream));
    }
    let share = ctx
        .node
        .shares()
        .create(ShareRequest {
            paths: p.paths,
            text: p.text,
        })
        .await?;
    if let Some(stream) = p.stream
        && !ctx.holds.hold(stream, share.root)
    {
        // It closed while the files were hashed.
        ctx.node.shares().stop(&share.root);
        return Err(closed(stream));
    }
    Ok(ShareInfo {
        ticket: share.ticket.to_string(),
        blob_ticket: share.blob_ticket.to_string(),
        root: share.root.to_string(),
        files: share.files,
        bytes: share.bytes,
        entries: share
            .entries
            .into_iter()
            .map(|(name, size)| crate::OfferEntry {
                name: name.trim_end_matches('/').to_string(),
                is_dir: name.ends_with('/'),
                size,
                rejected: None,
            })
            .collect(),
    })
}

pub(super) async fn shares_stop(ctx: &Ctx, p: StopShare) -> Result<Done, RpcError> {
    let root = content_hash(call::SharesStop::NAME, &p.root)?;
    match p.stream {
        Some(stream) => {
            if !ctx.holds.release(stream, &root) {
                return Err(not_found(format!(
                    "event stream {stream} holds no share {root}"
                )));
            }
        }
        // Stopped without naming a stream, when only streams' shares are
        // left: one of them ends here, and its stream no longer holds it
        // (so that closing the stream cannot end a share made later).
        None => {
            if ctx.holds.held(&root) >= ctx.node.shares().count(&root) {
                ctx.holds.release_any(&root);
            }
        }
    }
    ctx.node.shares().stop(&root);
    Ok(DONE)
}

pub(super) async fn shares_inspect(ctx: &Ctx, p: TicketParam) -> Result<OfferInfo, RpcError> {
    let ticket: AnyTicket = ticket(&p.ticket)?;
    let offer = ctx.node.transfers().offer(&ticket).await?;
    Ok(OfferInfo {
        sender: offer.sender.to_string(),
        root: offer.root.to_string(),
        files: offer.files,
        bytes: offer.bytes,
        entries: offer.entries.clone(),
        text: offer.text.clone(),
        path: offer.path,
    })
}

pub(super) async fn shares_receive(ctx: &Ctx, p: ReceiveShare) -> Result<Started, RpcError> {
    let ticket: AnyTicket = ticket(&p.ticket)?;
    let out = match p.out {
        Some(dir) => {
            absolute("out", &dir)?;
            dir
        }
        None => ctx.node.transfers().inbox().download_dir.ok_or_else(|| {
            invalid("no download folder is set: pass \"out\" or set one with node.set_settings")
        })?,
    };
    let node = ctx.node.clone();
    Ok(ctx
        .ops
        .start(call::SharesReceive::NAME, p.ticket, async move {
            let offer = node.transfers().offer(&ticket).await?;
            let report = node.transfers().receive(offer, &out).await?;
            to_result(ReceiveResult {
                transfer_id: report.transfer_id,
                files: report.files,
                bytes: report.bytes,
                bytes_transferred: report.bytes_transferred,
                written: report.written,
                text: report.text,
                rejected: report.rejected,
                elapsed_ms: report.elapsed.as_millis() as u64,
                path: report.path,
            })
        }))
}

pub(super) async fn pairing_start(ctx: &Ctx, p: StartPairing) -> Result<PairingTicket, RpcError> {
    let secs = p.valid_for_secs.unwrap_or(600);
    if secs == 0 || secs > 3600 {
        return Err(invalid("valid_for_secs must be between 1 and 3600"));
    }
    let ticket = ctx
        .node
        .devices()
        .start_pairing(Duration::from_secs(secs))
        .await;
    Ok(PairingTicket {
        ticket: ticket.to_string(),
        expires_at: ticket.expires_at,
    })
}

pub(super) async fn pairing_stop(ctx: &Ctx, _: NoParams) -> Result<Done, RpcError> {
    ctx.node.devices().stop_pairing();
    Ok(DONE)
}

pub(super) async fn pairing_join(ctx: &Ctx, p: TicketParam) -> Result<Device, RpcError> {
    let ticket: PairTicket = ticket(&p.ticket)?;
    Ok(ctx.node.devices().join(&ticket).await?)
}

pub(super) async fn devices_list(ctx: &Ctx, _: NoParams) -> Result<Vec<Device>, RpcError> {
    Ok(ctx.node.devices().list()?)
}

pub(super) async fn devices_status(ctx: &Ctx, _: NoParams) -> Result<Vec<Health>, RpcError> {
    Ok(ctx.node.devices().probe_all().await?)
}

pub(super) async fn devices_nearby(ctx: &Ctx, _: NoParams) -> Result<Vec<NearbyDevice>, RpcError> {
    Ok(ctx.node.devices().nearby())
}

pub(super) async fn network_doctor(ctx: &Ctx, _: NoParams) -> Result<NetworkReport, RpcError> {
    Ok(ctx.node.doctor().await)
}

pub(super) async fn devices_rename(ctx: &Ctx, p: RenameDevice) -> Result<Device, RpcError> {
    Ok(ctx.node.devices().rename(&p.device, &p.name)?)
}

pub(super) async fn devices_remove(ctx: &Ctx, p: DeviceParam) -> Result<Device, RpcError> {
    Ok(ctx.node.devices().remove(&p.device)?)
}

pub(super) async fn devices_set_auto_accept(
    ctx: &Ctx,
    p: SetAutoAccept,
) -> Result<Device, RpcError> {
    Ok(ctx.node.devices().set_auto_accept(&p.device, p.on)?)
}

pub(super) async fn transfers_push(ctx: &Ctx, p: Push) -> Result<PushStarted, RpcError> {
    for path in &p.paths {
        absolute("every path", path)?;
    }
    if p.paths.is_empty() && p.text.is_none() {
        return Err(invalid("nothing to push: give paths, a text, or both"));
    }
    if p.queue_for_secs == Some(0) {
        return Err(invalid("queue_for_secs must be at least 1"));
    }
    // Resolve the device now, so that a typo fails the call itself.
    let device = ctx.node.devices().find(&p.device)?;
    let to = DeviceRef {
        id: device.id.clone(),
        name: device.name.clone(),
    };
    let node = ctx.node.clone();
    let request = PushRequest {
        paths: p.paths,
        text: p.text,
    };
    let started = ctx
        .ops
        .start(call::TransfersPush::NAME, device.name.clone(), async move {
            let queue_for = p.queue_for_secs.map(Duration::from_secs);
            match node.push_or_queue(&device.id, request, queue_for).await {
                Ok(PushOutcome::Delivered(report)) => to_result(PushResult::Delivered(report)),
                Ok(PushOutcome::Queued { entry, reason }) => {
                    // The node serving the API keeps running: it delivers.
                    node.start_outbox();
                    to_result(PushResult::Queued(QueuedPush {
                        queued: entry,
                        reason,
                    }))
                }
                Err(PushError::Rejected { device, reason }) => {
                    let answer = Value::String(reason.clone());
                    let mut e = RpcError::from(PushError::Rejected { device, reason });
                    if let Some(data) = e.data.as_mut().and_then(Value::as_object_mut) {
                        data.insert("reason".into(), answer);
                    }
                    Err(e)
                }
                Err(e) => Err(e.into()),
            }
        });
    Ok(PushStarted {
        operation: started.operation,
        device: to,
    })
}

pub(super) async fn transfers_accept(ctx: &Ctx, p: AcceptOffer) -> Result<Done, RpcError> {
    let waits = ctx
        .node
        .transfers()
        .offers()
        .iter()
        .any(|o| o.offer_id == p.offer_id && o.state == crate::OfferPhase::Waiting);
    let answered = match p.out {
        Some(out) if waits => {
            absolute("out", &out)?;
            std::fs::create_dir_all(&out).map_err(|e| {
                RpcError::kind(
                    ErrorKind::Storage,
                    format!("cannot make {}: {e}", out.display()),
                )
            })?;
            ctx.node.transfers().accept_into(p.offer_id, out)
        }
        Some(_) => false,
        None => ctx.node.transfers().respond(p.offer_id, true),
    };
    if answered {
        Ok(DONE)
    } else {
        Err(not_found(format!(
            "no offer {} waits for an answer",
            p.offer_id
        )))
    }
}

pub(super) async fn transfers_reject(ctx: &Ctx, p: OfferParam) -> Result<Done, RpcError> {
    if ctx.node.transfers().respond(p.offer_id, false) {
        Ok(DONE)
    } else {
        Err(not_found(format!(
            "no offer {} waits for an answer",
            p.offer_id
        )))
    }
}

pub(super) async fn transfers_cancel(ctx: &Ctx, p: OfferParam) -> Result<Done, RpcError> {
    if ctx.node.transfers().cancel(p.offer_id) {
        Ok(DONE)
    } else {
        Err(not_found(format!(
            "no offer {} is being received",
            p.offer_id
        )))
    }
}

pub(super) async fn transfers_list(ctx: &Ctx, _: NoParams) -> Result<Activity, RpcError> {
    Ok(Activity {
        offers: ctx.node.transfers().offers(),
        operations: ctx.ops.list(),
    })
}

pub(super) async fn transfers_history(
    ctx: &Ctx,
    p: History,
) -> Result<Vec<TransferRecord>, RpcError> {
    Ok(ctx.node.history(p.limit.unwrap_or(50))?)
}

pub(super) async fn transfers_outbox(ctx: &Ctx, _: NoParams) -> Result<Vec<OutboxEntry>, RpcError> {
    Ok(ctx.node.outbox()?)
}

pub(super) async fn operations_cancel(ctx: &Ctx, p: OperationParam) -> Result<Done, RpcError> {
    if ctx.ops.cancel(p.operation) {
        Ok(DONE)
    } else {
        Err(not_found(format!(
            "no operation {} is running",
            p.operation
        )))
    }
}

pub(super) async fn collections_list(
    ctx: &Ctx,
    _: NoParams,
) -> Result<Vec<CollectionInfo>, RpcError> {
    Ok(ctx.node.collections().list().await?)
}

pub(super) async fn collections_create(
    ctx: &Ctx,
    p: CreateCollection,
) -> Result<CollectionInfo, RpcError> {
    if let Some(dir) = &p.dir {
        absolute("dir", dir)?;
    }
    Ok(ctx
        .node
        .collections()
        .create(&p.name, p.dir.as_deref())
        .await?)
}

pub(super) async fn collections_status(
    ctx: &Ctx,
    p: CollectionParam,
) -> Result<CollectionStatus, RpcError> {
    Ok(ctx.node.collections().status(&p.name).await?)
}

pub(super) async fn collections_files(
    ctx: &Ctx,
    p: CollectionParam,
) -> Result<Vec<FileInfo>, RpcError> {
    Ok(ctx.node.collections().files(&p.name).await?)
}

pub(super) async fn collections_invite(ctx: &Ctx, p: InviteDevice) -> Result<bool, RpcError> {
    Ok(ctx.node.collections().invite(&p.name, &p.device).await?)
}

pub(super) async fn collections_invites(ctx: &Ctx, _: NoParams) -> Result<Vec<Invite>, RpcError> {
    Ok(ctx.node.collections().invites()?)
}

pub(super) async fn collections_accept(
    ctx: &Ctx,
    p: CreateCollection,
) -> Result<CollectionInfo, RpcError> {
    if let Some(dir) = &p.dir {
        absolute("dir", dir)?;
    }
    Ok(ctx
        .node
        .collections()
        .accept(&p.name, p.dir.as_deref())
        .await?)
}

pub(super) async fn collections_sync(ctx: &Ctx, p: CollectionParam) -> Result<Done, RpcError> {
    ctx.node.collections().sync_now(&p.name).await?;
    Ok(DONE)
}

pub(super) async fn collections_history(
    ctx: &Ctx,
    p: CollectionPath,
) -> Result<Vec<VersionInfo>, RpcError> {
    Ok(ctx.node.collections().history(&p.name, &p.path).await?)
}

pub(super) async fn collections_restore(
    ctx: &Ctx,
    p: RestoreVersion,
) -> Result<VersionInfo, RpcError> {
    Ok(ctx
        .node
        .collections()
        .restore(&p.name, &p.path, p.version)
        .await?)
}

pub(super) async fn collections_set_keep(ctx: &Ctx, p: SetKeep) -> Result<KeepPolicy, RpcError> {
    Ok(ctx.node.collections().set_keep(&p.name, p.keep).await?)
}

pub(super) async fn collections_pin(ctx: &Ctx, p: PinPath) -> Result<Done, RpcError> {
    ctx.node.collections().pin(&p.name, &p.path, p.on).await?;
    Ok(DONE)
}

pub(super) async fn collections_fetch(ctx: &Ctx, p: FetchFile) -> Result<Started, RpcError> {
    absolute("out", &p.out)?;
    let node = ctx.node.clone();
    let target = format!("{}/{}", p.name, p.path);
    Ok(ctx
        .ops
        .start(call::CollectionsFetch::NAME, target, async move {
            to_result(node.collections().fetch(&p.name, &p.path, &p.out).await?)
        }))
}

pub(super) async fn collections_remove_member(
    ctx: &Ctx,
    p: InviteDevice,
) -> Result<Vec<String>, RpcError> {
    Ok(ctx
        .node
        .collections()
        .remove_member(&p.name, &p.device)
        .await?)
}

pub(super) async fn collections_leave(ctx: &Ctx, p: CollectionParam) -> Result<Done, RpcError> {
    ctx.node.collections().leave(&p.name).await?;
    Ok(DONE)
}
