// The network doctor's report in words: the verdict's look, each relay's
// state, discovery, UDP, the NAT in plain words and each paired device.

import type {
  DeviceHealthView,
  DiscoveryCheck,
  NatKind,
  NetworkReportView,
  RelayCheck,
  VerdictLevel,
} from "../bindings";
import { describeHealth, type HealthTone } from "./devices";
import { formatRtt } from "./format";
import { sentence } from "./settings";

/** The colour of a finding. */
export type Tone = "success" | "warning" | "danger" | "neutral";

/** One finding: what it is, what it means, and its colour. */
export interface Fact {
  /** What it is about, when a section lists several (a relay's host). */
  name?: string;
  label: string;
  detail: string;
  tone: Tone;
}

/** How a verdict is shown: a headline, a colour and an icon. */
export function verdictLook(level: VerdictLevel): { title: string; tone: Tone; icon: "check" | "alert" } {
  switch (level) {
    case "good":
      return { title: "Your network is ready", tone: "success", icon: "check" };
    case "limited":
      return { title: "Works, with limits", tone: "warning", icon: "alert" };
    case "broken":
      return { title: "Devices on other networks cannot be reached", tone: "danger", icon: "alert" };
  }
}

/** A message with `code` spans (the doctor names settings that way), split for display. */
export function messageParts(message: string): { text: string; code: boolean }[] {
  return message
    .split("`")
    .map((text, i) => ({ text, code: i % 2 === 1 }))
    .filter((p) => p.text !== "");
}

/** A relay URL as a host: `https://use1-1.relay.n0.iroh.link./` gives `use1-1.relay.n0.iroh.link`. */
export function relayHost(url: string): string {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const host = rest.split(/[/?#]/)[0].replace(/\.$/, "");
  return host || url;
}

/** A relay's state: connected (the home relay), answering, or why not. */
export function relayFact(r: RelayCheck): Fact {
  const name = relayHost(r.url);
  const rtt = formatRtt(r.latency_ms);
  if (r.connected) {
    return { name, label: rtt ? `Connected · ${rtt}` : "Connected", detail: "This computer’s home relay.", tone: "success" };
  }
  if (rtt) return { name, label: `Answers · ${rtt}`, detail: "Ready if it becomes the nearest.", tone: "success" };
  return { name, label: "Not reachable", detail: sentence(r.error ?? "no answer"), tone: "danger" };
}

/** What stands in for the list of relays when there is none. */
export const NO_RELAYS: Fact = {
  label: "Off",
  detail: "Relays are disabled: only this network’s devices, or ones open to it, are reached.",
  tone: "warning",
};

/** The discovery service and whether it works. */
export function discoveryFact(d: DiscoveryCheck): Fact {
  const service = d.service === "public" ? "Public service" : d.service === "off" ? "Off" : d.service;
  if (d.working === true) return { label: service, detail: "Working: this computer’s record reads back.", tone: "success" };
  if (d.working === false) {
    const why = d.error ? ` (${d.error})` : "";
    return {
      label: service,
      detail: `Not answering${why}. A device that changes network may not be found again.`,
      tone: "danger",
    };
  }
  return {
    label: service,
    detail: "Devices are found on this network, or where they were last seen.",
    tone: "neutral",
  };
}

/** Whether UDP gets out to the internet. */
export function udpFact(udp: boolean | null | undefined): Fact {
  if (udp === true) return { label: "Gets out", detail: "Direct connections across the internet are possible.", tone: "success" };
  if (udp === false) return { label: "Blocked", detail: "Everything goes through the relay, more slowly.", tone: "danger" };
  return { label: "Not known", detail: "No relay answered to test it with.", tone: "neutral" };
}

/** The NAT in front of this computer, in plain words. */
export function natFact(nat: NatKind): Fact {
  switch (nat) {
    case "open":
      return { label: "None", detail: "This computer’s address is public: devices can connect to it directly.", tone: "success" };
    case "cone":
      return { label: "Friendly (cone NAT)", detail: "Direct connections to other networks can be opened.", tone: "success" };
    case "symmetric":
      return {
        label: "Strict (symmetric NAT)",
        detail: "Devices on other networks are reached through the relay, more slowly.",
        tone: "warning",
      };
    case "unknown":
      return { label: "Not known", detail: "Telling needs UDP and answers from two relays.", tone: "neutral" };
  }
}

/** This computer's address as the relays see it. */
export function publicAddrFact(addr: string | null | undefined): Fact {
  if (addr) return { label: addr, detail: "As the relays see it.", tone: "neutral" };
  return { label: "Not known", detail: "No relay told it.", tone: "neutral" };
}

/** A paired device's line: `Online · Direct (LAN) · 12 ms` or `Offline`. */
export function deviceLine(h: DeviceHealthView): { tone: HealthTone; label: string } {
  return describeHealth({ online: h.online, route: h.route ?? null, rttMs: h.rtt_ms ?? null, at: 0 });
}

/** `2 of 3 online`, `No paired devices`. */
export function devicesSummary(devices: readonly DeviceHealthView[]): string {
  if (!devices.length) return "No paired devices";
  const online = devices.filter((d) => d.online).length;
  return `${online} of ${devices.length} online`;
}

/** Every finding of a report, in the order shown. */
export function reportFacts(r: NetworkReportView): { key: string; title: string; facts: Fact[] }[] {
  return [
    { key: "relays", title: r.relays.length > 1 ? "Relays" : "Relay", facts: r.relays.length ? r.relays.map(relayFact) : [NO_RELAYS] },
    { key: "discovery", title: "Discovery", facts: [discoveryFact(r.discovery)] },
    { key: "udp", title: "UDP", facts: [udpFact(r.udp)] },
    { key: "public", title: "Public address", facts: [publicAddrFact(r.public_addr)] },
    { key: "nat", title: "NAT", facts: [natFact(r.nat)] },
  ];
}
