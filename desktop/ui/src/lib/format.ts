// Formatting of sizes, speeds, durations, times and names for display.
// Sizes use decimal units (1 KB = 1000 bytes), as file managers do.

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"] as const;

/** The text shown where a number is unknown. */
export const UNKNOWN = "—";

function isUsable(n: number | null | undefined): n is number {
  return typeof n === "number" && Number.isFinite(n) && n >= 0;
}

/** One decimal below 100, none above; a trailing ".0" is dropped. */
function compact(v: number): string {
  const text = v < 100 ? v.toFixed(1) : Math.round(v).toString();
  return text.endsWith(".0") ? text.slice(0, -2) : text;
}

/** `0 B`, `999 B`, `1.5 KB`, `12 MB`, `1.2 GB`. */
export function formatBytes(n: number | null | undefined): string {
  if (!isUsable(n)) return UNKNOWN;
  if (n < 1000) return `${Math.round(n)} B`;
  let unit = 0;
  let v = n;
  while (v >= 1000 && unit < UNITS.length - 1) {
    v /= 1000;
    unit += 1;
  }
  // 999.96 KB rounds to "1000 KB": show it as the next unit instead.
  if (Number(compact(v)) >= 1000 && unit < UNITS.length - 1) {
    v /= 1000;
    unit += 1;
  }
  return `${compact(v)} ${UNITS[unit]}`;
}

/** `2.4 MB/s`. */
export function formatSpeed(bytesPerSec: number | null | undefined): string {
  if (!isUsable(bytesPerSec)) return UNKNOWN;
  return `${formatBytes(bytesPerSec)}/s`;
}

/** `45 s`, `3 min 20 s`, `1 h 5 min`, `2 d 3 h`. */
export function formatDuration(secs: number | null | undefined): string {
  if (!isUsable(secs)) return UNKNOWN;
  const s = Math.round(secs);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) {
    const rest = s % 60;
    return rest ? `${m} min ${rest} s` : `${m} min`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    const rest = m % 60;
    return rest ? `${h} h ${rest} min` : `${h} h`;
  }
  const d = Math.floor(h / 24);
  const rest = h % 24;
  return rest ? `${d} d ${rest} h` : `${d} d`;
}

/** `3 min 20 s left`; `almost done` below a second. */
export function formatEta(secs: number | null | undefined): string {
  if (!isUsable(secs)) return "";
  if (secs < 1) return "almost done";
  return `${formatDuration(secs)} left`;
}

/** A countdown as `m:ss`: `4:59`, `0:07`; never below `0:00`. */
export function formatCountdown(secs: number): string {
  const s = Math.max(0, Math.ceil(Number.isFinite(secs) ? secs : 0));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** `12 ms`; `<1 ms` for sub-millisecond round trips. */
export function formatRtt(ms: number | null | undefined): string {
  if (!isUsable(ms)) return "";
  if (ms < 1) return "<1 ms";
  return `${Math.round(ms)} ms`;
}

/** A count with digit grouping: `1,204`. */
export function formatCount(n: number | null | undefined, locale?: string): string {
  if (!isUsable(n)) return UNKNOWN;
  return new Intl.NumberFormat(locale).format(n);
}

/** `1 file`, `3 files`. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What an offer or transfer holds: `3 files · 12 MB`, `1 file · 850 KB`,
 * `2 files · 3 MB + text`, `Text`, `Link`.
 */
export function summarize(
  files: number | null | undefined,
  bytes: number | null | undefined,
  extra?: TextKind | null,
): string {
  const n = isUsable(files) ? files : 0;
  if (n === 0) {
    if (extra) return extra === "link" ? "Link" : "Text";
    return isUsable(bytes) && bytes > 0 ? formatBytes(bytes) : "Nothing";
  }
  const base = `${plural(n, "file", "files")} · ${formatBytes(bytes)}`;
  return extra ? `${base} + ${extra}` : base;
}

/**
 * What an offer holds, to follow "wants to send you": `3 files · 12 MB`,
 * `a link`, `a note`, `2 files · 3 MB and a note`.
 */
export function offerPhrase(
  files: number | null | undefined,
  bytes: number | null | undefined,
  kind?: TextKind | null,
): string {
  const n = isUsable(files) ? files : 0;
  const extra = kind ? (kind === "link" ? "a link" : "a note") : null;
  if (n === 0) return extra ?? "something";
  const base = `${plural(n, "file", "files")} · ${formatBytes(bytes)}`;
  return extra ? `${base} and ${extra}` : base;
}

/**
 * The first names of an offer: `a.jpg, b.jpg and 3 more`. `total` is the
 * number of entries offered, when more than the names listed.
 */
export function namesPreview(names: readonly string[], total?: number | null, shown = 3): string {
  if (names.length === 0) return "";
  const head = names.slice(0, shown);
  const count = Math.max(names.length, isUsable(total) ? total : 0);
  const more = count - head.length;
  return more > 0 ? `${head.join(", ")} and ${more} more` : head.join(", ");
}

/** What a text sent along is: one web link, or other text. */
export type TextKind = "link" | "text";

/**
 * The kind of an optional text, from core's verdict on it (`is_link` in
 * events and views, the `is_link` command for a draft).
 */
export function textKind(text: string | null | undefined, isLink: boolean): TextKind | null {
  if (!text) return null;
  return isLink ? "link" : "text";
}

/**
 * The link to open for `text`: only a single http or https URL qualifies,
 * so that received text can never run script or open local files.
 */
export function safeLink(text: string | null | undefined): string | null {
  if (!text) return null;
  const t = text.trim();
  if (!t || /\s/.test(t)) return null;
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (!url.hostname) return null;
  return url.href;
}

/** The start and end of a long id: `k3x8f2m9qa…7bd2`. */
export function shortId(id: string, head = 10, tail = 4): string {
  if (id.length <= head + tail + 1) return id;
  return `${id.slice(0, head)}…${id.slice(-tail)}`;
}

/** The last part of a path, with either separator: `/a/b/` gives `b`. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  if (!trimmed) return path;
  const parts = trimmed.split(/[\\/]/);
  return parts[parts.length - 1] || trimmed;
}

/**
 * When something happened, relative to `now`: `just now`, `5 min ago`,
 * `3 h ago`, `yesterday`, then a date (`12 Mar`, or `12 Mar 2024` in
 * another year).
 */
export function formatWhen(ms: number | null | undefined, now: number, locale?: string): string {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) return UNKNOWN;
  const diff = Math.max(0, now - ms) / 1000;
  if (diff < 45) return "just now";
  if (diff < 3600) return `${Math.max(1, Math.round(diff / 60))} min ago`;
  const then = new Date(ms);
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (ms >= startOfToday) return `${Math.floor(diff / 3600)} h ago`;
  if (ms >= startOfToday - 86_400_000) return "yesterday";
  const opts: Intl.DateTimeFormatOptions =
    then.getFullYear() === today.getFullYear()
      ? { day: "numeric", month: "short" }
      : { day: "numeric", month: "short", year: "numeric" };
  return new Intl.DateTimeFormat(locale, opts).format(then);
}

/** A full date and time, for tooltips. */
export function formatDateTime(ms: number | null | undefined, locale?: string): string {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(ms));
}
