// Sends to paired devices as the Send screen shows them: one entry per
// device, from the click through `push_progress` events to the answer.

import type { CommandError, NodeEvent, PushView } from "../bindings";
import type { Result } from "./errors";
import { advanceMeter, startMeter, type MeterState } from "./meter";

export interface PushEntry {
  /** `queued`: the device did not answer; the push waits in the outbox. */
  phase: "sending" | "queued" | "done" | "failed";
  /** What is being sent, in words (`2 files + text`). */
  what: string;
  startedAt: number;
  finishedAt: number | null;
  meter: MeterState | null;
  result: PushView | null;
  error: CommandError | null;
}

export type PushMap = Record<string, PushEntry>;

export function startPush(map: PushMap, deviceId: string, what: string, now: number): PushMap {
  return {
    ...map,
    [deviceId]: { phase: "sending", what, startedAt: now, finishedAt: null, meter: null, result: null, error: null },
  };
}

/**
 * Applies a `push_progress` event to the device's running send, and an
 * outbox event to the device's queued send; others change nothing.
 */
export function applyPushEvent(map: PushMap, event: NodeEvent, now: number): PushMap {
  if (event.event === "outbox_delivered" || event.event === "outbox_gave_up") {
    const entry = map[event.to.id];
    if (!entry || entry.phase !== "queued" || entry.result?.queued?.outbox_id !== event.outbox_id) return map;
    const next: PushEntry =
      event.event === "outbox_delivered"
        ? { ...entry, phase: "done", finishedAt: now, result: { files: event.report.files, bytes: event.report.bytes, queued: null } }
        : { ...entry, phase: "failed", finishedAt: now, error: { kind: outboxErrorKind(event.status), message: event.message } };
    return { ...map, [event.to.id]: next };
  }
  if (event.event !== "push_progress") return map;
  const entry = map[event.to.id];
  if (!entry || entry.phase !== "sending") return map;
  const meter = entry.meter
    ? advanceMeter(entry.meter, event.bytes_done, event.bytes_total, now)
    : startMeter(now, event.bytes_done ?? 0, event.bytes_total ?? 0);
  return { ...map, [event.to.id]: { ...entry, meter } };
}

/** The error kind an undelivered queued push is shown with. */
function outboxErrorKind(status: string): string {
  if (status === "rejected") return "rejected";
  if (status === "expired") return "offline";
  return "internal";
}

export function finishPush(map: PushMap, deviceId: string, result: Result<PushView>, now: number): PushMap {
  const entry = map[deviceId];
  if (!entry) return map;
  const next: PushEntry =
    result.status === "error"
      ? { ...entry, phase: "failed", finishedAt: now, result: null, error: result.error }
      : result.data.queued
        ? { ...entry, phase: "queued", finishedAt: null, meter: null, result: result.data, error: null }
        : { ...entry, phase: "done", finishedAt: now, result: result.data, error: null };
  return { ...map, [deviceId]: next };
}

export function clearPush(map: PushMap, deviceId: string): PushMap {
  if (!(deviceId in map) || map[deviceId].phase === "sending") return map;
  const next = { ...map };
  delete next[deviceId];
  return next;
}

/** `2 files + text`, `1 folder`, `a link`: what a send holds, before it is counted. */
export function describeSelection(paths: readonly string[], text: string, isLink: boolean): string {
  const parts: string[] = [];
  if (paths.length) parts.push(`${paths.length} ${paths.length === 1 ? "item" : "items"}`);
  if (text.trim()) parts.push(isLink ? "a link" : "text");
  return parts.join(" + ") || "nothing";
}
