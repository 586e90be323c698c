//! Every method of the API: its name, documentation, parameter and result
//! types, and handler, in one table. `rpc.discover` and the generated API
//! page are built from the same table, so they cannot drift from what the
//! handlers take and give.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::{
    Ctx,
    handlers::*,
    ops::Started,
    params::*,
    rpc::{INTERNAL_ERROR, RpcError},
};
use crate::{
    CollectionInfo, CollectionStatus, Device, FileInfo, Health, Invite, KeepPolicy, NearbyDevice,
    NetworkReport, OutboxEntry, TransferRecord, VersionInfo,
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

/// One method of the API as a type: its name, parameters and result.
/// [`call`] holds one such type per method, so a caller names a method by
/// a type the compiler checks, never by a string.
pub trait Method: Copy + Send + Sync + 'static {
    /// The method's name on the wire.
    const NAME: &'static str;
    /// Its named parameters, as one object.
    type Params: Serialize + DeserializeOwned + JsonSchema + Send + 'static;
    /// What it answers.
    type Result: Serialize + DeserializeOwned + JsonSchema + Send + 'static;
}

/// Builds the table and the [`call`] types from one list:
/// `Type = "name" => handler(Params) -> Result;`, each with its doc comment.
macro_rules! methods {
    ($( $(#[doc = $doc:literal])+ $ty:ident = $name:literal => $handler:ident($p:ty) -> $r:ty; )*) => {
        /// One type per API method, for typed calls
        /// ([`ApiClient::request`](super::client::ApiClient::request),
        /// [`Api::call`](super::Api::call)).
        pub mod call {
            $(
                $(#[doc = $doc])+
                #[derive(Debug, Clone, Copy)]
                pub struct $ty;
            )*
        }

        $(
            impl Method for call::$ty {
                const NAME: &'static str = $name;
                type Params = $p;
                type Result = $r;
            }
        )*

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
    NodeInfo = "node.info" => node_info(NoParams) -> NodeInfo;
    /// How offers from paired devices are answered, and where their files go.
    NodeSettings = "node.settings" => node_settings(NoParams) -> InboxSettings;
    /// Changes how offers are answered and where their files go; returns the
    /// settings now in force. Fields left out keep their value.
    ///
    /// With `accept: "ask"`, offers wait (see `transfers.list`) for
    /// `transfers.accept` or `transfers.reject`.
    NodeSetSettings = "node.set_settings" => node_set_settings(SetSettings) -> InboxSettings;

    /// Shares files, folders and text: hashes them (`import_progress`
    /// events) and returns a ticket that any device can receive from.
    SharesCreate = "shares.create" => shares_create(CreateShare) -> ShareInfo;
    /// Stops serving a share. Content shared more than once stays served
    /// until each of its shares is stopped.
    SharesStop = "shares.stop" => shares_stop(StopShare) -> Done;
    /// Connects to a ticket's sender and lists what it offers. Writes nothing.
    SharesInspect = "shares.inspect" => shares_inspect(TicketParam) -> OfferInfo;
    /// Receives what a ticket offers into a folder. Returns an operation id
    /// at once; `receive_progress` events follow, then `operation_finished`
    /// (with a `ReceiveResult`) or `operation_failed`.
    SharesReceive = "shares.receive" => shares_receive(ReceiveShare) -> Started;

    /// Starts showing a pairing ticket (a new one replaces the old); a
    /// device that joins with it is announced by a `paired` event.
    PairingStart = "pairing.start" => pairing_start(StartPairing) -> PairingTicket;
    /// Stops accepting the current pairing ticket.
    PairingStop = "pairing.stop" => pairing_stop(NoParams) -> Done;
    /// Joins the device that shows a pairing ticket; both then trust each
    /// other. Returns the new device.
    PairingJoin = "pairing.join" => pairing_join(TicketParam) -> Device;

    /// The paired devices.
    DevicesList = "devices.list" => devices_list(NoParams) -> Vec<Device>;
    /// Probes every paired device: online or not, the path (direct on the
    /// LAN, direct over the internet, relayed) and the round-trip time.
    DevicesStatus = "devices.status" => devices_status(NoParams) -> Vec<Health>;
    /// Ferry devices seen on the local network, paired or not.
    DevicesNearby = "devices.nearby" => devices_nearby(NoParams) -> Vec<NearbyDevice>;
    /// The network doctor: the relays and their latency, this device's
    /// public address and NAT, whether UDP gets out, discovery, every
    /// paired device's route, and a one-line verdict with what to try.
    /// Takes a few seconds.
    NetworkDoctor = "network.doctor" => network_doctor(NoParams) -> NetworkReport;
    /// Renames a paired device (on this device only).
    DevicesRename = "devices.rename" => devices_rename(RenameDevice) -> Device;
    /// Forgets a paired device: it is no longer trusted.
    DevicesRemove = "devices.remove" => devices_remove(DeviceParam) -> Device;
    /// Turns auto-accept for a device on or off: with the `trusted` policy
    /// its offers are accepted without asking.
    DevicesSetAutoAccept = "devices.set_auto_accept" => devices_set_auto_accept(SetAutoAccept) -> Device;

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
    TransfersPush = "transfers.push" => transfers_push(Push) -> PushStarted;
    /// Accepts an offer that waits (policy `ask`), into the download folder
    /// or the folder given.
    TransfersAccept = "transfers.accept" => transfers_accept(AcceptOffer) -> Done;
    /// Rejects an offer that waits (policy `ask`).
    TransfersReject = "transfers.reject" => transfers_reject(OfferParam) -> Done;
    /// Stops receiving an accepted offer; verified files stay.
    TransfersCancel = "transfers.cancel" => transfers_cancel(OfferParam) -> Done;
    /// What is going on now: offers that wait for an answer, offers being
    /// received, and the operations this API started that still run.
    TransfersList = "transfers.list" => transfers_list(NoParams) -> Activity;
    /// Past transfers, newest first.
    TransfersHistory = "transfers.history" => transfers_history(History) -> Vec<TransferRecord>;
    /// Pushes queued for devices that were offline.
    TransfersOutbox = "transfers.outbox" => transfers_outbox(NoParams) -> Vec<OutboxEntry>;

    /// Stops an operation this API started (a push or a receive).
    OperationsCancel = "operations.cancel" => operations_cancel(OperationParam) -> Done;

    /// The shared collections on this device.
    CollectionsList = "collections.list" => collections_list(NoParams) -> Vec<CollectionInfo>;
    /// Creates a collection, optionally mirrored to a folder.
    CollectionsCreate = "collections.create" => collections_create(CreateCollection) -> CollectionInfo;
    /// A collection's members (online or not), what is left to fetch,
    /// conflict copies and the last sync.
    CollectionsStatus = "collections.status" => collections_status(CollectionParam) -> CollectionStatus;
    /// The files of a collection.
    CollectionsFiles = "collections.files" => collections_files(CollectionParam) -> Vec<FileInfo>;
    /// Invites a paired device into a collection: true if it joined at once
    /// (it auto-accepts from this device), false if the invitation waits
    /// for `collections.accept` there.
    CollectionsInvite = "collections.invite" => collections_invite(InviteDevice) -> bool;
    /// Invitations received and not yet accepted.
    CollectionsInvites = "collections.invites" => collections_invites(NoParams) -> Vec<Invite>;
    /// Accepts an invitation, optionally mirroring to a folder.
    CollectionsAccept = "collections.accept" => collections_accept(CreateCollection) -> CollectionInfo;
    /// Syncs a collection now instead of waiting for the next change.
    CollectionsSync = "collections.sync" => collections_sync(CollectionParam) -> Done;
    /// The versions of one file, from the first (number 1) to the current.
    CollectionsHistory = "collections.history" => collections_history(CollectionPath) -> Vec<VersionInfo>;
    /// Brings back a version of a file (also a deleted one); returns the
    /// new current version.
    CollectionsRestore = "collections.restore" => collections_restore(RestoreVersion) -> VersionInfo;
    /// Sets how much old content (files other members replaced or
    /// deleted) a collection keeps on this device; what the new policy
    /// does not keep is removed at once. Returns the policy set.
    CollectionsSetKeep = "collections.set_keep" => collections_set_keep(SetKeep) -> KeepPolicy;
    /// Keeps a file or folder on this device, or stops keeping it (for a
    /// collection without a folder).
    CollectionsPin = "collections.pin" => collections_pin(PinPath) -> Done;
    /// Writes one file of a collection to a path, fetching it from a member
    /// if needed. Returns an operation id at once; `operation_finished`
    /// carries the file's size in bytes.
    CollectionsFetch = "collections.fetch" => collections_fetch(FetchFile) -> Started;
    /// Removes a member: the collection is re-keyed, so that device can
    /// neither read new changes nor write. Returns the members that could
    /// not be reached (they must be invited again).
    CollectionsRemoveMember = "collections.remove_member" => collections_remove_member(InviteDevice) -> Vec<String>;
    /// Leaves a collection: the other members are told; local files stay.
    CollectionsLeave = "collections.leave" => collections_leave(CollectionParam) -> Done;
}

// ---- params and results ----------------------------------------------------

/// The methods by name.
pub(crate) fn by_name() -> BTreeMap<&'static str, MethodDef> {
    table().into_iter().map(|m| (m.name, m)).collect()
}
