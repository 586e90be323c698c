//! `ferry collection`: folders kept the same on several paired devices.
//!
//! These commands change this device's view; `ferry listen` syncs it with
//! the other members.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ferry_core::{
    CollectionInfo,
    api::{
        call,
        params::{
            CollectionParam, CollectionPath, CreateCollection, FetchFile, InviteDevice, NoParams,
            PinPath, RestoreVersion, SetKeep,
        },
    },
};
use serde_json::json;

use crate::{
    CliResult, Globals,
    backend::{Backend, absolute},
    output,
};

mod keep;
mod show;

use keep::KeepArgs;

/// Options of `ferry collection`.
#[derive(Debug, Args)]
pub struct CollectionArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Create a collection from a folder (created if missing), or an empty
    /// one with no folder.
    Create {
        /// Its name on this device.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        /// The folder to keep in sync, with the files it holds (not a
        /// symlink).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        keep: KeepArgs,
    },
    /// Invite a paired device; it accepts with `ferry collection accept`.
    Invite {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        /// A paired device: its name or an unambiguous prefix of its id.
        device: String,
    },
    /// Accept a pending invitation into a folder (or into none: the files
    /// are listed and fetched on demand).
    Accept {
        /// The collection named in the invitation.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        /// The folder to sync it to: files it holds already join the
        /// collection (not a symlink).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        keep: KeepArgs,
    },
    /// List collections and pending invitations.
    List,
    /// Members, files, pending downloads, conflicts and last sync.
    Status {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
    },
    /// List the versions of a file: who, when, size.
    History {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        /// The file's path in the collection.
        path: String,
    },
    /// Bring back a version of a file (also a deleted one).
    Restore {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        /// The file's path in the collection.
        path: String,
        /// The version number `history` shows.
        #[arg(long, value_name = "N")]
        version: usize,
    },
    /// Show or set how much old content (files other members replaced or
    /// deleted) this device keeps, in the folder's `.ferry-history`.
    Keep {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        #[command(flatten)]
        keep: KeepArgs,
    },
    /// Keep a file or folder on this device (for a collection without a
    /// folder).
    Pin {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        /// A file or folder path in the collection.
        path: String,
        /// Stop keeping it.
        #[arg(long)]
        off: bool,
    },
    /// Write one file of the collection to FILE, fetching it if needed.
    Fetch {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        /// The file's path in the collection.
        path: String,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Remove a member: the collection is re-keyed, so that device can
    /// neither read new changes nor write.
    RemoveMember {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
        /// The member's name or an unambiguous prefix of its id.
        device: String,
    },
    /// Leave a collection; the folder and its files stay.
    Leave {
        /// The collection.
        #[arg(id = "collection", value_name = "NAME")]
        name: String,
    },
}

fn info_json(event: &str, info: &CollectionInfo) -> serde_json::Value {
    json!({
        "event": event,
        "name": info.name,
        "dir": info.dir,
        "members": info.members,
        "files": info.files,
        "bytes": info.bytes,
    })
}

/// Sets the retention options given (if any) on a collection just made.
async fn set_keep(node: &Backend, name: &str, keep: &KeepArgs) -> CliResult {
    if keep.given() {
        node.ask(
            call::CollectionsSetKeep,
            SetKeep {
                name: name.to_string(),
                keep: keep.apply(ferry_core::KeepPolicy::default()),
            },
        )
        .await?;
    }
    Ok(())
}

pub async fn run(globals: &Globals, args: CollectionArgs) -> CliResult {
    Backend::run(globals, async |node| act(globals, node, args.action).await).await?
}

async fn act(globals: &Globals, node: &Backend, action: Action) -> CliResult {
    let json = globals.json;
    match action {
        Action::Create { name, dir, keep } => {
            let dir = dir.as_deref().map(absolute).transpose()?;
            let info = node
                .ask(call::CollectionsCreate, CreateCollection { name, dir })
                .await?;
            set_keep(node, &info.name, &keep).await?;
            if json {
                output::json_line(info_json("collection-created", &info));
            } else {
                match &info.dir {
                    Some(dir) => println!(
                        "Created \"{}\" from {}: {} ({}).",
                        info.name,
                        dir.display(),
                        output::count(info.files, "file", "files"),
                        output::bytes(info.bytes)
                    ),
                    None => println!("Created \"{}\" (no folder on this device).", info.name),
                }
                println!(
                    "Invite a paired device with: ferry collection invite {} DEVICE",
                    info.name
                );
            }
        }
        Action::Invite { name, device } => {
            let accepted = node
                .ask(
                    call::CollectionsInvite,
                    InviteDevice {
                        name: name.clone(),
                        device: device.clone(),
                    },
                )
                .await?;
            if json {
                output::json_line(json!({"event": "invited", "name": name, "device": device,
                                         "accepted": accepted}));
            } else if accepted {
                println!("{device} joined \"{name}\".");
            } else {
                println!(
                    "Invited {device} to \"{name}\"; it joins with: ferry collection accept {name} --dir DIR"
                );
            }
        }
        Action::Accept { name, dir, keep } => {
            let dir = dir.as_deref().map(absolute).transpose()?;
            let info = node
                .ask(call::CollectionsAccept, CreateCollection { name, dir })
                .await?;
            set_keep(node, &info.name, &keep).await?;
            if json {
                output::json_line(info_json("collection-joined", &info));
            } else {
                println!("Joined \"{}\"; `ferry listen` keeps it in sync.", info.name);
            }
        }
        Action::List => {
            let list = node.ask(call::CollectionsList, NoParams::default()).await?;
            let invites = node
                .ask(call::CollectionsInvites, NoParams::default())
                .await?;
            show::list(json, &list, &invites);
        }
        Action::Status { name } => {
            let status = node
                .ask(call::CollectionsStatus, CollectionParam { name })
                .await?;
            show::status(json, &status);
        }
        Action::History { name, path } => {
            let versions = node
                .ask(call::CollectionsHistory, CollectionPath { name, path })
                .await?;
            show::history(json, &versions);
        }
        Action::Restore {
            name,
            path,
            version,
        } => {
            let v = node
                .ask(
                    call::CollectionsRestore,
                    RestoreVersion {
                        name,
                        path: path.clone(),
                        version,
                    },
                )
                .await?;
            if json {
                output::json_line(output::tagged(&v, "restored"));
            } else {
                println!(
                    "Restored {path} to version {version} (now version {}).",
                    v.number
                );
            }
        }
        Action::Keep { name, keep } => {
            let status = node
                .ask(
                    call::CollectionsStatus,
                    CollectionParam { name: name.clone() },
                )
                .await?;
            let status = if keep.given() {
                node.ask(
                    call::CollectionsSetKeep,
                    SetKeep {
                        name: name.clone(),
                        keep: keep.apply(status.keep),
                    },
                )
                .await?;
                // What is kept now, after the new policy removed some.
                node.ask(
                    call::CollectionsStatus,
                    CollectionParam { name: name.clone() },
                )
                .await?
            } else {
                status
            };
            let policy = status.keep;
            if json {
                output::json_line(json!({"event": "keep", "name": name, "keep": policy,
                                         "kept_bytes": status.kept_bytes}));
            } else if status.dir.is_none() {
                println!(
                    "\"{name}\" has no folder on this device, so no old content is kept here \
                     (history: {policy})."
                );
            } else {
                println!(
                    "\"{name}\" history on this device: {policy}; {} kept now.",
                    output::bytes(status.kept_bytes)
                );
            }
        }
        Action::Pin { name, path, off } => {
            node.ask(
                call::CollectionsPin,
                PinPath {
                    name: name.clone(),
                    path: path.clone(),
                    on: !off,
                },
            )
            .await?;
            if json {
                output::json_line(json!({"event": "pinned", "name": name, "path": path,
                                         "on": !off}));
            } else if off {
                println!("{path} is no longer kept on this device.");
            } else {
                println!("{path} is kept on this device; `ferry listen` fetches it.");
            }
        }
        Action::Fetch { name, path, out } => {
            let file = FetchFile {
                name,
                path: path.clone(),
                out: absolute(&out)?,
            };
            let size: u64 = node.run_operation(call::CollectionsFetch, file).await?;
            if json {
                output::json_line(json!({"event": "fetched", "path": path, "out": out,
                                         "bytes": size}));
            } else {
                println!(
                    "Wrote {path} to {} ({}).",
                    out.display(),
                    output::bytes(size)
                );
            }
        }
        Action::RemoveMember { name, device } => {
            let unreached = node
                .ask(
                    call::CollectionsRemoveMember,
                    InviteDevice {
                        name: name.clone(),
                        device: device.clone(),
                    },
                )
                .await?;
            if json {
                output::json_line(json!({"event": "member-removed", "name": name,
                                         "device": device, "unreached": unreached}));
            } else {
                println!("Removed {device} from \"{name}\"; the collection has a new key.");
                if !unreached.is_empty() {
                    println!("Not reached (invite them again): {}", unreached.join(", "));
                }
            }
        }
        Action::Leave { name } => {
            node.ask(
                call::CollectionsLeave,
                CollectionParam { name: name.clone() },
            )
            .await?;
            if json {
                output::json_line(json!({"event": "left", "name": name}));
            } else {
                println!("Left \"{name}\"; its folder stays as it is.");
            }
        }
    }
    Ok(())
}
