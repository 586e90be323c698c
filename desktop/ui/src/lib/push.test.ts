import { describe, expect, it } from "vitest";
import { applyPushEvent, clearPush, describeSelection, finishPush, startPush } from "./push";
import { readMeter } from "./meter";

const TO = { id: "phone", name: "Pixel" };

describe("push entries", () => {
  it("tracks progress of a running send and its answer", () => {
    let m = startPush({}, TO.id, "2 items", 0);
    expect(m[TO.id]).toMatchObject({ phase: "sending", meter: null });
    m = applyPushEvent(m, { event: "push_progress", to: TO, bytes_done: 0, bytes_total: 4_000_000 }, 0);
    m = applyPushEvent(m, { event: "push_progress", to: TO, bytes_done: 2_000_000, bytes_total: 4_000_000 }, 1_000);
    const r = readMeter(m[TO.id].meter!);
    expect(r.percent).toBeCloseTo(50);
    expect(r.bytesPerSec).toBeCloseTo(2_000_000);
    expect(r.etaSecs).toBeCloseTo(1);
    m = finishPush(m, TO.id, { status: "ok", data: { files: 2, bytes: 4_000_000, queued: null } }, 2_000);
    expect(m[TO.id]).toMatchObject({ phase: "done", finishedAt: 2_000, result: { files: 2 } });
  });

  it("records a failure with its error", () => {
    let m = startPush({}, TO.id, "text", 0);
    m = finishPush(m, TO.id, { status: "error", error: { kind: "rejected", message: "declined" } }, 5);
    expect(m[TO.id]).toMatchObject({ phase: "failed", error: { kind: "rejected" } });
    expect(clearPush(m, TO.id)).toEqual({});
  });

  it("ignores progress for devices with no running send", () => {
    const m = {};
    expect(applyPushEvent(m, { event: "push_progress", to: TO, bytes_done: 1, bytes_total: 2 }, 0)).toBe(m);
    const running = startPush({}, TO.id, "x", 0);
    expect(clearPush(running, TO.id)).toBe(running);
    expect(applyPushEvent(running, { event: "paired", id: "a", name: "b" }, 0)).toBe(running);
  });

  it("waits in the outbox and ends with the outbox's answer", () => {
    const queued = { outbox_id: 7, reason: "no answer", expires_at_ms: 99 };
    let m = startPush({}, TO.id, "1 item", 0);
    m = finishPush(m, TO.id, { status: "ok", data: { files: 0, bytes: 0, queued } }, 5);
    expect(m[TO.id]).toMatchObject({ phase: "queued", finishedAt: null, result: { queued } });
    // Another entry's answer changes nothing.
    const other = { event: "outbox_delivered", outbox_id: 8, to: TO, report: { files: 1, bytes: 10, bytes_transferred: 10 } } as const;
    expect(applyPushEvent(m, other, 9)).toBe(m);
    const delivered = applyPushEvent(m, { ...other, outbox_id: 7 }, 9);
    expect(delivered[TO.id]).toMatchObject({ phase: "done", finishedAt: 9, result: { files: 1, bytes: 10 } });
    const expired = applyPushEvent(
      m,
      { event: "outbox_gave_up", outbox_id: 7, to: TO, status: "expired", message: "Phone did not come online in time" },
      9,
    );
    expect(expired[TO.id]).toMatchObject({ phase: "failed", error: { kind: "offline" } });
  });

  it("describes a selection", () => {
    expect(describeSelection(["/a", "/b"], "hi", false)).toBe("2 items + text");
    expect(describeSelection(["/a"], "", false)).toBe("1 item");
    expect(describeSelection([], "https://x.org", true)).toBe("a link");
    expect(describeSelection([], "  ", false)).toBe("nothing");
  });
});
