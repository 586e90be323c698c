// The colour theme: follows the system unless the user picked one.

export type ThemePref = "system" | "light" | "dark";
export type Theme = "light" | "dark";

export const THEME_KEY = "ferry.theme";

export function parseThemePref(raw: string | null | undefined): ThemePref {
  return raw === "light" || raw === "dark" || raw === "system" ? raw : "system";
}

export function resolveTheme(pref: ThemePref, systemPrefersDark: boolean): Theme {
  if (pref === "system") return systemPrefersDark ? "dark" : "light";
  return pref;
}

type Reader = Pick<Storage, "getItem">;
type Writer = Pick<Storage, "setItem" | "removeItem">;

/** The stored preference; `system` when there is none or storage is unavailable. */
export function loadThemePref(storage: Reader | null | undefined): ThemePref {
  try {
    return parseThemePref(storage?.getItem(THEME_KEY));
  } catch {
    return "system";
  }
}

/** Stores the preference (`system` removes the override). */
export function saveThemePref(storage: Writer | null | undefined, pref: ThemePref): void {
  try {
    if (pref === "system") storage?.removeItem(THEME_KEY);
    else storage?.setItem(THEME_KEY, pref);
  } catch {
    // Storage can be unavailable (private mode, quota): the choice then lasts for this session.
  }
}
