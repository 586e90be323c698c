// The screens and the location hash that selects one (`#/devices`).

export const SCREENS = ["home", "devices", "inbox", "collections", "settings"] as const;
export type Screen = (typeof SCREENS)[number];

export const SCREEN_TITLES: Record<Screen, string> = {
  home: "Send",
  devices: "Devices",
  inbox: "Inbox",
  collections: "Collections",
  settings: "Settings",
};

export function parseRoute(hash: string): Screen {
  const name = hash.replace(/^#\/?/, "").split(/[/?]/)[0].toLowerCase();
  return (SCREENS as readonly string[]).includes(name) ? (name as Screen) : "home";
}

export function routeHash(screen: Screen): string {
  return `#/${screen}`;
}

/** The screen after `current` when moving by `step` through the list, wrapping around. */
export function stepScreen(current: Screen, step: number): Screen {
  const i = SCREENS.indexOf(current);
  const n = SCREENS.length;
  return SCREENS[(((i + step) % n) + n) % n];
}
