// The state of something loaded from the app: loading, loaded, or failed.

import type { CommandError } from "../bindings";
import type { Result } from "./errors";

export type Loadable<T> =
  | { state: "loading" }
  | { state: "ready"; data: T }
  | { state: "error"; error: CommandError };

export const LOADING: Loadable<never> = { state: "loading" };

export function fromResult<T>(result: Result<T>): Loadable<T> {
  return result.status === "ok" ? { state: "ready", data: result.data } : { state: "error", error: result.error };
}

/** The data, when loaded. */
export function dataOf<T>(l: Loadable<T>): T | undefined {
  return l.state === "ready" ? l.data : undefined;
}
