import { describe, expect, it } from "vitest";
import type { NodeEvent, TicketView } from "../bindings";
import { readMeter } from "./meter";
import {
  applyTicketEvent,
  cleanTicket,
  closeCurrent,
  emptyTickets,
  enqueueTickets,
  enqueueView,
  inspected,
  isBusy,
  pairFailed,
  pairStarted,
  receivedText,
  receiveFinished,
  receiveStarted,
  retryTicket,
  shareEntries,
  shareSummary,
  ticketTitle,
  toInspect,
  type TicketFlow,
  type TicketQueue,
} from "./ticket";

const SHARE: TicketView = {
  kind: "share",
  id: 7,
  from: "Pixel",
  files: 3,
  bytes: 12_000_000,
  names: ["a.jpg", "trip/", "c.txt"],
  more: 2,
  text: null,
  is_link: false,
  route: "direct",
};
const PAIR: TicketView = { kind: "pair", ticket: "ferrypairabc" };
const NOT_FOUND = { kind: "not_found", message: "gone" };

function current(q: TicketQueue): TicketFlow {
  if (!q.current) throw new Error("no ticket open");
  return q.current;
}

/** A queue showing the share, ready to receive. */
function openShare(): TicketQueue {
  const q = enqueueTickets(emptyTickets(), ["ferryshare1"]);
  return inspected(q, current(q).key, { status: "ok", data: SHARE });
}

describe("ticket queue", () => {
  it("opens the first ticket and queues the rest, each once", () => {
    let q = enqueueTickets(emptyTickets(), [" ferryA\n", "", "ferry://ferryB", "ferryA"]);
    expect(current(q)).toMatchObject({ step: "opening", ticket: "ferryA" });
    expect(q.waiting.map((w) => w.ticket)).toEqual(["ferry://ferryB"]);
    // The same ticket with or without its link prefix is not queued twice.
    q = enqueueTickets(q, ["ferryB", "ferry://ferryA/"]);
    expect(q.waiting).toHaveLength(1);
    expect(toInspect(q)).toBe(q.current);
  });

  it("strips what copying adds", () => {
    expect(cleanTicket("  ferry\nabc 123 ")).toBe("ferryabc123");
  });

  it("turns what inspect answered into a pairing or a share", () => {
    let q = enqueueTickets(emptyTickets(), ["ferrypairabc"]);
    const key = current(q).key;
    q = inspected(q, key, { status: "ok", data: PAIR });
    expect(current(q)).toMatchObject({ step: "pair", pairTicket: "ferrypairabc", busy: false });
    expect(toInspect(q)).toBeNull();
    expect(ticketTitle(current(q))).toBe("Pair with this device?");

    const s = openShare();
    const f = current(s);
    expect(f.step === "share" && f.share).toMatchObject({ id: 7, from: "Pixel", files: 3, more: 2 });
    expect(ticketTitle(f)).toBe("Receive from Pixel?");
  });

  it("ignores answers for a ticket no longer shown", () => {
    const q = enqueueTickets(emptyTickets(), ["ferryA"]);
    expect(inspected(q, 999, { status: "ok", data: SHARE })).toBe(q);
  });

  it("shows a failed open and can try again", () => {
    let q = enqueueTickets(emptyTickets(), ["ferryA"]);
    const key = current(q).key;
    q = inspected(q, key, { status: "error", error: NOT_FOUND });
    expect(current(q)).toMatchObject({ step: "open_failed", error: NOT_FOUND });
    expect(ticketTitle(current(q))).toMatch(/Could not open/);
    q = retryTicket(q, key);
    expect(current(q)).toMatchObject({ step: "opening", ticket: "ferryA", key });
  });

  it("queues an opened ticket behind the one shown", () => {
    let q = openShare();
    q = enqueueView(q, "ferrypair xyz", PAIR);
    expect(q.waiting).toEqual([{ key: 2, ticket: "ferrypairxyz", view: PAIR }]);
    const { queue } = closeCurrent(q);
    expect(current(queue)).toMatchObject({ step: "pair", key: 2 });
    expect(queue.waiting).toEqual([]);
  });
});

describe("pairing from a ticket", () => {
  it("is busy while pairing and shows an error after", () => {
    let q = enqueueTickets(emptyTickets(), ["ferrypairabc"]);
    const key = current(q).key;
    q = inspected(q, key, { status: "ok", data: PAIR });
    q = pairStarted(q, key);
    expect(isBusy(current(q))).toBe(true);
    expect(pairStarted(q, key)).toBe(q);
    q = pairFailed(q, key, { kind: "timeout", message: "no answer" });
    expect(current(q)).toMatchObject({ busy: false, error: { kind: "timeout" } });
  });
});

describe("receiving a share", () => {
  it("follows its download through events to the result", () => {
    let q = openShare();
    const key = current(q).key;
    q = receiveStarted(q, key, 1_000);
    expect(current(q)).toMatchObject({ phase: "receiving", transferId: null });
    expect(isBusy(current(q))).toBe(true);
    expect(ticketTitle(current(q))).toBe("Receiving from Pixel");

    // A download the inbox took is not this one.
    q = applyTicketEvent(q, { event: "receive_started", root: "root", transfer_id: 3, offer_id: 12, peer: "x" }, 1_100);
    expect(current(q)).toMatchObject({ transferId: null });
    q = applyTicketEvent(q, { event: "receive_started", root: "root", transfer_id: 4, offer_id: null, peer: "y" }, 1_200);
    expect(current(q)).toMatchObject({ transferId: 4 });
    // Later downloads do not replace it.
    q = applyTicketEvent(q, { event: "receive_started", root: "root", transfer_id: 5, offer_id: null, peer: "z" }, 1_300);
    expect(current(q)).toMatchObject({ transferId: 4 });

    const progress = (id: number, done: number): NodeEvent => ({
      event: "receive_progress", bytes_transferred: 0, path: "direct",
      transfer_id: id,
      offer_id: null,
      bytes_done: done,
      bytes_total: 12_000_000,
      files_done: 1,
      files_total: 3,
    });
    const other = applyTicketEvent(q, progress(5, 9_000_000), 2_000);
    expect(other).toBe(q);
    q = applyTicketEvent(q, progress(4, 3_000_000), 2_200);
    const f = current(q);
    if (f.step !== "share" || !f.meter) throw new Error("no meter");
    expect(readMeter(f.meter).percent).toBeCloseTo(25);

    q = receiveFinished(q, key, { status: "ok", data: { files: 3, bytes: 12_000_000, out: "/home/ann/Downloads", text: null, skipped: [] } }, 3_000);
    const done = current(q);
    expect(done).toMatchObject({ phase: "received", result: { out: "/home/ann/Downloads" } });
    expect(isBusy(done)).toBe(false);
    expect(ticketTitle(done)).toBe("Received");
    if (done.step !== "share" || !done.meter) throw new Error("no meter");
    expect(readMeter(done.meter).percent).toBe(100);
  });

  it("changes nothing for events when no share is being received", () => {
    const q = openShare();
    expect(applyTicketEvent(q, { event: "receive_started", root: "root", transfer_id: 1, offer_id: null, peer: "p" }, 1)).toBe(q);
    expect(applyTicketEvent(emptyTickets(), { event: "device_removed", id: "p" }, 1)).toEqual(emptyTickets());
  });

  it("shows a failed receive and opens the ticket again on retry", () => {
    let q = openShare();
    const key = current(q).key;
    q = receiveStarted(q, key, 1);
    q = receiveFinished(q, key, { status: "error", error: { kind: "network", message: "lost" } }, 2);
    expect(current(q)).toMatchObject({ phase: "failed", error: { kind: "network" } });
    q = retryTicket(q, key);
    expect(current(q)).toMatchObject({ step: "opening", ticket: "ferryshare1" });
  });
});

describe("closing the dialog", () => {
  it("discards a share not received, and opens the next ticket", () => {
    let q = openShare();
    q = enqueueTickets(q, ["ferryB"]);
    const { queue, discard, closed } = closeCurrent(q);
    expect(discard).toBe(7);
    expect(closed?.key).toBe(1);
    expect(current(queue)).toMatchObject({ step: "opening", ticket: "ferryB" });
  });

  it("keeps a share being received or received", () => {
    let q = openShare();
    const key = current(q).key;
    q = receiveStarted(q, key, 1);
    expect(closeCurrent(q).discard).toBeNull();
    q = receiveFinished(q, key, { status: "ok", data: { files: 1, bytes: 5, out: "/d", text: null, skipped: [] } }, 2);
    expect(closeCurrent(q).discard).toBeNull();
  });

  it("has nothing to discard for a pairing or an empty queue", () => {
    let q = enqueueTickets(emptyTickets(), ["ferrypairabc"]);
    q = inspected(q, current(q).key, { status: "ok", data: PAIR });
    expect(closeCurrent(q)).toMatchObject({ discard: null, queue: { current: null } });
    expect(closeCurrent(emptyTickets()).closed).toBeNull();
  });
});

describe("share wording", () => {
  it("summarizes what a share holds", () => {
    expect(shareSummary({ files: 3, bytes: 12_000_000, text: null, is_link: false })).toBe("3 files · 12 MB");
    expect(shareSummary({ files: 1, bytes: 850_000, text: "hi", is_link: false })).toBe("1 file · 850 KB and a note");
    expect(shareSummary({ files: 0, bytes: 0, text: "hi", is_link: false })).toBe("a note");
    expect(shareSummary({ files: 0, bytes: 0, text: "https://example.org", is_link: true })).toBe("a link");
    expect(shareSummary({ files: 0, bytes: 0, text: null, is_link: false })).toBe("Nothing");
  });

  it("lists names with folders marked and the rest counted", () => {
    expect(shareEntries({ names: ["a.jpg", "trip/", " "], more: 4 })).toEqual({
      entries: [
        { name: "a.jpg", folder: false },
        { name: "trip", folder: true },
      ],
      more: 4,
    });
  });

  it("says where a received share went", () => {
    expect(receivedText({ files: 2, out: "/home/ann/Downloads", text: null })).toBe("Saved 2 files to /home/ann/Downloads");
    expect(receivedText({ files: 0, out: "/d", text: "note" })).toBe("Received a note");
  });
});
