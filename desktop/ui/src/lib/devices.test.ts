import { describe, expect, it } from "vitest";
import type { DeviceView } from "../bindings";
import {
  applyHealthEvent,
  applyNearbyEvent,
  describeHealth,
  deviceName,
  healthFromProbe,
  removeDevice,
  routeLabel,
  upsertDevice,
  type HealthMap,
} from "./devices";

const dev = (id: string, name: string, auto_accept = false): DeviceView => ({ id, name, auto_accept, paired_at_ms: 1 });

describe("device health", () => {
  it("records a probe and keeps devices it did not cover", () => {
    const before: HealthMap = { old: { online: true, route: "relay", rttMs: 80, at: 1 } };
    const map = healthFromProbe(
      before,
      [
        { device: dev("a", "A"), online: true, route: "direct_lan", rtt_ms: 3 },
        { device: dev("b", "B"), online: false, route: "relay", rtt_ms: 50 },
      ],
      10,
    );
    expect(map.a).toEqual({ online: true, route: "direct_lan", rttMs: 3, at: 10 });
    expect(map.b).toEqual({ online: false, route: null, rttMs: null, at: 10 });
    expect(map.old).toBe(before.old);
  });

  it("applies status events and forgets removed devices", () => {
    let map = applyHealthEvent({}, { event: "device_status", name: "Pixel", id: "a", online: true, route: "relay", rtt_ms: 90 }, 5);
    expect(map.a).toEqual({ online: true, route: "relay", rttMs: 90, at: 5 });
    map = applyHealthEvent(map, { event: "device_removed", id: "a" }, 6);
    expect(map).toEqual({});
    const same = applyHealthEvent(map, { event: "nearby_lost", id: "a" }, 7);
    expect(same).toBe(map);
  });

  it("describes the state in words", () => {
    expect(describeHealth(undefined)).toEqual({ tone: "unknown", label: "Not checked yet" });
    expect(describeHealth({ online: false, route: null, rttMs: null, at: 1 })).toEqual({ tone: "offline", label: "Offline" });
    expect(describeHealth({ online: true, route: "direct_lan", rttMs: 12.2, at: 1 })).toEqual({
      tone: "online",
      label: "Online · Direct (LAN) · 12 ms",
    });
    expect(describeHealth({ online: true, route: null, rttMs: null, at: 1 }).label).toBe("Online");
  });

  it("names routes", () => {
    expect(routeLabel("direct_internet")).toBe("Direct (internet)");
    expect(routeLabel("relay")).toBe("Relayed");
    expect(routeLabel("local")).toBe("This computer");
    expect(routeLabel("direct")).toBe("Direct");
    expect(routeLabel(null)).toBe("");
  });
});

describe("nearby devices", () => {
  it("adds, updates and removes, sorted by name", () => {
    let list = applyNearbyEvent([], { event: "nearby_found", id: "2", name: "zed", paired: false });
    list = applyNearbyEvent(list, { event: "nearby_found", id: "1", name: "Alpha", paired: true });
    list = applyNearbyEvent(list, { event: "nearby_found", id: "2", name: "Bravo", paired: false });
    expect(list.map((d) => d.name)).toEqual(["Alpha", "Bravo"]);
    list = applyNearbyEvent(list, { event: "paired", id: "2", name: "Bravo" });
    expect(list[1].paired).toBe(true);
    list = applyNearbyEvent(list, { event: "nearby_lost", id: "1" });
    expect(list.map((d) => d.id)).toEqual(["2"]);
  });
});

describe("device lists", () => {
  it("replaces a device and keeps the order by name", () => {
    const list = [dev("1", "alpha"), dev("2", "Charlie")];
    const next = upsertDevice(list, dev("1", "Delta", true));
    expect(next.map((d) => d.name)).toEqual(["Charlie", "Delta"]);
    expect(removeDevice(next, "2").map((d) => d.id)).toEqual(["1"]);
  });

  it("names a device id", () => {
    expect(deviceName([dev("abc", "Pixel")], "abc")).toBe("Pixel");
    expect(deviceName([], "0123456789abcdef")).toBe("01234567…");
    expect(deviceName(undefined, "short")).toBe("short");
  });
});
