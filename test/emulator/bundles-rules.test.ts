/** The pure rules behind the handlers: prices, lead time, the per-day cap and stale-date shifting. */
import { describe, expect, test } from "vitest";
import type { EmulatorClock } from "../../src/emulator/context.ts";
import type { Bundle } from "../../src/emulator/model.ts";
import { newAccount, newSlot } from "../../src/emulator/ops/domain.ts";
import { priceOrder, sumBreakdowns } from "../../src/emulator/ops/pricing.ts";
import { publishBlockers } from "../../src/emulator/ops/readiness.ts";
import {
  addDays,
  earliestAllowedDate,
  isCalendarDate,
  minDaysAhead,
  setTargetDate,
  shiftStaleDates,
} from "../../src/emulator/ops/schedule.ts";

const NOW = "2026-09-01T23:59:59.000Z";
const clock: EmulatorClock = { now: () => Date.parse(NOW), iso: () => NOW };

function bundle(type: Bundle["bundle_type"], slots = 6): Bundle {
  const b: Bundle = {
    id: "b",
    workspaceId: "w",
    title: null,
    bundle_type: type,
    platform: "tiktok",
    country: "USA",
    status: "pending_setup",
    external_ref: null,
    from_bulk: false,
    videos_quantity: slots,
    edits_quantity: 0,
    auto_finalize_videos: true,
    wants_niche_warming: false,
    niche_warming_instructions: null,
    account_id: null,
    saved_account_id: null,
    account: type === "videos_only" ? null : newAccount(null),
    videos: [],
    published_at: null,
    accepted_at: null,
    completed_at: null,
    created_at: NOW,
    updated_at: NOW,
  };
  for (let p = 1; p <= slots; p++) b.videos.push(newSlot(`v${p}`, "b", p, NOW));
  return b;
}

describe("prices", () => {
  test("account 32, video slot 2, edit slot 3, niche warming 7, advanced warming 5 per target", () => {
    expect(
      priceOrder({ newAccount: true, videos: 3, edits: 0, nicheWarming: false, advancedWarmingTerms: 0 })
        .total,
    ).toBe(38);
    expect(
      priceOrder({ newAccount: false, videos: 5, edits: 2, nicheWarming: false, advancedWarmingTerms: 0 }),
    ).toEqual({
      account_creation: 0,
      video_slots: 10,
      edit_slots: 6,
      advanced_warming: 0,
      total: 16,
    });
    expect(
      priceOrder({ newAccount: true, videos: 0, edits: 0, nicheWarming: false, advancedWarmingTerms: 6 })
        .total,
    ).toBe(62);
    const niche = priceOrder({
      newAccount: true,
      videos: 1,
      edits: 0,
      nicheWarming: true,
      advancedWarmingTerms: 0,
    });
    expect(niche.niche_warming).toBe(7);
    expect(sumBreakdowns([niche, niche]).total).toBe(82);
  });
});

describe("schedule", () => {
  test("lead time is 3 days for a new account, 1 for videos_only or a delivered account", () => {
    const b = bundle("account_and_videos");
    expect(minDaysAhead(b)).toBe(3);
    // UTC calendar days: one second before midnight still counts as the 1st.
    expect(earliestAllowedDate(b, clock)).toBe("2026-09-04");
    expect(minDaysAhead(bundle("videos_only"))).toBe(1);
    b.account!.status = "in_review";
    expect(minDaysAhead(b)).toBe(1);
    b.account!.status = "published";
    b.saved_account_id = "s";
    expect(minDaysAhead(b)).toBe(1);
  });

  test("dates", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(isCalendarDate("2026-02-29")).toBe(false);
    expect(isCalendarDate("2028-02-29")).toBe(true);
  });

  test("stale dates move to the earliest allowed day with room, at most 3 per day", () => {
    const b = bundle("account_and_videos");
    setTargetDate(b.videos[0]!, "2026-09-04"); // already fine, takes one place on the 4th
    for (const i of [1, 2, 3, 4]) setTargetDate(b.videos[i]!, "2026-09-02");
    setTargetDate(b.videos[5]!, "2026-08-30");
    const moved = shiftStaleDates(b, b.videos, clock);
    expect(moved.map((m) => [m.position, m.previous_date, m.new_date])).toEqual([
      [6, "2026-08-30", "2026-09-04"],
      [2, "2026-09-02", "2026-09-04"],
      [3, "2026-09-02", "2026-09-05"],
      [4, "2026-09-02", "2026-09-05"],
      [5, "2026-09-02", "2026-09-05"],
    ]);
    expect(b.videos[5]!.target_publish_end_date).toBe("2026-09-05");
  });

  test("readiness blockers", () => {
    const b = bundle("account_and_videos");
    expect(publishBlockers(b).map((x) => x.code)).toEqual(["ACCOUNT_MISSING_FIELDS", "NO_VIDEOS_CONFIGURED"]);
    expect(publishBlockers(bundle("account_only", 0)).map((x) => x.code)).toEqual(["ACCOUNT_MISSING_FIELDS"]);
    const v = bundle("videos_only");
    v.videos[0]!.status = "configured";
    expect(publishBlockers(v)).toEqual([]);
    v.status = "cancelled";
    expect(publishBlockers(v).map((x) => x.code)).toEqual(["BUNDLE_INVALID_STATUS"]);
  });
});
