import { describe, expect, it } from "vitest";
import {
  CATALOGUE,
  finding,
  findingText,
  renderFinding,
  renderFindings,
  rowList,
  where,
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

  it("every code has a meaning and a fix to list in docs/sheet-format.md", () => {
    for (const [code, e] of Object.entries(CATALOGUE)) {
      expect(code).toMatch(/^[a-z][a-z_]+$/);
      expect(e.meaning.length, code).toBeGreaterThan(10);
      expect(e.fix.length, code).toBeGreaterThan(5);
    }
  });
});
