import { describe, expect, it } from "vitest";
import type { DeviceHealthView, NetworkReportView } from "../bindings";
import {
  deviceLine,
  devicesSummary,
  discoveryFact,
  messageParts,
  natFact,
  NO_RELAYS,
  publicAddrFact,
  relayFact,
  relayHost,
  reportFacts,
  udpFact,
  verdictLook,
} from "./doctor";

const device = (name: string, online: boolean, route: DeviceHealthView["route"] = null, rtt: number | null = null): DeviceHealthView => ({
  device: { id: `${name}-id`, name, auto_accept: false, paired_at_ms: 1 },
  online,
  route,
  rtt_ms: rtt,
});

const RELAYS_OFF: NetworkReportView = {
  relays: [],
  discovery: { service: "off", working: null, error: null },
  udp: null,
  public_addr: null,
  nat: "unknown",
  devices: [device("Pixel 9", true, "local", 0.4)],
  verdict: {
    level: "limited",
    message: "Relays are off: only devices on this network can be reached; set the relay to `default` or your own server.",
  },
};

describe("the verdict", () => {
  it("has a headline, a colour and an icon for each level", () => {
    expect(verdictLook("good")).toEqual({ title: "Your network is ready", tone: "success", icon: "check" });
    expect(verdictLook("limited").tone).toBe("warning");
    expect(verdictLook("broken")).toMatchObject({ tone: "danger", icon: "alert" });
  });

  it("shows the setting names it quotes as code", () => {
    expect(messageParts(RELAYS_OFF.verdict.message)).toEqual([
      { text: "Relays are off: only devices on this network can be reached; set the relay to ", code: false },
      { text: "default", code: true },
      { text: " or your own server.", code: false },
    ]);
    expect(messageParts("Good: nothing to do.")).toEqual([{ text: "Good: nothing to do.", code: false }]);
    expect(messageParts("")).toEqual([]);
  });
});

describe("relays", () => {
  it("are named by host", () => {
    expect(relayHost("https://use1-1.relay.n0.iroh.link./")).toBe("use1-1.relay.n0.iroh.link");
    expect(relayHost("http://192.168.1.2:3340")).toBe("192.168.1.2:3340");
    expect(relayHost("not a url")).toBe("not a url");
  });

  it("say whether they are connected, answer, or why not", () => {
    expect(relayFact({ url: "https://r.example/", connected: true, latency_ms: 23.4, error: null })).toEqual({
      name: "r.example",
      label: "Connected · 23 ms",
      detail: "This computer’s home relay.",
      tone: "success",
    });
    expect(relayFact({ url: "https://r.example/", connected: true, latency_ms: null, error: null }).label).toBe("Connected");
    expect(relayFact({ url: "https://r2.example/", connected: false, latency_ms: 80, error: null })).toMatchObject({
      label: "Answers · 80 ms",
      tone: "success",
    });
    expect(relayFact({ url: "https://r3.example/", connected: false, latency_ms: null, error: "connection refused" })).toMatchObject({
      label: "Not reachable",
      detail: "Connection refused.",
      tone: "danger",
    });
    expect(relayFact({ url: "https://r3.example/", connected: false, latency_ms: null, error: null }).detail).toBe("No answer.");
  });

  it("being off is said as such", () => {
    expect(reportFacts(RELAYS_OFF)[0]).toEqual({ key: "relays", title: "Relay", facts: [NO_RELAYS] });
    const two = reportFacts({
      ...RELAYS_OFF,
      relays: [
        { url: "https://a.example/", connected: true, latency_ms: 10, error: null },
        { url: "https://b.example/", connected: false, latency_ms: 30, error: null },
      ],
    })[0];
    expect(two.title).toBe("Relays");
    expect(two.facts.map((f) => f.name)).toEqual(["a.example", "b.example"]);
  });
});

describe("discovery, UDP, the address and the NAT", () => {
  it("describe discovery: working, failing, off", () => {
    expect(discoveryFact({ service: "public", working: true, error: null })).toMatchObject({ label: "Public service", tone: "success" });
    const down = discoveryFact({ service: "https://dns.example/pkarr", working: false, error: "no answer" });
    expect(down.label).toBe("https://dns.example/pkarr");
    expect(down.detail).toMatch(/^Not answering \(no answer\)\./);
    expect(down.tone).toBe("danger");
    expect(discoveryFact({ service: "off", working: null, error: null })).toMatchObject({ label: "Off", tone: "neutral" });
  });

  it("say whether UDP gets out", () => {
    expect(udpFact(true)).toMatchObject({ label: "Gets out", tone: "success" });
    expect(udpFact(false)).toMatchObject({ label: "Blocked", tone: "danger" });
    expect(udpFact(null)).toMatchObject({ label: "Not known", tone: "neutral" });
  });

  it("put every NAT kind in plain words", () => {
    expect(natFact("open").label).toBe("None");
    expect(natFact("cone")).toMatchObject({ label: "Friendly (cone NAT)", tone: "success" });
    expect(natFact("symmetric")).toMatchObject({ label: "Strict (symmetric NAT)", tone: "warning" });
    expect(natFact("symmetric").detail).toMatch(/relay/);
    expect(natFact("unknown").label).toBe("Not known");
  });

  it("show the public address when known", () => {
    expect(publicAddrFact("203.0.113.7:41641").label).toBe("203.0.113.7:41641");
    expect(publicAddrFact(null).label).toBe("Not known");
  });

  it("list every finding in order", () => {
    expect(reportFacts(RELAYS_OFF).map((s) => s.key)).toEqual(["relays", "discovery", "udp", "public", "nat"]);
  });
});

describe("paired devices", () => {
  it("show their route and round trip", () => {
    expect(deviceLine(device("Pixel 9", true, "direct_lan", 12))).toEqual({ tone: "online", label: "Online · Direct (LAN) · 12 ms" });
    expect(deviceLine(device("Tablet", true, "relay", 140))).toEqual({ tone: "online", label: "Online · Relayed · 140 ms" });
    expect(deviceLine(device("Laptop", false))).toEqual({ tone: "offline", label: "Offline" });
  });

  it("are counted", () => {
    expect(devicesSummary([])).toBe("No paired devices");
    expect(devicesSummary([device("a", true), device("b", false), device("c", true)])).toBe("2 of 3 online");
  });
});
