// The inbox: node events turned into cards (offers, text and links,
// collection invitations). A pure reducer, so every rule is unit-tested.
// Receive events name the offer they answer (`offer_id`); a window that
// opens late starts from the offers the node still holds (`seedInbox`).

import type { DeviceRef, NodeEvent, OfferView } from "../bindings";
import { safeLink } from "./format";
import { advanceMeter, startMeter, type MeterState } from "./meter";

export type OfferPhase =
  | "pending"
  | "accepted"
  | "receiving"
  | "cancelling"
  | "done"
  | "failed"
  | "rejected"
  | "expired";

export interface Progress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface OfferCard {
  kind: "offer";
  key: string;
  offerId: number;
  from: DeviceRef;
  files: number;
  bytes: number;
  names: string[];
  text: string | null;
  /** Whether `text` is one web link, as core says. */
  textIsLink: boolean;
  phase: OfferPhase;
  transferId: number | null;
  progress: Progress | null;
  meter: MeterState | null;
  /** Where the files went, once done. */
  out: string | null;
  /** Why it was rejected or failed. */
  reason: string | null;
  receivedAt: number;
  updatedAt: number;
}

export interface TextCard {
  kind: "text";
  key: string;
  offerId: number;
  from: DeviceRef;
  text: string;
  /** The link to open, when the text is a single http(s) link. */
  url: string | null;
  receivedAt: number;
}

export interface InviteCard {
  kind: "invite";
  key: string;
  name: string;
  from: DeviceRef;
  receivedAt: number;
}

export type InboxCard = OfferCard | TextCard | InviteCard;

export interface InboxState {
  /** Newest first. */
  cards: InboxCard[];
}

/** Finished cards beyond this many are dropped, oldest first. */
export const MAX_CARDS = 100;

export function emptyInbox(): InboxState {
  return { cards: [] };
}

const ACTIVE: ReadonlySet<OfferPhase> = new Set(["pending", "accepted", "receiving", "cancelling"]);

export function isActive(card: InboxCard): boolean {
  return card.kind === "offer" && ACTIVE.has(card.phase);
}

export function isFinished(card: InboxCard): boolean {
  return !isActive(card);
}

export function offerKey(offerId: number): string {
  return `offer-${offerId}`;
}

export function textKey(offerId: number): string {
  return `text-${offerId}`;
}

function num(v: number | null | undefined): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0;
}

function findOffer(state: InboxState, offerId: number): OfferCard | undefined {
  const key = offerKey(offerId);
  return state.cards.find((c): c is OfferCard => c.kind === "offer" && c.key === key);
}

function replaceCard(state: InboxState, key: string, next: InboxCard | null): InboxCard[] {
  const cards: InboxCard[] = [];
  for (const c of state.cards) {
    if (c.key !== key) cards.push(c);
    else if (next) cards.push(next);
  }
  return cards;
}

function patchOffer(state: InboxState, offerId: number, patch: Partial<OfferCard>): InboxState {
  const card = findOffer(state, offerId);
  if (!card) return state;
  return { ...state, cards: replaceCard(state, card.key, { ...card, ...patch }) };
}

function capCards(cards: InboxCard[]): InboxCard[] {
  if (cards.length <= MAX_CARDS) return cards;
  const out = [...cards];
  for (let i = out.length - 1; i >= 0 && out.length > MAX_CARDS; i -= 1) {
    if (isFinished(out[i])) out.splice(i, 1);
  }
  return out;
}

function addFront(state: InboxState, card: InboxCard): InboxState {
  const rest = state.cards.filter((c) => c.key !== card.key);
  return { ...state, cards: capCards([card, ...rest]) };
}

/** What an offer's card starts from: its event, or the node's list of held offers. */
interface OfferFacts {
  from: DeviceRef;
  files: number | null;
  bytes: number | null;
  names: readonly string[];
  text?: string | null;
  is_link: boolean;
}

function offerCard(offerId: number, o: OfferFacts, phase: OfferPhase, now: number): OfferCard {
  return {
    kind: "offer",
    key: offerKey(offerId),
    offerId,
    from: o.from,
    files: num(o.files),
    bytes: num(o.bytes),
    names: [...o.names],
    text: o.text ?? null,
    textIsLink: o.is_link,
    phase,
    transferId: null,
    progress: null,
    meter: null,
    out: null,
    reason: null,
    receivedAt: now,
    updatedAt: now,
  };
}

/**
 * The inbox after `event` at time `now` (milliseconds). Returns `state`
 * itself when the event changes nothing.
 */
export function reduceInbox(state: InboxState, event: NodeEvent, now: number): InboxState {
  switch (event.event) {
    case "offer_received": {
      if (event.offer_id === null) return state;
      return addFront(state, offerCard(event.offer_id, event, "pending", now));
    }
    case "offer_accepted": {
      if (event.offer_id === null) return state;
      const card = findOffer(state, event.offer_id);
      if (!card || (card.phase !== "pending" && card.phase !== "expired")) return state;
      return patchOffer(state, event.offer_id, { phase: "accepted", updatedAt: now, reason: null });
    }
    case "offer_rejected": {
      if (event.offer_id === null) return state;
      if (!findOffer(state, event.offer_id)) return state;
      return patchOffer(state, event.offer_id, { phase: "rejected", reason: event.reason || null, updatedAt: now });
    }
    case "text_received": {
      if (event.offer_id === null) return state;
      const card: TextCard = {
        kind: "text",
        key: textKey(event.offer_id),
        offerId: event.offer_id,
        from: event.from,
        text: event.text,
        url: event.is_link ? safeLink(event.text) : null,
        receivedAt: now,
      };
      const offer = findOffer(state, event.offer_id);
      if (offer && offer.files === 0) {
        // A text-only offer: the text takes the offer card's place.
        const withoutText = { ...state, cards: state.cards.filter((c) => c.key !== card.key) };
        return { ...withoutText, cards: replaceCard(withoutText, offer.key, card) };
      }
      return addFront(state, card);
    }
    case "receive_started": {
      const offerId = event.offer_id;
      if (offerId == null || event.transfer_id === null) return state;
      const card = findOffer(state, offerId);
      if (!card || !ACTIVE.has(card.phase)) return state;
      return patchOffer(state, offerId, {
        phase: card.phase === "cancelling" ? "cancelling" : "receiving",
        transferId: event.transfer_id,
        progress: { bytesDone: 0, bytesTotal: card.bytes, filesDone: 0, filesTotal: card.files },
        meter: startMeter(now, 0, card.bytes),
        updatedAt: now,
      });
    }
    case "receive_progress": {
      const offerId = event.offer_id;
      if (offerId == null) return state;
      const card = findOffer(state, offerId);
      if (!card || !ACTIVE.has(card.phase)) return state;
      const progress: Progress = {
        bytesDone: num(event.bytes_done),
        bytesTotal: num(event.bytes_total) || card.bytes,
        filesDone: num(event.files_done),
        filesTotal: num(event.files_total) || card.files,
      };
      const meter = card.meter
        ? advanceMeter(card.meter, progress.bytesDone, progress.bytesTotal, now)
        : startMeter(now, progress.bytesDone, progress.bytesTotal);
      return patchOffer(state, offerId, {
        phase: card.phase === "cancelling" ? "cancelling" : "receiving",
        progress,
        meter,
        updatedAt: now,
      });
    }
    case "offer_done": {
      if (event.offer_id === null) return state;
      const card = findOffer(state, event.offer_id);
      if (!card) return state;
      const files = num(event.files) || card.files;
      const bytes = num(event.bytes) || card.bytes;
      return patchOffer(state, event.offer_id, {
        phase: "done",
        files,
        bytes,
        out: event.out || null,
        progress: { bytesDone: bytes, bytesTotal: bytes, filesDone: files, filesTotal: files },
        updatedAt: now,
      });
    }
    case "offer_failed": {
      if (event.offer_id === null) return state;
      const card = findOffer(state, event.offer_id);
      return card
        ? patchOffer(state, event.offer_id, { phase: "failed", reason: event.message || null, updatedAt: now })
        : state;
    }
    case "collection_invited": {
      const card: InviteCard = {
        kind: "invite",
        key: `invite-${event.from.id}-${event.name}`,
        name: event.name,
        from: event.from,
        receivedAt: now,
      };
      return addFront(state, card);
    }
    default:
      return state;
  }
}

/**
 * Adds the offers the node holds (waiting for an answer or being received)
 * that the inbox has no card for: a window opened or reloaded after they
 * arrived shows them too.
 */
export function seedInbox(state: InboxState, offers: readonly OfferView[], now: number): InboxState {
  let next = state;
  const held = offers.filter((o): o is OfferView & { offer_id: number } => o.offer_id !== null);
  for (const o of held.sort((a, b) => a.offer_id - b.offer_id)) {
    if (findOffer(next, o.offer_id)) continue;
    next = addFront(next, offerCard(o.offer_id, o, o.receiving ? "receiving" : "pending", now));
  }
  return next;
}

/** Marks an offer after the user answered or cancelled it (before the events arrive). */
export function setPhase(state: InboxState, offerId: number, phase: OfferPhase, now: number, reason?: string): InboxState {
  const card = findOffer(state, offerId);
  if (!card) return state;
  return patchOffer(state, offerId, { phase, updatedAt: now, reason: reason ?? card.reason });
}

/** Removes one finished card. Active offers stay. */
export function dismiss(state: InboxState, key: string): InboxState {
  const card = state.cards.find((c) => c.key === key);
  if (!card || isActive(card)) return state;
  return { ...state, cards: state.cards.filter((c) => c.key !== key) };
}

/** Removes every finished card. */
export function clearFinished(state: InboxState): InboxState {
  const cards = state.cards.filter(isActive);
  return cards.length === state.cards.length ? state : { ...state, cards };
}

/** Offers waiting for an answer. */
export function pendingCount(state: InboxState): number {
  return state.cards.filter((c) => c.kind === "offer" && c.phase === "pending").length;
}

/** What an offer card says about its state, in words. */
export function phaseLabel(card: OfferCard): string {
  switch (card.phase) {
    case "pending":
      return "Wants to send you";
    case "accepted":
      return "Starting…";
    case "receiving":
      return "Receiving";
    case "cancelling":
      return "Cancelling…";
    case "done":
      return "Received";
    case "failed":
      return "Failed";
    case "rejected":
      return "Declined";
    case "expired":
      return "No longer available";
  }
}

/** Removes the invitations into collection `name` (answered elsewhere). */
export function removeInvites(state: InboxState, name: string): InboxState {
  const cards = state.cards.filter((c) => c.kind !== "invite" || c.name !== name);
  return cards.length === state.cards.length ? state : { ...state, cards };
}
