import { describe, expect, it } from "vitest";
import {
  CATALOGUE,
  finding,
  findingText,
  REASONS,
  reasoned,
  reasonText,
  renderFinding,
  renderFindings,
  rowList,
  where,
  withoutStep,
} from "../../src/findings/index.ts";

describe("findings in words", () => {
  it("says where once: a row or a single-table bundle's rows, then the column", () => {
    expect(where([7])).toBe("Row 7");
    expect(where([3, 4, 9], "country")).toBe("Rows 3, 4, 9, column country");
    expect(where([])).toBe("Row ?");
    expect(rowList([7])).toBe("row 7");
    expect(rowList([7, 8])).toBe("rows 7, 8");
  });

  it("renders a finding after its place, or reading on from the row when the code says so", () => {
    const soon = finding("date_too_soon", "target_publish_date", {
      date: "2026-09-02",
      days: 3,
      creating: true,
      earliest: "2026-09-04",
    });
    expect(renderFinding([7], soon)).toBe(
      "Row 7, column target_publish_date: 2026-09-02 is too soon: TokPortal needs 3 days' notice while the account is being created (earliest 2026-09-04); move the date",
    );
    const late = finding("video_changed_bundle_closed", undefined, { bundleRef: "b1", status: "completed" });
    expect(renderFinding([5], late)).toMatch(/^Row 5 changed, but bundle b1 is already completed;/);
    expect(
      renderFindings(
        [2],
        [finding("country_missing", "country", {}), finding("date_missing", undefined, {})],
      ),
    ).toBe(
      "Row 2, column country: is empty; write the country of the account to create (2 to 5 letters, e.g. USA); Row 2: is empty; write the day it should be posted, as YYYY-MM-DD",
    );
    expect(findingText(finding("edit_slots_lowered", "edit_slots", { have: 1 }))).toBe(
      "TokPortal has 1 edit slot on this bundle and bought slots cannot be removed; set edit_slots back to 1",
    );
  });

  it("a media cell that is neither a URL nor a file says where the file was looked for", () => {
    const bad = finding("media_unusable", "carousel_images", { value: "a.jpg", looked: "/camp", image: 2 });
    expect(renderFinding([4], bad)).toBe(
      'Row 4, column carousel_images: image 2: "a.jpg" is neither a URL nor a file that exists (looked in /camp); write an https:// URL or the path of a local file',
    );
  });

  it("a bundle with nothing to order offers account_only only to a type that can take it", () => {
    const base = { bundleRef: "b1", videoSlots: null, namedBy: [], singleTable: false } as const;
    const none = finding("bundle_without_videos", "video_slots", {
      ...base,
      bundleType: "account_and_videos",
    });
    expect(renderFinding([2], none)).toBe(
      "Row 2, column video_slots: bundle b1 is account_and_videos but has no videos rows (none names bundle_ref b1) and video_slots is empty, so TokPortal would refuse to create it (it needs at least 1 video slot); add videos rows with bundle_ref b1, set video_slots to the number of videos to order, or set bundle_type to account_only",
    );
    const invalid = finding("bundle_without_videos", "video_slots", {
      ...base,
      bundleType: "account_and_videos",
      videoSlots: 0,
      namedBy: [2, 3],
    });
    expect(findingText(invalid)).toBe(
      "bundle b1 is account_and_videos but has no valid videos row (videos rows 2, 3 have errors: see their messages) and video_slots is 0, so TokPortal would refuse to create it (it needs at least 1 video slot); fix those rows, set video_slots to the number of videos to order, or set bundle_type to account_only",
    );
    const videosOnly = findingText(
      finding("bundle_without_videos", "video_slots", { ...base, bundleType: "videos_only" }),
    );
    expect(videosOnly).toMatch(/^bundle b1 is videos_only but has no videos rows/);
    expect(videosOnly).toMatch(
      /; add videos rows with bundle_ref b1, set video_slots to the number of videos to order$/,
    );
  });

  it("every code has a meaning and a fix to list in docs/sheet-format.md", () => {
    for (const [code, e] of Object.entries(CATALOGUE)) {
      expect(code).toMatch(/^[a-z][a-z_]+$/);
      expect(e.meaning.length, code).toBeGreaterThan(10);
      expect(e.fix.length, code).toBeGreaterThan(5);
    }
  });
});

describe("apply findings in words", () => {
  it("a refusal names the step that failed, TokPortal's words and code, and the fix", () => {
    const soon = finding("date_too_soon_server", "target_publish_date", {
      step: "configureVideos",
      date: "2026-09-02",
      days: 3,
      earliest: "2026-09-04",
    });
    expect(renderFinding([7], soon)).toBe(
      "Row 7, column target_publish_date: configuring the videos failed: 2026-09-02 is too soon; TokPortal needs 3 day(s) of lead time, so the earliest it accepts is 2026-09-04. Pick 2026-09-04 or later.",
    );
    const refused = finding("tokportal_refused", undefined, {
      tpCode: "SAVED_ACCOUNT_NOT_FOUND",
      message: "Account not found.",
      gone: true,
    });
    expect(findingText(refused)).toBe(
      "TokPortal says: Account not found (code SAVED_ACCOUNT_NOT_FOUND). It no longer exists on TokPortal.",
    );
    expect(withoutStep(soon).params).not.toHaveProperty("step");
  });

  it("a wait past the ceiling says what TokPortal asked and when to expect progress", () => {
    const wait = finding("wait_exceeds_ceiling", undefined, {
      step: "createBundle",
      askedCode: "CREATION_CAPACITY_COOLDOWN",
      message: "Creation capacity is cooling down.",
      retryAfterSeconds: 3600,
      ceilingSeconds: 300,
      retryAt: "2026-09-01T13:00:00.000Z",
    });
    expect(renderFinding([2], wait)).toBe(
      "Row 2: creating the bundle failed: TokPortal asked to wait 60 min (CREATION_CAPACITY_COOLDOWN: Creation capacity is cooling down), longer than this run waits (5 min); expect progress from 2026-09-01 13:00 UTC, when a run retries.",
    );
  });

  it("a capacity cooldown says what TokPortal said and when to expect progress", () => {
    const cooling = finding("capacity_cooldown", undefined, {
      step: "publishBundle",
      what: "publish",
      message: "Publication capacity is cooling down.",
      retryAt: "2026-09-01T13:00:00.000Z",
    });
    expect(renderFinding([3], cooling)).toBe(
      "Row 3: publishing the bundle failed: TokPortal's publish capacity is cooling down (TokPortal: Publication capacity is cooling down); expect progress from 2026-09-01 13:00 UTC, when a run retries.",
    );
  });

  it("a bundle's later steps say why they were not run", () => {
    const block = finding("earlier_step_failed", undefined, {
      step: "createBundle",
      bundleRef: "b1",
      causeCode: "capacity_cooldown",
      cause: "TokPortal's creation capacity is cooling down; the next run retries.",
      waiting: true,
    });
    expect(renderFinding([3, 4], block)).toBe(
      "Rows 3, 4: waiting: creating the bundle for bundle b1 failed first (TokPortal's creation capacity is cooling down; the next run retries.)",
    );
    expect(findingText(finding("stopped_key_refused", undefined, {}))).toBe(
      "not applied: TokPortal refused the API key, so the run stopped.",
    );
    expect(findingText(finding("needs_upload", undefined, { what: "item" }))).toMatch(
      /carousel image URL\) is uploaded only by sync$/,
    );
  });
});

describe("plan-op reasons in words", () => {
  it("an op's reason carries its code and parameters beside the words made from them", () => {
    expect(reasoned("edit_slots", { quantity: 1, want: 2, have: 1 })).toEqual({
      reason: "1 more edit slot (edit_slots asks for 2, TokPortal has 1)",
      reasonCode: "edit_slots",
      reasonParams: { quantity: 1, want: 2, have: 1 },
    });
    expect(reasonText("publish_videos", { rows: [7], all: false, positions: [2] })).toBe(
      "publish=yes on row 7: release slot 2 to the account manager",
    );
    for (const [code, e] of Object.entries(REASONS)) expect(e.meaning.length, code).toBeGreaterThan(10);
  });
});
