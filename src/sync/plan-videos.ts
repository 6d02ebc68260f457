/**
 * The videos rows of one bundle on their slots: what each needs (configure, patch the ref, nothing, or
 * locked), the schedule rules checked before any configure, and the batch ops (≤ 500 items each).
 */
import type { Video } from "../api/index.ts";
import { rowWords, where } from "./plan-rows.ts";
import { type Assignment, EDITABLE_SLOT } from "./plan-slots.ts";
import {
  accountStatus,
  type BundleView,
  type Candidate,
  CLOSED_BUNDLE,
  DELIVERED_ACCOUNT,
  price,
} from "./plan-view.ts";
import type { ConfigureVideoItem, DesiredVideo, PlanOp, RowRef } from "./types.ts";

/** A batch call takes at most 500 items (API-NOTES §2.11). */
export const BATCH_LIMIT = 500;
/** TokPortal refuses a 4th video on one target day in one bundle (API-NOTES §3.4). */
export const VIDEOS_PER_DAY = 3;

/**
 * What a placed row needs: a configure (a candidate, still to pass the schedule checks), a patchVideo op,
 * or null (nothing to do, or an issue recorded on the row).
 */
export function decideVideo(view: BundleView, v: DesiredVideo, slot: Assignment): Candidate | PlanOp | null {
  const video = slot.video;
  const status = video?.status ?? "pending";
  const stored = v.outputs["sync_fingerprint"] ?? "";
  const changed = v.fingerprint !== stored;
  const configure = (reason: string): Candidate | null => {
    if (CLOSED_BUNDLE.has(view.status)) {
      const bundle = `bundle ${view.b.bundleRef} is already ${view.status}`;
      view.book.issue(
        v.row,
        "locked",
        video === null || status === "pending"
          ? `${where(v.row)}: ${bundle} and TokPortal no longer accepts videos in it; move this video to another bundle`
          : `${where(v.row)} changed, but ${bundle}; TokPortal no longer accepts edits. Revert the row or use another bundle`,
      );
      return null;
    }
    return { v, slot, reason };
  };

  if (video === null || status === "pending") return configure("new video");
  if (EDITABLE_SLOT.has(status)) {
    if (!slot.byRef) return configure(`takes slot ${slot.position}`);
    if (stored !== "") {
      const drift = contentDiffs(v, video, false);
      if (changed) return configure(drift.length > 0 ? `row changed: ${drift.join(", ")}` : "row changed");
      return drift.length > 0 ? configure(`changed on TokPortal: ${drift.join(", ")}`) : null;
    }
    // No fingerprint yet: a rerun after a crash adopts a slot already holding exactly this row.
    const diffs = contentDiffs(v, video, true);
    return diffs.length > 0 ? configure(`differs from TokPortal: ${diffs.join(", ")}`) : null;
  }
  // Past the stage where TokPortal accepts edits.
  if (!slot.byRef) {
    const body: { external_ref: string; name?: string } = { external_ref: v.videoRef };
    if (v.body.name !== undefined && v.body.name !== (video.name ?? "")) body.name = v.body.name;
    view.book.info(
      v.row,
      `${where(v.row)}: slot ${slot.position} is already ${status}: only its external_ref${body.name !== undefined ? " and name" : ""} could be set`,
    );
    return {
      kind: "patchVideo",
      id: `${view.b.bundleRef}:patchVideo:${slot.position}`,
      bundleRef: view.b.bundleRef,
      bundleId: view.bundleId,
      rows: [v.row.id],
      reason: `slot ${slot.position} is ${status}: set its external_ref to ${v.videoRef}`,
      cost: 0,
      position: slot.position,
      body,
    };
  }
  const edited = stored !== "" ? changed : contentDiffs(v, video, false).length > 0;
  if (edited) {
    view.book.issue(
      v.row,
      "locked",
      `${where(v.row)} changed, but video ${v.videoRef} is already ${status}; TokPortal no longer accepts edits. Revert the row or use a new video_ref`,
    );
  }
  return null;
}

/**
 * Lead time and the per-day cap (API-NOTES §3.4), checked before any configure: a row that breaks them
 * is a row error, and the other rows still sync. Returns the candidates that pass, in sheet order.
 */
export function checkSchedule(view: BundleView, candidates: readonly Candidate[]): Candidate[] {
  const delivered =
    view.type === "videos_only" ||
    Boolean(view.remote?.saved_account_id) ||
    DELIVERED_ACCOUNT.has(accountStatus(view) ?? "");
  const days = delivered ? 1 : 3;
  const earliest = addDays(view.today, days);
  const moving = new Set(candidates.map((c) => c.slot.position));
  const perDay = new Map<string, string[]>();
  const count = (date: string, who: string) => perDay.set(date, [...(perDay.get(date) ?? []), who]);
  // Slots that keep their date count first: TokPortal counts every non-cancelled dated slot.
  for (const s of view.slots) {
    if (moving.has(s.position) || !dated(s)) continue;
    count(s.target_publish_date!, `slot ${s.position}${s.external_ref ? ` (${s.external_ref})` : ""}`);
  }
  const accepted: Candidate[] = [];
  for (const c of candidates) {
    const date = c.v.body.target_publish_date;
    const at = where(c.v.row, "target_publish_date");
    // A refused row's slot keeps the date it has.
    const keepOld = () => {
      const old = c.slot.video;
      if (old && dated(old)) count(old.target_publish_date!, `slot ${c.slot.position}`);
    };
    if (date < earliest) {
      const why = delivered ? "" : " while the account is being created";
      view.book.issue(
        c.v.row,
        "error",
        `${at}: ${date} is too soon: TokPortal needs ${days} day${days === 1 ? "" : "s"}' notice${why} (earliest ${earliest}); move the date`,
      );
      keepOld();
      continue;
    }
    const taken = perDay.get(date) ?? [];
    if (taken.length >= VIDEOS_PER_DAY) {
      view.book.issue(
        c.v.row,
        "error",
        `${at}: bundle ${view.b.bundleRef} already has ${VIDEOS_PER_DAY} videos on ${date} (${taken.join(", ")}); TokPortal allows ${VIDEOS_PER_DAY} per day per bundle, so move this video to another date`,
      );
      keepOld();
      continue;
    }
    count(date, where(c.v.row).toLowerCase());
    accepted.push(c);
  }
  return accepted;
}

/** One configureVideos op per 500 rows, numbered from `firstNumber` (`ref:configureVideos`, `…:2`, …). */
export function configureOps(
  view: BundleView,
  candidates: readonly Candidate[],
  firstNumber: number,
): PlanOp[] {
  const ops: PlanOp[] = [];
  const list = capSafeOrder(view, candidates);
  let n = firstNumber;
  for (let i = 0; i < list.length; i += BATCH_LIMIT) {
    const chunk = list.slice(i, i + BATCH_LIMIT);
    const items: ConfigureVideoItem[] = chunk.map((c) => ({
      rowId: c.v.row.id,
      videoRef: c.v.videoRef,
      position: c.slot.position,
      item: { ...c.v.body, external_ref: c.v.videoRef, position: c.slot.position },
      media: c.v.media,
    }));
    // sound_volume is charged the first time a slot gets a volume.
    const volumes = chunk.filter((c) => c.v.soundVolumeUnits > 0 && !hadVolume(c.slot.video)).length;
    ops.push({
      kind: "configureVideos",
      id: `${view.b.bundleRef}:configureVideos${n === 1 ? "" : `:${n}`}`,
      bundleRef: view.b.bundleRef,
      bundleId: view.bundleId,
      rows: chunk.map((c) => c.v.row.id),
      reason: summarize(chunk),
      cost: price(view.options.costs, "sound_volume") * volumes,
      items,
    });
    n++;
  }
  return ops;
}

/**
 * TokPortal applies a batch item by item, checking the per-day cap against the slots as they are at that
 * moment. A slot moving off a full day must go before the row taking its place, so items are sent in an
 * order where each one fits when it arrives (sheet order otherwise; a cycle keeps sheet order).
 */
function capSafeOrder(view: BundleView, list: readonly Candidate[]): Candidate[] {
  const perDay = new Map<string, number>();
  const bump = (date: string, by: number) => perDay.set(date, (perDay.get(date) ?? 0) + by);
  for (const s of view.slots) if (dated(s)) bump(s.target_publish_date!, 1);
  const oldDate = (c: Candidate) =>
    c.slot.video && dated(c.slot.video) ? c.slot.video.target_publish_date! : null;
  const fits = (c: Candidate) => {
    const date = c.v.body.target_publish_date;
    const self = oldDate(c) === date ? 1 : 0;
    return (perDay.get(date) ?? 0) - self < VIDEOS_PER_DAY;
  };
  const out: Candidate[] = [];
  const rest = [...list];
  while (rest.length > 0) {
    const i = rest.findIndex(fits);
    const c = rest.splice(i === -1 ? 0 : i, 1)[0]!;
    const old = oldDate(c);
    if (old !== null) bump(old, -1);
    bump(c.v.body.target_publish_date, 1);
    out.push(c);
  }
  return out;
}

/** `YYYY-MM-DD` + n days, in UTC. */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function dated(s: Video): boolean {
  return s.status !== "pending" && s.status !== "cancelled" && Boolean(s.target_publish_date);
}

function hadVolume(video: Video | null): boolean {
  if (!video) return false;
  const v = video as Record<string, unknown>;
  return v["volume_original_sound"] != null || v["volume_added_sound"] != null;
}

/** Fields TokPortal returns as sent, compared with the slot (type and ref too when adopting a slot). */
function contentDiffs(v: DesiredVideo, slot: Video, adopting: boolean): string[] {
  const diffs: string[] = [];
  if ((v.body.description ?? "") !== (slot.description ?? "")) diffs.push("description");
  if ((v.body.target_publish_date ?? "") !== (slot.target_publish_date ?? ""))
    diffs.push("target_publish_date");
  if (adopting) {
    if ((v.body.video_type ?? "video") !== (slot.video_type ?? "video")) diffs.push("video_type");
    if (v.videoRef !== (slot.external_ref ?? "")) diffs.push("video_ref");
  }
  return diffs;
}

/** "new video (rows 2, 3); row changed: description (row 5)". */
function summarize(chunk: readonly Candidate[]): string {
  const byReason = new Map<string, RowRef[]>();
  for (const c of chunk) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), c.v.row]);
  return [...byReason].map(([reason, rows]) => `${reason} (${rowWords(rows)})`).join("; ");
}
