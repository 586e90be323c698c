import { describe, expect, it } from "vitest";
import type { NodeEvent } from "../bindings";
import {
  clearFinished,
  dismiss,
  emptyInbox,
  MAX_CARDS,
  pendingCount,
  phaseLabel,
  reduceInbox,
  removeInvites,
  seedInbox,
  setPhase,
  type InboxState,
  type OfferCard,
  type TextCard,
} from "./inbox";
import { readMeter } from "./meter";

const PHONE = { id: "phone-id", name: "Pixel" };
const LAPTOP = { id: "laptop-id", name: "Work laptop" };

function offer(id: number, from = PHONE, extra: Partial<{ files: number; bytes: number; names: string[]; text: string | null }> = {}): NodeEvent {
  return {
    event: "offer_received",
    offer_id: id,
    from,
    files: extra.files ?? 3,
    bytes: extra.bytes ?? 12_000_000,
    names: extra.names ?? ["a.jpg", "b.jpg", "c.jpg"],
    text: extra.text ?? null,
    is_link: (extra.text ?? "").startsWith("https://"),
  };
}

function run(events: NodeEvent[], start: InboxState = emptyInbox(), t0 = 1_000): InboxState {
  return events.reduce((s, e, i) => reduceInbox(s, e, t0 + i * 1_000), start);
}

function card(state: InboxState, offerId: number): OfferCard {
  const c = state.cards.find((x) => x.kind === "offer" && x.offerId === offerId);
  if (!c || c.kind !== "offer") throw new Error(`no card for offer ${offerId}`);
  return c;
}

describe("inbox offers", () => {
  it("shows a received offer as a pending card, newest first", () => {
    const s = run([offer(1), offer(2, LAPTOP)]);
    expect(s.cards.map((c) => c.key)).toEqual(["offer-2", "offer-1"]);
    expect(card(s, 1)).toMatchObject({ phase: "pending", files: 3, bytes: 12_000_000, from: PHONE });
    expect(pendingCount(s)).toBe(2);
    expect(phaseLabel(card(s, 1))).toBe("Wants to send you");
  });

  it("follows an accepted offer through its receive to done", () => {
    let s = run([offer(7), { event: "offer_accepted", offer_id: 7 }]);
    expect(card(s, 7).phase).toBe("accepted");

    s = reduceInbox(s, { event: "receive_started", root: "root", transfer_id: 41, offer_id: 7, peer: PHONE.id }, 10_000);
    expect(card(s, 7)).toMatchObject({ phase: "receiving", transferId: 41 });

    s = reduceInbox(
      s,
      { event: "receive_progress", bytes_transferred: 0, path: "direct", transfer_id: 41, offer_id: 7, bytes_done: 3_000_000, bytes_total: 12_000_000, files_done: 1, files_total: 3 },
      11_000,
    );
    const c = card(s, 7);
    expect(c.progress).toEqual({ bytesDone: 3_000_000, bytesTotal: 12_000_000, filesDone: 1, filesTotal: 3 });
    const r = readMeter(c.meter!);
    expect(r.percent).toBeCloseTo(25);
    expect(r.bytesPerSec).toBeCloseTo(3_000_000);
    expect(r.etaSecs).toBeCloseTo(3);

    s = reduceInbox(s, { event: "offer_done", bytes_transferred: 0, offer_id: 7, files: 3, bytes: 12_000_000, out: "/home/ann/Downloads" }, 14_000);
    expect(card(s, 7)).toMatchObject({ phase: "done", out: "/home/ann/Downloads" });
    expect(pendingCount(s)).toBe(0);
  });

  it("gives each receive to the offer it names, whatever the order", () => {
    let s = run([
      offer(1, PHONE),
      offer(2, LAPTOP),
      offer(3, PHONE),
      { event: "offer_accepted", offer_id: 1 },
      { event: "offer_accepted", offer_id: 2 },
      { event: "offer_accepted", offer_id: 3 },
    ]);
    s = reduceInbox(s, { event: "receive_started", root: "root", transfer_id: 100, offer_id: 2, peer: LAPTOP.id }, 10_000);
    s = reduceInbox(s, { event: "receive_started", root: "root", transfer_id: 101, offer_id: 3, peer: PHONE.id }, 10_000);
    s = reduceInbox(s, { event: "receive_started", root: "root", transfer_id: 102, offer_id: 1, peer: PHONE.id }, 10_000);
    expect(card(s, 2).transferId).toBe(100);
    expect(card(s, 3).transferId).toBe(101);
    expect(card(s, 1).transferId).toBe(102);
    s = reduceInbox(
      s,
      { event: "receive_progress", bytes_transferred: 0, path: "direct", transfer_id: 101, offer_id: 3, bytes_done: 5, bytes_total: 10, files_done: 0, files_total: 1 },
      11_000,
    );
    expect(card(s, 3).progress?.bytesDone).toBe(5);
    expect(card(s, 1).progress?.bytesDone).toBe(0);
  });

  it("ignores receives that belong to no offer (a share opened from a ticket)", () => {
    const s0 = run([offer(1), { event: "offer_accepted", offer_id: 1 }]);
    const s1 = reduceInbox(s0, { event: "receive_started", root: "root", transfer_id: 9, offer_id: null, peer: PHONE.id }, 5_000);
    expect(s1).toBe(s0);
    const s2 = reduceInbox(
      s1,
      { event: "receive_progress", bytes_transferred: 0, path: "direct", transfer_id: 9, offer_id: null, bytes_done: 1, bytes_total: 2, files_done: 0, files_total: 1 },
      6_000,
    );
    expect(s2).toBe(s0);
  });

  it("shows the offers the node holds when the window opens late", () => {
    const held = [
      { offer_id: 4, from: LAPTOP, files: 1, bytes: 10, names: ["x.pdf"], text: null, is_link: false, receiving: true },
      { offer_id: 3, from: PHONE, files: 0, bytes: 0, names: [], text: "hi", is_link: false, receiving: false },
    ];
    let s = seedInbox(emptyInbox(), held, 1_000);
    expect(s.cards.map((c) => c.key)).toEqual(["offer-4", "offer-3"]);
    expect(card(s, 3)).toMatchObject({ phase: "pending", text: "hi" });
    expect(card(s, 4)).toMatchObject({ phase: "receiving", names: ["x.pdf"] });
    // Seeding again, or after the events came, adds nothing twice.
    expect(seedInbox(s, held, 2_000)).toBe(s);
    s = reduceInbox(s, { event: "receive_progress", bytes_transferred: 0, path: "direct", transfer_id: 8, offer_id: 4, bytes_done: 5, bytes_total: 10, files_done: 0, files_total: 1 }, 3_000);
    expect(card(s, 4).progress?.bytesDone).toBe(5);
  });

  it("marks rejected and failed offers", () => {
    let s = run([offer(1), offer(2), { event: "offer_accepted", offer_id: 2 }]);
    s = reduceInbox(s, { event: "offer_rejected", offer_id: 1, reason: "declined" }, 5_000);
    expect(card(s, 1)).toMatchObject({ phase: "rejected", reason: "declined" });
    s = reduceInbox(s, { event: "offer_failed", offer_id: 2, message: "connection lost" }, 6_000);
    expect(card(s, 2)).toMatchObject({ phase: "failed", reason: "connection lost" });
    expect(phaseLabel(card(s, 2))).toBe("Failed");
  });

  it("keeps a cancelling offer cancelling until it fails", () => {
    let s = run([offer(1), { event: "offer_accepted", offer_id: 1 }, { event: "receive_started", root: "root", transfer_id: 5, offer_id: 1, peer: PHONE.id }]);
    s = setPhase(s, 1, "cancelling", 9_000);
    s = reduceInbox(
      s,
      { event: "receive_progress", bytes_transferred: 0, path: "direct", transfer_id: 5, offer_id: 1, bytes_done: 10, bytes_total: 100, files_done: 0, files_total: 3 },
      9_500,
    );
    expect(card(s, 1).phase).toBe("cancelling");
    s = reduceInbox(s, { event: "offer_failed", offer_id: 1, message: "cancelled" }, 10_000);
    expect(card(s, 1).phase).toBe("failed");
  });

  it("marks an offer that no longer waits as expired", () => {
    let s = run([offer(1), { event: "offer_accepted", offer_id: 1 }]);
    s = setPhase(s, 1, "expired", 5_000, "The sender stopped waiting.");
    expect(card(s, 1)).toMatchObject({ phase: "expired", reason: "The sender stopped waiting." });
  });

  it("ignores events without an offer id or for unknown offers", () => {
    const s0 = run([offer(1)]);
    expect(reduceInbox(s0, { event: "offer_accepted", offer_id: null }, 1)).toBe(s0);
    expect(reduceInbox(s0, { event: "offer_accepted", offer_id: 99 }, 1)).toBe(s0);
    expect(reduceInbox(s0, { event: "offer_rejected", offer_id: 99, reason: "x" }, 1)).toBe(s0);
    expect(reduceInbox(s0, { event: "paired", id: "x", name: "y" }, 1)).toBe(s0);
  });

  it("replaces a card when the same offer id arrives again", () => {
    const s = run([offer(1), offer(1, LAPTOP)]);
    expect(s.cards).toHaveLength(1);
    expect(card(s, 1).from).toEqual(LAPTOP);
  });
});

describe("inbox text and links", () => {
  it("turns a text-only offer into a text card in place", () => {
    let s = run([offer(1, PHONE, { files: 0, bytes: 0, names: [], text: "https://example.org/a" }), offer(2)]);
    s = reduceInbox(s, { event: "offer_accepted", offer_id: 1 }, 5_000);
    s = reduceInbox(
      s,
      { event: "text_received", offer_id: 1, from: PHONE, text: "https://example.org/a", is_link: true },
      5_100,
    );
    expect(s.cards.map((c) => c.key)).toEqual(["offer-2", "text-1"]);
    const t = s.cards[1] as TextCard;
    expect(t).toMatchObject({ kind: "text", url: "https://example.org/a", from: PHONE });
  });

  it("adds a separate text card when the offer also has files", () => {
    let s = run([offer(1, PHONE, { text: "see page 3" }), { event: "offer_accepted", offer_id: 1 }]);
    s = reduceInbox(s, { event: "text_received", offer_id: 1, from: PHONE, text: "see page 3", is_link: false }, 9_000);
    expect(s.cards.map((c) => c.key)).toEqual(["text-1", "offer-1"]);
    expect((s.cards[0] as TextCard).url).toBeNull();
    expect(card(s, 1).phase).toBe("accepted");
  });

  it("never makes an unsafe link openable", () => {
    const s = reduceInbox(
      emptyInbox(),
      { event: "text_received", offer_id: 3, from: PHONE, text: "javascript:alert(1)", is_link: true },
      1,
    );
    expect((s.cards[0] as TextCard).url).toBeNull();
  });
});

describe("inbox housekeeping", () => {
  it("lists collection invitations", () => {
    const s = reduceInbox(emptyInbox(), { event: "collection_invited", name: "photos", from: LAPTOP }, 1);
    expect(s.cards[0]).toMatchObject({ kind: "invite", name: "photos", from: LAPTOP });
  });

  it("removes the invitations into a collection once accepted", () => {
    let s = run([offer(1), { event: "collection_invited", name: "photos", from: LAPTOP }, { event: "collection_invited", name: "docs", from: PHONE }]);
    s = removeInvites(s, "photos");
    expect(s.cards.map((c) => c.key)).toEqual([`invite-${PHONE.id}-docs`, "offer-1"]);
    expect(removeInvites(s, "photos")).toBe(s);
  });

  it("dismisses finished cards but not active ones", () => {
    let s = run([offer(1), offer(2), { event: "offer_rejected", offer_id: 1, reason: "" }]);
    expect(dismiss(s, "offer-2")).toBe(s);
    s = dismiss(s, "offer-1");
    expect(s.cards.map((c) => c.key)).toEqual(["offer-2"]);
    s = reduceInbox(s, { event: "text_received", offer_id: 5, from: PHONE, text: "hi", is_link: false }, 1);
    s = clearFinished(s);
    expect(s.cards.map((c) => c.key)).toEqual(["offer-2"]);
  });

  it("drops the oldest finished cards beyond the limit", () => {
    let s = run([offer(0)]);
    for (let i = 1; i <= MAX_CARDS + 10; i += 1) {
      s = reduceInbox(s, { event: "text_received", offer_id: 1000 + i, from: PHONE, text: `note ${i}`, is_link: false }, i);
    }
    expect(s.cards).toHaveLength(MAX_CARDS);
    expect(s.cards.some((c) => c.key === "offer-0")).toBe(true);
    expect(s.cards[0].key).toBe(`text-${1000 + MAX_CARDS + 10}`);
  });
});
