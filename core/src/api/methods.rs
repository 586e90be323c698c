//! Every method of the API: its name, documentation, parameter and result
//! types, and handler, in one table. `rpc.discover` and the generated API
//! page are built from the same table, so they cannot drift from what the
//! handlers take and give.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::{
    Ctx,
    ops::{OperationInfo, Started},
    rpc::{INTERNAL_ERROR, RpcError},
};
use crate::{
    AcceptPolicy, AnyTicket, CollectionError, CollectionInfo, CollectionStatus, Device,
    DeviceError, DeviceRef, ErrorKind, FileInfo, Health, Invite, NearbyDevice, OutboxEntry,
    PairError, PairTicket, PushError, PushOutcome, PushRequest, ReceiveError, ShareError,
    ShareRequest, StoreError, TicketError, TransferRecord, VersionInfo,
};

/// A handler: params in, result out, both as JSON.
pub(crate) type Handler =
    fn(Ctx, Option<Value>) -> n0_future::boxed::BoxFuture<Result<Value, RpcError>>;

/// One method, as the table holds it.
pub(crate) struct MethodDef {
    pub name: &'static str,
    /// The doc comment: the first paragraph is the summary.
    pub doc: &'static str,
    /// The params as one object schema: each property is a parameter.
    pub params: fn(&mut SchemaGenerator) -> Schema,
    /// The result, by reference to a named type where it has one.
    pub result: fn(&mut SchemaGenerator) -> Schema,
    pub call: Handler,
}

fn root_schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.root_schema_for::<T>()
}

fn sub_schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// Decodes a method's params: named params (an object), or none at all
/// (absent, or an empty array as generic clients send) for a method
/// without required params.
pub(crate) fn params<P: DeserializeOwned>(
    method: &str,
    params: Option<Value>,
) -> Result<P, RpcError> {
    let value = match params {
        None => Value::Object(Default::default()),
        Some(Value::Array(a)) if a.is_empty() => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v,
        Some(_) => {
            return Err(RpcError::invalid_params(
                method,
                "params must be an object of named parameters (see rpc.discover)",
            ));
        }
    };
    serde_json::from_value(value).map_err(|e| RpcError::invalid_params(method, e))
}

pub(crate) fn to_result<R: Serialize>(r: R) -> Result<Value, RpcError> {
    serde_json::to_value(r)
        .map_err(|e| RpcError::new(INTERNAL_ERROR, format!("cannot encode the result: {e}")))
}

/// Builds the table: `"name" => handler(Params) -> Result;`, each with its
/// doc comment.
macro_rules! methods {
    ($( $(#[doc = $doc:literal])+ $name:literal => $handler:ident($p:ty) -> $r:ty; )*) => {
        pub(crate) fn table() -> Vec<MethodDef> {
            vec![$(
                MethodDef {
                    name: $name,
                    doc: concat!($($doc, "\n"),+),
                    params: root_schema::<$p>,
                    result: sub_schema::<$r>,
                    call: |ctx, raw| Box::pin(async move {
                        let p: $p = params($name, raw)?;
                        let r: $r = $handler(&ctx, p).await?;
                        to_result(r)
                    }),
                },
            )*]
        }
    };
}

methods! {
    /// This node: its id, name, addresses and API endpoints.
    "node.info" => node_info(NoParams) -> NodeInfo;
    /// How offers from paired devices are answered, and where their files go.
    "node.settings" => node_settings(NoParams) -> InboxSettings;
    /// Changes how offers are answered and where their files go; returns the
    /// settings now in force. Fields left out keep their value.
    ///
    /// With `accept: "ask"`, offers wait (see `transfers.list`) for
    /// `transfers.accept` or `transfers.reject`.
    "node.set_settings" => node_set_settings(SetSettings) -> InboxSettings;

    /// Shares files, folders and text: hashes them (`import_progress`
    /// events) and returns a ticket that any device can receive from.
    "shares.create" => shares_create(CreateShare) -> ShareInfo;
    /// Stops serving a share. Content shared more than once stays served
    /// until each of its shares is stopped.
    "shares.stop" => shares_stop(StopShare) -> Done;
    /// Connects to a ticket's sender and lists what it offers. Writes nothing.
    "shares.inspect" => shares_inspect(TicketParam) -> OfferInfo;
    /// Receives what a ticket offers into a folder. Returns an operation id
    /// at once; `receive_progress` events follow, then `operation_finished`
    /// (with a `ReceiveResult`) or `operation_failed`.
    "shares.receive" => shares_receive(ReceiveShare) -> Started;

    /// Starts showing a pairing ticket (a new one replaces the old); a
    /// device that joins with it is announced by a `paired` event.
    "pairing.start" => pairing_start(StartPairing) -> PairingTicket;
    /// Stops accepting the current pairing ticket.
    "pairing.stop" => pairing_stop(NoParams) -> Done;
    /// Joins the device that shows a pairing ticket; both then trust each
    /// other. Returns the new device.
    "pairing.join" => pairing_join(TicketParam) -> Device;

    /// The paired devices.
    "devices.list" => devices_list(NoParams) -> Vec<Device>;
    /// Probes every paired device: online or not, the path (direct on the
    /// LAN, direct over the internet, relayed) and the round-trip time.
    "devices.status" => devices_status(NoParams) -> Vec<Health>;
    /// Ferry devices seen on the local network, paired or not.
    "devices.nearby" => devices_nearby(NoParams) -> Vec<NearbyDevice>;
    /// Renames a paired device (on this device only).
    "devices.rename" => devices_rename(RenameDevice) -> Device;
    /// Forgets a paired device: it is no longer trusted.
    "devices.remove" => devices_remove(DeviceParam) -> Device;
    /// Turns auto-accept for a device on or off: with the `trusted` policy
    /// its offers are accepted without asking.
    "devices.set_auto_accept" => devices_set_auto_accept(SetAutoAccept) -> Device;

    /// Offers files, folders, text or a link to a paired device. Returns an
    /// operation id and the device at once; `push_offered`, `push_accepted`
    /// and `push_progress` events follow, then `operation_finished` (with a
    /// `PushReport`) or `operation_failed` (a rejection carries the device's
    /// `reason`).
    ///
    /// With `queue_for_secs`, a device that is offline gets the push later:
    /// it is queued in the outbox (a `push_queued` event) and the operation
    /// finishes with `{"queued": OutboxEntry, "reason": …}`; the node then
    /// delivers it when the device comes online (`outbox_delivered`, or
    /// `outbox_gave_up`).
    "transfers.push" => transfers_push(Push) -> PushStarted;
    /// Accepts an offer that waits (policy `ask`), into the download folder
    /// or the folder given.
    "transfers.accept" => transfers_accept(AcceptOffer) -> Done;
    /// Rejects an offer that waits (policy `ask`).
    "transfers.reject" => transfers_reject(OfferParam) -> Done;
    /// Stops receiving an accepted offer; verified files stay.
    "transfers.cancel" => transfers_cancel(OfferParam) -> Done;
    /// What is going on now: offers that wait for an answer, offers being
    /// received, and the operations this API started that still run.
    "transfers.list" => transfers_list(NoParams) -> Activity;
    /// Past transfers, newest first.
    "transfers.history" => transfers_history(History) -> Vec<TransferRecord>;
    /// Pushes queued for devices that were offline.
    "transfers.outbox" => transfers_outbox(NoParams) -> Vec<OutboxEntry>;

    /// Stops an operation this API started (a push or a receive).
    "operations.cancel" => operations_cancel(OperationParam) -> Done;

    /// The shared collections on this device.
    "collections.list" => collections_list(NoParams) -> Vec<CollectionInfo>;
    /// Creates a collection, optionally mirrored to a folder.
    "collections.create" => collections_create(CreateCollection) -> CollectionInfo;
    /// A collection's members (online or not), what is left to fetch,
    /// conflict copies and the last sync.
    "collections.status" => collections_status(CollectionParam) -> CollectionStatus;
    /// The files of a collection.
    "collections.files" => collections_files(CollectionParam) -> Vec<FileInfo>;
    /// Invites a paired device into a collection: true if it joined at once
    /// (it auto-accepts from this device), false if the invitation waits
    /// for `collections.accept` there.
    "collections.invite" => collections_invite(InviteDevice) -> bool;
    /// Invitations received and not yet accepted.
    "collections.invites" => collections_invites(NoParams) -> Vec<Invite>;
    /// Accepts an invitation, optionally mirroring to a folder.
    "collections.accept" => collections_accept(CreateCollection) -> CollectionInfo;
    /// Syncs a collection now instead of waiting for the next change.
    "collections.sync" => collections_sync(CollectionParam) -> Done;
    /// The versions of one file, from the first (number 1) to the current.
    "collections.history" => collections_history(CollectionPath) -> Vec<VersionInfo>;
    /// Brings back a version of a file (also a deleted one); returns the
    /// new current version.
    "collections.restore" => collections_restore(RestoreVersion) -> VersionInfo;
    /// Keeps a file or folder on this device, or stops keeping it (for a
    /// collection without a folder).
    "collections.pin" => collections_pin(PinPath) -> Done;
    /// Writes one file of a collection to a path, fetching it from a member
    /// if needed. Returns an operation id at once; `operation_finished`
    /// carries the file's size in bytes.
    "collections.fetch" => collections_fetch(FetchFile) -> Started;
    /// Removes a member: the collection is re-keyed, so that device can
    /// neither read new changes nor write. Returns the members that could
    /// not be reached (they must be invited again).
    "collections.remove_member" => collections_remove_member(InviteDevice) -> Vec<String>;
    /// Leaves a collection: the other members are told; local files stay.
    "collections.leave" => collections_leave(CollectionParam) -> Done;
}

// ---- params and results ----------------------------------------------------

/// No parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoParams {}

/// Always `true`: the call did what it says.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(transparent)]
pub(crate) struct Done(bool);

const DONE: Done = Done(true);

/// This node.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct NodeInfo {
    /// The device id (the endpoint's public key), as other devices see it.
    pub id: String,
    /// The name other devices see.
    pub name: String,
    /// Where this node keeps its key, store and history.
    pub data_dir: PathBuf,
    /// The direct addresses this node is reachable on.
    pub addrs: Vec<String>,
    /// The relay servers this node uses, if any.
    pub relays: Vec<String>,
    /// The Ferry version.
    pub version: String,
    /// The API's HTTP address, when it serves HTTP.
    pub api_http: Option<String>,
    /// The API's Unix socket, when it serves one.
    pub api_socket: Option<PathBuf>,
}

/// How offers are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Accept {
    /// Offers wait for `transfers.accept` or `transfers.reject`.
    Ask,
    /// Offers from devices with auto-accept on are accepted; others rejected.
    Trusted,
    /// Every offer is rejected.
    Never,
}

impl From<AcceptPolicy> for Accept {
    fn from(p: AcceptPolicy) -> Self {
        match p {
            AcceptPolicy::Ask => Self::Ask,
            AcceptPolicy::Trusted => Self::Trusted,
            AcceptPolicy::Never => Self::Never,
        }
    }
}

impl From<Accept> for AcceptPolicy {
    fn from(p: Accept) -> Self {
        match p {
            Accept::Ask => Self::Ask,
            Accept::Trusted => Self::Trusted,
            Accept::Never => Self::Never,
        }
    }
}

/// The inbox settings.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct InboxSettings {
    /// How offers from paired devices are answered.
    pub accept: Accept,
    /// Where accepted files go.
    pub download_dir: Option<PathBuf>,
}

/// New inbox settings; what is left out stays.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetSettings {
    /// How offers from paired devices are answered.
    #[serde(default)]
    pub accept: Option<Accept>,
    /// Where accepted files go: an absolute path to an existing folder.
    #[serde(default)]
    pub download_dir: Option<PathBuf>,
}

/// What to share.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateShare {
    /// Files and folders, as absolute paths.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// A text or a link to share with them (or alone).
    #[serde(default)]
    pub text: Option<String>,
    /// Serve it only while this event stream stays open (the id in the
    /// `Ferry-Stream` header of `GET /events`): when its reader goes away,
    /// even killed, the share stops.
    #[serde(default)]
    pub stream: Option<u64>,
}

/// A share being served.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ShareInfo {
    /// The ticket to give the receiver (as text or a QR code).
    pub ticket: String,
    /// The same content as a plain `blob…` ticket, for other iroh-blobs tools.
    pub blob_ticket: String,
    /// The content's root hash; `shares.stop` takes it.
    pub root: String,
    /// How many files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Each file's name (a relative path) and size.
    pub entries: Vec<crate::OfferEntry>,
}

/// A share to stop.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StopShare {
    /// The share's root hash, from `shares.create`.
    pub root: String,
    /// The event stream the share was made for, if it was. Without it the
    /// share stops all the same, and a stream that held it lets go.
    #[serde(default)]
    pub stream: Option<u64>,
}

/// A ticket.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TicketParam {
    /// The ticket text (any case; a `ferry://` link works too).
    pub ticket: String,
}

/// What a ticket's sender offers.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OfferInfo {
    /// The sender's device id.
    pub sender: String,
    /// The content's root hash.
    pub root: String,
    /// How many files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The files, and empty folders.
    pub entries: Vec<crate::OfferEntry>,
    /// The text that comes with them, if any.
    pub text: Option<String>,
    /// How the connection to the sender runs.
    pub path: crate::PathKind,
}

/// A share to receive.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReceiveShare {
    /// The ticket text.
    pub ticket: String,
    /// The folder to write into: an absolute path (default: the download folder).
    #[serde(default)]
    pub out: Option<PathBuf>,
}

/// What a finished receive did (the result of its `operation_finished`).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ReceiveResult {
    /// The transfer's id in the history.
    pub transfer_id: i64,
    /// Files received.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Bytes that crossed the network (less when resumed or already held).
    pub bytes_transferred: u64,
    /// The files written, as absolute paths.
    pub written: Vec<PathBuf>,
    /// The text that came with them, if any.
    pub text: Option<String>,
    /// Names refused as unsafe, with the reason.
    pub rejected: Vec<(String, String)>,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
    /// How the connection to the sender ran.
    pub path: crate::PathKind,
}

/// How long a pairing ticket is valid.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartPairing {
    /// Seconds (default 600, at most 3600).
    #[serde(default)]
    pub valid_for_secs: Option<u64>,
}

/// A pairing ticket being shown.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PairingTicket {
    /// The ticket, for `pairing.join` or `ferry pair` on the other device.
    pub ticket: String,
    /// When it expires, in seconds since the Unix epoch.
    pub expires_at: u64,
}

/// A paired device: its name, or the start of its name or id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceParam {
    /// The device's name, or the start of its name or id.
    pub device: String,
}

/// A device and its new name.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenameDevice {
    /// The device's name, or the start of its name or id.
    pub device: String,
    /// The new name.
    pub name: String,
}

/// A device and whether its offers are accepted without asking.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetAutoAccept {
    /// The device's name, or the start of its name or id.
    pub device: String,
    /// On or off.
    pub on: bool,
}

/// What to push, and to whom.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Push {
    /// The paired device's name, or the start of its name or id.
    pub device: String,
    /// Files and folders, as absolute paths.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// A text or a link to send with them (or alone).
    #[serde(default)]
    pub text: Option<String>,
    /// If the device is offline, queue the push for this many seconds
    /// instead of failing.
    #[serde(default)]
    pub queue_for_secs: Option<u64>,
}

/// A push that started.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PushStarted {
    /// The operation's id, as in `Started`.
    pub operation: u64,
    /// The device it goes to: its `push_*` events name it.
    pub device: DeviceRef,
}

/// A push left in the outbox for a device that is offline.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct QueuedPush {
    /// The outbox entry.
    pub queued: OutboxEntry,
    /// Why it could not go now.
    pub reason: String,
}

/// An incoming offer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferParam {
    /// The offer's id, from its `offer_received` event or `transfers.list`.
    pub offer_id: u64,
}

/// An offer to accept, and where its files go.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptOffer {
    /// The offer's id, from its `offer_received` event or `transfers.list`.
    pub offer_id: u64,
    /// The folder its files go into, as an absolute path (made if missing;
    /// default: the download folder).
    #[serde(default)]
    pub out: Option<PathBuf>,
}

/// An operation this API started.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperationParam {
    /// The id `transfers.push` or `shares.receive` returned.
    pub operation: u64,
}

/// How much history.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct History {
    /// The most records to return (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// What is going on now.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Activity {
    /// Offers from paired devices, waiting or being received.
    pub offers: Vec<crate::PendingOffer>,
    /// Operations this API started that still run.
    pub operations: Vec<OperationInfo>,
}

/// A collection.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CollectionParam {
    /// The collection's name.
    pub name: String,
}

/// A collection and an optional folder to mirror it to.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateCollection {
    /// The collection's name.
    pub name: String,
    /// The folder to mirror it to, as an absolute path.
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

/// A collection and a device.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteDevice {
    /// The collection's name.
    pub name: String,
    /// The paired device's name, or the start of its name or id.
    pub device: String,
}

/// A file in a collection.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CollectionPath {
    /// The collection's name.
    pub name: String,
    /// The file's path inside the collection.
    pub path: String,
}

/// A version of a file to bring back.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestoreVersion {
    /// The collection's name.
    pub name: String,
    /// The file's path inside the collection.
    pub path: String,
    /// The version number `collections.history` gives.
    pub version: usize,
}

/// A path to keep on this device, or not.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PinPath {
    /// The collection's name.
    pub name: String,
    /// A file or folder path inside the collection.
    pub path: String,
    /// Keep it (true) or stop keeping it (false).
    pub on: bool,
}

/// A file to write out.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FetchFile {
    /// The collection's name.
    pub name: String,
    /// The file's path inside the collection.
    pub path: String,
    /// Where to write it, as an absolute path.
    pub out: PathBuf,
}

// ---- errors ----------------------------------------------------------------

macro_rules! kinded {
    ($($t:ty),*) => {$(
        impl From<$t> for RpcError {
            fn from(e: $t) -> Self {
                RpcError::kind(e.kind(), e)
            }
        }
    )*};
}

kinded!(
    ShareError,
    PairError,
    DeviceError,
    PushError,
    ReceiveError,
    StoreError,
    CollectionError,
    TicketError
);

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

async fn node_info(ctx: &Ctx, _: NoParams) -> Result<NodeInfo, RpcError> {
    let addr = ctx.node.addr().await;
    Ok(NodeInfo {
        id: ctx.node.id().to_string(),
        name: ctx.node.device_name().to_string(),
        data_dir: ctx.node.data_dir().to_path_buf(),
        addrs: addr.ip_addrs().map(|a| a.to_string()).collect(),
        relays: addr.relay_urls().map(|u| u.to_string()).collect(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        api_http: ctx.endpoint.http.map(|a| a.to_string()),
        api_socket: ctx.endpoint.socket.clone(),
    })
}

async fn node_settings(ctx: &Ctx, _: NoParams) -> Result<InboxSettings, RpcError> {
    let (policy, out) = ctx.node.transfers().inbox();
    Ok(InboxSettings {
        accept: policy.into(),
        download_dir: out,
    })
}

async fn node_set_settings(ctx: &Ctx, p: SetSettings) -> Result<InboxSettings, RpcError> {
    let (policy, out) = ctx.node.transfers().inbox();
    if let Some(dir) = &p.download_dir {
        absolute("download_dir", dir)?;
        if !dir.is_dir() {
            return Err(invalid(format!("{} is not a folder", dir.display())));
        }
    }
    ctx.node.transfers().set_inbox(
        p.accept.map(Into::into).unwrap_or(policy),
        p.download_dir.or(out),
    );
    node_settings(ctx, NoParams {}).await
}

async fn shares_create(ctx: &Ctx, p: CreateShare) -> Result<ShareInfo, RpcError> {
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

async fn shares_stop(ctx: &Ctx, p: StopShare) -> Result<Done, RpcError> {
    let root = content_hash("shares.stop", &p.root)?;
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

async fn shares_inspect(ctx: &Ctx, p: TicketParam) -> Result<OfferInfo, RpcError> {
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

async fn shares_receive(ctx: &Ctx, p: ReceiveShare) -> Result<Started, RpcError> {
    let ticket: AnyTicket = ticket(&p.ticket)?;
    let out = match p.out {
        Some(dir) => {
            absolute("out", &dir)?;
            dir
        }
        None => ctx.node.transfers().inbox().1.ok_or_else(|| {
            invalid("no download folder is set: pass \"out\" or set one with node.set_settings")
        })?,
    };
    let node = ctx.node.clone();
    Ok(ctx.ops.start("shares.receive", p.ticket, async move {
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

async fn pairing_start(ctx: &Ctx, p: StartPairing) -> Result<PairingTicket, RpcError> {
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

async fn pairing_stop(ctx: &Ctx, _: NoParams) -> Result<Done, RpcError> {
    ctx.node.devices().stop_pairing();
    Ok(DONE)
}

async fn pairing_join(ctx: &Ctx, p: TicketParam) -> Result<Device, RpcError> {
    let ticket: PairTicket = ticket(&p.ticket)?;
    Ok(ctx.node.devices().join(&ticket).await?)
}

async fn devices_list(ctx: &Ctx, _: NoParams) -> Result<Vec<Device>, RpcError> {
    Ok(ctx.node.devices().list()?)
}

async fn devices_status(ctx: &Ctx, _: NoParams) -> Result<Vec<Health>, RpcError> {
    Ok(ctx.node.devices().probe_all().await?)
}

async fn devices_nearby(ctx: &Ctx, _: NoParams) -> Result<Vec<NearbyDevice>, RpcError> {
    Ok(ctx.node.devices().nearby())
}

async fn devices_rename(ctx: &Ctx, p: RenameDevice) -> Result<Device, RpcError> {
    Ok(ctx.node.devices().rename(&p.device, &p.name)?)
}

async fn devices_remove(ctx: &Ctx, p: DeviceParam) -> Result<Device, RpcError> {
    Ok(ctx.node.devices().remove(&p.device)?)
}

async fn devices_set_auto_accept(ctx: &Ctx, p: SetAutoAccept) -> Result<Device, RpcError> {
    Ok(ctx.node.devices().set_auto_accept(&p.device, p.on)?)
}

async fn transfers_push(ctx: &Ctx, p: Push) -> Result<PushStarted, RpcError> {
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
        .start("transfers.push", device.name.clone(), async move {
            let queue_for = p.queue_for_secs.map(Duration::from_secs);
            match node.push_or_queue(&device.id, request, queue_for).await {
                Ok(PushOutcome::Delivered(report)) => to_result(report),
                Ok(PushOutcome::Queued { entry, reason }) => {
                    // The node serving the API keeps running: it delivers.
                    node.start_outbox();
                    to_result(QueuedPush {
                        queued: entry,
                        reason,
                    })
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

async fn transfers_accept(ctx: &Ctx, p: AcceptOffer) -> Result<Done, RpcError> {
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

async fn transfers_reject(ctx: &Ctx, p: OfferParam) -> Result<Done, RpcError> {
    if ctx.node.transfers().respond(p.offer_id, false) {
        Ok(DONE)
    } else {
        Err(not_found(format!(
            "no offer {} waits for an answer",
            p.offer_id
        )))
    }
}

async fn transfers_cancel(ctx: &Ctx, p: OfferParam) -> Result<Done, RpcError> {
    if ctx.node.transfers().cancel(p.offer_id) {
        Ok(DONE)
    } else {
        Err(not_found(format!(
            "no offer {} is being received",
            p.offer_id
        )))
    }
}

async fn transfers_list(ctx: &Ctx, _: NoParams) -> Result<Activity, RpcError> {
    Ok(Activity {
        offers: ctx.node.transfers().offers(),
        operations: ctx.ops.list(),
    })
}

async fn transfers_history(ctx: &Ctx, p: History) -> Result<Vec<TransferRecord>, RpcError> {
    Ok(ctx.node.history(p.limit.unwrap_or(50))?)
}

async fn transfers_outbox(ctx: &Ctx, _: NoParams) -> Result<Vec<OutboxEntry>, RpcError> {
    Ok(ctx.node.outbox()?)
}

async fn operations_cancel(ctx: &Ctx, p: OperationParam) -> Result<Done, RpcError> {
    if ctx.ops.cancel(p.operation) {
        Ok(DONE)
    } else {
        Err(not_found(format!(
            "no operation {} is running",
            p.operation
        )))
    }
}

async fn collections_list(ctx: &Ctx, _: NoParams) -> Result<Vec<CollectionInfo>, RpcError> {
    Ok(ctx.node.collections().list().await?)
}

async fn collections_create(ctx: &Ctx, p: CreateCollection) -> Result<CollectionInfo, RpcError> {
    if let Some(dir) = &p.dir {
        absolute("dir", dir)?;
    }
    Ok(ctx
        .node
        .collections()
        .create(&p.name, p.dir.as_deref())
        .await?)
}

async fn collections_status(ctx: &Ctx, p: CollectionParam) -> Result<CollectionStatus, RpcError> {
    Ok(ctx.node.collections().status(&p.name).await?)
}

async fn collections_files(ctx: &Ctx, p: CollectionParam) -> Result<Vec<FileInfo>, RpcError> {
    Ok(ctx.node.collections().files(&p.name).await?)
}

async fn collections_invite(ctx: &Ctx, p: InviteDevice) -> Result<bool, RpcError> {
    Ok(ctx.node.collections().invite(&p.name, &p.device).await?)
}

async fn collections_invites(ctx: &Ctx, _: NoParams) -> Result<Vec<Invite>, RpcError> {
    Ok(ctx.node.collections().invites()?)
}

async fn collections_accept(ctx: &Ctx, p: CreateCollection) -> Result<CollectionInfo, RpcError> {
    if let Some(dir) = &p.dir {
        absolute("dir", dir)?;
    }
    Ok(ctx
        .node
        .collections()
        .accept(&p.name, p.dir.as_deref())
        .await?)
}

async fn collections_sync(ctx: &Ctx, p: CollectionParam) -> Result<Done, RpcError> {
    ctx.node.collections().sync_now(&p.name).await?;
    Ok(DONE)
}

async fn collections_history(ctx: &Ctx, p: CollectionPath) -> Result<Vec<VersionInfo>, RpcError> {
    Ok(ctx.node.collections().history(&p.name, &p.path).await?)
}

async fn collections_restore(ctx: &Ctx, p: RestoreVersion) -> Result<VersionInfo, RpcError> {
    Ok(ctx
        .node
        .collections()
        .restore(&p.name, &p.path, p.version)
        .await?)
}

async fn collections_pin(ctx: &Ctx, p: PinPath) -> Result<Done, RpcError> {
    ctx.node.collections().pin(&p.name, &p.path, p.on).await?;
    Ok(DONE)
}

async fn collections_fetch(ctx: &Ctx, p: FetchFile) -> Result<Started, RpcError> {
    absolute("out", &p.out)?;
    let node = ctx.node.clone();
    let target = format!("{}/{}", p.name, p.path);
    Ok(ctx.ops.start("collections.fetch", target, async move {
        to_result(node.collections().fetch(&p.name, &p.path, &p.out).await?)
    }))
}

async fn collections_remove_member(ctx: &Ctx, p: InviteDevice) -> Result<Vec<String>, RpcError> {
    Ok(ctx
        .node
        .collections()
        .remove_member(&p.name, &p.device)
        .await?)
}

async fn collections_leave(ctx: &Ctx, p: CollectionParam) -> Result<Done, RpcError> {
    ctx.node.collections().leave(&p.name).await?;
    Ok(DONE)
}

/// The methods by name.
pub(crate) fn by_name() -> BTreeMap<&'static str, MethodDef> {
    table().into_iter().map(|m| (m.name, m)).collect()
}
