// The connection to the app: the generated commands, each guarded so that
// a screen always gets a `Result`, and the node's events. Outside the app
// (a plain browser), every command answers "not connected" and no event
// arrives.

import { getCurrentWebview } from "@tauri-apps/api/webview";
import { commands, events, type InboxSettings, type NodeEvent } from "../bindings";
import { guard, guardValue } from "../lib/errors";

/** Whether this page runs inside the Tauri app. */
export function detectTauri(): boolean {
  if (typeof window === "undefined") return false;
  return Boolean((window as unknown as { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__);
}

export const connected = detectTauri();

export const api = {
  nodeInfo: () => guard(connected, () => commands.nodeInfo()),
  devices: () => guard(connected, () => commands.devices()),
  probeDevices: () => guard(connected, () => commands.probeDevices()),
  nearby: () => guard(connected, () => commands.nearby()),
  startPairing: () => guard(connected, () => commands.startPairing()),
  join: (ticket: string) => guard(connected, () => commands.join(ticket)),
  renameDevice: (id: string, name: string) => guard(connected, () => commands.renameDevice(id, name)),
  setAutoAccept: (id: string, on: boolean) => guard(connected, () => commands.setAutoAccept(id, on)),
  removeDevice: (id: string) => guard(connected, () => commands.removeDevice(id)),
  share: (paths: string[], text: string | null) => guard(connected, () => commands.share(paths, text)),
  push: (device: string, paths: string[], text: string | null) => guard(connected, () => commands.push(device, paths, text)),
  respondOffer: (offerId: number, accept: boolean) => guard(connected, () => commands.respondOffer(offerId, accept)),
  cancelOffer: (offerId: number) => guard(connected, () => commands.cancelOffer(offerId)),
  history: (limit: number) => guard(connected, () => commands.history(limit)),
  collections: () => guard(connected, () => commands.collections()),
  setInbox: (settings: InboxSettings) => guard(connected, () => commands.setInbox(settings)),
  inboxSettings: () => guardValue(connected, () => commands.inboxSettings()),
};

/** Calls `handler` with every node event; the returned function stops listening. */
export async function listenNodeEvents(handler: (event: NodeEvent) => void): Promise<() => void> {
  if (!connected) return () => {};
  try {
    return await events.nodeEvent.listen((e) => handler(e.payload));
  } catch (e) {
    console.error("could not listen to node events", e);
    return () => {};
  }
}

export type DropEvent = { type: "enter"; paths: string[] } | { type: "over" } | { type: "drop"; paths: string[] } | { type: "leave" };

/** Files and folders dragged onto the window, with their paths (only inside the app). */
export async function listenDragDrop(handler: (event: DropEvent) => void): Promise<() => void> {
  if (!connected) return () => {};
  try {
    return await getCurrentWebview().onDragDropEvent((e) => {
      const p = e.payload;
      if (p.type === "enter" || p.type === "drop") handler({ type: p.type, paths: p.paths });
      else handler({ type: p.type });
    });
  } catch (e) {
    console.error("could not listen to dropped files", e);
    return () => {};
  }
}
