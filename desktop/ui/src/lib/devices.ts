// Paired devices' reachability and the nearby list, kept up to date from
// probes and events.

import type { DeviceHealthView, DeviceView, NearbyView, NodeEvent, PathKind, Route } from "../bindings";
import { formatRtt } from "./format";

export interface Health {
  online: boolean;
  route: Route | null;
  rttMs: number | null;
  /** When this was learned (milliseconds). */
  at: number;
}

export type HealthMap = Record<string, Health>;

/** The map after a probe of every device: devices not in the probe keep what was known. */
export function healthFromProbe(previous: HealthMap, probe: readonly DeviceHealthView[], now: number): HealthMap {
  const next: HealthMap = { ...previous };
  for (const h of probe) {
    next[h.device.id] = {
      online: h.online,
      route: h.online ? (h.route ?? null) : null,
      rttMs: h.online ? (h.rtt_ms ?? null) : null,
      at: now,
    };
  }
  return next;
}

/** Applies `device_status` and `device_removed`; other events change nothing. */
export function applyHealthEvent(map: HealthMap, event: NodeEvent, now: number): HealthMap {
  if (event.event === "device_status") {
    return {
      ...map,
      [event.id]: {
        online: event.online,
        route: event.online ? (event.route ?? null) : null,
        rttMs: event.online ? (event.rtt_ms ?? null) : null,
        at: now,
      },
    };
  }
  if (event.event === "device_removed" && event.id in map) {
    const next = { ...map };
    delete next[event.id];
    return next;
  }
  return map;
}

function byName(a: { name: string; id: string }, b: { name: string; id: string }): number {
  return a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) || a.id.localeCompare(b.id);
}

/** Applies `nearby_found` / `nearby_lost` (and pairing changes) to the nearby list, sorted by name. */
export function applyNearbyEvent(list: readonly NearbyView[], event: NodeEvent): NearbyView[] {
  switch (event.event) {
    case "nearby_found": {
      const rest = list.filter((d) => d.id !== event.id);
      return [...rest, { id: event.id, name: event.name, paired: event.paired }].sort(byName);
    }
    case "nearby_lost":
      return list.some((d) => d.id === event.id) ? list.filter((d) => d.id !== event.id) : [...list];
    case "paired":
      return list.map((d) => (d.id === event.id ? { ...d, paired: true } : d));
    case "device_removed":
      return list.map((d) => (d.id === event.id ? { ...d, paired: false } : d));
    default:
      return [...list];
  }
}

export function sortNearby(list: readonly NearbyView[]): NearbyView[] {
  return [...list].sort(byName);
}

export function sortDevices(list: readonly DeviceView[]): DeviceView[] {
  return [...list].sort(byName);
}

/** Replaces one device in a list (after a rename or a toggle), keeping the order by name. */
export function upsertDevice(list: readonly DeviceView[], device: DeviceView): DeviceView[] {
  return sortDevices([...list.filter((d) => d.id !== device.id), device]);
}

export function removeDevice(list: readonly DeviceView[], id: string): DeviceView[] {
  return list.filter((d) => d.id !== id);
}

/** `direct_lan` → `Direct (LAN)` and so on: a device's route, or the path
 *  of the connection that read a share. */
export function routeLabel(route: Route | PathKind | null | undefined): string {
  switch (route) {
    case "direct_lan":
      return "Direct (LAN)";
    case "direct_internet":
      return "Direct (internet)";
    case "direct":
      return "Direct";
    case "relay":
      return "Relayed";
    case "local":
      return "This computer";
    case null:
    case undefined:
      return "";
  }
}

export type HealthTone = "online" | "offline" | "unknown";

/** A status line: `Online · Direct (LAN) · 12 ms`, `Offline`, `Not checked yet`. */
export function describeHealth(h: Health | undefined): { tone: HealthTone; label: string } {
  if (!h) return { tone: "unknown", label: "Not checked yet" };
  if (!h.online) return { tone: "offline", label: "Offline" };
  const parts = ["Online", routeLabel(h.route), formatRtt(h.rttMs)].filter(Boolean);
  return { tone: "online", label: parts.join(" · ") };
}

/** The name of a device id, from the paired list; a short id otherwise. */
export function deviceName(devices: readonly DeviceView[] | undefined, id: string): string {
  const d = devices?.find((x) => x.id === id);
  if (d) return d.name;
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}
