/**
 * The review columns of a row (`review`, `review_note`, `review_fields` on a videos row; the `account_`
 * ones on a bundles row), and the pull back a `publish` cell set to `no` asks for. Only the sheet is
 * read here: whether the work is in review is the planner's business (src/sync/plan-reviews.ts).
 */
import { type Finding, finding } from "../../findings/index.ts";
import type { ReviewAction } from "../../sources/coerce.ts";
import { ACCOUNT_REVIEW_FIELDS, VIDEO_REVIEW_FIELDS } from "../../sources/columns.ts";
import { markerOf } from "../review-marker.ts";
import type { ReviewRequest } from "../types.ts";

interface ReviewCells {
  action: ReviewAction | undefined;
  note: string | undefined;
  fields: readonly string[] | undefined;
}

/** The verdict of a row, or the findings that stop it (on the note or fields column). */
export function reviewRequest(
  what: "video" | "account",
  cells: ReviewCells,
): { review?: ReviewRequest; issues: Finding[] } {
  // Most rows ask for no review: nothing to check, nothing to allocate (this runs once per row).
  if (cells.action === undefined && (cells.fields === undefined || cells.fields.length === 0)) {
    return { issues: [] };
  }
  const prefix = what === "video" ? "" : "account_";
  const issues: Finding[] = [];
  const allowed: readonly string[] = what === "video" ? VIDEO_REVIEW_FIELDS : ACCOUNT_REVIEW_FIELDS;
  const fields = [...new Set((cells.fields ?? []).map((f) => f.trim().toLowerCase()))].filter(
    (f) => f !== "",
  );
  for (const f of fields) {
    if (!allowed.includes(f)) {
      issues.push(finding("review_field_unknown", `${prefix}review_fields`, { value: f, allowed }));
    }
  }
  if (cells.action === undefined) return { issues };
  const note = cells.note?.trim() || null;
  if (cells.action === "changes" && note === null) {
    issues.push(finding("review_note_missing", `${prefix}review_note`, { what }));
  }
  if (issues.length > 0) return { issues };
  const sorted = fields.sort();
  return {
    review: {
      action: cells.action,
      note: cells.action === "changes" ? note : null,
      fields: sorted,
      marker: markerOf("c", { note, fields: sorted }),
    },
    issues,
  };
}

/** `{field: true}` for each field named: the `fields` object of a correction request. */
export function correctionFields(fields: readonly string[]): Record<string, boolean> {
  return Object.fromEntries(fields.map((f) => [f, true]));
}
