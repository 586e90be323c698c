import { describe, expect, it } from "vitest";
import { dialogPaths, newPaths, parseAction, parseScreen, readShellEvent } from "./shell";

describe("shell events", () => {
  it("reads navigation from the tray menu", () => {
    expect(readShellEvent({ type: "navigate", screen: "home", action: "choose_files" })).toEqual({
      type: "navigate",
      screen: "home",
      action: "choose_files",
    });
    expect(readShellEvent({ type: "navigate", screen: "devices", action: "pair" })).toMatchObject({ screen: "devices", action: "pair" });
    expect(readShellEvent({ type: "navigate", screen: "inbox", action: null })).toMatchObject({ screen: "inbox", action: null });
    expect(readShellEvent({ type: "links_waiting" })).toEqual({ type: "links_waiting" });
  });

  it("falls back for unknown screens and actions", () => {
    expect(parseScreen("Settings")).toBe("settings");
    expect(parseScreen("send")).toBe("home");
    expect(parseScreen("somewhere", "pair")).toBe("devices");
    expect(parseScreen("somewhere")).toBe("home");
    expect(parseAction("dance")).toBeNull();
    expect(parseAction(undefined)).toBeNull();
    expect(readShellEvent({ type: "navigate", screen: "inbox", action: "dance" })).toMatchObject({ action: null });
  });
});

describe("dialog answers", () => {
  it("turns any answer into a list of paths", () => {
    expect(dialogPaths(null)).toEqual([]);
    expect(dialogPaths("/a")).toEqual(["/a"]);
    expect(dialogPaths(["/a", "", "/b"])).toEqual(["/a", "/b"]);
  });

  it("adds only paths not chosen yet", () => {
    expect(newPaths(["/a"], ["/a", " /b ", "/b", "", "/c"])).toEqual(["/b", "/c"]);
  });
});
