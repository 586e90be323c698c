// The Settings form: its checks (the same ones the app makes, so most
// mistakes show before saving), whether it has changes, and which field an
// error from the app is about.

import type { RelayMode, Settings_Serialize } from "../bindings";
import { downloadDirProblem } from "./validate";

export type SettingsForm = Settings_Serialize;

/** The fields that can have a problem. */
export type SettingsField = "device_name" | "download_dir" | "relay_url";

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

/** Why a relay URL cannot be used, or null. */
export function relayUrlProblem(raw: string): string | null {
  const url = raw.trim();
  if (!url) return "Enter the URL of your relay server.";
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(url);
  if (!m || !/^https?$/i.test(m[1])) return "The relay URL must start with https:// or http://.";
  const host = m[2].split(/[/?#]/)[0];
  if (!host || /\s/.test(host)) return "The relay URL has no host name.";
  return null;
}

/**
 * A hint under the relay URL field while it is typed: a bare host name
 * gets the `https://` it lacks; plain http gets a note.
 */
export function relayUrlHint(raw: string): { text: string; suggestion: string | null } {
  const url = raw.trim();
  if (!url) return { text: "The address of your relay server, for example https://relay.example.com.", suggestion: null };
  if (!url.includes("://") && /^[\w.-]+(:\d+)?(\/.*)?$/.test(url) && url.includes(".")) {
    const suggestion = `https://${url}`;
    return { text: `Relay URLs start with https://. Did you mean ${suggestion}?`, suggestion };
  }
  if (/^http:\/\//i.test(url)) {
    return { text: "Plain http works, but https is recommended. What you send stays end-to-end encrypted either way.", suggestion: null };
  }
  return { text: "Connections use this relay only when no direct path works.", suggestion: null };
}

/** What each relay choice means. */
export function relayDescription(mode: RelayMode): string {
  switch (mode) {
    case "default":
      return "Ferry’s public relays help when no direct connection works. What you send stays end-to-end encrypted.";
    case "disabled":
      return "Only direct and local network connections. Devices behind strict firewalls may not reach each other.";
    case "custom":
      return "Use a relay server of your own.";
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
  return problems;
}

export function hasProblems(p: SettingsProblems): boolean {
  return Object.values(p).some(Boolean);
}

/** The form as the app saves it: text trimmed, no relay URL unless custom. */
export function normalizeSettings(s: SettingsForm): SettingsForm {
  return {
    ...s,
    device_name: s.device_name.trim(),
    download_dir: s.download_dir.trim(),
    relay_url: s.relay === "custom" ? s.relay_url.trim() : "",
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
  if (m.includes("relay")) return "relay_url";
  if (m.includes("name")) return "device_name";
  if (m.includes("folder") || m.includes("directory") || m.includes("full path")) return "download_dir";
  return null;
}

/** Whether saving `draft` over `saved` changes what only applies after a restart. */
export function needsRestart(saved: SettingsForm, draft: SettingsForm): boolean {
  const a = normalizeSettings(saved);
  const b = normalizeSettings(draft);
  return a.device_name !== b.device_name || a.relay !== b.relay || a.relay_url !== b.relay_url;
}
