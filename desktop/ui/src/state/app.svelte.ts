// The app's shared state: what several screens show, kept current from
// commands and node events for as long as the window is open.

import type { CollectionView, CommandError, DeviceView, NearbyView, NodeEvent, NodeInfo, ShellEvent, TicketView } from "../bindings";
import { applyHealthEvent, applyNearbyEvent, healthFromProbe, sortNearby, type HealthMap } from "../lib/devices";
import type { Result } from "../lib/errors";
import { offerPhrase, summarize, textKind } from "../lib/format";
import { emptyInbox, pendingCount, reduceInbox, removeInvites, seedInbox, type InboxState } from "../lib/inbox";
import { fromResult, LOADING, type Loadable } from "../lib/loadable";
import { applyPushEvent, describeSelection, finishPush, startPush, type PushMap } from "../lib/push";
import { parseRoute, routeHash, type Screen } from "../lib/route";
import { readShellEvent, type ShellAction } from "../lib/shell";
import {
  applyTicketEvent,
  closeCurrent,
  emptyTickets,
  enqueueTickets,
  enqueueView,
  inspected,
  pairFailed,
  pairStarted,
  receivedText,
  receiveFinished,
  receiveStarted,
  retryTicket,
  toInspect,
  type TicketQueue,
} from "../lib/ticket";
import { api, connected, dialogs, listenNodeEvents, listenShellEvents } from "./backend";

export interface Toast {
  id: number;
  tone: "info" | "success" | "error";
  text: string;
  action?: { label: string; screen: Screen };
}

const TOAST_MS = 6_000;
/** Collection changes come one per file; the list reloads once they settle. */
const COLLECTION_SETTLE_MS = 800;

class AppState {
  readonly connected = connected;

  /** The time, updated every second, for countdowns, speeds and "5 min ago". */
  now = $state(Date.now());
  screen = $state<Screen>(typeof location === "undefined" ? "home" : parseRoute(location.hash));

  node = $state.raw<Loadable<NodeInfo>>(LOADING);
  devices = $state.raw<Loadable<DeviceView[]>>(LOADING);
  nearby = $state.raw<Loadable<NearbyView[]>>(LOADING);
  health = $state.raw<HealthMap>({});
  probing = $state(false);
  probeError = $state.raw<CommandError | null>(null);
  lastProbeAt = $state(0);

  inbox = $state.raw<InboxState>(emptyInbox());
  pending = $derived(pendingCount(this.inbox));
  pushes = $state.raw<PushMap>({});

  /** Bumped when the transfer history may have changed. */
  historyVersion = $state(0);
  /** Bumped when the collections may have changed. */
  collectionsVersion = $state(0);

  /** What the Send screen holds, kept while other screens are shown. */
  draftPaths = $state<string[]>([]);
  draftText = $state("");

  toasts = $state<Toast[]>([]);

  /** Tickets opened from links, QR images or the ticket field; one shown at a time. */
  tickets = $state.raw<TicketQueue>(emptyTickets());
  /** What the tray asked a screen to start; the screen takes it with `takeRequest`. */
  request = $state.raw<{ action: ShellAction; id: number } | null>(null);

  #started = false;
  #requestId = 0;
  /** The ticket being opened by `inspect_ticket`, by its key. */
  #inspecting = 0;
  #toastId = 0;
  #pairedWatchers = new Set<(id: string, name: string) => void>();
  #collectionTimer: ReturnType<typeof setTimeout> | undefined;

  /** Loads what every screen needs and starts listening; once. */
  start(): () => void {
    if (this.#started) return () => {};
    this.#started = true;
    const tick = setInterval(() => (this.now = Date.now()), 1_000);
    const onHash = () => (this.screen = parseRoute(location.hash));
    window.addEventListener("hashchange", onHash);
    const unlisten: (() => void)[] = [];
    let stopped = false;
    const keep = (u: () => void) => (stopped ? u() : unlisten.push(u));
    // Listening first, then the offers the node holds: one that arrives in
    // between is a card once, from whichever comes first.
    void listenNodeEvents((e) => this.handle(e)).then((u) => {
      keep(u);
      if (!stopped) void this.loadOffers();
    });
    // Links that started the app, or came before this window listened; later
    // ones announce themselves with `links_waiting`.
    void listenShellEvents((e) => this.handleShell(e)).then((u) => {
      keep(u);
      if (!stopped) void this.takeLinks();
    });
    void this.loadNode();
    void this.loadDevices();
    void this.loadNearby();
    return () => {
      stopped = true;
      clearInterval(tick);
      window.removeEventListener("hashchange", onHash);
      for (const u of unlisten) u();
      this.#started = false;
    };
  }

  go(screen: Screen): void {
    this.screen = screen;
    if (typeof location !== "undefined" && location.hash !== routeHash(screen)) location.hash = routeHash(screen);
  }

  async loadNode(): Promise<void> {
    this.node = fromResult(await api.nodeInfo());
  }

  /** The offers the node holds, for a window opened after they arrived. */
  async loadOffers(): Promise<void> {
    const r = await api.offers();
    if (r.status === "ok") this.inbox = seedInbox(this.inbox, r.data, Date.now());
  }

  async loadDevices(): Promise<void> {
    if (this.devices.state !== "ready") this.devices = LOADING;
    this.devices = fromResult(await api.devices());
  }

  async loadNearby(): Promise<void> {
    const r = await api.nearby();
    this.nearby = r.status === "ok" ? { state: "ready", data: sortNearby(r.data) } : fromResult(r);
  }

  /** Dials every paired device; a probe already running is not started twice. */
  async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const r = await api.probeDevices();
      if (r.status === "ok") {
        this.health = healthFromProbe(this.health, r.data, Date.now());
        this.probeError = null;
      } else {
        this.probeError = r.error;
      }
      this.lastProbeAt = Date.now();
    } finally {
      this.probing = false;
    }
  }

  setDevices(list: DeviceView[]): void {
    this.devices = { state: "ready", data: list };
  }

  /** Sends the draft to one paired device; resolves when it answered. */
  async send(device: DeviceView, paths: string[], text: string): Promise<void> {
    const t = text.trim() ? text : null;
    const answer = t === null ? null : await api.isLink(t);
    const link = answer?.status === "ok" && answer.data;
    this.pushes = startPush(this.pushes, device.id, describeSelection(paths, text, link), Date.now());
    const r = await api.push(device.id, paths, t);
    this.pushes = finishPush(this.pushes, device.id, r, Date.now());
    this.historyVersion += 1;
    if (r.status === "ok" && r.data.queued) this.toast("info", `${device.name} is not reachable: it goes out when it comes online.`);
    else if (r.status === "ok") this.toast("success", `Sent to ${device.name}: ${summarize(r.data.files, r.data.bytes, textKind(t, link))}`);
  }

  /** Asks the screen showing `action` to start it (from the tray menu). */
  requestAction(action: ShellAction): void {
    this.request = { action, id: ++this.#requestId };
  }

  /** True once, when `action` was requested; the screen then starts it. */
  takeRequest(action: ShellAction): boolean {
    if (this.request?.action !== action) return false;
    this.request = null;
    return true;
  }

  /** One request of the desktop shell: a screen to show, or links to open. */
  handleShell(event: ShellEvent): void {
    const r = readShellEvent(event);
    if (!r) return;
    if (r.type === "links_waiting") {
      void this.takeLinks();
      return;
    }
    this.go(r.screen);
    if (r.action) this.requestAction(r.action);
  }

  /** Opens the `ferry://` links that arrived, one dialog at a time. */
  async takeLinks(): Promise<void> {
    const r = await api.takeLinks();
    if (r.status === "ok" && r.data.length) this.openTickets(r.data);
    else if (r.status === "error" && this.connected) console.error("could not take links", r.error);
  }

  /** Opens tickets (pasted, linked or read from a QR image) in the ticket dialog. */
  openTickets(tickets: readonly string[]): void {
    this.tickets = enqueueTickets(this.tickets, tickets);
    void this.#inspectCurrent();
  }

  /** Shows a ticket opened already (by the ticket field on Devices). */
  showTicket(ticket: string, view: TicketView): void {
    this.tickets = enqueueView(this.tickets, ticket, view);
    void this.#inspectCurrent();
  }

  async #inspectCurrent(): Promise<void> {
    const f = toInspect(this.tickets);
    if (!f || this.#inspecting === f.key) return;
    this.#inspecting = f.key;
    const r = await api.inspectTicket(f.ticket);
    if (this.#inspecting === f.key) this.#inspecting = 0;
    const shown = this.tickets.current?.key === f.key;
    this.tickets = inspected(this.tickets, f.key, r);
    // Closed while it was being opened: the share is not wanted.
    if (!shown && r.status === "ok" && r.data.kind === "share") void api.discardShare(r.data.id);
  }

  /** Opens the dialog's ticket again after it failed. */
  retryTicket(): void {
    const f = this.tickets.current;
    if (!f) return;
    this.tickets = retryTicket(this.tickets, f.key);
    void this.#inspectCurrent();
  }

  /** Pairs with the device whose pairing ticket the dialog shows. */
  async pairTicket(): Promise<void> {
    const f = this.tickets.current;
    if (!f || f.step !== "pair" || f.busy) return;
    this.tickets = pairStarted(this.tickets, f.key);
    const r = await api.join(f.pairTicket);
    const shown = this.tickets.current?.key === f.key;
    if (r.status === "ok") {
      this.toast("success", `Paired with ${r.data.name}`);
      void this.loadDevices();
      if (shown) this.closeTicket();
    } else if (shown) {
      this.tickets = pairFailed(this.tickets, f.key, r.error);
    } else {
      this.toast("error", `Pairing failed: ${r.error.message}`);
    }
  }

  /** Receives the share the dialog shows into the download folder. */
  async receiveTicket(): Promise<void> {
    const f = this.tickets.current;
    if (!f || f.step !== "share" || f.phase !== "ready") return;
    this.tickets = receiveStarted(this.tickets, f.key, Date.now());
    const r = await api.receiveShare(f.share.id);
    this.historyVersion += 1;
    const shown = this.tickets.current?.key === f.key;
    this.tickets = receiveFinished(this.tickets, f.key, r, Date.now());
    // The dialog was closed while receiving: say how it ended.
    if (!shown) {
      if (r.status === "ok") this.toast("success", receivedText(r.data));
      else this.toast("error", `Receiving from ${f.share.from} failed: ${r.error.message}`);
    }
  }

  /** Closes the ticket dialog (a share not received is closed too) and shows the next ticket. */
  closeTicket(): void {
    const { queue, discard } = closeCurrent(this.tickets);
    this.tickets = queue;
    if (discard !== null) void api.discardShare(discard);
    void this.#inspectCurrent();
  }

  /**
   * Accepts an invitation into a collection, into a folder chosen in a
   * dialog or into none. Null when the folder dialog was cancelled.
   */
  async acceptInvite(name: string, withFolder: boolean): Promise<Result<CollectionView> | null> {
    let dir: string | null = null;
    if (withFolder && this.connected) {
      dir = await dialogs.folder(`Choose a folder for “${name}”`);
      if (!dir) return null;
    }
    const r = await api.acceptInvite(name, dir);
    if (r.status === "ok") {
      this.inbox = removeInvites(this.inbox, name);
      this.collectionsVersion += 1;
      this.toast("success", `Joined the collection “${name}”`, { label: "Open", screen: "collections" });
    }
    return r;
  }

  /** Calls `watcher` on every `paired` event until the returned function is called. */
  onPaired(watcher: (id: string, name: string) => void): () => void {
    this.#pairedWatchers.add(watcher);
    return () => this.#pairedWatchers.delete(watcher);
  }

  toast(tone: Toast["tone"], text: string, action?: Toast["action"]): void {
    // The same news from a command and from its event is shown once.
    if (this.toasts.some((t) => t.tone === tone && t.text === text)) return;
    const id = ++this.#toastId;
    this.toasts = [...this.toasts.slice(-3), { id, tone, text, action }];
    setTimeout(() => this.dismissToast(id), TOAST_MS);
  }

  dismissToast(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** One node event, applied to every part of the state it concerns. */
  handle(event: NodeEvent): void {
    const now = Date.now();
    const inbox = reduceInbox(this.inbox, event, now);
    if (inbox !== this.inbox) this.inbox = inbox;
    const health = applyHealthEvent(this.health, event, now);
    if (health !== this.health) this.health = health;
    const pushes = applyPushEvent(this.pushes, event, now);
    if (pushes !== this.pushes) this.pushes = pushes;
    const tickets = applyTicketEvent(this.tickets, event, now);
    if (tickets !== this.tickets) this.tickets = tickets;

    switch (event.event) {
      case "nearby_found":
      case "nearby_lost":
      case "paired":
      case "device_removed":
        if (this.nearby.state === "ready") this.nearby = { state: "ready", data: applyNearbyEvent(this.nearby.data, event) };
        break;
    }

    switch (event.event) {
      case "paired":
        void this.loadDevices();
        for (const w of this.#pairedWatchers) w(event.id, event.name);
        // The Devices screen says so itself.
        if (this.screen !== "devices") this.toast("success", `Paired with ${event.name}`);
        break;
      case "device_removed":
        void this.loadDevices();
        break;
      case "offer_received":
        if (this.screen !== "inbox") {
          this.toast("info", `${event.from.name} wants to send you ${offerPhrase(event.files, event.bytes, textKind(event.text, event.is_link))}`, {
            label: "Open inbox",
            screen: "inbox",
          });
        }
        break;
      case "text_received":
        if (this.screen !== "inbox") {
          this.toast("info", `${event.from.name} sent ${event.is_link ? "a link" : "a note"}`, { label: "Open inbox", screen: "inbox" });
        }
        break;
      case "offer_done":
      case "offer_failed":
      case "offer_rejected":
        this.historyVersion += 1;
        break;
      case "collection_invited":
        this.collectionsVersion += 1;
        if (this.screen !== "inbox") {
          this.toast("info", `${event.from.name} invited you to the collection “${event.name}”`, { label: "Open inbox", screen: "inbox" });
        }
        break;
      case "collection_changed":
        clearTimeout(this.#collectionTimer);
        this.#collectionTimer = setTimeout(() => (this.collectionsVersion += 1), COLLECTION_SETTLE_MS);
        break;
    }
  }
}

export const app = new AppState();
