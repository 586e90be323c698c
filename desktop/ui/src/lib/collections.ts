// Collections as the screen shows them: members, what is left to fetch,
// which paired devices can still be invited, invitations.

import type { DeviceView, InviteView, KeepView_Deserialize, MemberView } from "../bindings";
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

/** A choice in a select: its value (as the select holds it) and label. */
export type Choice = { value: string; label: string };

/** How long old versions are kept, as offered. */
export const KEEP_DAYS = [0, 7, 30, 90, 365] as const;
/** The most old versions may take, as a share of the folder. */
export const KEEP_PERCENTS = [5, 10, 25, 50] as const;

function daysLabel(days: number): string {
  if (days === 0) return "Off";
  if (days === 365) return "1 year";
  return plural(days, "day", "days");
}

/** `30 days · up to 10% of the folder`, or `Off`. */
export function keepText(keep: KeepView_Deserialize): string {
  const days = keep.days ?? 0;
  if (days <= 0) return "Off";
  const limits: string[] = [];
  if (typeof keep.max_percent === "number") limits.push(`${keep.max_percent}% of the folder`);
  if (typeof keep.max_bytes === "number") limits.push(formatBytes(keep.max_bytes));
  return limits.length ? `${daysLabel(days)} · up to ${limits.join(" and ")}` : daysLabel(days);
}

/** The day choices, with the current value among them even when it was set elsewhere. */
export function dayChoices(current: number | null): Choice[] {
  const days: number[] = [...KEEP_DAYS];
  if (typeof current === "number" && current >= 0 && !days.includes(current)) days.push(current);
  return days.sort((a, b) => a - b).map((d) => ({ value: String(d), label: daysLabel(d) }));
}

/** The value of a policy's size limit in the size select: `p:10`, `b:2000000000`, `none`. */
export function sizeValue(keep: KeepView_Deserialize): string {
  if (typeof keep.max_percent === "number" && typeof keep.max_bytes !== "number") return `p:${keep.max_percent}`;
  if (typeof keep.max_bytes === "number" && typeof keep.max_percent !== "number") return `b:${keep.max_bytes}`;
  if (typeof keep.max_bytes === "number") return `both:${keep.max_percent}:${keep.max_bytes}`;
  return "none";
}

/** The size choices, with the current limit among them even when it was set elsewhere. */
export function sizeChoices(keep: KeepView_Deserialize): Choice[] {
  const choices: Choice[] = KEEP_PERCENTS.map((p) => ({ value: `p:${p}`, label: `${p}% of the folder` }));
  const current = sizeValue(keep);
  if (!choices.some((c) => c.value === current)) {
    const label = current === "none" ? "No size limit" : keepText({ days: 1, max_percent: keep.max_percent, max_bytes: keep.max_bytes }).replace(/^1 day · up to /, "");
    choices.push({ value: current, label });
  }
  return choices;
}

/** The policy with the days or the size limit changed as chosen. */
export function keepWith(keep: KeepView_Deserialize, change: { days?: string; size?: string }): KeepView_Deserialize {
  const next: KeepView_Deserialize = { days: keep.days ?? 0, max_percent: keep.max_percent ?? null, max_bytes: keep.max_bytes ?? null };
  if (change.days !== undefined) {
    next.days = Number(change.days);
    // Back on from off: a size limit, or the default share.
    if (next.days > 0 && next.max_percent === null && next.max_bytes === null) next.max_percent = 10;
  }
  if (change.size !== undefined) {
    const [kind, a, b] = change.size.split(":");
    next.max_percent = kind === "p" || kind === "both" ? Number(a) : null;
    next.max_bytes = kind === "b" ? Number(a) : kind === "both" ? Number(b) : null;
  }
  return next;
}
