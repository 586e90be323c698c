// Tickets opened from a link, a QR image or the ticket field: one at a
// time in a dialog, the rest queued. A pairing ticket asks before pairing;
// a share lists what it holds, then is received with its progress from the
// node's events. Pure functions, so every rule is unit-tested.

import type { CommandError, NodeEvent, PathKind, ReceiveView, TicketView } from "../bindings";
import type { Result } from "./errors";
import { formatBytes, plural } from "./format";
import { advanceMeter, startMeter, type MeterState } from "./meter";

/** An opened share, as the dialog shows it. */
export interface ShareInfo {
  id: number;
  from: string;
  files: number;
  bytes: number;
  names: string[];
  /** Names not listed. */
  more: number;
  text: string | null;
  /** Whether `text` is one web link, as core says. */
  is_link: boolean;
  route: PathKind;
}

export type SharePhase = "ready" | "receiving" | "received" | "failed";

export type TicketFlow =
  | { key: number; ticket: string; step: "opening" }
  | { key: number; ticket: string; step: "open_failed"; error: CommandError }
  | { key: number; ticket: string; step: "pair"; pairTicket: string; busy: boolean; error: CommandError | null }
  | {
      key: number;
      ticket: string;
      step: "share";
      share: ShareInfo;
      phase: SharePhase;
      /** The download's transfer id, once its `receive_started` event came. */
      transferId: number | null;
      meter: MeterState | null;
      result: ReceiveView | null;
      error: CommandError | null;
    };

/** A ticket waiting for the dialog; `view` when it was opened already. */
export interface WaitingTicket {
  key: number;
  ticket: string;
  view: TicketView | null;
}

export interface TicketQueue {
  current: TicketFlow | null;
  waiting: WaitingTicket[];
  nextKey: number;
}

export function emptyTickets(): TicketQueue {
  return { current: null, waiting: [], nextKey: 1 };
}

/** The ticket as pasted or linked, without the spaces and line breaks copying adds. */
export function cleanTicket(raw: string): string {
  return raw.replace(/\s+/g, "");
}

/** The same ticket with or without its `ferry://` prefix. */
function sameTicket(a: string, b: string): boolean {
  const bare = (t: string) => t.replace(/^ferry:(\/\/)?/i, "").replace(/\/+$/, "").toLowerCase();
  return bare(a) === bare(b);
}

function isQueued(q: TicketQueue, ticket: string): boolean {
  if (q.current && sameTicket(q.current.ticket, ticket)) return true;
  return q.waiting.some((w) => sameTicket(w.ticket, ticket));
}

function num(v: number | null | undefined): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0;
}

export function shareInfo(view: Extract<TicketView, { kind: "share" }>): ShareInfo {
  return {
    id: view.id,
    from: view.from,
    files: num(view.files),
    bytes: num(view.bytes),
    names: [...view.names],
    more: num(view.more),
    text: view.text ?? null,
    is_link: view.is_link,
    route: view.route,
  };
}

function flowOf(key: number, ticket: string, view: TicketView | null): TicketFlow {
  if (!view) return { key, ticket, step: "opening" };
  if (view.kind === "pair") return { key, ticket, step: "pair", pairTicket: view.ticket, busy: false, error: null };
  return { key, ticket, step: "share", share: shareInfo(view), phase: "ready", transferId: null, meter: null, result: null, error: null };
}

function add(q: TicketQueue, ticket: string, view: TicketView | null): TicketQueue {
  const key = q.nextKey;
  if (!q.current) return { current: flowOf(key, ticket, view), waiting: q.waiting, nextKey: key + 1 };
  return { ...q, waiting: [...q.waiting, { key, ticket, view }], nextKey: key + 1 };
}

/**
 * Queues tickets to open; the first starts at once when no dialog is open.
 * Blank ones and ones already open or waiting are left out.
 */
export function enqueueTickets(q: TicketQueue, tickets: readonly string[]): TicketQueue {
  let next = q;
  for (const raw of tickets) {
    const ticket = cleanTicket(raw);
    if (!ticket || isQueued(next, ticket)) continue;
    next = add(next, ticket, null);
  }
  return next;
}

/** Queues a ticket that was opened already (by the ticket field). */
export function enqueueView(q: TicketQueue, ticket: string, view: TicketView): TicketQueue {
  return add(q, cleanTicket(ticket), view);
}

/** The flow to open with `inspect_ticket`, if the current one waits for that. */
export function toInspect(q: TicketQueue): TicketFlow | null {
  return q.current?.step === "opening" ? q.current : null;
}

function patchCurrent(q: TicketQueue, key: number, change: (f: TicketFlow) => TicketFlow | null): TicketQueue {
  if (!q.current || q.current.key !== key) return q;
  const next = change(q.current);
  return next === q.current || next === null ? q : { ...q, current: next };
}

/** What `inspect_ticket` answered for the flow `key`. */
export function inspected(q: TicketQueue, key: number, result: Result<TicketView>): TicketQueue {
  return patchCurrent(q, key, (f) => {
    if (f.step !== "opening") return null;
    if (result.status === "error") return { key: f.key, ticket: f.ticket, step: "open_failed", error: result.error };
    return flowOf(f.key, f.ticket, result.data);
  });
}

/** Opens the ticket again (after it failed to open, or a receive failed). */
export function retryTicket(q: TicketQueue, key: number): TicketQueue {
  return patchCurrent(q, key, (f) => {
    if (f.step === "open_failed" || (f.step === "share" && f.phase === "failed")) return { key: f.key, ticket: f.ticket, step: "opening" };
    return null;
  });
}

export function pairStarted(q: TicketQueue, key: number): TicketQueue {
  return patchCurrent(q, key, (f) => (f.step === "pair" && !f.busy ? { ...f, busy: true, error: null } : null));
}

export function pairFailed(q: TicketQueue, key: number, error: CommandError): TicketQueue {
  return patchCurrent(q, key, (f) => (f.step === "pair" ? { ...f, busy: false, error } : null));
}

export function receiveStarted(q: TicketQueue, key: number, now: number): TicketQueue {
  return patchCurrent(q, key, (f) =>
    f.step === "share" && f.phase === "ready"
      ? { ...f, phase: "receiving", transferId: null, meter: startMeter(now, 0, f.share.bytes), error: null }
      : null,
  );
}

/** What `receive_share` answered for the flow `key`. */
export function receiveFinished(q: TicketQueue, key: number, result: Result<ReceiveView>, now: number): TicketQueue {
  return patchCurrent(q, key, (f) => {
    if (f.step !== "share" || f.phase !== "receiving") return null;
    if (result.status === "error") return { ...f, phase: "failed", error: result.error };
    const bytes = num(result.data.bytes) || f.share.bytes;
    const meter = f.meter ? advanceMeter(f.meter, bytes, bytes, now) : startMeter(now, bytes, bytes);
    return { ...f, phase: "received", result: result.data, meter, error: null };
  });
}

/**
 * Follows the download of a share being received. Its `receive_started`
 * is the first one while receiving that answers no inbox offer (those name
 * their `offer_id`); progress then carries its transfer id.
 */
export function applyTicketEvent(q: TicketQueue, event: NodeEvent, now: number): TicketQueue {
  const f = q.current;
  if (!f || f.step !== "share" || f.phase !== "receiving") return q;
  if (event.event === "receive_started") {
    if (event.transfer_id === null || f.transferId !== null || event.offer_id != null) return q;
    return { ...q, current: { ...f, transferId: event.transfer_id, meter: startMeter(now, 0, f.share.bytes) } };
  }
  if (event.event === "receive_progress") {
    if (event.transfer_id === null || event.transfer_id !== f.transferId) return q;
    const total = num(event.bytes_total) || f.share.bytes;
    const meter = f.meter ? advanceMeter(f.meter, event.bytes_done, total, now) : startMeter(now, num(event.bytes_done), total);
    return { ...q, current: { ...f, meter } };
  }
  return q;
}

/**
 * Closes the dialog's ticket and opens the next one waiting. `discard` is
 * the share to close on the app's side: one opened but not received.
 */
export function closeCurrent(q: TicketQueue): { queue: TicketQueue; discard: number | null; closed: TicketFlow | null } {
  const closed = q.current;
  const discard = closed?.step === "share" && (closed.phase === "ready" || closed.phase === "failed") ? closed.share.id : null;
  const [first, ...rest] = q.waiting;
  const current = first ? flowOf(first.key, first.ticket, first.view) : null;
  return { queue: { ...q, current, waiting: rest }, discard, closed };
}

/** Whether closing the dialog now leaves something running (a pairing or a download). */
export function isBusy(f: TicketFlow | null): boolean {
  if (!f) return false;
  return (f.step === "pair" && f.busy) || (f.step === "share" && f.phase === "receiving");
}

/** The dialog's title. */
export function ticketTitle(f: TicketFlow): string {
  switch (f.step) {
    case "opening":
      return "Opening the ticket…";
    case "open_failed":
      return "Could not open this ticket";
    case "pair":
      return "Pair with this device?";
    case "share":
      if (f.phase === "received") return "Received";
      if (f.phase === "receiving") return `Receiving from ${f.share.from}`;
      return `Receive from ${f.share.from}?`;
  }
}

/** What a share holds: `3 files · 12 MB`, `a note`, `2 files · 4 MB and a note`. */
export function shareSummary(s: Pick<ShareInfo, "files" | "bytes" | "text" | "is_link">): string {
  const note = s.text ? (s.is_link ? "a link" : "a note") : null;
  if (s.files === 0) return note ?? (s.bytes > 0 ? formatBytes(s.bytes) : "Nothing");
  const base = `${plural(s.files, "file", "files")} · ${formatBytes(s.bytes)}`;
  return note ? `${base} and ${note}` : base;
}

/** The listed names, folders (ending in `/`) marked, and how many are left out. */
export function shareEntries(s: Pick<ShareInfo, "names" | "more">): { entries: { name: string; folder: boolean }[]; more: number } {
  const entries = s.names
    .filter((n) => n.trim())
    .map((n) => (n.endsWith("/") ? { name: n.replace(/\/+$/, "") || n, folder: true } : { name: n, folder: false }));
  return { entries, more: s.more };
}

/** `Saved 3 files to /home/ann/Downloads`, for a toast when the dialog was closed. */
export function receivedText(r: Pick<ReceiveView, "files" | "out" | "text">): string {
  const files = num(r.files);
  if (files === 0) return r.text ? "Received a note" : `Received into ${r.out}`;
  return `Saved ${plural(files, "file", "files")} to ${r.out}`;
}
