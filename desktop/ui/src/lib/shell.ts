// What the desktop shell asks of the window (the tray menu, links), and
// the answers of native file dialogs, in the forms the screens use.

import type { ShellEvent } from "../bindings";
import { SCREENS, type Screen } from "./route";

/** Something a screen starts when the tray asks for it. */
export type ShellAction = "choose_files" | "pair";

export type ShellRequest = { type: "navigate"; screen: Screen; action: ShellAction | null } | { type: "links_waiting" };

/** The screen an action belongs to. */
export const ACTION_SCREEN: Record<ShellAction, Screen> = {
  choose_files: "home",
  pair: "devices",
};

export function parseAction(raw: string | null | undefined): ShellAction | null {
  return raw === "choose_files" || raw === "pair" ? raw : null;
}

/** A screen name from the shell; an unknown one is the screen its action belongs to, or Send. */
export function parseScreen(raw: string, action: ShellAction | null = null): Screen {
  const name = raw.trim().toLowerCase();
  if ((SCREENS as readonly string[]).includes(name)) return name as Screen;
  if (name === "send") return "home";
  return action ? ACTION_SCREEN[action] : "home";
}

/** A shell event, checked; null for one this window does not know. */
export function readShellEvent(event: ShellEvent): ShellRequest | null {
  if (event.type === "links_waiting") return { type: "links_waiting" };
  if (event.type === "navigate") {
    const action = parseAction(event.action);
    return { type: "navigate", screen: parseScreen(event.screen, action), action };
  }
  return null;
}

/** A dialog's answer as a list of paths: none when it was cancelled. */
export function dialogPaths(answer: string | string[] | null | undefined): string[] {
  if (!answer) return [];
  const list = Array.isArray(answer) ? answer : [answer];
  return list.filter((p): p is string => typeof p === "string" && p.trim() !== "");
}

/** Paths not in `existing` yet, in order, each once. */
export function newPaths(existing: readonly string[], added: readonly string[]): string[] {
  const seen = new Set(existing);
  const fresh: string[] = [];
  for (const raw of added) {
    const p = raw.trim();
    if (!p || seen.has(p)) continue;
    seen.add(p);
    fresh.push(p);
  }
  return fresh;
}
