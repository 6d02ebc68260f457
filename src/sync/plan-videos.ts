/**
 * The videos rows of one bundle on their slots: what each needs (configure, patch the ref, nothing, or
 * locked), the schedule rules checked before any configure, and the batch ops (≤ 500 items each).
 */
import type { Video } from "../api/index.ts";
import { CONFIGURE_REASONS, finding, reasoned, rowList } from "../findings/index.ts";
import { ConfigureEntry } from "./configure-entry.ts";
import { videoFingerprint } from "./desired.ts";
import { checkEditSlots } from "./plan-edit-slots.ts";
import { editReleased } from "./plan-release.ts";
import { issue, type RowNote } from "./plan-rows.ts";
import { type Assignment, EDITABLE_SLOT } from "./plan-slots.ts";
import {
  addDays,
  dated,
  echoedDiffs,
  leadTime,
  namesLocalFile,
  paidOptions,
  VIDEOS_PER_DAY,
} from "./plan-video-fields.ts";
import { type BundleView, type Candidate, CLOSED_BUNDLE, price } from "./plan-view.ts";
import type { ConfigureVideoItem, DesiredVideo, PlanOp, RowRef } from "./types.ts";

export { addDays, VIDEOS_PER_DAY };

/** A batch call takes at most 500 items (docs/tokportal-api.md). */
export const BATCH_LIMIT = 500;

/** What a placed row needs: a configure (a candidate), a patchVideo op, or nothing; and what the row says. */
export interface VideoDecision {
  candidate?: Candidate;
  op?: PlanOp;
  notes: RowNote[];
}

/**
 * What a placed row needs: a configure (a candidate, still to pass the schedule checks), a patchVideo op,
 * or nothing (nothing to do, or an issue on the row).
 */
export function decideVideo(view: BundleView, v: DesiredVideo, slot: Assignment): VideoDecision {
  const video = slot.video;
  const status = video?.status ?? "pending";
  const stored = v.outputs["sync_fingerprint"] ?? "";
  // A fingerprint stored before local files' identities were part of it still stands for the unchanged row:
  // an upgrade must not re-send, or lock, every row that names a local file.
  // A fingerprint is never empty: with none stored the row counts as changed without hashing it again.
  const changed = v.fingerprint !== stored && (stored === "" || videoFingerprint(v.body, {}) !== stored);
  const nothing: VideoDecision = { notes: [] };

  const why = CONFIGURE_REASONS;
  if (video === null || status === "pending") return configure(view, v, slot, why.new_video({}));
  if (EDITABLE_SLOT.has(status)) {
    if (!slot.byRef) return configure(view, v, slot, why.takes_slot({ position: slot.position }));
    if (stored !== "") {
      const drift = driftDiffs(v, video);
      if (changed) return configure(view, v, slot, why.row_changed({ columns: drift }));
      return drift.length > 0
        ? configure(view, v, slot, why.changed_on_tokportal({ columns: drift }))
        : nothing;
    }
    // No fingerprint (a rerun after a crash, a sheet restored): adopt a slot already holding exactly this row.
    // TokPortal re-hosts media, so a local file can never be shown equal: send it again.
    if (namesLocalFile(v)) return configure(view, v, slot, why.local_file({}));
    const diffs = echoedDiffs(v, video);
    return diffs.length > 0
      ? configure(view, v, slot, why.differs_from_tokportal({ columns: diffs }))
      : nothing;
  }
  // Past configuring: released to the manager. A PATCH still sets some columns (plan-release.ts).
  if (!slot.byRef) return claimSlot(view, v, video, slot.position);
  const diffs = echoedDiffs(v, video);
  if (stored === "" ? diffs.length === 0 : !changed) return nothing;
  return editReleased(view, v, video, slot.position, diffs, stored);
}

/**
 * A configure for the row, or a lock when the bundle takes no more video changes. A module function, not a
 * closure made per row: the planner calls this for every videos row of a campaign.
 */
function configure(view: BundleView, v: DesiredVideo, slot: Assignment, reason: string): VideoDecision {
  if (CLOSED_BUNDLE.has(view.status)) {
    const params = { bundleRef: view.b.bundleRef, status: view.status };
    const pending = (slot.video?.status ?? "pending") === "pending";
    const code = pending ? "bundle_closed_for_videos" : "video_changed_bundle_closed";
    return { notes: [issue(v.row, "locked", finding(code, undefined, params))] };
  }
  return { candidate: { v, slot, reason }, notes: [] };
}

/**
 * A row placed by its `position` on a slot TokPortal no longer lets us configure, and that carries no ref
 * (automatic placement only takes empty pending slots). The slot is this row's video only if it holds what
 * the row says: then its ref (and name) are set, which TokPortal allows at any stage. Otherwise the row
 * would silently stand for another video: a row error on `position`.
 */
function claimSlot(view: BundleView, v: DesiredVideo, video: Video, position: number): VideoDecision {
  // The name is not compared: the patch sets it.
  const diffs = echoedDiffs(v, video).filter((column) => column !== "name");
  if (diffs.length > 0) {
    const other = finding("position_holds_other_video", "position", {
      position,
      bundleRef: view.b.bundleRef,
      status: video.status,
      columns: diffs,
    });
    return { notes: [issue(v.row, "error", other)] };
  }
  const body: { external_ref: string; name?: string } = { external_ref: v.videoRef };
  if (v.body.name !== undefined && v.body.name !== (video.name ?? "")) body.name = v.body.name;
  const refOnly = finding("slot_ref_only", undefined, {
    position,
    status: video.status,
    name: body.name !== undefined,
  });
  const op: PlanOp = {
    kind: "patchVideo",
    id: `${view.b.bundleRef}:patchVideo:${position}`,
    bundleRef: view.b.bundleRef,
    bundleId: view.bundleId,
    rows: [v.row.id],
    ...reasoned("claim_slot", { position, status: video.status, videoRef: v.videoRef }),
    cost: 0,
    position,
    body,
  };
  return { op, notes: [{ kind: "info", row: v.row, finding: refOnly }] };
}

/**
 * The bundle's edit slots (plan-edit-slots.ts), then the lead time and the per-day cap
 * (docs/tokportal-api.md §7), checked before any configure: a row that breaks them is a row error, and
 * the other rows still sync. Returns the candidates that pass, in sheet order.
 */
export function checkSchedule(
  view: BundleView,
  all: readonly Candidate[],
): { accepted: Candidate[]; notes: RowNote[] } {
  const edits = checkEditSlots(view, all);
  const candidates = edits.accepted;
  const { days, delivered } = leadTime(view);
  const earliest = addDays(view.today, days);
  const moving = new Set(candidates.map((c) => c.slot.position));
  const perDay = new Map<string, string[]>();
  // Slots that keep their date count first: TokPortal counts every non-cancelled dated slot.
  for (const s of view.slots) {
    if (moving.has(s.position) || !dated(s)) continue;
    countOn(
      perDay,
      s.target_publish_date!,
      `slot ${s.position}${s.external_ref ? ` (${s.external_ref})` : ""}`,
    );
  }
  const accepted: Candidate[] = [];
  const notes: RowNote[] = [...edits.notes];
  for (const c of candidates) {
    const date = c.v.body.target_publish_date;
    if (date < earliest) {
      const params = { date, days, creating: !delivered, earliest };
      notes.push(issue(c.v.row, "error", finding("date_too_soon", "target_publish_date", params)));
      keepOldDate(perDay, c);
      continue;
    }
    const taken = perDay.get(date) ?? [];
    if (taken.length >= VIDEOS_PER_DAY) {
      const params = { bundleRef: view.b.bundleRef, perDay: VIDEOS_PER_DAY, date, taken: [...taken] };
      notes.push(issue(c.v.row, "error", finding("day_full", "target_publish_date", params)));
      keepOldDate(perDay, c);
      continue;
    }
    countOn(perDay, date, rowList(c.v.row.rowNumbers));
    accepted.push(c);
  }
  return { accepted, notes };
}

/** Who takes a slot on `date` (a day holds a handful: the list is copied, as it always was). */
function countOn(perDay: Map<string, string[]>, date: string, who: string): void {
  perDay.set(date, [...(perDay.get(date) ?? []), who]);
}

/** A refused row's slot keeps the date it has. */
function keepOldDate(perDay: Map<string, string[]>, c: Candidate): void {
  const old = c.slot.video;
  if (old && dated(old)) countOn(perDay, old.target_publish_date!, `slot ${c.slot.position}`);
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
    // The row's body is the item (its external_ref is already the row's video ref: src/sync/types.ts).
    const items: ConfigureVideoItem[] = chunk.map(
      (c) => new ConfigureEntry(c.v.row.id, c.v.videoRef, c.slot.position, c.v.body, c.v.media),
    );
    // Paid options are charged the first time a slot gets them (plan-video-fields.ts).
    const paid = chunk.map((c) => paidOptions(c.v, c.slot.video));
    const cost = paid.flat().reduce((sum, item) => sum + price(view.options.costs, item), 0);
    ops.push({
      kind: "configureVideos",
      id: `${view.b.bundleRef}:configureVideos${n === 1 ? "" : `:${n}`}`,
      bundleRef: view.b.bundleRef,
      bundleId: view.bundleId,
      rows: chunk.map((c) => c.v.row.id),
      ...summarize(chunk, paid),
      cost,
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
  for (const s of view.slots) if (dated(s)) bump(perDay, s.target_publish_date!, 1);
  const out: Candidate[] = [];
  const rest = [...list];
  while (rest.length > 0) {
    let i = 0;
    while (i < rest.length && !fitsOn(perDay, rest[i]!)) i++;
    const c = rest.splice(i === rest.length ? 0 : i, 1)[0]!;
    const old = oldDateOf(c);
    if (old !== null) bump(perDay, old, -1);
    bump(perDay, c.v.body.target_publish_date, 1);
    out.push(c);
  }
  return out;
}

// capSafeOrder's helpers: module functions, not closures made for each bundle.
function bump(perDay: Map<string, number>, date: string, by: number): void {
  perDay.set(date, (perDay.get(date) ?? 0) + by);
}

function oldDateOf(c: Candidate): string | null {
  return c.slot.video && dated(c.slot.video) ? c.slot.video.target_publish_date! : null;
}

/** The candidate's date has room when it arrives (its own slot's date counted out). */
function fitsOn(perDay: Map<string, number>, c: Candidate): boolean {
  const date = c.v.body.target_publish_date;
  const self = oldDateOf(c) === date ? 1 : 0;
  return (perDay.get(date) ?? 0) - self < VIDEOS_PER_DAY;
}

/** Drift on a synced row: the fields TokPortal itself may change (a date moved, a caption edited there). */
function driftDiffs(v: DesiredVideo, slot: Video): string[] {
  const diffs: string[] = [];
  if ((v.body.description ?? "") !== (slot.description ?? "")) diffs.push("description");
  if ((v.body.target_publish_date ?? "") !== (slot.target_publish_date ?? ""))
    diffs.push("target_publish_date");
  return diffs;
}

/** "new video (rows 2, 3); row changed: description (row 5)". */
function summarize(
  chunk: readonly Candidate[],
  paid: readonly string[][],
): ReturnType<typeof reasoned<"configure_videos">> {
  const byReason = new Map<string, RowRef[]>();
  for (const c of chunk) addReason(byReason, c.reason, c.v.row);
  for (let i = 0; i < chunk.length; i++) {
    const row = chunk[i]!.v.row;
    for (const item of paid[i] ?? []) addReason(byReason, CONFIGURE_REASONS.paid_option({ item }), row);
  }
  const parts = [...byReason].map(
    ([reason, rows]) => `${reason} (${rowList(rows.flatMap((r) => r.rowNumbers))})`,
  );
  return reasoned("configure_videos", { parts });
}

/** Appends in place: the list of a reason grows to a batch's 500 rows, so no copy per row. */
function addReason(byReason: Map<string, RowRef[]>, reason: string, row: RowRef): void {
  const rows = byReason.get(reason);
  if (rows) rows.push(row);
  else byReason.set(reason, [row]);
}
