// The connection to the app: the generated commands, each guarded so that
// a screen always gets a `Result`, the node's and the shell's events, and
// native file dialogs. Outside the app (a plain browser), every command
// answers "not connected", no event arrives and dialogs answer null.

import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open, type OpenDialogOptions } from "@tauri-apps/plugin-dialog";
import { commands, events, type KeepView_Deserialize, type NodeEvent, type Settings_Serialize, type ShellEvent } from "../bindings";
import { guard, guardValue } from "../lib/errors";
import { dialogPaths } from "../lib/shell";

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
  offers: () => guard(connected, () => commands.offers()),
  ticketKind: (text: string) => guardValue(connected, () => commands.ticketKind(text)),
  isLink: (text: string) => guardValue(connected, () => commands.isLink(text)),
  respondOffer: (offerId: number, accept: boolean) => guard(connected, () => commands.respondOffer(offerId, accept)),
  cancelOffer: (offerId: number) => guard(connected, () => commands.cancelOffer(offerId)),
  history: (limit: number) => guard(connected, () => commands.history(limit)),
  inspectTicket: (ticket: string) => guard(connected, () => commands.inspectTicket(ticket)),
  receiveShare: (id: number) => guard(connected, () => commands.receiveShare(id)),
  discardShare: (id: number) => guardValue(connected, () => commands.discardShare(id)),
  readQrImage: (path: string) => guard(connected, () => commands.readQrImage(path)),
  takeLinks: () => guardValue(connected, () => commands.takeLinks()),
  collections: () => guard(connected, () => commands.collections()),
  collectionStatus: (name: string) => guard(connected, () => commands.collectionStatus(name)),
  collectionInvite: (name: string, device: string) => guard(connected, () => commands.collectionInvite(name, device)),
  collectionInvites: () => guard(connected, () => commands.collectionInvites()),
  acceptInvite: (name: string, dir: string | null) => guard(connected, () => commands.acceptInvite(name, dir)),
  collectionSetKeep: (name: string, keep: KeepView_Deserialize) => guard(connected, () => commands.collectionSetKeep(name, keep)),
  settings: () => guardValue(connected, () => commands.settings()),
  saveSettings: (settings: Settings_Serialize) => guard(connected, () => commands.saveSettings(settings)),
  networkDoctor: () => guard(connected, () => commands.networkDoctor()),
  restartApp: () => guardValue(connected, () => commands.restartApp()),
  showInFolder: (path: string) => guard(connected, () => commands.showInFolder(path)),
  openPath: (path: string) => guard(connected, () => commands.openPath(path)),
  openLink: (url: string) => guard(connected, () => commands.openLink(url)),
};

/**
 * A native open dialog: the chosen paths, or null when it was cancelled,
 * could not be shown, or this page runs outside the app.
 */
async function choose(options: OpenDialogOptions): Promise<string[] | null> {
  if (!connected) return null;
  try {
    const paths = dialogPaths(await open(options));
    return paths.length ? paths : null;
  } catch (e) {
    console.error("could not show the file dialog", e);
    return null;
  }
}

export const dialogs = {
  /** Files to send. */
  files: () => choose({ title: "Choose files to send", multiple: true, directory: false }),
  /** Folders to send. */
  folders: () => choose({ title: "Choose folders to send", multiple: true, directory: true }),
  /** One folder, starting in `current` when given. */
  folder: async (title: string, current?: string) =>
    (await choose({ title, multiple: false, directory: true, defaultPath: current?.trim() || undefined }))?.[0] ?? null,
  /** A certificate file (PEM) to trust, starting next to `current` when given. */
  certificate: async (current?: string) =>
    (
      await choose({
        title: "Choose a certificate file to trust",
        multiple: false,
        directory: false,
        defaultPath: current?.trim() || undefined,
        filters: [
          { name: "Certificates (PEM)", extensions: ["pem", "crt", "cer"] },
          { name: "All files", extensions: ["*"] },
        ],
      })
    )?.[0] ?? null,
  /** An image with a QR code. */
  qrImage: async () =>
    (
      await choose({
        title: "Open a QR code image",
        multiple: false,
        directory: false,
        filters: [{ name: "Images", extensions: ["png", "jpg", "jpeg"] }],
      })
    )?.[0] ?? null,
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

/** Calls `handler` with every request of the desktop shell (tray menu, links). */
export async function listenShellEvents(handler: (event: ShellEvent) => void): Promise<() => void> {
  if (!connected) return () => {};
  try {
    return await events.shellEvent.listen((e) => handler(e.payload));
  } catch (e) {
    console.error("could not listen to shell events", e);
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
