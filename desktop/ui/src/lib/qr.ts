// QR codes as SVG markup, drawn as one path of dark modules.

import qrcode from "qrcode-generator";

export interface QrSvg {
  svg: string;
  /** Modules per side, quiet zone included. */
  size: number;
  /** The text the code holds (upper-cased for a ticket). */
  data: string;
}

export interface QrOptions {
  /** Light modules around the code; 4 is what the standard asks for. */
  margin?: number;
  /** The accessible name of the image. */
  label?: string;
  /**
   * The text is a Ferry ticket, which parses in any case: it is encoded in
   * upper case, in QR's alphanumeric mode, for a smaller code that is
   * easier to scan (as the `ferry` command does).
   */
  ticket?: boolean;
}

const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

/**
 * The QR code of `text` as an SVG element that scales to its container,
 * or null when `text` is too long for a QR code.
 */
export function qrSvg(text: string, opts: QrOptions = {}): QrSvg | null {
  const margin = opts.margin ?? 4;
  const upper = text.toUpperCase();
  const alnum = opts.ticket === true && ALPHANUMERIC.test(upper);
  const data = alnum ? upper : text;
  let qr: ReturnType<typeof qrcode>;
  try {
    qr = qrcode(0, "M");
    qr.addData(data, alnum ? "Alphanumeric" : "Byte");
    qr.make();
  } catch {
    return null;
  }
  const count = qr.getModuleCount();
  const size = count + margin * 2;
  let path = "";
  for (let row = 0; row < count; row += 1) {
    let col = 0;
    while (col < count) {
      if (!qr.isDark(row, col)) {
        col += 1;
        continue;
      }
      // One rectangle per run of dark modules in a row.
      const start = col;
      while (col < count && qr.isDark(row, col)) col += 1;
      path += `M${start + margin} ${row + margin}h${col - start}v1h-${col - start}z`;
    }
  }
  const label = escapeXml(opts.label ?? "QR code");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" ` +
    `role="img" aria-label="${label}" shape-rendering="crispEdges">` +
    `<rect width="${size}" height="${size}" fill="#fff"/>` +
    `<path d="${path}" fill="#000"/></svg>`;
  return { svg, size, data };
}

/**
 * The side in pixels at most `max` at which every module is the same whole
 * number of pixels (at least `minCell`), so that scanners see sharp edges.
 */
export function crispSide(modules: number, max: number, minCell = 2): number {
  return modules * Math.max(minCell, Math.floor(max / modules));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
