/**
 * A row whose video TokPortal has released to its manager (past configuring) and that changed: what the
 * video PATCH still takes (description, target_publish_date, name: docs/tokportal-api.md §7) is set in
 * place; anything else (media, type, options) locks the row, naming the columns that cannot change and why.
 */

import type { PatchVideoBody, Video } from "../api/index.ts";
import { finding, reasoned } from "../findings/index.ts";
import { videoFingerprint } from "./desired.ts";
import { issue, type RowNote } from "./plan-rows.ts";
import { addDays, dated, leadTime, namesLocalFile, VIDEOS_PER_DAY } from "./plan-video-fields.ts";
import { type BundleView, CLOSED_BUNDLE } from "./plan-view.ts";
import type { DesiredVideo, PlanOp } from "./types.ts";

/** The columns a released video may still change, by the video PATCH. */
const PATCHABLE = new Set(["description", "target_publish_date", "name"]);
/** Posted on the platform: TokPortal would store a new caption or date, but the live post would not change. */
const POSTED = new Set(["in_review", "finalized"]);

export interface ReleaseEdit {
  op?: PlanOp;
  notes: RowNote[];
}

/**
 * `diffs` are the columns TokPortal shows back that differ from the row (at least one, or a stored
 * fingerprint that changed); `stored` is the row's `sync_fingerprint` cell.
 */
export function editReleased(
  view: BundleView,
  v: DesiredVideo,
  video: Video,
  position: number,
  diffs: readonly string[],
  stored: string,
): ReleaseEdit {
  const status = video.status;
  const lock = (f: ReturnType<typeof finding>): ReleaseEdit => ({ notes: [issue(v.row, "locked", f)] });
  const fixed = diffs.filter((c) => !PATCHABLE.has(c));
  const patchable = diffs.filter((c) => PATCHABLE.has(c));
  const localFile = namesLocalFile(v);
  if (fixed.length > 0 && stored === "") {
    return lock(
      finding("video_differs_too_late", undefined, { videoRef: v.videoRef, status, columns: fixed }),
    );
  }
  // A changed row must owe its whole change to the columns the PATCH sets: with them as TokPortal has them,
  // it hashes to its stored fingerprint. Otherwise something TokPortal does not show back (the media)
  // changed too, which no call can carry now.
  const unseen = stored !== "" && !explains(v, video, patchable, stored);
  if (fixed.length > 0 || patchable.length === 0 || unseen) {
    const params = { videoRef: v.videoRef, status, columns: fixed, localFile };
    return lock(
      finding(
        "video_changed_too_late",
        undefined,
        fixed.length === 0 ? { ...params, alsoSeen: patchable } : params,
      ),
    );
  }
  if (POSTED.has(status)) {
    return lock(
      finding("video_already_posted", undefined, { videoRef: v.videoRef, status, columns: patchable }),
    );
  }
  if (CLOSED_BUNDLE.has(view.status)) {
    return lock(
      finding("video_changed_bundle_closed", undefined, { bundleRef: view.b.bundleRef, status: view.status }),
    );
  }
  const sheet = v.body as Record<string, unknown>;
  const body: PatchVideoBody = {};
  for (const column of patchable) Object.assign(body, { [column]: sheet[column] });
  const date = body.target_publish_date;
  if (date !== undefined) {
    const refused = dateRefusal(view, date, position);
    if (refused) return { notes: [issue(v.row, "error", refused)] };
  }
  const op: PlanOp = {
    kind: "patchVideo",
    id: `${view.b.bundleRef}:patchVideo:${position}`,
    bundleRef: view.b.bundleRef,
    bundleId: view.bundleId,
    rows: [v.row.id],
    ...reasoned("edit_released", { status, columns: patchable }),
    cost: 0,
    position,
    body,
  };
  return { op, notes: [] };
}

/** The row, with `columns` set as the slot has them, hashes to `stored`: those columns are all that changed. */
function explains(v: DesiredVideo, video: Video, columns: readonly string[], stored: string): boolean {
  const remote = video as Record<string, unknown>;
  const body: Record<string, unknown> = { ...v.body };
  for (const column of columns) {
    const value = remote[column];
    if (value === null || value === undefined || value === "") delete body[column];
    else body[column] = value;
  }
  const asBefore = body as DesiredVideo["body"];
  return videoFingerprint(asBefore, v.media) === stored || videoFingerprint(asBefore, {}) === stored;
}

/**
 * The PATCH enforces the configure's date rules (docs/tokportal-api.md §7): the lead time, and the per-day
 * cap against the bundle's other dated slots. Checked before sending, as a row error.
 */
function dateRefusal(view: BundleView, date: string, position: number): ReturnType<typeof finding> | null {
  const { days, delivered } = leadTime(view);
  const earliest = addDays(view.today, days);
  if (date < earliest) {
    const params = { date, days, creating: !delivered, earliest };
    return finding("date_too_soon", "target_publish_date", params);
  }
  const taken = view.slots
    .filter((s) => s.position !== position && dated(s) && s.target_publish_date === date)
    .map((s) => `slot ${s.position}${s.external_ref ? ` (${s.external_ref})` : ""}`);
  if (taken.length >= VIDEOS_PER_DAY) {
    const params = { bundleRef: view.b.bundleRef, perDay: VIDEOS_PER_DAY, date, taken };
    return finding("day_full", "target_publish_date", params);
  }
  return null;
}
