// Collections as the screen shows them: members, what is left to fetch,
// which paired devices can still be invited, invitations.

import type { DeviceView, InviteView, MemberView } from "../bindings";
import { formatBytes, formatWhen, plural } from "./format";

/** This device first, then the online ones, then by name. */
export function sortMembers(members: readonly MemberView[]): MemberView[] {
  return [...members].sort(
    (a, b) =>
      Number(b.this_device) - Number(a.this_device) ||
      Number(b.online) - Number(a.online) ||
      a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) ||
      a.id.localeCompare(b.id),
  );
}

/** Paired devices that are not members yet, to invite. */
export function invitableDevices(devices: readonly DeviceView[], members: readonly MemberView[]): DeviceView[] {
  const inside = new Set(members.map((m) => m.id));
  return devices.filter((d) => !inside.has(d.id));
}

/** What is left to fetch: `Up to date`, or `3 files · 12 MB`. */
export function pendingText(files: number | null | undefined, bytes: number | null | undefined): string {
  const f = typeof files === "number" && files > 0 ? files : 0;
  const b = typeof bytes === "number" && bytes > 0 ? bytes : 0;
  if (f === 0 && b === 0) return "Up to date";
  if (f === 0) return formatBytes(b);
  return `${plural(f, "file", "files")} · ${formatBytes(b)}`;
}

/** `5 min ago`, or `Not yet` before the first sync. */
export function lastSyncText(ms: number | null | undefined, now: number): string {
  return typeof ms === "number" && ms > 0 ? formatWhen(ms, now) : "Not yet";
}

/** `2 of 3 online`. */
export function onlineText(members: readonly MemberView[]): string {
  const online = members.filter((m) => m.online || m.this_device).length;
  return `${online} of ${members.length} online`;
}

/** The invitations without the one to `name` (answered), newest first. */
export function withoutInvite(invites: readonly InviteView[], name: string): InviteView[] {
  return invites.filter((i) => i.name !== name);
}

export function sortInvites(invites: readonly InviteView[]): InviteView[] {
  return [...invites].sort((a, b) => (b.received_at_ms ?? 0) - (a.received_at_ms ?? 0) || a.name.localeCompare(b.name));
}

/** The toast after inviting: whether the device joined at once. */
export function inviteOutcome(device: string, joined: boolean): string {
  return joined ? `${device} joined` : `Invited ${device}`;
}
