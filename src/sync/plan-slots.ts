/**
 * Slot assignment: which video slot of a bundle each videos row uses.
 *
 * In this order, so a row never loses the slot that already carries its video:
 *   1. a row keeps the slot already carrying its `video_ref` (two such slots: the row cannot tell which);
 *   2. a row with a `position` takes that slot, unless another row holds it, or it carries another video
 *      (one another sheet row claims, one TokPortal no longer lets us replace, or one no row has: an orphan
 *      is never overwritten on a position alone);
 *   3. the others take the lowest free `pending` slot with no ref, in sheet order;
 *   4. then new slots after the last one (the caller buys them).
 */
import type { Video } from "../api/index.ts";
import { type Finding, finding } from "../findings/index.ts";
import type { DesiredVideo, RowRef } from "./types.ts";

/** Slot statuses a configure may still change (docs/tokportal-api.md). */
export const EDITABLE_SLOT = new Set(["pending", "configured", "pending_corrections"]);

export interface Assignment {
  position: number;
  /** The remote slot, or null for a slot that does not exist yet or of a bundle this plan creates. */
  video: Video | null;
  /** The slot already carries this row's video_ref. */
  byRef: boolean;
  /** Past the bundle's current slots: bought by this plan. */
  isNew: boolean;
}

export interface SlotInput {
  bundleRef: string;
  /** Slots the bundle has now (positions 1..existing); for a bundle this plan creates, the ordered ones. */
  existing: number;
  /** Remote slots (empty for a new bundle: its slots are all `pending`). */
  videos: readonly Video[];
  /** Rows to place, in sheet order. */
  rows: readonly DesiredVideo[];
  /** Every video_ref the sheet has for this bundle (valid rows and rows with issues) → its row. */
  sheetRefs: ReadonlyMap<string, RowRef>;
}

export interface SlotPlan {
  assigned: Map<string, Assignment>;
  /** Rows that cannot be placed, by row id: why. */
  errors: Map<string, Finding>;
}

export function assignSlots(input: SlotInput): SlotPlan {
  const { videos, rows, bundleRef } = input;
  const assigned = new Map<string, Assignment>();
  const errors = new Map<string, Finding>();
  const slotAt = new Map<number, Video>();
  for (const v of videos) slotAt.set(v.position, v);
  const holder = new Map<number, DesiredVideo>();
  const take = (v: DesiredVideo, position: number, byRef: boolean) => {
    assigned.set(v.row.id, {
      position,
      video: slotAt.get(position) ?? null,
      byRef,
      isNew: position > input.existing,
    });
    holder.set(position, v);
  };

  for (const v of rows) {
    const carrying = videos.filter((s) => (s.external_ref ?? "") === v.videoRef);
    if (carrying.length > 1) {
      const positions = carrying.map((s) => s.position);
      errors.set(
        v.row.id,
        finding("video_ref_on_two_slots", "video_ref", { videoRef: v.videoRef, positions, bundleRef }),
      );
    } else if (carrying.length === 1) {
      take(v, carrying[0]!.position, true);
    }
  }

  for (const v of rows) {
    if (v.position === undefined || assigned.has(v.row.id) || errors.has(v.row.id)) continue;
    const p = v.position;
    const refuse = (f: Finding) => errors.set(v.row.id, f);
    const other = holder.get(p);
    if (other) {
      const params = { position: p, bundleRef, rows: other.row.rowNumbers, videoRef: other.videoRef };
      refuse(finding("position_taken", "position", params));
      continue;
    }
    const slot = slotAt.get(p);
    const ref = slot?.external_ref ?? "";
    if (slot && ref !== "" && ref !== v.videoRef) {
      const claimant = input.sheetRefs.get(ref);
      if (claimant) {
        const params = { position: p, bundleRef, videoRef: ref, rows: claimant.rowNumbers };
        refuse(finding("position_holds_row_video", "position", params));
        continue;
      }
      if (!EDITABLE_SLOT.has(slot.status)) {
        const params = { position: p, bundleRef, videoRef: ref, status: slot.status };
        refuse(finding("position_holds_closed_video", "position", params));
        continue;
      }
      // An orphan: TokPortal would let us overwrite it, but that video may still matter to someone, and a
      // position alone is too little to destroy it on.
      refuse(finding("position_holds_orphan", "position", { position: p, bundleRef, videoRef: ref }));
      continue;
    }
    take(v, p, false);
  }

  let cursor = 1;
  for (const v of rows) {
    if (assigned.has(v.row.id) || errors.has(v.row.id)) continue;
    while (!isFree(cursor)) cursor++;
    take(v, cursor, false);
  }
  return { assigned, errors };

  function isFree(position: number): boolean {
    if (holder.has(position)) return false;
    if (position > input.existing) return true;
    const slot = slotAt.get(position);
    return !slot || (slot.status === "pending" && (slot.external_ref ?? "") === "");
  }
}
