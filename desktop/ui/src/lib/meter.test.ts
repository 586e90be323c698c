import { describe, expect, it } from "vitest";
import { advanceMeter, readMeter, startMeter, STALL_MS, WINDOW_MS } from "./meter";

describe("progress meter", () => {
  it("reports percent at once and speed once samples span enough time", () => {
    let m = startMeter(0, 0, 10_000_000);
    expect(readMeter(m)).toMatchObject({ percent: 0, bytesPerSec: null, etaSecs: null });
    m = advanceMeter(m, 100_000, 10_000_000, 100);
    expect(readMeter(m).bytesPerSec).toBeNull();
    m = advanceMeter(m, 1_000_000, 10_000_000, 1_000);
    const r = readMeter(m);
    expect(r.percent).toBeCloseTo(10);
    expect(r.bytesPerSec).toBeCloseTo(1_000_000);
    expect(r.etaSecs).toBeCloseTo(9);
  });

  it("averages over the recent window only", () => {
    let m = startMeter(0, 0, 100_000_000);
    // 1 MB/s for 10 s, then 4 MB/s for 10 s.
    let done = 0;
    for (let t = 1_000; t <= 10_000; t += 1_000) m = advanceMeter(m, (done += 1_000_000), null, t);
    for (let t = 11_000; t <= 20_000; t += 1_000) m = advanceMeter(m, (done += 4_000_000), null, t);
    const r = readMeter(m);
    expect(r.bytesPerSec).toBeCloseTo(4_000_000);
    expect(m.samples[m.samples.length - 1].t - m.samples[0].t).toBeLessThanOrEqual(WINDOW_MS);
    expect(r.etaSecs).toBeCloseTo((100_000_000 - done) / 4_000_000);
  });

  it("slows down in the reading when no progress arrives", () => {
    let m = startMeter(0, 0, 10_000_000);
    m = advanceMeter(m, 2_000_000, null, 2_000);
    expect(readMeter(m, 2_000).bytesPerSec).toBeCloseTo(1_000_000);
    const later = readMeter(m, 2_000 + STALL_MS + 2_000);
    expect(later.bytesPerSec).toBeLessThan(1_000_000);
    const stalled = readMeter(m, 2_000 + WINDOW_MS + 1_000);
    expect(stalled.bytesPerSec).toBe(0);
    expect(stalled.etaSecs).toBeNull();
  });

  it("starts afresh when the byte count goes backwards", () => {
    let m = startMeter(0, 0, 1_000);
    m = advanceMeter(m, 800, null, 1_000);
    m = advanceMeter(m, 100, null, 2_000);
    expect(m.samples).toHaveLength(1);
    expect(readMeter(m)).toMatchObject({ done: 100, total: 1_000, bytesPerSec: null });
  });

  it("has no percent while the total is unknown, and zero ETA when complete", () => {
    let m = startMeter(0);
    m = advanceMeter(m, 500, 0, 1_000);
    expect(readMeter(m).percent).toBeNull();
    expect(readMeter(m).etaSecs).toBeNull();
    m = advanceMeter(m, 1_000, 1_000, 2_000);
    expect(readMeter(m)).toMatchObject({ percent: 100, etaSecs: 0 });
  });

  it("replaces a sample taken at the same instant", () => {
    let m = startMeter(0, 0, 100);
    m = advanceMeter(m, 10, null, 1_000);
    m = advanceMeter(m, 20, null, 1_000);
    expect(m.samples).toEqual([
      { t: 0, bytes: 0 },
      { t: 1_000, bytes: 20 },
    ]);
  });

  it("keeps the sample list bounded", () => {
    let m = startMeter(0, 0, 1e12);
    for (let i = 1; i <= 1_000; i += 1) m = advanceMeter(m, i * 10, null, i);
    expect(m.samples.length).toBeLessThanOrEqual(64);
    expect(readMeter(m).bytesPerSec).toBeCloseTo(10_000);
  });
});
