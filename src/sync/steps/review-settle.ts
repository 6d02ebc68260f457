/** What the review steps share: the `review_marker` a row keeps once a correction note is sent. */
import { withMarker } from "../review-marker.ts";
import type { KeyContext } from "./step.ts";

/** The row's `review_marker` as this run knows it (the planner's value, else the cell as read). */
export function markerNow(ctx: KeyContext, rowId: string): string {
  const planned = ctx.book.value(rowId, "review_marker");
  if (typeof planned === "string") return planned;
  return ctx.stored?.get(rowId)?.review_marker ?? "";
}

/** The row's marker with the note just sent (`c:…`): a rerun never sends that note again. */
export function markSent(ctx: KeyContext, rowId: string, marker: string): string {
  return withMarker(markerNow(ctx, rowId), "c", marker);
}

/** The row's TokPortal video id as planned, part of a review key (a reused slot is another video). */
export function videoIdOf(ctx: KeyContext, rowId: string | undefined): string | null {
  const id = rowId ? ctx.book.value(rowId, "video_id") : null;
  return typeof id === "string" ? id : null;
}
