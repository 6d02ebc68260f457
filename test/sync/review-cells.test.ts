/** The review columns read from the sheet, and the `review_marker` cell. */
import { describe, expect, it } from "vitest";
import { reviewRequest } from "../../src/sync/desired/review-cells.ts";
import { isDestructive } from "../../src/sync/plan-pullback.ts";
import { markerOf, markerPart, withMarker } from "../../src/sync/review-marker.ts";

describe("review columns", () => {
  it("a changes verdict needs a note; fields must be known; the marker follows note and fields", () => {
    expect(reviewRequest("video", { action: "changes", note: " ", fields: undefined }).issues).toEqual([
      { code: "review_note_missing", column: "review_note", params: { what: "video" } },
    ]);
    const bad = reviewRequest("account", { action: "approve", note: undefined, fields: ["bio"] });
    expect(bad.issues.map((i) => [i.code, i.column])).toEqual([
      ["review_field_unknown", "account_review_fields"],
    ]);
    const a = reviewRequest("video", { action: "changes", note: "Cut", fields: ["sound", "description"] });
    const b = reviewRequest("video", { action: "changes", note: "Cut", fields: ["description", "sound"] });
    const c = reviewRequest("video", {
      action: "changes",
      note: "Cut more",
      fields: ["description", "sound"],
    });
    expect(a.review?.fields).toEqual(["description", "sound"]);
    expect(a.review?.marker).toBe(b.review?.marker);
    expect(a.review?.marker).not.toBe(c.review?.marker);
    expect(reviewRequest("video", { action: undefined, note: "x", fields: undefined })).toEqual({
      issues: [],
    });
  });

  it("the marker cell keeps one part per kind", () => {
    const c = markerOf("c", "note");
    const m = markerOf("m", "media");
    const cell = withMarker(withMarker("", "m", m), "c", c);
    expect(cell).toBe(`${c};${m}`);
    expect(markerPart(cell, "m")).toBe(m);
    expect(withMarker(cell, "m", null)).toBe(c);
    expect(markerPart(undefined, "c")).toBeNull();
  });

  it("only pull backs are destructive", () => {
    const base = { id: "x", bundleRef: "b", bundleId: "id", rows: [], reason: "", cost: 0 };
    expect(isDestructive({ ...base, kind: "unpublishBundle" })).toBe(true);
    expect(isDestructive({ ...base, kind: "unscheduleVideo", position: 1, reasonCode: "prune" })).toBe(false);
    expect(
      isDestructive({ ...base, kind: "unscheduleVideo", position: 1, reasonCode: "unschedule_publish_no" }),
    ).toBe(true);
  });
});
