// The theme in force: the stored preference, or the system's.

import { loadThemePref, resolveTheme, saveThemePref, type Theme, type ThemePref } from "../lib/theme";

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const media = typeof window !== "undefined" && window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

class ThemeState {
  pref = $state<ThemePref>(loadThemePref(storage()));
  systemDark = $state(media?.matches ?? false);
  resolved: Theme = $derived(resolveTheme(this.pref, this.systemDark));

  constructor() {
    media?.addEventListener("change", (e) => {
      this.systemDark = e.matches;
    });
  }

  set(pref: ThemePref): void {
    this.pref = pref;
    saveThemePref(storage(), pref);
  }
}

export const theme = new ThemeState();

/** Puts the theme on the root element (CSS reads `data-theme`). */
export function applyTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
  document.documentElement.style.colorScheme = t;
}
