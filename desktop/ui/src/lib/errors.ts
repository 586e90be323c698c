// Command results and errors as the screens use them.

import type { CommandError } from "../bindings";

export type Result<T> = { status: "ok"; data: T } | { status: "error"; error: CommandError };

/** The kind of error when the window is not running inside the app. */
export const NOT_CONNECTED = "not_connected";

export const NOT_CONNECTED_ERROR: CommandError = {
  kind: NOT_CONNECTED,
  message: "This window is not connected to Ferry. Open it from the Ferry desktop app.",
};

/** Any thrown value as a `{kind, message}` error. */
export function toCommandError(e: unknown): CommandError {
  if (e && typeof e === "object") {
    const o = e as Record<string, unknown>;
    if (typeof o.kind === "string" && typeof o.message === "string") {
      return { kind: o.kind, message: o.message };
    }
    if (e instanceof Error) return { kind: "internal", message: e.message || e.name };
    if (typeof o.message === "string") return { kind: "internal", message: o.message };
  }
  if (typeof e === "string" && e) return { kind: "internal", message: e };
  return { kind: "internal", message: "Something unexpected happened." };
}

/**
 * Runs a command: refuses at once when not connected, and turns anything
 * thrown into an error result, so a screen only ever sees a `Result`.
 */
export async function guard<T>(connected: boolean, call: () => Promise<Result<T>>): Promise<Result<T>> {
  if (!connected) return { status: "error", error: NOT_CONNECTED_ERROR };
  try {
    const result = await call();
    if (result.status === "error") return { status: "error", error: toCommandError(result.error) };
    return result;
  } catch (e) {
    return { status: "error", error: toCommandError(e) };
  }
}

/** The same, for a command that answers with its value directly. */
export function guardValue<T>(connected: boolean, call: () => Promise<T>): Promise<Result<T>> {
  return guard(connected, async () => ({ status: "ok", data: await call() }));
}

const TITLES: Record<string, string> = {
  invalid_input: "Check what you entered",
  not_found: "Not found",
  network: "Network problem",
  offline: "The device is not reachable",
  timeout: "No answer in time",
  cancelled: "Cancelled",
  rejected: "Declined",
  storage: "Could not read or write files",
  protocol: "The other device answered in a way Ferry does not understand",
  internal: "Something went wrong",
  [NOT_CONNECTED]: "Not connected to Ferry",
};

/** A short headline for an error kind. */
export function errorTitle(kind: string): string {
  return TITLES[kind] ?? TITLES.internal;
}

/** Headline and details; the message is shown as given, with a capital first letter. */
export function describeError(error: CommandError): { title: string; detail: string } {
  const message = error.message.trim();
  const detail = message ? message[0].toUpperCase() + message.slice(1) : "";
  return { title: errorTitle(error.kind), detail };
}
