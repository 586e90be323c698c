import { describe, expect, it } from "vitest";
import {
  discoveryDescription,
  discoveryUrlHint,
  discoveryUrlProblem,
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
  trustCertProblem,
  type SettingsForm,
  urlList,
} from "./settings";

const SAVED: SettingsForm = {
  device_name: "Studio",
  accept: "ask",
  download_dir: "/home/ana/Downloads",
  relay: "default",
  relay_url: "",
  discovery: "default",
  discovery_url: "",
  trust_cert: "",
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
    const p = settingsProblems({
      ...SAVED,
      device_name: " ",
      download_dir: "Downloads",
      relay: "custom",
      relay_url: "",
      discovery: "custom",
      discovery_url: "dns",
      trust_cert: "ca.pem",
    });
    expect(Object.keys(p).sort()).toEqual(["device_name", "discovery_url", "download_dir", "relay_url", "trust_cert"]);
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

  it("takes several relay URLs separated by commas, checking each", () => {
    expect(urlList(" https://a.example, https://b.example ,,https://c.example ")).toEqual([
      "https://a.example",
      "https://b.example",
      "https://c.example",
    ]);
    expect(relayUrlProblem("https://a.example, http://10.0.0.2:3340")).toBeNull();
    expect(relayUrlProblem("https://a.example https://b.example")).toBeNull();
    expect(relayUrlProblem(" , ")).toMatch(/URL of your relay/);
    expect(relayUrlProblem("https://a.example, b.example")).toMatch(/https:\/\//);
    expect(relayUrlProblem("https://a.example, https://")).toMatch(/host/);
  });

  it("checks the discovery URL only when discovery is custom", () => {
    expect(settingsProblems({ ...SAVED, discovery: "disabled", discovery_url: "nonsense" })).toEqual({});
    expect(discoveryUrlProblem("https://dns.example.net/pkarr")).toBeNull();
    expect(discoveryUrlProblem("http://192.168.1.2:8080/pkarr")).toBeNull();
    expect(discoveryUrlProblem(" ")).toMatch(/URL of your discovery server/);
    expect(discoveryUrlProblem("dns.example.net/pkarr")).toMatch(/http:\/\/ or https:\/\//);
    expect(discoveryUrlProblem("ftp://dns.example.net")).toMatch(/name a host/);
    expect(discoveryUrlProblem("https://a.example, https://b.example")).toMatch(/discovery server URL/);
    expect(discoveryUrlProblem("https:///pkarr")).toMatch(/discovery server URL/);
  });

  it("takes a certificate file by its full path, or none", () => {
    expect(trustCertProblem("")).toBeNull();
    expect(trustCertProblem("  ")).toBeNull();
    expect(trustCertProblem("/etc/ferry/ca.pem")).toBeNull();
    expect(trustCertProblem("C:\\ferry\\ca.pem")).toBeNull();
    expect(trustCertProblem("ca.pem")).toMatch(/full path/);
    expect(trustCertProblem("~/ca.pem")).toMatch(/not expanded/);
    expect(settingsProblems({ ...SAVED, trust_cert: "certs/ca.pem" }).trust_cert).toMatch(/certificate file/);
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

  it("says several URLs may be separated by commas", () => {
    expect(relayUrlHint("").text).toMatch(/Several URLs may be separated by commas/);
    expect(relayUrlHint("https://relay.example.com").text).toMatch(/separated by commas/);
    expect(relayUrlHint("https://a.example, https://b.example").text).toMatch(/nearest of these 2 relays/);
  });

  it("suggests https for each bare host of a list", () => {
    expect(relayUrlHint("https://a.example, b.example").suggestion).toBe("https://a.example, https://b.example");
  });

  it("describes every relay choice", () => {
    for (const mode of ["default", "disabled", "custom"] as const) expect(relayDescription(mode)).not.toBe("");
  });
});

describe("discovery", () => {
  it("describes every choice", () => {
    expect(discoveryDescription("default")).toBe(
      "The public discovery service: paired devices are found again after they change network (off when relays are disabled).",
    );
    expect(discoveryDescription("disabled")).toMatch(/last seen/);
    expect(discoveryDescription("custom")).toBe("Your own discovery server (pkarr URL).");
  });

  it("hints at https:// and /pkarr while the URL is typed", () => {
    expect(discoveryUrlHint("").text).toMatch(/for example https:\/\/dns\.example\.com\/pkarr/);
    expect(discoveryUrlHint("dns.example.net")).toEqual({
      text: expect.stringContaining("https://dns.example.net/pkarr"),
      suggestion: "https://dns.example.net/pkarr",
    });
    expect(discoveryUrlHint("dns.example.net:8080/pkarr").suggestion).toBe("https://dns.example.net:8080/pkarr");
    expect(discoveryUrlHint("https://dns.example.net/").suggestion).toBe("https://dns.example.net/pkarr");
    expect(discoveryUrlHint("http://192.168.1.2:8080").suggestion).toBe("http://192.168.1.2:8080/pkarr");
    expect(discoveryUrlHint("http://192.168.1.2:8080/pkarr")).toEqual({
      text: expect.stringContaining("https is recommended"),
      suggestion: null,
    });
    expect(discoveryUrlHint("https://dns.example.net/pkarr").suggestion).toBeNull();
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

  it("ignores a relay or discovery URL left over from another choice", () => {
    expect(isDirty(SAVED, { ...SAVED, relay_url: "https://x.example" })).toBe(false);
    expect(isDirty(SAVED, { ...SAVED, relay: "custom", relay_url: "https://x.example" })).toBe(true);
    expect(isDirty(SAVED, { ...SAVED, discovery_url: "https://d.example/pkarr" })).toBe(false);
    expect(isDirty(SAVED, { ...SAVED, discovery: "custom", discovery_url: "https://d.example/pkarr" })).toBe(true);
    expect(isDirty(SAVED, { ...SAVED, trust_cert: " " })).toBe(false);
    expect(isDirty(SAVED, { ...SAVED, trust_cert: "/etc/ca.pem" })).toBe(true);
  });

  it("normalizes what is saved", () => {
    expect(
      normalizeSettings({ ...SAVED, device_name: " A ", download_dir: " /d ", relay_url: "x", discovery_url: "y", trust_cert: " /c.pem " }),
    ).toEqual({
      ...SAVED,
      device_name: "A",
      download_dir: "/d",
      relay_url: "",
      discovery_url: "",
      trust_cert: "/c.pem",
    });
    expect(normalizeSettings({ ...SAVED, discovery: "custom", discovery_url: " https://d.example/pkarr " }).discovery_url).toBe(
      "https://d.example/pkarr",
    );
  });

  it("knows what waits for a restart", () => {
    expect(needsRestart(SAVED, { ...SAVED, accept: "never", notifications: false })).toBe(false);
    expect(needsRestart(SAVED, { ...SAVED, device_name: "Laptop" })).toBe(true);
    expect(needsRestart(SAVED, { ...SAVED, relay: "disabled" })).toBe(true);
    expect(needsRestart(SAVED, { ...SAVED, discovery: "disabled" })).toBe(true);
    expect(needsRestart(SAVED, { ...SAVED, discovery: "custom", discovery_url: "https://d.example/pkarr" })).toBe(true);
    expect(needsRestart(SAVED, { ...SAVED, trust_cert: "/etc/ca.pem" })).toBe(true);
    expect(needsRestart(SAVED, { ...SAVED, discovery_url: "left over" })).toBe(false);
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
    expect(fieldOfError("enter the URL of your discovery server")).toBe("discovery_url");
    expect(fieldOfError("the discovery server URL must be http:// or https:// and name a host")).toBe("discovery_url");
    expect(fieldOfError("the certificate file must be given by its full path")).toBe("trust_cert");
    expect(fieldOfError("the certificate file /home/ana/relay name.pem does not exist")).toBe("trust_cert");
    expect(fieldOfError("the certificate file /x.pem holds no PEM certificate")).toBe("trust_cert");
    expect(fieldOfError("something else")).toBeNull();
  });

  it("shows a message as a sentence", () => {
    expect(sentence("give this device a name")).toBe("Give this device a name.");
    expect(sentence("Already done.")).toBe("Already done.");
    expect(sentence("  ")).toBe("");
  });
});
