// A progress meter: from (bytes done, bytes total) samples over time, the
// percentage, the speed over a recent window and the time left. Immutable:
// every update returns a new state, so it can live in reactive UI state.

export interface Sample {
  /** Milliseconds (any clock, as long as it is the same for every sample). */
  t: number;
  bytes: number;
}

export interface MeterState {
  done: number;
  total: number;
  /** Recent samples, oldest first; the first one is at or before the window start. */
  samples: Sample[];
}

export interface Reading {
  done: number;
  total: number;
  /** 0 to 100, or null while the total is unknown. */
  percent: number | null;
  /** Bytes per second over the recent window, or null before there is enough data. */
  bytesPerSec: number | null;
  /** Seconds left at the current speed, or null when unknown. */
  etaSecs: number | null;
}

/** The speed is averaged over this much recent time. */
export const WINDOW_MS = 5_000;
/** No speed is shown before samples span this long. */
export const MIN_SPAN_MS = 500;
/** Without a sample for this long, the transfer counts as stalled. */
export const STALL_MS = 1_500;
const MAX_SAMPLES = 64;

function clean(n: number | null | undefined): number {
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : 0;
}

export function startMeter(now: number, done = 0, total = 0): MeterState {
  const d = clean(done);
  return { done: d, total: clean(total), samples: [{ t: now, bytes: d }] };
}

/** Adds a sample. Going backwards (a restarted transfer) starts afresh. */
export function advanceMeter(m: MeterState, done: number | null, total: number | null, now: number): MeterState {
  const d = clean(done);
  const tot = clean(total) || m.total;
  if (d < m.done) return startMeter(now, d, tot);
  const last = m.samples[m.samples.length - 1];
  let samples: Sample[];
  if (last && now <= last.t) {
    // Same instant (or a clock step back): replace the newest sample.
    samples = [...m.samples.slice(0, -1), { t: last.t, bytes: d }];
  } else {
    samples = [...m.samples, { t: now, bytes: d }];
  }
  samples = trim(samples, now);
  return { done: d, total: tot, samples };
}

/** Keeps one sample at or before the window start, and the ones after it. */
function trim(samples: Sample[], now: number): Sample[] {
  const start = now - WINDOW_MS;
  let first = 0;
  while (first + 1 < samples.length - 1 && samples[first + 1].t <= start) first += 1;
  let kept = first > 0 ? samples.slice(first) : samples;
  if (kept.length > MAX_SAMPLES) kept = [kept[0], ...kept.slice(kept.length - MAX_SAMPLES + 1)];
  return kept;
}

/**
 * Reads the meter. With `now`, a transfer that has had no sample for a
 * while slows down in the reading instead of keeping its last speed.
 */
export function readMeter(m: MeterState, now?: number): Reading {
  const { done, total } = m;
  const percent = total > 0 ? Math.min(100, Math.max(0, (done / total) * 100)) : null;
  let samples = m.samples;
  const last = samples[samples.length - 1];
  if (now !== undefined && last && now - last.t >= STALL_MS) {
    samples = trim([...samples, { t: now, bytes: last.bytes }], now);
  }
  let bytesPerSec: number | null = null;
  if (samples.length >= 2) {
    const a = samples[0];
    const b = samples[samples.length - 1];
    const span = b.t - a.t;
    if (span >= MIN_SPAN_MS) bytesPerSec = Math.max(0, ((b.bytes - a.bytes) * 1000) / span);
  }
  let etaSecs: number | null = null;
  if (total > 0 && done >= total) etaSecs = 0;
  else if (total > 0 && bytesPerSec !== null && bytesPerSec > 0) etaSecs = (total - done) / bytesPerSec;
  return { done, total, percent, bytesPerSec, etaSecs };
}
