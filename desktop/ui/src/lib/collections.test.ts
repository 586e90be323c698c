import { describe, expect, it } from "vitest";
import type { DeviceView, InviteView, MemberView } from "../bindings";
import {
  dayChoices,
  invitableDevices,
  keepText,
  keepWith,
  sizeChoices,
  sizeValue,
  inviteOutcome,
  lastSyncText,
  onlineText,
  pendingText,
  sortInvites,
  sortMembers,
  withoutInvite,
} from "./collections";

const member = (id: string, name: string, online = false, this_device = false): MemberView => ({ id, name, online, this_device });
const dev = (id: string, name: string): DeviceView => ({ id, name, auto_accept: false, paired_at_ms: 1 });

describe("collection members", () => {
  it("lists this device first, then the online ones, then by name", () => {
    const sorted = sortMembers([member("c", "zed", true), member("a", "Bravo"), member("me", "Desk", false, true), member("b", "alpha")]);
    expect(sorted.map((m) => m.id)).toEqual(["me", "c", "b", "a"]);
  });

  it("counts who is online, this device included", () => {
    expect(onlineText([member("me", "Desk", false, true), member("a", "A", true), member("b", "B")])).toBe("2 of 3 online");
  });

  it("offers the paired devices that are not members", () => {
    const devices = [dev("a", "A"), dev("b", "B"), dev("c", "C")];
    expect(invitableDevices(devices, [member("b", "B"), member("me", "Desk", true, true)]).map((d) => d.id)).toEqual(["a", "c"]);
    expect(invitableDevices([], [])).toEqual([]);
  });
});

describe("collection status wording", () => {
  it("says what is left to fetch", () => {
    expect(pendingText(0, 0)).toBe("Up to date");
    expect(pendingText(null, null)).toBe("Up to date");
    expect(pendingText(3, 12_000_000)).toBe("3 files · 12 MB");
    expect(pendingText(0, 1_500)).toBe("1.5 KB");
  });

  it("says when it last synced", () => {
    const now = new Date(2025, 5, 15, 12, 0, 0).getTime();
    expect(lastSyncText(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(lastSyncText(null, now)).toBe("Not yet");
    expect(lastSyncText(0, now)).toBe("Not yet");
  });

  it("says whether an invited device joined", () => {
    expect(inviteOutcome("Pixel", true)).toBe("Pixel joined");
    expect(inviteOutcome("Pixel", false)).toBe("Invited Pixel");
  });
});

describe("invitations", () => {
  const inv = (name: string, at: number | null): InviteView => ({ name, from: "Pixel", from_id: "p", received_at_ms: at });

  it("sorts the newest first and drops answered ones", () => {
    const list = sortInvites([inv("a", 1), inv("b", 3), inv("c", null)]);
    expect(list.map((i) => i.name)).toEqual(["b", "a", "c"]);
    expect(withoutInvite(list, "b").map((i) => i.name)).toEqual(["a", "c"]);
  });
});

describe("history settings", () => {
  const byDefault = { days: 30, max_percent: 10, max_bytes: null };

  it("describes a policy in words", () => {
    expect(keepText(byDefault)).toBe("30 days · up to 10% of the folder");
    expect(keepText({ days: 365, max_percent: null, max_bytes: 2_000_000_000 })).toBe("1 year · up to 2 GB");
    expect(keepText({ days: 0, max_percent: 10, max_bytes: null })).toBe("Off");
    expect(keepText({ days: 1, max_percent: null, max_bytes: null })).toBe("1 day");
  });

  it("offers the usual choices and keeps one set elsewhere", () => {
    expect(dayChoices(30).map((c) => c.label)).toEqual(["Off", "7 days", "30 days", "90 days", "1 year"]);
    expect(dayChoices(14).map((c) => c.value)).toEqual(["0", "7", "14", "30", "90", "365"]);
    expect(sizeChoices(byDefault).map((c) => c.value)).toEqual(["p:5", "p:10", "p:25", "p:50"]);
    const custom = { days: 7, max_percent: null, max_bytes: 2_000_000_000 };
    expect(sizeValue(custom)).toBe("b:2000000000");
    expect(sizeChoices(custom).slice(-1)[0]).toEqual({ value: "b:2000000000", label: "2 GB" });
    expect(sizeChoices({ days: 7, max_percent: null, max_bytes: null }).slice(-1)[0]?.label).toBe("No size limit");
  });

  it("changes the days or the limit and nothing else", () => {
    expect(keepWith(byDefault, { days: "7" })).toEqual({ days: 7, max_percent: 10, max_bytes: null });
    expect(keepWith(byDefault, { days: "0" })).toEqual({ days: 0, max_percent: 10, max_bytes: null });
    expect(keepWith({ days: 0, max_percent: null, max_bytes: null }, { days: "90" })).toEqual({ days: 90, max_percent: 10, max_bytes: null });
    expect(keepWith(byDefault, { size: "p:25" })).toEqual({ days: 30, max_percent: 25, max_bytes: null });
    expect(keepWith(byDefault, { size: "b:5000" })).toEqual({ days: 30, max_percent: null, max_bytes: 5000 });
    const both = { days: 30, max_percent: 5, max_bytes: 9000 };
    expect(keepWith(byDefault, { size: sizeValue(both) })).toEqual(both);
  });
});
