/**
 * Edit slots: a video with `editing_instructions` uses one of its bundle's edit slots (`edits_quantity`,
 * bought at creation or with add-edit-slots: docs/tokportal-api.md §6). A row configured with instructions
 * beyond the bundle's edit slots is a row error before anything is sent, so nobody pays for a video whose
 * instructions no editor would take.
 */
import { finding } from "../findings/index.ts";
import { issue, type RowNote } from "./plan-rows.ts";
import { type BundleView, type Candidate, CLOSED_BUNDLE } from "./plan-view.ts";

/**
 * The edit slots the bundle has once this plan has run: what a new bundle is ordered with; what TokPortal
 * has, raised to the bundles row's `edit_slots` when the plan buys the difference. Null when TokPortal does
 * not say how many it has (then it decides, and the bundles row says why nothing is bought).
 */
export function editSlotsAfterPlan(view: BundleView): number | null {
  const want = view.b.create?.edits_quantity;
  if (view.isNew) return want ?? 0;
  const have = view.remote?.edits_quantity;
  if (typeof have !== "number") return null;
  const row = view.b.row;
  const buys =
    want !== undefined &&
    want > have &&
    row !== null &&
    !view.blocked(row.id) &&
    !CLOSED_BUNDLE.has(view.status);
  return buys ? want : have;
}

/**
 * Candidates with instructions take the free edit slots in sheet order; slots whose video keeps its
 * instructions (not being configured now) hold theirs. Returns the candidates that fit.
 */
export function checkEditSlots(
  view: BundleView,
  candidates: readonly Candidate[],
): { accepted: Candidate[]; notes: RowNote[] } {
  const editSlots = editSlotsAfterPlan(view);
  if (editSlots === null) return { accepted: [...candidates], notes: [] };
  const moving = new Set(candidates.map((c) => c.slot.position));
  let used = view.slots.filter(
    (s) =>
      !moving.has(s.position) &&
      s.status !== "pending" &&
      s.status !== "cancelled" &&
      typeof s.editing_instructions === "string" &&
      s.editing_instructions !== "",
  ).length;
  const accepted: Candidate[] = [];
  const notes: RowNote[] = [];
  for (const c of candidates) {
    if ((c.v.body.editing_instructions ?? "") === "") {
      accepted.push(c);
      continue;
    }
    if (used >= editSlots) {
      const params = { bundleRef: view.b.bundleRef, editSlots, used };
      notes.push(issue(c.v.row, "error", finding("edit_slot_missing", "editing_instructions", params)));
      continue;
    }
    used++;
    accepted.push(c);
  }
  return { accepted, notes };
}
