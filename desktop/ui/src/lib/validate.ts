// Checks of what the user types, before it goes to the app.

/** The ticket as pasted, without the spaces and line breaks that copying can add. */
export function normalizeTicket(raw: string): string {
  return raw.replace(/\s+/g, "");
}

/**
 * Why a pasted ticket cannot be opened yet, or null. Which kind it is and
 * whether it is well formed are core's to say (`ticket_kind`,
 * `inspect_ticket`).
 */
export function anyTicketProblem(raw: string): string | null {
  return normalizeTicket(raw) ? null : "Paste a pairing ticket or a share ticket.";
}

/** Why a download folder cannot be used, or null. */
export function downloadDirProblem(raw: string): string | null {
  const dir = raw.trim();
  if (!dir) return "Pick a folder for received files.";
  if (dir.startsWith("~")) return "Write the full path (for example /home/you/Downloads); “~” is not expanded.";
  const absolute = dir.startsWith("/") || /^[A-Za-z]:[\\/]/.test(dir) || dir.startsWith("\\\\");
  if (!absolute) return "Write the full path of the folder, for example /home/you/Downloads.";
  return null;
}

/** Why a device name cannot be used, or null. */
export function deviceNameProblem(raw: string): string | null {
  const name = raw.trim();
  return name ? null : "A device needs a name.";
}
