/**
 * Codes of what only TokPortal's side shows: a bundle or slot in a state that refuses the change, the
 * schedule rules, slot placement, publishing that waits, and the credit budget. Found by the planner.
 */
import { plural } from "../words.ts";
import { code, type None } from "./entry.ts";
import { rowList } from "./where.ts";

function differ(columns: readonly string[]): string {
  return columns.length === 1 ? "differs" : "differ";
}

/** "title differs: TokPortal has \"x\"; biography differs: …" (the values already shown as quoted text). */
function differences(columns: readonly string[], have: readonly string[]): string {
  return columns.map((c, i) => `${c} differs: TokPortal has ${have[i]}`).join("; ");
}

/** What TokPortal still takes once a video is released to its manager, and what it does not. */
const AFTER_RELEASE =
  "TokPortal takes no new media, type or options once a video is released (only description, target_publish_date and name can still change)";

export const PLAN_CODES = {
  // ——— The bundle on TokPortal ———
  bundle_row_blocked: code<{ rows: readonly number[]; rowStatus: string }>({
    status: "error",
    meaning: "The video's bundles row is in error, locked or skipped, so nothing is done for its videos.",
    fix: "Fix the bundles row first (its own message says how).",
    text: (p) =>
      `not synced because its bundles row (${rowList(p.rows)}) is ${p.rowStatus}; fix that row first`,
  }),
  bundle_ref_ambiguous: code<{
    bundleRef: string;
    count: number;
    ids: readonly string[];
    more: number;
    seen: "bundle_row" | "video_row" | "video_without_bundle_row";
  }>({
    status: "error",
    meaning:
      "Several TokPortal bundles carry this bundle's external_ref, so the row cannot tell which is its own.",
    fix: "Ask TokPortal support to clear the duplicate external_ref, or use another bundle_ref.",
    text: (p) => {
      const ids = `${p.ids.join(", ")}${p.more > 0 ? ` and ${p.more} more` : ""}`;
      const what = `bundle_ref ${p.bundleRef} matches ${p.count} bundles on TokPortal (ids ${ids})`;
      if (p.seen === "bundle_row")
        return `${what}; ask support to clear the duplicate external_ref, or rename this row`;
      if (p.seen === "video_row") return `blocked: ${what}; see its bundles row`;
      return `${what}; ask support to clear the duplicate external_ref`;
    },
  }),
  bundle_ref_unknown: code<{ externalRef: string }>({
    status: "error",
    meaning: "Videos name a bundle_ref that has no bundles row, and TokPortal has no bundle with that ref.",
    fix: "Add a bundles row for it, or correct bundle_ref.",
    text: (p) =>
      `no bundles row and no bundle on TokPortal with external_ref ${p.externalRef}; add a bundles row or fix bundle_ref`,
  }),
  bundle_read_failed: code<{ bundleId: string; error: string }>({
    status: "error",
    meaning: "TokPortal did not answer the read of this bundle; nothing is changed for it this run.",
    fix: "Nothing: the next run tries again.",
    text: (p) =>
      `TokPortal did not answer the read of bundle ${p.bundleId} (${p.error}); nothing was changed for it this run, and the next run tries again`,
  }),
  fixed_at_creation: code<{ column: string; want: string; have: string }>({
    status: "locked",
    meaning:
      "bundle_type, platform, country and a videos_only account_id are fixed when the bundle is created.",
    fix: "Set the cell back to TokPortal's value, or use a new bundle_ref for a new bundle.",
    text: (p) =>
      `TokPortal has this bundle as ${p.have}, not ${p.want}, and a bundle's ${p.column} cannot change; set ${p.column} back to ${p.have}, or use a new bundle_ref for a new bundle`,
  }),
  settings_closed: code<{ status: string; columns: readonly string[]; have: readonly string[] }>({
    status: "locked",
    meaning:
      "The bundle is completed, cancelled or archived: TokPortal takes no more changes to its settings.",
    fix: "Set the cells back to what TokPortal has.",
    text: (p) =>
      `the bundle is already ${p.status}; TokPortal no longer accepts changes to its settings (${differences(p.columns, p.have)}). Set ${p.columns.length === 1 ? "that cell" : "those cells"} back to what TokPortal has`,
  }),
  edit_slots_lowered: code<{ have: number }>({
    status: "locked",
    meaning: "edit_slots is below what the bundle has, and bought slots cannot be removed.",
    fix: "Set edit_slots back to TokPortal's count.",
    text: (p) =>
      `TokPortal has ${plural(p.have, "edit slot")} on this bundle and bought slots cannot be removed; set edit_slots back to ${p.have}`,
  }),
  edit_slots_unknown: code<None>({
    status: "pending",
    meaning: "TokPortal's bundle does not say how many edit slots it has, so none are bought blind.",
    fix: "Check the bundle on TokPortal and buy any missing edit slots there.",
    text: () =>
      "TokPortal's bundle does not say how many edit slots it has, so no edit slot is bought; check the bundle on TokPortal and buy any missing ones there",
  }),
  edit_slots_closed: code<{ status: string; have: number }>({
    status: "locked",
    meaning: "The bundle is closed on TokPortal, which sells it no more edit slots.",
    fix: "Set edit_slots back to TokPortal's count.",
    text: (p) =>
      `the bundle is ${p.status} on TokPortal, which sells it no more edit slots (it has ${p.have}); set edit_slots back to ${p.have}`,
  }),
  video_slots_floor_met: code<{ have: number; minSlots: number }>({
    status: "info",
    meaning: "video_slots is a minimum, and the bundle already has more slots (they cannot be removed).",
    fix: "Nothing to do.",
    text: (p) =>
      `TokPortal has ${p.have} video slots on this bundle and bought slots cannot be removed, so it keeps ${p.have}; video_slots ${p.minSlots} is a minimum and is met`,
  }),
  profile_closed: code<{
    state: "bundle" | "account";
    status: string;
    columns: readonly string[];
    have: readonly string[];
  }>({
    status: "locked",
    meaning: "The bundle or its account is past the stage where TokPortal accepts profile changes.",
    fix: "Set the profile cells back to what TokPortal has.",
    text: (p) =>
      `the ${p.state} is already ${p.status}; TokPortal no longer accepts profile changes (${differences(p.columns, p.have)}). Set ${p.columns.length === 1 ? "that cell" : "those cells"} back to what TokPortal has`,
  }),

  // ——— Videos on their slots ———
  bundle_closed_for_videos: code<{ bundleRef: string; status: string }>({
    status: "locked",
    meaning:
      "A new video in a bundle that is completed, cancelled or archived: TokPortal takes no more videos in it.",
    fix: "Move the video to another bundle.",
    text: (p) =>
      `bundle ${p.bundleRef} is already ${p.status} and TokPortal no longer accepts videos in it; move this video to another bundle`,
  }),
  video_changed_bundle_closed: code<{ bundleRef: string; status: string }>({
    status: "locked",
    joined: true,
    meaning: "The row changed, but its bundle is closed and TokPortal accepts no more edits.",
    fix: "Revert the row, or use another bundle.",
    text: (p) =>
      `changed, but bundle ${p.bundleRef} is already ${p.status}; TokPortal no longer accepts edits. Revert the row or use another bundle`,
  }),
  video_differs_too_late: code<{ videoRef: string; status: string; columns: readonly string[] }>({
    status: "locked",
    joined: true,
    meaning:
      "A row without sync_fingerprint differs from its video in a column TokPortal no longer lets change: the video is released to its manager.",
    fix: "Revert the cells named, or use a new video_ref.",
    text: (p) =>
      `differs from TokPortal in ${p.columns.join(", ")}, but video ${p.videoRef} is already ${p.status}; ${AFTER_RELEASE}. Revert those cells or use a new video_ref`,
  }),
  video_changed_too_late: code<{
    videoRef: string;
    status: string;
    columns: readonly string[];
    localFile: boolean;
    /** Columns the PATCH could set that differ too, when what else changed is not shown back. */
    alsoSeen?: readonly string[];
  }>({
    status: "locked",
    joined: true,
    meaning:
      "The row changed since its last sync in a column TokPortal no longer lets change: the video is released to its manager.",
    fix: "Revert the row, or use a new video_ref (a local file only copied or touched, or a run cut short after its edit: clear sync_fingerprint).",
    text: (p) => {
      if (p.columns.length > 0) {
        return `changed (${p.columns.join(", ")} ${differ(p.columns)} from TokPortal), but video ${p.videoRef} is already ${p.status}; ${AFTER_RELEASE}. Revert the row or use a new video_ref`;
      }
      const touched = p.localFile ? ", or its local file was only copied or touched, not replaced" : "";
      const seen = p.alsoSeen ?? [];
      if (seen.length > 0) {
        return `changed: ${seen.join(", ")} ${differ(seen)} from TokPortal and could still be set, but something TokPortal does not show back changed too (its media, or an option), and video ${p.videoRef} is already ${p.status}; ${AFTER_RELEASE}. Revert that change, or use a new video_ref`;
      }
      return `changed, but video ${p.videoRef} is already ${p.status} and nothing TokPortal shows back differs: what changed (its media, or an option TokPortal does not show) cannot change after release. Revert the row or use a new video_ref; if TokPortal already has this row (a run cut short after its edit${touched}), clear its sync_fingerprint cell to accept it`;
    },
  }),
  // Edits after release (docs/tokportal-api.md §7).
  video_already_posted: code<{ videoRef: string; status: string; columns: readonly string[] }>({
    status: "locked",
    joined: true,
    meaning:
      "The row changed a column TokPortal can still store, but the video is already posted: the live post would not change.",
    fix: "Revert the cells named (the post stays as it is), or ask the manager for corrections while it is in review.",
    text: (p) =>
      `changed (${p.columns.join(", ")}), but video ${p.videoRef} is already posted (${p.status}): the live post would not change. Revert those cells, or ask for corrections while it is in review`,
  }),
  edit_slot_missing: code<{ bundleRef: string; editSlots: number; used: number }>({
    status: "error",
    meaning:
      "Editing instructions need one of the bundle's edit slots, and every edit slot is used by another video with instructions.",
    fix: "Raise edit_slots on the bundle's row (each edit slot is bought), or clear editing_instructions.",
    text: (p) =>
      `needs an edit slot, and bundle ${p.bundleRef} has ${plural(p.editSlots, "edit slot")}, ${p.used === p.editSlots ? "all" : p.used} used by other videos with instructions; raise edit_slots on its bundles row (each is bought) or clear this cell`,
  }),
  position_holds_other_video: code<{
    position: number;
    bundleRef: string;
    status: string;
    columns: readonly string[];
  }>({
    status: "error",
    meaning: "The position names a slot TokPortal no longer lets us configure, holding a different video.",
    fix: "Choose another position, or leave it blank.",
    text: (p) =>
      `slot ${p.position} of bundle ${p.bundleRef} is already ${p.status} and holds another video (its ${p.columns.join(", ")} ${differ(p.columns)} from this row); TokPortal no longer accepts edits to it, so choose another position or leave it blank`,
  }),
  slot_ref_only: code<{ position: number; status: string; name: boolean }>({
    status: "info",
    meaning:
      "The row's slot is past configuring and already holds its video: only the slot's ref (and name) are set.",
    fix: "Nothing to do.",
    text: (p) =>
      `slot ${p.position} is already ${p.status}: only its external_ref${p.name ? " and name" : ""} could be set`,
  }),
  date_too_soon: code<{ date: string; days: number; creating: boolean; earliest: string }>({
    status: "error",
    meaning:
      "The publish date is closer than the notice TokPortal needs (3 days while the account is created, else 1).",
    fix: "Move target_publish_date to the earliest date given, or later.",
    text: (p) =>
      `${p.date} is too soon: TokPortal needs ${p.days} day${p.days === 1 ? "" : "s"}' notice${p.creating ? " while the account is being created" : ""} (earliest ${p.earliest}); move the date`,
  }),
  day_full: code<{ bundleRef: string; perDay: number; date: string; taken: readonly string[] }>({
    status: "error",
    meaning: "The bundle already has as many videos on that day as TokPortal allows.",
    fix: "Move the video to another date.",
    text: (p) =>
      `bundle ${p.bundleRef} already has ${p.perDay} videos on ${p.date} (${p.taken.join(", ")}); TokPortal allows ${p.perDay} per day per bundle, so move this video to another date`,
  }),
  video_ref_on_two_slots: code<{ videoRef: string; positions: readonly number[]; bundleRef: string }>({
    status: "error",
    meaning:
      "Several slots of the bundle carry the row's video_ref, so the row cannot tell which is its video.",
    fix: "Clear the external_ref of all but one on TokPortal, or use a new video_ref.",
    text: (p) =>
      `${p.videoRef} is on slots ${p.positions.join(" and ")} of bundle ${p.bundleRef} on TokPortal, so this row cannot tell which is its video; clear the external_ref of all but one on TokPortal, or use a new video_ref`,
  }),
  position_taken: code<{ position: number; bundleRef: string; rows: readonly number[]; videoRef: string }>({
    status: "error",
    meaning: "Another row already has the slot this row's position asks for.",
    fix: "Choose another position, or leave it blank.",
    text: (p) =>
      `slot ${p.position} of bundle ${p.bundleRef} is already taken by ${rowList(p.rows)} (video_ref ${p.videoRef}); choose another position or leave it blank`,
  }),
  position_holds_row_video: code<{
    position: number;
    bundleRef: string;
    videoRef: string;
    rows: readonly number[];
  }>({
    status: "error",
    meaning: "The slot this row's position asks for holds the video of another row.",
    fix: "Choose another position, or leave it blank.",
    text: (p) =>
      `slot ${p.position} of bundle ${p.bundleRef} holds video ${p.videoRef} of ${rowList(p.rows)}; choose another position or leave it blank`,
  }),
  position_holds_closed_video: code<{
    position: number;
    bundleRef: string;
    videoRef: string;
    status: string;
  }>({
    status: "error",
    meaning: "The slot this row's position asks for holds a video TokPortal no longer lets us replace.",
    fix: "Choose another position, or leave it blank.",
    text: (p) =>
      `slot ${p.position} of bundle ${p.bundleRef} already holds video ${p.videoRef}, which is ${p.status} and can no longer be replaced; choose another position or leave it blank`,
  }),
  position_holds_orphan: code<{ position: number; bundleRef: string; videoRef: string }>({
    status: "error",
    meaning:
      "The slot this row's position asks for holds a video no row has; it is never overwritten on a position alone.",
    fix: "Choose another position or leave it blank, or free the slot first (clear its ref, or sync --prune).",
    text: (p) =>
      `slot ${p.position} of bundle ${p.bundleRef} holds video ${p.videoRef}, which no row of the sheet has, and is not overwritten; choose another position or leave it blank, or free the slot first (clear its external_ref on TokPortal, or unschedule it with sync --prune)`,
  }),
  position_kept: code<{ videoRef: string; slot: number; position: number }>({
    status: "info",
    meaning:
      "The video already has its slot on TokPortal and keeps it; a different position cell is not applied.",
    fix: "Write the slot's position, or leave position blank.",
    text: (p) =>
      `video ${p.videoRef} is on slot ${p.slot} on TokPortal and keeps it; position ${p.position} was not applied`,
  }),

  // ——— Publishing ———
  publish_waits: code<{ fields: readonly string[]; needsVideo: boolean }>({
    status: "pending",
    meaning:
      "The bundle row says publish, but TokPortal would refuse it yet (profile incomplete, or no configured video).",
    fix: "Fill the missing profile cells, and/or add a videos row for this bundle.",
    text: (p) => {
      const blockers = [...p.fields, ...(p.needsVideo ? ["a configured video"] : [])];
      const fixes: string[] = [];
      if (p.fields.length > 0) fixes.push(`fill ${p.fields.length === 1 ? "it" : "them"} in`);
      if (p.needsVideo) fixes.push("add a videos row with publish=yes for this bundle");
      return `publish waits for: ${blockers.join(", ")}; ${fixes.join(" and ")}`;
    },
  }),
  release_waits_for_bundle: code<{
    bundleRef: string;
    hint: "publish_on_tokportal" | "see_bundle_row" | "set_publish";
    rows: readonly number[];
  }>({
    status: "info",
    meaning: "The video is configured; it goes to the account manager once its bundle is published.",
    fix: "Publish the bundle (publish=yes on its bundles row).",
    text: (p) => {
      const hint =
        p.hint === "publish_on_tokportal"
          ? "publish the bundle on TokPortal"
          : p.hint === "see_bundle_row"
            ? `see its bundles row, ${rowList(p.rows)}`
            : `set publish=yes on its bundles row, ${rowList(p.rows)}`;
      return `configured; it goes to the account manager once bundle ${p.bundleRef} is published (${hint})`;
    },
  }),

  // ——— Credits ———
  over_max_credits: code<{ charge: number; left: number; maxCredits: number; total: number }>({
    status: "pending",
    meaning: "The bundle's charge does not fit under max_credits this run; it waits.",
    fix: "Raise max_credits to the amount given.",
    text: (p) =>
      `waiting for credits: this bundle costs ${p.charge}; ${p.left} left under max_credits ${p.maxCredits} (raise max_credits to ${p.total} to include it)`,
  }),
  over_balance: code<{ charge: number; left: number; balance: number; missing: number }>({
    status: "pending",
    meaning: "The bundle's charge does not fit in the workspace's credit balance; it waits.",
    fix: "Add the credits given to the workspace.",
    text: (p) =>
      `waiting for credits: this bundle costs ${p.charge}; ${p.left} left of the balance ${p.balance} (add ${p.missing} credits to include it)`,
  }),
};
