/**
 * The review loop and download problems, planned from the slots TokPortal has (docs/tokportal-api.md §7):
 * a `review` verdict on a video in review finalizes it or asks for corrections; `account_review` does the
 * same for a delivered account; a slot TokPortal could not download gets the row's new media. A verdict on
 * work not in review is said on the row and kept for a later run. A correction note is sent once: the
 * `review_marker` cell and TokPortal's own correction message both say it was.
 */
import type { PatchVideoBody, Video } from "../api/index.ts";
import { type Finding, finding, reasoned } from "../findings/index.ts";
import { correctionFields } from "./desired/review-cells.ts";
import { mediaMarkerOf } from "./desired/video-cells.ts";
import type { Decided, RowNote } from "./plan-rows.ts";
import { echoedDiffs } from "./plan-video-fields.ts";
import { accountStatus, type BundleView, CLOSED_BUNDLE } from "./plan-view.ts";
import { markerPart, withMarker } from "./review-marker.ts";
import type { DesiredVideo, PlanOp, ReviewRequest } from "./types.ts";

/** What the sheet shows of a video's review (`review_status`), by slot status. */
const REVIEW_STATUS: Readonly<Record<string, string>> = {
  in_review: "in_review",
  pending_corrections: "changes_requested",
  finalized: "approved",
};

type Status = "in_review" | "pending_corrections" | "finalized" | string;

interface Verdict {
  /** The op to send now (finalize or corrections), or null. */
  send: "finalize" | "corrections" | null;
  note: Finding | null;
}

/** What a verdict does on work in `status`; `sent` says this note was already sent. */
function judge(
  what: "video" | "account",
  r: ReviewRequest,
  status: Status,
  sent: boolean,
  at: string,
): Verdict {
  if (status === "in_review") {
    if (r.action === "approve") return { send: "finalize", note: null };
    if (sent) return { send: null, note: finding("corrections_resubmitted", undefined, { what }) };
    return { send: "corrections", note: null };
  }
  if (status === "finalized") {
    return {
      send: null,
      note: r.action === "approve" ? null : finding("review_too_late", undefined, { what, status }),
    };
  }
  if (status === "pending_corrections" && r.action === "changes" && sent) {
    return { send: null, note: finding("corrections_requested", undefined, { what, at }) };
  }
  if (status === "cancelled") return { send: null, note: null };
  return { send: null, note: finding("review_waits", undefined, { what, action: r.action, status }) };
}

/**
 * A placed videos row on its own slot: the review columns shown, the marker kept, and the verdict's op.
 * `fixing` says a fix-download is planned for the row this run (its `m:` part then stays until it is sent).
 */
export function reviewVideo(view: BundleView, v: DesiredVideo, slot: Video, fixing: boolean): Decided {
  const notes: RowNote[] = [];
  const status = slot.status;
  const said = v.outputs["review_marker"];
  let marker = said ?? "";
  const r = v.review;
  const sent =
    r?.action === "changes" &&
    (markerPart(marker, "c") === r.marker || (slot.correction_message ?? "") === r.note);
  // Sent by an earlier run whose write-back was lost: the cell learns it now.
  if (sent && r) marker = withMarker(marker, "c", r.marker);
  if (slot.download_issue === true) {
    if (!fixing && markerPart(marker, "m") === null) marker = withMarker(marker, "m", mediaMarkerOf(v));
  } else marker = withMarker(marker, "m", null);
  notes.push({
    kind: "remote",
    row: v.row,
    values: {
      review_status: REVIEW_STATUS[status] ?? null,
      correction_message: slot.correction_message ?? null,
      correction_requested_at: slot.correction_requested_at ?? null,
      download_issue: slot.download_issue === true ? slot.download_issue_comment || "yes" : null,
      review_marker: marker === "" ? null : marker,
    },
  });
  if (slot.download_issue === true && !fixing) {
    const comment = slot.download_issue_comment ?? "";
    notes.push({ kind: "info", row: v.row, finding: finding("download_issue", undefined, { comment }) });
  }
  if (!r || CLOSED_BUNDLE.has(view.status)) return { op: null, notes };
  const verdict = judge("video", r, status, sent, slot.correction_requested_at ?? "");
  if (verdict.note) notes.push({ kind: "info", row: v.row, finding: verdict.note });
  if (verdict.send === null) return { op: null, notes };
  const base = {
    bundleRef: view.b.bundleRef,
    bundleId: view.bundleId,
    rows: [v.row.id],
    cost: 0,
    position: slot.position,
  };
  const op: PlanOp =
    verdict.send === "finalize"
      ? {
          kind: "finalizeVideo",
          id: `${view.b.bundleRef}:finalizeVideo:${slot.position}`,
          ...base,
          ...reasoned("review_approve", { what: "video", position: slot.position }),
        }
      : {
          kind: "requestVideoCorrections",
          id: `${view.b.bundleRef}:requestVideoCorrections:${slot.position}`,
          ...base,
          ...reasoned("review_changes", { what: "video", position: slot.position, note: r.note ?? "" }),
          comment: r.note ?? "",
          fields: correctionFields(r.fields),
          marker: r.marker,
        };
  return { op, notes };
}

/**
 * A slot TokPortal could not download, and a row whose media changed since TokPortal reported it (the
 * `m:` marker), or since the last sync when the report was never written: the new media is sent.
 */
export function downloadFix(view: BundleView, v: DesiredVideo, slot: Video): PlanOp | null {
  if (slot.download_issue !== true || CLOSED_BUNDLE.has(view.status)) return null;
  const reported = markerPart(v.outputs["review_marker"], "m");
  const stored = v.outputs["sync_fingerprint"] ?? "";
  const changed =
    reported !== null ? reported !== mediaMarkerOf(v) : stored !== "" && stored !== v.fingerprint;
  if (!changed) return null;
  const body =
    v.body.carousel_images !== undefined
      ? { carousel_images: [...v.body.carousel_images] }
      : v.body.video_url !== undefined
        ? { video_url: v.body.video_url }
        : null;
  if (body === null) return null;
  return {
    kind: "fixDownload",
    id: `${view.b.bundleRef}:fixDownload:${slot.position}`,
    bundleRef: view.b.bundleRef,
    bundleId: view.bundleId,
    rows: [v.row.id],
    ...reasoned("fix_download", { position: slot.position }),
    cost: 0,
    position: slot.position,
    media: v.media,
    body,
  };
}

/**
 * What else a row whose media is being fixed changed, among the columns TokPortal shows back: the
 * description and name still go, by a video PATCH planned before the fix (so a fix whose answer is lost is
 * still found by its `m:` marker, and a lost PATCH is not needed again); the other columns are named on the
 * row as not sent, with a date (TokPortal sets a fixed video's date, docs/tokportal-api.md §7).
 */
export function fixCompanions(view: BundleView, v: DesiredVideo, slot: Video): Decided {
  const diffs = echoedDiffs(v, slot);
  const patched: string[] = diffs.filter((c) => c === "description" || c === "name");
  const kept = diffs.filter((c) => !patched.includes(c));
  const notes: RowNote[] = [];
  if (kept.length > 0) {
    const said = finding("download_fix_keeps", undefined, { columns: kept });
    notes.push({ kind: "info", row: v.row, finding: said });
  }
  if (patched.length === 0) return { op: null, notes };
  const body: PatchVideoBody = {};
  if (patched.includes("description")) body.description = v.body.description ?? "";
  if (patched.includes("name") && v.body.name !== undefined) body.name = v.body.name;
  const op: PlanOp = {
    kind: "patchVideo",
    id: `${view.b.bundleRef}:patchVideo:${slot.position}`,
    bundleRef: view.b.bundleRef,
    bundleId: view.bundleId,
    rows: [v.row.id],
    ...reasoned("edit_released", { status: slot.status, columns: patched }),
    cost: 0,
    position: slot.position,
    body,
  };
  return { op, notes };
}

/**
 * The row's new media already reached TokPortal: the issue it reported (`m:` kept in the row) is gone and
 * the media cells changed since. A fix whose answer was lost, or one made on TokPortal: the row is in
 * step, not a change TokPortal no longer takes.
 */
export function downloadFixLanded(v: DesiredVideo, slot: Video): boolean {
  const reported = markerPart(v.outputs["review_marker"], "m");
  return slot.download_issue !== true && reported !== null && reported !== mediaMarkerOf(v);
}

/** The bundles row's `account_review` on the delivered account. */
export function reviewAccount(view: BundleView): Decided {
  const { b } = view;
  const none: Decided = { op: null, notes: [] };
  if (!b.row || view.isNew || CLOSED_BUNDLE.has(view.status)) return none;
  const notes: RowNote[] = [];
  const account = view.account as (typeof view.account & Record<string, unknown>) | null;
  const comment = typeof account?.correction_comment === "string" ? account.correction_comment : null;
  const askedAt =
    typeof account?.correction_requested_at === "string" ? account.correction_requested_at : null;
  let marker = b.outputs["review_marker"] ?? "";
  const r = b.accountReview;
  const sent =
    r?.action === "changes" &&
    (markerPart(marker, "c") === r.marker || (comment !== null && comment === r.note));
  if (sent && r) marker = withMarker(marker, "c", r.marker);
  const values: Record<string, string | null> = {};
  if (account) {
    values["account_correction_message"] = comment;
    values["account_correction_requested_at"] = askedAt;
  }
  if (marker !== (b.outputs["review_marker"] ?? "")) values["review_marker"] = marker;
  if (Object.keys(values).length > 0) notes.push({ kind: "remote", row: b.row, values });
  if (!r) return { op: null, notes };
  if (view.type === "videos_only") {
    const noAccount = finding("no_account_to_review", undefined, { bundleType: view.type });
    return { op: null, notes: [...notes, { kind: "info", row: b.row, finding: noAccount }] };
  }
  const verdict = judge("account", r, accountStatus(view) ?? "pending", sent, askedAt ?? "");
  if (verdict.note) notes.push({ kind: "info", row: b.row, finding: verdict.note });
  if (verdict.send === null) return { op: null, notes };
  const base = { bundleRef: b.bundleRef, bundleId: view.bundleId, rows: [b.row.id], cost: 0 };
  const op: PlanOp =
    verdict.send === "finalize"
      ? {
          kind: "finalizeAccount",
          id: `${b.bundleRef}:finalizeAccount`,
          ...base,
          ...reasoned("review_approve", { what: "account", position: null }),
        }
      : {
          kind: "requestAccountCorrections",
          id: `${b.bundleRef}:requestAccountCorrections`,
          ...base,
          ...reasoned("review_changes", { what: "account", position: null, note: r.note ?? "" }),
          comment: r.note ?? "",
          fields: correctionFields(r.fields),
          marker: r.marker,
        };
  return { op, notes };
}
