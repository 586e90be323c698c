import { describe, expect, it } from "vitest";
import {
  baseName,
  formatBytes,
  formatCount,
  formatCountdown,
  formatDuration,
  formatEta,
  formatRtt,
  formatSpeed,
  formatWhen,
  namesPreview,
  offerPhrase,
  plural,
  safeLink,
  shortId,
  summarize,
  textKind,
  UNKNOWN,
} from "./format";

describe("formatBytes", () => {
  it("uses decimal units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1000)).toBe("1 KB");
    expect(formatBytes(1500)).toBe("1.5 KB");
    expect(formatBytes(12_000_000)).toBe("12 MB");
    expect(formatBytes(12_340_000)).toBe("12.3 MB");
    expect(formatBytes(123_456_789)).toBe("123 MB");
    expect(formatBytes(1_500_000_000)).toBe("1.5 GB");
    expect(formatBytes(2_000_000_000_000)).toBe("2 TB");
  });

  it("moves to the next unit when rounding reaches 1000", () => {
    expect(formatBytes(999_960)).toBe("1 MB");
    expect(formatBytes(999_499)).toBe("999 KB");
  });

  it("shows a dash for unknown sizes", () => {
    expect(formatBytes(null)).toBe(UNKNOWN);
    expect(formatBytes(undefined)).toBe(UNKNOWN);
    expect(formatBytes(Number.NaN)).toBe(UNKNOWN);
    expect(formatBytes(-1)).toBe(UNKNOWN);
  });

  it("formats speeds", () => {
    expect(formatSpeed(2_400_000)).toBe("2.4 MB/s");
    expect(formatSpeed(null)).toBe(UNKNOWN);
  });
});

describe("durations", () => {
  it("formats seconds, minutes, hours and days", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(45.4)).toBe("45 s");
    expect(formatDuration(60)).toBe("1 min");
    expect(formatDuration(200)).toBe("3 min 20 s");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(3900)).toBe("1 h 5 min");
    expect(formatDuration(86_400 * 2 + 3 * 3600)).toBe("2 d 3 h");
    expect(formatDuration(null)).toBe(UNKNOWN);
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe(UNKNOWN);
  });

  it("says how long is left", () => {
    expect(formatEta(200)).toBe("3 min 20 s left");
    expect(formatEta(0.4)).toBe("almost done");
    expect(formatEta(null)).toBe("");
  });

  it("counts down as m:ss and stops at zero", () => {
    expect(formatCountdown(300)).toBe("5:00");
    expect(formatCountdown(299.2)).toBe("5:00");
    expect(formatCountdown(7)).toBe("0:07");
    expect(formatCountdown(-3)).toBe("0:00");
    expect(formatCountdown(Number.NaN)).toBe("0:00");
  });

  it("formats round-trip times", () => {
    expect(formatRtt(12.4)).toBe("12 ms");
    expect(formatRtt(0.3)).toBe("<1 ms");
    expect(formatRtt(null)).toBe("");
  });
});

describe("summaries", () => {
  it("counts files and size", () => {
    expect(summarize(3, 12_000_000)).toBe("3 files · 12 MB");
    expect(summarize(1, 850_000)).toBe("1 file · 850 KB");
    expect(summarize(2, 3_000_000, "text")).toBe("2 files · 3 MB + text");
    expect(summarize(2, 3_000_000, "link")).toBe("2 files · 3 MB + link");
  });

  it("names text-only and link-only offers", () => {
    expect(summarize(0, 0, textKind("hello there", false))).toBe("Text");
    expect(summarize(0, 0, textKind("https://example.org/a", true))).toBe("Link");
    expect(summarize(4, 10, textKind("", true))).toBe("4 files · 10 B");
    expect(summarize(null, null, null)).toBe("Nothing");
  });

  it("phrases an offer for a sentence", () => {
    expect(offerPhrase(14, 256_000_000)).toBe("14 files · 256 MB");
    expect(offerPhrase(0, 0, "link")).toBe("a link");
    expect(offerPhrase(0, 0, "text")).toBe("a note");
    expect(offerPhrase(1, 2_000, "text")).toBe("1 file · 2 KB and a note");
    expect(offerPhrase(null, null)).toBe("something");
  });

  it("previews the first names", () => {
    expect(namesPreview(["a.jpg", "b.jpg"])).toBe("a.jpg, b.jpg");
    expect(namesPreview(["a", "b", "c", "d", "e"])).toBe("a, b, c and 2 more");
    expect(namesPreview(["a", "b"], 7)).toBe("a, b and 5 more");
    expect(namesPreview([])).toBe("");
  });

  it("groups digits of counts", () => {
    expect(formatCount(1204, "en-US")).toBe("1,204");
    expect(formatCount(7, "en-US")).toBe("7");
    expect(formatCount(null)).toBe(UNKNOWN);
  });

  it("pluralizes", () => {
    expect(plural(1, "file", "files")).toBe("1 file");
    expect(plural(0, "file", "files")).toBe("0 files");
  });
});

describe("links", () => {
  it("accepts a single http or https URL", () => {
    expect(safeLink("https://example.org/x?y=1")).toBe("https://example.org/x?y=1");
    expect(safeLink("  http://example.org  ")).toBe("http://example.org/");
  });

  it("refuses other schemes and plain text", () => {
    expect(safeLink("javascript:alert(1)")).toBeNull();
    expect(safeLink("file:///etc/passwd")).toBeNull();
    expect(safeLink("data:text/html,hi")).toBeNull();
    expect(safeLink("see https://example.org")).toBeNull();
    expect(safeLink("hello")).toBeNull();
    expect(safeLink("")).toBeNull();
    expect(safeLink(null)).toBeNull();
  });
});

describe("names and ids", () => {
  it("shortens long ids", () => {
    const id = "k3x8f2m9qa7b1c2d3e4f5g6h7j8k9m0n1p2q3r4s5t6u7v8w9x0y1z2a3b4c7bd2";
    expect(shortId(id)).toBe("k3x8f2m9qa…7bd2");
    expect(shortId("short")).toBe("short");
  });

  it("takes the last part of a path", () => {
    expect(baseName("/home/ann/Pictures/trip")).toBe("trip");
    expect(baseName("/home/ann/Pictures/trip/")).toBe("trip");
    expect(baseName("C:\\Users\\ann\\report.pdf")).toBe("report.pdf");
    expect(baseName("notes.md")).toBe("notes.md");
    expect(baseName("/")).toBe("/");
  });
});

describe("formatWhen", () => {
  const now = new Date(2025, 5, 15, 14, 0, 0).getTime();

  it("is relative for recent times", () => {
    expect(formatWhen(now - 10_000, now)).toBe("just now");
    expect(formatWhen(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatWhen(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(formatWhen(new Date(2025, 5, 14, 20, 0).getTime(), now)).toBe("yesterday");
  });

  it("shows a date for older times", () => {
    expect(formatWhen(new Date(2025, 2, 12, 9, 0).getTime(), now, "en-GB")).toBe("12 Mar");
    expect(formatWhen(new Date(2024, 2, 12, 9, 0).getTime(), now, "en-GB")).toBe("12 Mar 2024");
  });

  it("shows a dash for missing times", () => {
    expect(formatWhen(null, now)).toBe(UNKNOWN);
    expect(formatWhen(0, now)).toBe(UNKNOWN);
  });
});
