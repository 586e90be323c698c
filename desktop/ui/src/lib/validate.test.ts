import { describe, expect, it } from "vitest";
import { anyTicketProblem, deviceNameProblem, downloadDirProblem, normalizeTicket } from "./validate";

describe("tickets", () => {
  it("drops the whitespace copying adds", () => {
    expect(normalizeTicket("  ferrypair\nabc 123 ")).toBe("ferrypairabc123");
  });

  it("asks for a ticket when there is none; core judges the rest", () => {
    expect(anyTicketProblem("  ")).toMatch(/Paste/);
    expect(anyTicketProblem("ferrypair")).toBeNull();
    expect(anyTicketProblem("hello")).toBeNull();
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
