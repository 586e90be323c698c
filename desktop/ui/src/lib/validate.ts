// Checks of what the user types, before it goes to the app.

/** The ticket as pasted, without the spaces and line breaks that copying can add. */
export function normalizeTicket(raw: string): string {
  return raw.replace(/\s+/g, "");
}

/** Why a pasted pairing ticket cannot be right, or null. */
export function ticketProblem(raw: string): string | null {
  const t = normalizeTicket(raw).toLowerCase();
  if (!t) return "Paste the pairing ticket shown on the other device.";
  if (t.startsWith("ferrypair")) return t.length > "ferrypair".length ? null : "This ticket is incomplete.";
  if (t.startsWith("ferry") || t.startsWith("blob")) {
    return "This is a share ticket, for receiving files. To pair, use the ticket under “Pair a phone” on the other device (it starts with “ferrypair”).";
  }
  return "This is not a pairing ticket: it should start with “ferrypair”.";
}

/** Whether a ticket is a pairing ticket (rather than a share). */
export function looksLikePairing(raw: string): boolean {
  return /^(ferry:(\/\/)?)?ferrypair/i.test(normalizeTicket(raw));
}

/**
 * Why a pasted ticket (pairing or share) cannot be right, or null; the
 * app checks the rest when it opens it.
 */
export function anyTicketProblem(raw: string): string | null {
  const t = normalizeTicket(raw).toLowerCase().replace(/^ferry:(\/\/)?/, "");
  if (!t) return "Paste a pairing ticket or a share ticket.";
  if (t === "ferrypair") return "This ticket is incomplete.";
  return null;
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
