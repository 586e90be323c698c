import { describe, expect, it } from "vitest";
import { loadThemePref, parseThemePref, resolveTheme, saveThemePref, THEME_KEY } from "./theme";

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

describe("theme", () => {
  it("parses a stored preference", () => {
    expect(parseThemePref("dark")).toBe("dark");
    expect(parseThemePref("light")).toBe("light");
    expect(parseThemePref("purple")).toBe("system");
    expect(parseThemePref(null)).toBe("system");
  });

  it("follows the system unless overridden", () => {
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("system", false)).toBe("light");
    expect(resolveTheme("light", true)).toBe("light");
    expect(resolveTheme("dark", false)).toBe("dark");
  });

  it("stores an override and removes it for system", () => {
    const s = memoryStorage();
    saveThemePref(s, "dark");
    expect(s.data.get(THEME_KEY)).toBe("dark");
    expect(loadThemePref(s)).toBe("dark");
    saveThemePref(s, "system");
    expect(s.data.has(THEME_KEY)).toBe(false);
    expect(loadThemePref(s)).toBe("system");
  });

  it("survives storage that throws or is missing", () => {
    const broken = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    };
    expect(loadThemePref(broken)).toBe("system");
    expect(() => saveThemePref(broken, "dark")).not.toThrow();
    expect(loadThemePref(null)).toBe("system");
  });
});
