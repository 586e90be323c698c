import qrcode from "qrcode-generator";
import { describe, expect, it } from "vitest";
import { crispSide, qrSvg } from "./qr";

/** The dark modules drawn by the SVG path, as "row,col" strings. */
function drawn(svg: string, margin: number): Set<string> {
  const d = /<path d="([^"]*)"/.exec(svg)?.[1] ?? "";
  const cells = new Set<string>();
  for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, w] = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (let i = 0; i < w; i += 1) cells.add(`${y - margin},${x - margin + i}`);
  }
  return cells;
}

function reference(text: string, mode: "Byte" | "Alphanumeric") {
  const qr = qrcode(0, "M");
  qr.addData(text, mode);
  qr.make();
  const n = qr.getModuleCount();
  const dark = new Set<string>();
  for (let r = 0; r < n; r += 1) for (let c = 0; c < n; c += 1) if (qr.isDark(r, c)) dark.add(`${r},${c}`);
  return { n, dark };
}

const TICKET = "ferrypair" + "abcdefghijklmnopqrstuvwxyz234567".repeat(4);

describe("qrSvg", () => {
  it("draws exactly the dark modules of the code", () => {
    const out = qrSvg("hello, ferry", { margin: 3 });
    expect(out).not.toBeNull();
    const ref = reference("hello, ferry", "Byte");
    expect(out!.size).toBe(ref.n + 6);
    expect(out!.svg).toContain(`viewBox="0 0 ${ref.n + 6} ${ref.n + 6}"`);
    expect(drawn(out!.svg, 3)).toEqual(ref.dark);
    expect(out!.data).toBe("hello, ferry");
  });

  it("encodes a ticket upper-case in alphanumeric mode, in a smaller code", () => {
    const asTicket = qrSvg(TICKET, { ticket: true, margin: 4 })!;
    const asText = qrSvg(TICKET, { margin: 4 })!;
    expect(asTicket.data).toBe(TICKET.toUpperCase());
    const ref = reference(TICKET.toUpperCase(), "Alphanumeric");
    expect(drawn(asTicket.svg, 4)).toEqual(ref.dark);
    expect(asTicket.size).toBeLessThan(asText.size);
  });

  it("keeps text that alphanumeric mode cannot hold as it is", () => {
    const out = qrSvg("ferry_ticket?x=1", { ticket: true })!;
    expect(out.data).toBe("ferry_ticket?x=1");
  });

  it("labels the image and escapes the label", () => {
    const out = qrSvg("x", { label: `Pairing "code" <1>` });
    expect(out!.svg).toContain('aria-label="Pairing &#34;code&#34; &#60;1&#62;"');
    expect(out!.svg.startsWith("<svg")).toBe(true);
  });

  it("gives null for text too long for a QR code", () => {
    expect(qrSvg("x".repeat(5_000))).toBeNull();
  });
});

describe("crispSide", () => {
  it("gives every module the same whole number of pixels", () => {
    expect(crispSide(73, 300)).toBe(292);
    expect(crispSide(41, 300)).toBe(287);
    expect(crispSide(200, 300)).toBe(400);
  });
});
