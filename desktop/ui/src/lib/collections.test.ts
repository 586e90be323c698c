import { describe, expect, it } from "vitest";
import type { DeviceView, InviteView, MemberView } from "../bindings";
import {
  invitableDevices,
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
