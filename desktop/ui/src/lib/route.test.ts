import { describe, expect, it } from "vitest";
import { parseRoute, routeHash, SCREENS, stepScreen } from "./route";

describe("routes", () => {
  it("reads the screen from the hash", () => {
    expect(parseRoute("#/devices")).toBe("devices");
    expect(parseRoute("#inbox")).toBe("inbox");
    expect(parseRoute("#/Settings")).toBe("settings");
    expect(parseRoute("#/collections/photos")).toBe("collections");
    expect(parseRoute("")).toBe("home");
    expect(parseRoute("#/nowhere")).toBe("home");
  });

  it("round-trips every screen", () => {
    for (const s of SCREENS) expect(parseRoute(routeHash(s))).toBe(s);
  });

  it("steps through the screens, wrapping around", () => {
    expect(stepScreen("home", 1)).toBe("devices");
    expect(stepScreen("home", -1)).toBe("settings");
    expect(stepScreen("settings", 1)).toBe("home");
  });
});
