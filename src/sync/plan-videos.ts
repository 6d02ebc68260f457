/**
 * The videos rows of one bundle on their slots: what each needs (configure, patch the ref, nothing, or
 * locked), the schedule rules checked before any configure, and the batch ops (≤ 500 items each).
 */
import type { Video } from "../api/index.ts";
import { CONFIGURE_REASONS, finding, reasoned, rowList } from "../findings/index.ts";
import { videoFingerprint } from "./desired.ts";
import { canonicalJson } from "./fingerprint.ts";
import { issue, type RowNote } from "./plan-rows.ts";
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

/** A batch call takes at most 500 items (docs/tokportal-api.md). */
export const BATCH_LIMIT = 500;
/** TokPortal refuses a 4th video on one target day in one bundle (docs/tokportal-api.md). */
export const VIDEOS_PER_DAY = 3;

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
  const changed = v.fingerprint !== stored && videoFingerprint(v.body, {}) !== stored;
  const nothing: VideoDecision = { notes: [] };
  const configure = (reason: string): VideoDecision => {
    if (CLOSED_BUNDLE.has(view.status)) {
      const params = { bundleRef: view.b.bundleRef, status: view.status };
      const code =
        video === null || status === "pending" ? "bundle_closed_for_videos" : "video_changed_bundle_closed";
      return { notes: [issue(v.row, "locked", finding(code, undefined, params))] };
    }
    return { candidate: { v, slot, reason }, notes: [] };
  };

  const why = CONFIGURE_REASONS;
  if (video === null || status === "pending") return configure(why.new_video({}));
  if (EDITABLE_SLOT.has(status)) {
    if (!slot.byRef) return configure(why.takes_slot({ position: slot.position }));
    if (stored !== "") {
      const drift = driftDiffs(v, video);
      if (changed) return configure(why.row_changed({ columns: drift }));
      return drift.length > 0 ? configure(why.changed_on_tokportal({ columns: drift })) : nothing;
    }
    // No fingerprint (a rerun after a crash, a sheet restored): adopt a slot already holding exactly this row.
    // TokPortal re-hosts media, so a local file can never be shown equal: send it again.
    if (namesLocalFile(v)) return configure(why.local_file({}));
    const diffs = echoedDiffs(v, video);
    return diffs.length > 0 ? configure(why.differs_from_tokportal({ columns: diffs })) : nothing;
  }
  // Past the stage where TokPortal accepts edits.
  if (!slot.byRef) return claimSlot(view, v, video, slot.position);
  const diffs = echoedDiffs(v, video);
  if (stored === "" ? diffs.length === 0 : !changed) return nothing;
  const tooLate =
    stored === ""
      ? finding("video_differs_too_late", undefined, { videoRef: v.videoRef, status, columns: diffs })
      : finding("video_changed_too_late", undefined, {
          videoRef: v.videoRef,
          status,
          columns: diffs,
          localFile: namesLocalFile(v),
        });
  return { notes: [issue(v.row, "locked", tooLate)] };
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
 * Lead time and the per-day cap (docs/tokportal-api.md), checked before any configure: a row that breaks them
 * is a row error, and the other rows still sync. Returns the candidates that pass, in sheet order.
 */
export function checkSchedule(
  view: BundleView,
  candidates: readonly Candidate[],
): { accepted: Candidate[]; notes: RowNote[] } {
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
  const notes: RowNote[] = [];
  for (const c of candidates) {
    const date = c.v.body.target_publish_date;
    // A refused row's slot keeps the date it has.
    const keepOld = () => {
      const old = c.slot.video;
      if (old && dated(old)) count(old.target_publish_date!, `slot ${c.slot.position}`);
    };
    if (date < earliest) {
      const params = { date, days, creating: !delivered, earliest };
      notes.push(issue(c.v.row, "error", finding("date_too_soon", "target_publish_date", params)));
      keepOld();
      continue;
    }
    const taken = perDay.get(date) ?? [];
    if (taken.length >= VIDEOS_PER_DAY) {
      const params = { bundleRef: view.b.bundleRef, perDay: VIDEOS_PER_DAY, date, taken: [...taken] };
      notes.push(issue(c.v.row, "error", finding("day_full", "target_publish_date", params)));
      keepOld();
      continue;
    }
    count(date, rowList(c.v.row.rowNumbers));
    accepted.push(c);
  }
  return { accepted, notes };
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
      ...summarize(chunk),
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

/** Drift on a synced row: the fields TokPortal itself may change (a date moved, a caption edited there). */
function driftDiffs(v: DesiredVideo, slot: Video): string[] {
  const diffs: string[] = [];
  if ((v.body.description ?? "") !== (slot.description ?? "")) diffs.push("description");
  if ((v.body.target_publish_date ?? "") !== (slot.target_publish_date ?? ""))
    diffs.push("target_publish_date");
  return diffs;
}

/**
 * Configure fields TokPortal returns as sent (docs/tokportal-api.md), named as their sheet columns. Not the media:
 * TokPortal re-hosts `video_url`, and images become storage paths.
 */
const ECHOED_FIELDS = [
  "video_type",
  "description",
  "target_publish_date",
  "name",
  "carousel_title",
  "tiktok_sound_url",
  "editing_instructions",
  "volume_original_sound",
  "volume_added_sound",
  "instagram_content_type",
  "instagram_location",
  "instagram_collaborators",
  "instagram_audio_name",
  "instagram_add_to_story",
] as const satisfies ReadonlyArray<keyof DesiredVideo["body"]>;

/**
 * The columns whose value differs from the slot's. A field the slot does not show is not compared (nothing
 * to compare with); an unset cell equals TokPortal's empty value (null, "", [] or false), since a configure
 * without the field clears it. `name` only when the row sets it: a configure without it keeps the slot's.
 */
function echoedDiffs(v: DesiredVideo, slot: Video): string[] {
  const remote = slot as Record<string, unknown>;
  const diffs: string[] = [];
  for (const field of ECHOED_FIELDS) {
    const mine = v.body[field];
    if (remote[field] === undefined || (field === "name" && mine === undefined)) continue;
    if (canonicalJson(emptyAsNull(mine)) !== canonicalJson(emptyAsNull(remote[field]))) diffs.push(field);
  }
  return diffs;
}

function emptyAsNull(value: unknown): unknown {
  if (value === undefined || value === "" || value === false) return null;
  if (Array.isArray(value) && value.length === 0) return null;
  return value;
}

/** The row names a local file (video or carousel image), whose content TokPortal's copy cannot be compared with. */
function namesLocalFile(v: DesiredVideo): boolean {
  return v.media.video_url?.kind === "file" || (v.media.carousel_images ?? []).some((m) => m.kind === "file");
}

/** "new video (rows 2, 3); row changed: description (row 5)". */
function summarize(chunk: readonly Candidate[]): ReturnType<typeof reasoned<"configure_videos">> {
  const byReason = new Map<string, RowRef[]>();
  for (const c of chunk) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), c.v.row]);
  const parts = [...byReason].map(
    ([reason, rows]) => `${reason} (${rowList(rows.flatMap((r) => r.rowNumbers))})`,
  );
  return reasoned("configure_videos", { parts });
}
