// The app's shared state: what several screens show, kept current from
// commands and node events for as long as the window is open.

import type { CommandError, DeviceView, NearbyView, NodeEvent, NodeInfo } from "../bindings";
import { applyHealthEvent, applyNearbyEvent, healthFromProbe, sortNearby, type HealthMap } from "../lib/devices";
import { isLink, offerPhrase, summarize } from "../lib/format";
import { emptyInbox, pendingCount, reduceInbox, type InboxState } from "../lib/inbox";
import { fromResult, LOADING, type Loadable } from "../lib/loadable";
import { applyPushEvent, describeSelection, finishPush, startPush, type PushMap } from "../lib/push";
import { parseRoute, routeHash, type Screen } from "../lib/route";
import { api, connected, listenNodeEvents } from "./backend";

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

  #started = false;
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
    let unlisten: (() => void) | undefined;
    let stopped = false;
    void listenNodeEvents((e) => this.handle(e)).then((u) => {
      if (stopped) u();
      else unlisten = u;
    });
    void this.loadNode();
    void this.loadDevices();
    void this.loadNearby();
    return () => {
      stopped = true;
      clearInterval(tick);
      window.removeEventListener("hashchange", onHash);
      unlisten?.();
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
    this.pushes = startPush(this.pushes, device.id, describeSelection(paths, text, isLink(text)), Date.now());
    const r = await api.push(device.id, paths, t);
    this.pushes = finishPush(this.pushes, device.id, r, Date.now());
    this.historyVersion += 1;
    if (r.status === "ok") this.toast("success", `Sent to ${device.name}: ${summarize(r.data.files, r.data.bytes, t)}`);
  }

  /** Calls `watcher` on every `paired` event until the returned function is called. */
  onPaired(watcher: (id: string, name: string) => void): () => void {
    this.#pairedWatchers.add(watcher);
    return () => this.#pairedWatchers.delete(watcher);
  }

  toast(tone: Toast["tone"], text: string, action?: Toast["action"]): void {
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

    switch (event.type) {
      case "nearby_found":
      case "nearby_lost":
      case "paired":
      case "device_removed":
        if (this.nearby.state === "ready") this.nearby = { state: "ready", data: applyNearbyEvent(this.nearby.data, event) };
        break;
    }

    switch (event.type) {
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
          this.toast("info", `${event.from.name} wants to send you ${offerPhrase(event.files, event.bytes, event.text)}`, {
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
