import { describe, expect, it } from "vitest";
import { anyTicketProblem, deviceNameProblem, downloadDirProblem, looksLikePairing, normalizeTicket, ticketProblem } from "./validate";

describe("pairing tickets", () => {
  it("accepts a pairing ticket, with stray whitespace", () => {
    expect(ticketProblem("ferrypairabc123")).toBeNull();
    expect(ticketProblem("  ferrypair\nabc 123 ")).toBeNull();
    expect(normalizeTicket("  ferrypair\nabc 123 ")).toBe("ferrypairabc123");
  });

  it("explains what is wrong", () => {
    expect(ticketProblem("   ")).toMatch(/Paste/);
    expect(ticketProblem("ferrypair")).toMatch(/incomplete/);
    expect(ticketProblem("ferryab12cd")).toMatch(/share ticket/);
    expect(ticketProblem("blobab12")).toMatch(/share ticket/);
    expect(ticketProblem("hello")).toMatch(/not a pairing ticket/);
  });
});

describe("any ticket", () => {
  it("lets pairing and share tickets through for the app to check", () => {
    expect(anyTicketProblem("ferrypairabc")).toBeNull();
    expect(anyTicketProblem("ferryab12cd")).toBeNull();
    expect(anyTicketProblem("ferry://blobab12")).toBeNull();
    expect(anyTicketProblem("  ")).toMatch(/Paste/);
    expect(anyTicketProblem("ferrypair")).toMatch(/incomplete/);
  });

  it("tells pairing tickets from shares", () => {
    expect(looksLikePairing(" FerryPair abc")).toBe(true);
    expect(looksLikePairing("ferry://ferrypairabc")).toBe(true);
    expect(looksLikePairing("ferryab12")).toBe(false);
  });
});

describe("download folder", () => {
  it("needs a full path", () => {
    expect(downloadDirProblem("/home/ann/Downloads")).toBeNull();
    expect(downloadDirProblem("C:\\Users\\ann\\Downloads")).toBeNull();
    expect(downloadDirProblem("")).toMatch(/Pick a folder/);
    expect(downloadDirProblem("~/Downloads")).toMatch(/not expanded/);
    expect(downloadDirProblem("Downloads")).toMatch(/full path/);
  });
});

describe("device names", () => {
  it("must not be blank", () => {
    expect(deviceNameProblem("Pixel")).toBeNull();
    expect(deviceNameProblem("  ")).not.toBeNull();
  });
});
