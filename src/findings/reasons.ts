/**
 * Why each plan op is made: a stable code and its parameters, and the words the plan shows (`reason` of
 * a PlanOp, printed by `plan` and saved in plan files as text). Listed in docs/sheet-format.md.
 */
import { plural } from "../words.ts";
import type { ParamValue } from "./entry.ts";
import { rowList } from "./where.ts";

interface ReasonEntry<P> {
  meaning: string;
  text: (p: P) => string;
}

function reasonCode<P extends Readonly<Record<string, ParamValue>>>(e: ReasonEntry<P>): ReasonEntry<P> {
  return e;
}

export const REASONS = {
  new_bundle: reasonCode<{ bundleType: string; slots: number; edits: number }>({
    meaning: "The sheet has a bundles row TokPortal does not have yet: the bundle is created (and charged).",
    text: (p) =>
      `new bundle (${p.bundleType}, ${plural(p.slots, "video slot")}${p.edits > 0 ? `, ${p.edits} edit slots` : ""})`,
  }),
  slots_for_rows: reasonCode<{ quantity: number; rows: readonly number[] }>({
    meaning: "Videos rows need slots the bundle does not have: they are bought.",
    text: (p) => `${plural(p.quantity, "more slot")} for ${rowList(p.rows)}`,
  }),
  slots_for_minimum: reasonCode<{ quantity: number; minSlots: number; have: number }>({
    meaning: "video_slots asks for more slots than the bundle has: the difference is bought.",
    text: (p) =>
      `${plural(p.quantity, "more slot")} (video_slots asks for ${p.minSlots}, TokPortal has ${p.have})`,
  }),
  edit_slots: reasonCode<{ quantity: number; want: number; have: number }>({
    meaning: "edit_slots asks for more edit slots than the bundle has: the difference is bought.",
    text: (p) =>
      `${plural(p.quantity, "more edit slot")} (edit_slots asks for ${p.want}, TokPortal has ${p.have})`,
  }),
  settings_differ: reasonCode<{ columns: readonly string[] }>({
    meaning: "title or auto_finalize_videos differ from TokPortal: the bundle is updated.",
    text: (p) => `row differs from TokPortal: ${p.columns.join(", ")}`,
  }),
  new_profile: reasonCode<Record<string, never>>({
    meaning: "A new bundle's account profile is set.",
    text: () => "new bundle: set the account profile",
  }),
  profile_changed: reasonCode<{ columns: readonly string[] }>({
    meaning: "Profile columns changed and differ from TokPortal: the profile is set again.",
    text: (p) => `row changed: ${p.columns.join(", ")}`,
  }),
  configure_videos: reasonCode<{ parts: readonly string[] }>({
    meaning: "Videos rows are configured on their slots; each part says why, for which rows.",
    text: (p) => p.parts.join("; "),
  }),
  edit_released: reasonCode<{ status: string; columns: readonly string[] }>({
    meaning:
      "A released video's description, date or name changed in the row: TokPortal still takes these, without a new configure.",
    text: (p) => `video is ${p.status}: set ${p.columns.join(", ")} in place`,
  }),
  claim_slot: reasonCode<{ position: number; status: string; videoRef: string }>({
    meaning: "A slot past configuring already holds the row's video: only its ref (and name) are set.",
    text: (p) => `slot ${p.position} is ${p.status}: set its external_ref to ${p.videoRef}`,
  }),
  publish_bundle: reasonCode<Record<string, never>>({
    meaning: "The bundles row says publish and the bundle is ready: it goes to the account manager.",
    text: () => "publish=yes and the bundle is ready: release it to the account manager",
  }),
  publish_videos: reasonCode<{ rows: readonly number[]; all: boolean; positions: readonly number[] }>({
    meaning: "Videos rows say publish on an active bundle: their slots are released.",
    text: (p) => {
      const what = p.all
        ? "every configured video"
        : `slot${p.positions.length === 1 ? "" : "s"} ${p.positions.join(", ")}`;
      return `publish=yes on ${rowList(p.rows)}: release ${what} to the account manager`;
    },
  }),
  prune: reasonCode<{ videoRef: string; position: number; status: string }>({
    meaning: "sync --prune: a slot's video is no longer in the sheet, and it is unscheduled.",
    text: (p) => `prune: video ${p.videoRef} (slot ${p.position}, ${p.status}) is no longer in the sheet`,
  }),
  // ——— Reviews, download fixes, pull backs ———
  review_approve: reasonCode<{ what: "video" | "account"; position: number | null }>({
    meaning: "review (or account_review) is approve and the work is in review: it is finalized.",
    text: (p) =>
      p.what === "video"
        ? `review=approve: finalize video #${p.position}`
        : "account_review=approve: finalize the account",
  }),
  review_changes: reasonCode<{ what: "video" | "account"; position: number | null; note: string }>({
    meaning: "review (or account_review) is changes with a note not sent before: corrections are asked.",
    text: (p) =>
      `${p.what === "video" ? `review=changes on video #${p.position}` : "account_review=changes"}: ask for corrections ("${p.note.length > 60 ? `${p.note.slice(0, 57)}…` : p.note}")`,
  }),
  fix_download: reasonCode<{ position: number }>({
    meaning:
      "TokPortal could not download a video's media and the row has new media: it is sent (fix-download).",
    text: (p) =>
      `download issue on video #${p.position}, new media in the row: send it (TokPortal moves the date to tomorrow)`,
  }),
  unpublish: reasonCode<Record<string, never>>({
    meaning:
      "publish is no on a published bundle not yet accepted: it is unpublished (destructive; no refund).",
    text: () => "publish=no on a published bundle: unpublish it (nothing is refunded)",
  }),
  unschedule_publish_no: reasonCode<{ position: number; status: string }>({
    meaning:
      "publish is no on a released video not yet accepted: it is unscheduled (destructive: the slot is cleared).",
    text: (p) => `publish=no on video #${p.position} (${p.status}): unschedule it, which clears its slot`,
  }),
};

export type ReasonCode = keyof typeof REASONS;
type ReasonParams<C extends ReasonCode> = Parameters<(typeof REASONS)[C]["text"]>[0];

/** The words of an op's reason. */
export function reasonText<C extends ReasonCode>(code: C, params: ReasonParams<C>): string {
  return (REASONS[code].text as (p: ReasonParams<C>) => string)(params);
}

/** An op's reason: its words (`reason`), and the code and parameters they are made from. */
export function reasoned<C extends ReasonCode>(
  code: C,
  params: ReasonParams<C>,
): { reason: string; reasonCode: C; reasonParams: ReasonParams<C> } {
  return { reason: reasonText(code, params), reasonCode: code, reasonParams: params };
}

/** Why a videos row is configured: one part of a configure op's reason. */
export const CONFIGURE_REASONS = {
  new_video: (_: Record<string, never>) => "new video",
  takes_slot: (p: { position: number }) => `takes slot ${p.position}`,
  row_changed: (p: { columns: readonly string[] }) =>
    p.columns.length > 0 ? `row changed: ${p.columns.join(", ")}` : "row changed",
  changed_on_tokportal: (p: { columns: readonly string[] }) =>
    `changed on TokPortal: ${p.columns.join(", ")}`,
  local_file: (_: Record<string, never>) => "no sync_fingerprint, and a local file cannot be compared",
  differs_from_tokportal: (p: { columns: readonly string[] }) =>
    `differs from TokPortal: ${p.columns.join(", ")}`,
  paid_option: (p: { item: string }) => `pays ${p.item} (first time on the video)`,
};
