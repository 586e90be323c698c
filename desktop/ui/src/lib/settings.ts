// The Settings form: its checks (the same ones the app makes, so most
// mistakes show before saving), whether it has changes, and which field an
// error from the app is about.

import type { DiscoveryMode, RelayMode, Settings_Serialize } from "../bindings";
import { downloadDirProblem } from "./validate";

export type SettingsForm = Settings_Serialize;

/** The fields that can have a problem. */
export type SettingsField = "device_name" | "download_dir" | "relay_url" | "discovery_url" | "trust_cert";

export type SettingsProblems = Partial<Record<SettingsField, string>>;

/** The longest device name the app takes, in characters. */
export const MAX_NAME_CHARS = 64;

/** A message from the app (`give this device a name`) as a sentence. */
export function sentence(message: string): string {
  const m = message.trim();
  if (!m) return m;
  const capital = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** Why a device name cannot be used, or null. */
export function nameProblem(raw: string): string | null {
  const name = raw.trim();
  if (!name) return "Give this device a name.";
  if ([...name].length > MAX_NAME_CHARS) return `The name is longer than ${MAX_NAME_CHARS} characters.`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "The name has control characters.";
  return null;
}

/** A list of URLs split as the app splits it: at commas and spaces. */
export function urlList(raw: string): string[] {
  return raw.split(/[\s,]+/).filter(Boolean);
}

/** The host of an http or https URL; "" when it has none; null when it is not http(s). */
function httpHost(url: string): string | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(url);
  if (!m || !/^https?$/i.test(m[1])) return null;
  return m[2].split(/[/?#]/)[0];
}

/** Why the relay URLs (one, or several separated by commas) cannot be used, or null. */
export function relayUrlProblem(raw: string): string | null {
  const urls = urlList(raw);
  if (!urls.length) return "Enter the URL of your relay server.";
  for (const url of urls) {
    const host = httpHost(url);
    if (host === null) return "The relay URL must start with https:// or http://.";
    if (!host) return "The relay URL has no host name.";
  }
  return null;
}

/** Why a discovery server URL cannot be used, or null. */
export function discoveryUrlProblem(raw: string): string | null {
  const url = raw.trim();
  if (!url) return "Enter the URL of your discovery server.";
  if (/\s/.test(url) || !httpHost(url)) return "The discovery server URL must be http:// or https:// and name a host.";
  return null;
}

/** Why a certificate file to trust cannot be used, or null (empty is none). */
export function trustCertProblem(raw: string): string | null {
  const path = raw.trim();
  if (!path) return null;
  if (path.startsWith("~")) return "Write the full path of the certificate file (for example /home/you/ca.pem); “~” is not expanded.";
  const absolute = path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\\\");
  if (!absolute) return "Write the full path of the certificate file, for example /home/you/ca.pem.";
  return null;
}

export interface UrlHint {
  text: string;
  /** A corrected value to offer, or null. */
  suggestion: string | null;
}

/** A bare host name (`relay.example.com`, `10.0.0.2:3340/x`) that lacks its `https://`. */
function isBareHost(url: string): boolean {
  return !url.includes("://") && /^[\w.-]+(:\d+)?(\/.*)?$/.test(url) && url.includes(".");
}

/**
 * A hint under the relay URL field while it is typed: bare host names get
 * the `https://` they lack; plain http gets a note. Several URLs may be
 * separated by commas.
 */
export function relayUrlHint(raw: string): UrlHint {
  const urls = urlList(raw);
  if (!urls.length) {
    return {
      text: "The address of your relay server, for example https://relay.example.com. Several URLs may be separated by commas.",
      suggestion: null,
    };
  }
  if (urls.some(isBareHost)) {
    const suggestion = urls.map((u) => (isBareHost(u) ? `https://${u}` : u)).join(", ");
    return { text: `Relay URLs start with https://. Did you mean ${suggestion}?`, suggestion };
  }
  if (urls.some((u) => /^http:\/\//i.test(u))) {
    return { text: "Plain http works, but https is recommended. What you send stays end-to-end encrypted either way.", suggestion: null };
  }
  if (urls.length > 1) {
    return { text: `The nearest of these ${urls.length} relays is used, only when no direct path works.`, suggestion: null };
  }
  return { text: "Connections use this relay only when no direct path works. Several URLs may be separated by commas.", suggestion: null };
}

/**
 * A hint under the discovery URL field: a bare host gets `https://`, a
 * URL without a path gets the `/pkarr` a discovery server answers at.
 */
export function discoveryUrlHint(raw: string): UrlHint {
  const url = raw.trim();
  if (!url) return { text: "The pkarr address of your discovery server, for example https://dns.example.com/pkarr.", suggestion: null };
  if (isBareHost(url)) {
    const suggestion = `https://${url.includes("/") ? url : `${url}/pkarr`}`;
    return { text: `Discovery server URLs start with https://. Did you mean ${suggestion}?`, suggestion };
  }
  const m = /^(https?:\/\/[^/?#\s]+)\/?$/i.exec(url);
  if (m) {
    const suggestion = `${m[1]}/pkarr`;
    return { text: `Discovery servers answer at /pkarr. Did you mean ${suggestion}?`, suggestion };
  }
  if (/^http:\/\//i.test(url)) {
    return { text: "Plain http works, but https is recommended: it keeps the addresses your devices publish private.", suggestion: null };
  }
  return { text: "Your devices publish their addresses there and find each other's after a network change.", suggestion: null };
}

/** What each relay choice means. */
export function relayDescription(mode: RelayMode): string {
  switch (mode) {
    case "default":
      return "Ferry’s public relays help when no direct connection works. What you send stays end-to-end encrypted.";
    case "disabled":
      return "Only direct and local network connections. Devices behind strict firewalls may not reach each other.";
    case "custom":
      return "Use relay servers of your own.";
  }
}

/** What each discovery choice means. */
export function discoveryDescription(mode: DiscoveryMode): string {
  switch (mode) {
    case "default":
      return "The public discovery service: paired devices are found again after they change network (off when relays are disabled).";
    case "disabled":
      return "Devices are reached where they were last seen, or found on the local network. One that changed network may not be found.";
    case "custom":
      return "Your own discovery server (pkarr URL).";
  }
}

/** Every problem of the form, by field; empty when it can be saved. */
export function settingsProblems(s: SettingsForm): SettingsProblems {
  const problems: SettingsProblems = {};
  const name = nameProblem(s.device_name);
  if (name) problems.device_name = name;
  const dir = downloadDirProblem(s.download_dir);
  if (dir) problems.download_dir = dir;
  if (s.relay === "custom") {
    const url = relayUrlProblem(s.relay_url);
    if (url) problems.relay_url = url;
  }
  if (s.discovery === "custom") {
    const url = discoveryUrlProblem(s.discovery_url);
    if (url) problems.discovery_url = url;
  }
  const cert = trustCertProblem(s.trust_cert);
  if (cert) problems.trust_cert = cert;
  return problems;
}

export function hasProblems(p: SettingsProblems): boolean {
  return Object.values(p).some(Boolean);
}

/** The form as the app saves it: text trimmed, no relay or discovery URL unless custom. */
export function normalizeSettings(s: SettingsForm): SettingsForm {
  return {
    ...s,
    device_name: s.device_name.trim(),
    download_dir: s.download_dir.trim(),
    relay_url: s.relay === "custom" ? s.relay_url.trim() : "",
    discovery_url: s.discovery === "custom" ? s.discovery_url.trim() : "",
    trust_cert: s.trust_cert.trim(),
  };
}

/** Whether the form differs from the saved settings (spaces around text do not count). */
export function isDirty(saved: SettingsForm, draft: SettingsForm): boolean {
  const a = normalizeSettings(saved);
  const b = normalizeSettings(draft);
  return (Object.keys(b) as (keyof SettingsForm)[]).some((k) => a[k] !== b[k]);
}

/** Which field an `invalid_input` message from the app names, or null for the form. */
export function fieldOfError(message: string): SettingsField | null {
  const m = message.toLowerCase();
  // The most specific first: a certificate's path or a discovery message
  // can hold words of the others ("full path", "name a host").
  if (m.includes("certificate")) return "trust_cert";
  if (m.includes("discovery")) return "discovery_url";
  if (m.includes("relay")) return "relay_url";
  if (m.includes("name")) return "device_name";
  if (m.includes("folder") || m.includes("directory") || m.includes("full path")) return "download_dir";
  return null;
}

/** Whether saving `draft` over `saved` changes what only applies after a restart. */
export function needsRestart(saved: SettingsForm, draft: SettingsForm): boolean {
  const a = normalizeSettings(saved);
  const b = normalizeSettings(draft);
  return (["device_name", "relay", "relay_url", "discovery", "discovery_url", "trust_cert"] as const).some((k) => a[k] !== b[k]);
}
