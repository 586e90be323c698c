import { describe, expect, it } from "vitest";
import { describeError, errorTitle, guard, guardValue, NOT_CONNECTED, toCommandError } from "./errors";
import { fromResult, dataOf } from "./loadable";

describe("toCommandError", () => {
  it("keeps a {kind, message} error", () => {
    expect(toCommandError({ kind: "network", message: "unreachable", extra: 1 })).toEqual({
      kind: "network",
      message: "unreachable",
    });
  });

  it("turns exceptions and strings into internal errors", () => {
    expect(toCommandError(new TypeError("boom"))).toEqual({ kind: "internal", message: "boom" });
    expect(toCommandError("plain")).toEqual({ kind: "internal", message: "plain" });
    expect(toCommandError(undefined).kind).toBe("internal");
    expect(toCommandError({ message: "half" })).toEqual({ kind: "internal", message: "half" });
  });
});

describe("guard", () => {
  it("refuses at once when not connected", async () => {
    let called = false;
    const r = await guard(false, async () => {
      called = true;
      return { status: "ok", data: 1 };
    });
    expect(called).toBe(false);
    expect(r.status === "error" && r.error.kind).toBe(NOT_CONNECTED);
  });

  it("passes results through and catches throws", async () => {
    expect(await guard(true, async () => ({ status: "ok" as const, data: 5 }))).toEqual({ status: "ok", data: 5 });
    expect(
      await guard(true, async () => ({ status: "error" as const, error: { kind: "timeout", message: "slow" } })),
    ).toEqual({ status: "error", error: { kind: "timeout", message: "slow" } });
    expect(
      await guard(true, async () => {
        throw new Error("no ipc");
      }),
    ).toEqual({ status: "error", error: { kind: "internal", message: "no ipc" } });
  });

  it("wraps commands that answer with a plain value, including a rejected promise", async () => {
    expect(await guardValue(true, async () => "x")).toEqual({ status: "ok", data: "x" });
    expect(await guardValue(true, () => Promise.reject({ kind: "storage", message: "disk full" }))).toEqual({
      status: "error",
      error: { kind: "storage", message: "disk full" },
    });
  });
});

describe("error wording", () => {
  it("has a title for every kind and a fallback", () => {
    for (const kind of ["invalid_input", "not_found", "network", "offline", "timeout", "cancelled", "rejected", "storage", "protocol", "internal"]) {
      expect(errorTitle(kind)).not.toBe("");
    }
    expect(errorTitle("something_new")).toBe(errorTitle("internal"));
  });

  it("capitalizes the message", () => {
    expect(describeError({ kind: "not_found", message: "no device named \"tv\"" })).toEqual({
      title: "Not found",
      detail: "No device named \"tv\"",
    });
  });
});

describe("loadable", () => {
  it("converts results", () => {
    expect(fromResult({ status: "ok", data: [1] })).toEqual({ state: "ready", data: [1] });
    const failed = fromResult({ status: "error", error: { kind: "x", message: "y" } });
    expect(failed.state).toBe("error");
    expect(dataOf(failed)).toBeUndefined();
  });
});
