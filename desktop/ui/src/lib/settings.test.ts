import { describe, expect, it } from "vitest";
import {
  fieldOfError,
  hasProblems,
  isDirty,
  nameProblem,
  needsRestart,
  normalizeSettings,
  relayDescription,
  relayUrlHint,
  relayUrlProblem,
  sentence,
  settingsProblems,
  type SettingsForm,
} from "./settings";

const SAVED: SettingsForm = {
  device_name: "Studio",
  accept: "ask",
  download_dir: "/home/ana/Downloads",
  relay: "default",
  relay_url: "",
  start_at_login: false,
  notifications: true,
  close_to_tray: true,
};

describe("settings checks", () => {
  it("accepts good settings", () => {
    expect(settingsProblems(SAVED)).toEqual({});
    expect(hasProblems(settingsProblems(SAVED))).toBe(false);
  });

  it("names the field at fault", () => {
    const p = settingsProblems({ ...SAVED, device_name: " ", download_dir: "Downloads", relay: "custom", relay_url: "" });
    expect(Object.keys(p).sort()).toEqual(["device_name", "download_dir", "relay_url"]);
    expect(hasProblems(p)).toBe(true);
  });

  it("checks the device name like the app does", () => {
    expect(nameProblem("Studio")).toBeNull();
    expect(nameProblem("  ")).toMatch(/name/);
    expect(nameProblem("x".repeat(64))).toBeNull();
    expect(nameProblem("x".repeat(65))).toMatch(/64/);
    expect(nameProblem("a\tb")).toMatch(/control/);
  });

  it("checks the relay URL only when the relay is custom", () => {
    expect(settingsProblems({ ...SAVED, relay: "default", relay_url: "nonsense" })).toEqual({});
    expect(relayUrlProblem("https://relay.example.com")).toBeNull();
    expect(relayUrlProblem("http://10.0.0.2:3340/")).toBeNull();
    expect(relayUrlProblem("")).toMatch(/URL of your relay/);
    expect(relayUrlProblem("relay.example.com")).toMatch(/https:\/\//);
    expect(relayUrlProblem("ftp://relay.example.com")).toMatch(/https:\/\//);
    expect(relayUrlProblem("https:///x")).toMatch(/host/);
  });
});

describe("relay URL hint", () => {
  it("suggests https for a bare host name", () => {
    expect(relayUrlHint("relay.example.com")).toEqual({
      text: expect.stringContaining("https://relay.example.com"),
      suggestion: "https://relay.example.com",
    });
    expect(relayUrlHint("relay.example.com:3340/x").suggestion).toBe("https://relay.example.com:3340/x");
  });

  it("explains an empty field and plain http", () => {
    expect(relayUrlHint("").text).toMatch(/for example/);
    expect(relayUrlHint("http://relay.example.com").text).toMatch(/https is recommended/);
    expect(relayUrlHint("https://relay.example.com").suggestion).toBeNull();
    expect(relayUrlHint("not a url").suggestion).toBeNull();
  });

  it("describes every relay choice", () => {
    for (const mode of ["default", "disabled", "custom"] as const) expect(relayDescription(mode)).not.toBe("");
  });
});

describe("dirty check", () => {
  it("sees a change, but not spaces around text", () => {
    expect(isDirty(SAVED, { ...SAVED })).toBe(false);
    expect(isDirty(SAVED, { ...SAVED, device_name: " Studio " })).toBe(false);
    expect(isDirty(SAVED, { ...SAVED, device_name: "Laptop" })).toBe(true);
    expect(isDirty(SAVED, { ...SAVED, notifications: false })).toBe(true);
    expect(isDirty(SAVED, { ...SAVED, accept: "never" })).toBe(true);
  });

  it("ignores a relay URL left over from another choice", () => {
    expect(isDirty(SAVED, { ...SAVED, relay_url: "https://x.example" })).toBe(false);
    expect(isDirty(SAVED, { ...SAVED, relay: "custom", relay_url: "https://x.example" })).toBe(true);
  });

  it("normalizes what is saved", () => {
    expect(normalizeSettings({ ...SAVED, device_name: " A ", download_dir: " /d ", relay_url: "x" })).toEqual({
      ...SAVED,
      device_name: "A",
      download_dir: "/d",
      relay_url: "",
    });
  });

  it("knows what waits for a restart", () => {
    expect(needsRestart(SAVED, { ...SAVED, accept: "never", notifications: false })).toBe(false);
    expect(needsRestart(SAVED, { ...SAVED, device_name: "Laptop" })).toBe(true);
    expect(needsRestart(SAVED, { ...SAVED, relay: "disabled" })).toBe(true);
  });
});

describe("errors from the app", () => {
  it("finds the field a message names", () => {
    expect(fieldOfError("give this device a name")).toBe("device_name");
    expect(fieldOfError("the device name is longer than 64 characters")).toBe("device_name");
    expect(fieldOfError("pick a folder for received files")).toBe("download_dir");
    expect(fieldOfError("the folder for received files must be a full path")).toBe("download_dir");
    expect(fieldOfError("enter the URL of your relay server")).toBe("relay_url");
    expect(fieldOfError("the relay URL has no host name")).toBe("relay_url");
    expect(fieldOfError("something else")).toBeNull();
  });

  it("shows a message as a sentence", () => {
    expect(sentence("give this device a name")).toBe("Give this device a name.");
    expect(sentence("Already done.")).toBe("Already done.");
    expect(sentence("  ")).toBe("");
  });
});
