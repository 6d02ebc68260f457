/**
 * Codes of what happens while a plan is applied: TokPortal's refusals of a step (its code and message as
 * parameters), answers that did not come or could not be read, uploads that failed, and why a bundle's
 * later steps were not run. A refusal said on the rows of the step that failed names the step (the
 * optional `step`: its op kind); a batch item's refusal does not (the batch is one step for many rows).
 */
import { plural } from "../words.ts";
import { code, type None } from "./entry.ts";

/** What each step does, as a sheet user would say it (by op kind). */
export const STEP_WORDS: Readonly<Record<string, string>> = {
  createBundle: "creating the bundle",
  addVideoSlots: "adding video slots",
  addEditSlots: "adding edit slots",
  patchBundle: "updating the bundle settings",
  configureAccount: "configuring the account profile",
  configureVideos: "configuring the videos",
  patchVideo: "updating the video's ref or name",
  publishBundle: "publishing the bundle",
  publishVideos: "releasing the videos to the manager",
  unscheduleVideo: "unscheduling the video",
  finalizeVideo: "approving the video",
  requestVideoCorrections: "asking for corrections on the video",
  finalizeAccount: "approving the account",
  requestAccountCorrections: "asking for corrections on the account",
  fixDownload: "sending the new media",
  unpublishBundle: "unpublishing the bundle",
};

function stepWords(step: string): string {
  return STEP_WORDS[step] ?? step;
}

/** "configuring the videos failed: " when the refusal is said on the failed step's own rows. */
function lead(step: string | undefined): string {
  return step === undefined ? "" : `${stepWords(step)} failed: `;
}

/** "TokPortal says: <message> (code X)", the part every refusal shares. */
function says(message: string, tpCode: string): string {
  return `TokPortal says: ${message.replace(/\.$/, "")} (code ${tpCode})`;
}

/** "45 s", "20 min", "2 h". */
function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

/** TokPortal's code and sentence, as every refusal carries them. */
type Said = { step?: string; tpCode: string; message: string };

export const APPLY_CODES = {
  // ——— TokPortal refused the step, or one item of a batch ———
  date_too_soon_server: code<{
    step?: string;
    date: string | null;
    days: number | null;
    earliest: string;
  }>({
    status: "error",
    meaning:
      "TokPortal refused target_publish_date as too soon for its lead time, and said the earliest date.",
    fix: "Pick the earliest date TokPortal gives, or later.",
    text: (p) =>
      `${lead(p.step)}${p.date ?? "the date"} is too soon; TokPortal needs ${p.days ?? "more"} day(s) of lead time, so the earliest it accepts is ${p.earliest}. Pick ${p.earliest} or later.`,
  }),
  date_refused: code<Said>({
    status: "error",
    meaning: "TokPortal refused target_publish_date without saying which date it would take.",
    fix: "Fix the date as TokPortal's message says.",
    text: (p) => `${lead(p.step)}${says(p.message, p.tpCode)}. Fix the date.`,
  }),
  day_full_server: code<{ step?: string; date: string | null; count: number | null }>({
    status: "error",
    meaning: "TokPortal already has the most videos of this bundle it takes on that day (3).",
    fix: "Pick another day.",
    text: (p) =>
      `${lead(p.step)}TokPortal already has ${p.count ?? "the maximum of"} videos of this bundle on ${p.date ?? "that day"} (at most 3 per day); pick another day.`,
  }),
  video_status_closed: code<{ step?: string; current: string | null }>({
    status: "locked",
    meaning: "The video is past the stage where TokPortal takes changes.",
    fix: "Revert the row to what TokPortal has, or leave it as it is.",
    text: (p) =>
      `${lead(p.step)}the video is ${p.current ? `"${p.current}"` : "past the editable stage"} on TokPortal and can no longer be changed; revert the row or leave it as it is.`,
  }),
  field_refused: code<Said & { field: string | null; fieldColumn: string | null; unknown: boolean }>({
    status: "error",
    meaning:
      "TokPortal refused a value (or a field it does not know); the column is named when TokPortal names the field.",
    fix: "Fix the cell (or remove a field TokPortal does not know) as TokPortal's message says.",
    text: (p) => {
      // TokPortal's sentence names its own field: say which column that is when the names differ.
      const named =
        p.field && p.fieldColumn && p.fieldColumn !== p.field
          ? `; TokPortal's ${p.field} is column ${p.fieldColumn}`
          : "";
      return `${lead(p.step)}${says(p.message, `${p.tpCode}${named}`)}; ${p.unknown ? "remove it" : "fix the cell"}.`;
    },
  }),
  insufficient_credits: code<{
    step?: string;
    missing: number | null;
    required: number | null;
    available: number | null;
  }>({
    status: "pending",
    meaning: "TokPortal refused a charged step: the workspace has too few credits.",
    fix: "Top up the credits; the next run continues.",
    text: (p) => {
      const parts = [
        p.required !== null ? `required ${p.required}` : null,
        p.available !== null ? `available ${p.available}` : null,
      ].filter(Boolean);
      return `${lead(p.step)}TokPortal has too few credits: needs ${p.missing ?? "more"} more credit(s)${parts.length ? ` (${parts.join(", ")})` : ""}; top up and the next run continues.`;
    },
  }),
  duplicate_external_ref: code<Said>({
    status: "error",
    meaning: "Another TokPortal bundle already uses this ref.",
    fix: "Rename the ref.",
    text: (p) =>
      `${lead(p.step)}${says(p.message, p.tpCode)}; another TokPortal bundle already uses this ref, so rename the ref.`,
  }),
  tokportal_refused: code<Said & { gone: boolean }>({
    status: "error",
    meaning: "TokPortal refused the step; its message and code say why.",
    fix: "Do what TokPortal's message asks; if it is unclear, ask TokPortal support with the code.",
    text: (p) =>
      `${lead(p.step)}${says(p.message, p.tpCode)}.${p.gone ? " It no longer exists on TokPortal." : ""}`,
  }),
  not_published_yet: code<{
    step?: string;
    /** Profile columns the account still lacks (TokPortal's ACCOUNT_MISSING_FIELDS), in sheet names. */
    missingColumns: readonly string[] | null;
    noVideos: boolean;
    /** Other blockers: TokPortal's code and message, in two lists of the same length. */
    codes: readonly string[];
    messages: readonly string[];
    /** TokPortal's message when it named no blocker. */
    said: string;
  }>({
    status: "pending",
    meaning: "TokPortal is not ready to publish yet (an incomplete profile, no configured video, …).",
    fix: "Complete what TokPortal names; the next run publishes.",
    text: (p) => {
      const parts: string[] = [];
      if (p.missingColumns !== null) {
        parts.push(
          p.missingColumns.length
            ? `the account profile lacks ${p.missingColumns.join(", ")} (fill those columns)`
            : "the account profile is incomplete (fill username, visible_name, biography, profile_picture)",
        );
      }
      if (p.noVideos) parts.push("no video is configured yet (add at least one valid videos row)");
      p.codes.forEach((c, i) => {
        parts.push(`${p.messages[i] || c} (code ${c})`);
      });
      return `${lead(p.step)}not published yet: ${parts.length > 0 ? parts.join("; ") : p.said}.`;
    },
  }),
  stale_rows_unpublished: code<{ step?: string; rows: readonly number[] }>({
    status: "pending",
    meaning:
      "The update of some videos rows failed in this run, and a bundle publish would release their old content.",
    fix: "Fix those rows; the next run publishes.",
    text: (p) =>
      `${lead(p.step)}not published: the update of videos row(s) ${p.rows.join(", ")} failed in this run, and publishing now would release their old content; fix those rows and the next run publishes.`,
  }),

  // ——— TokPortal did not take the call (nothing about the row is wrong) ———
  wait_exceeds_ceiling: code<{
    step?: string;
    askedCode: string;
    message: string;
    retryAfterSeconds: number | null;
    ceilingSeconds: number;
    /** When TokPortal said it takes the call again (ISO), or null when it did not say. */
    retryAt: string | null;
  }>({
    status: "pending",
    meaning: "TokPortal asked to wait longer than a run waits (wait_ceiling); the row waits for a later run.",
    fix: "Nothing: a run after the time TokPortal gave continues.",
    text: (p) => {
      const wait = p.retryAfterSeconds === null ? "to wait" : `to wait ${duration(p.retryAfterSeconds)}`;
      const said = p.message ? `: ${p.message.replace(/\.$/, "")}` : "";
      const when =
        p.retryAt === null
          ? "the next run retries"
          : `expect progress from ${p.retryAt.slice(0, 16).replace("T", " ")} UTC, when a run retries`;
      return `${lead(p.step)}TokPortal asked ${wait} (${p.askedCode}${said}), longer than this run waits (${duration(p.ceilingSeconds)}); ${when}.`;
    },
  }),
  capacity_cooldown: code<{
    step?: string;
    what: "creation" | "publish";
    /** TokPortal's own sentence (may be empty). */
    message?: string;
    /** When TokPortal said it takes the call again (ISO), or null when it did not say. */
    retryAt?: string | null;
  }>({
    status: "pending",
    meaning: "TokPortal's creation or publish capacity is cooling down.",
    fix: "Nothing: a run after the time TokPortal gave continues.",
    text: (p) => {
      const said = p.message ? ` (TokPortal: ${p.message.replace(/\.$/, "")})` : "";
      const when = p.retryAt
        ? `expect progress from ${p.retryAt.slice(0, 16).replace("T", " ")} UTC, when a run retries`
        : "the next run retries";
      return `${lead(p.step)}TokPortal's ${p.what} capacity is cooling down${said}; ${when}.`;
    },
  }),
  tokportal_unanswered: code<{ step?: string; why: string; attempts: number }>({
    status: "error",
    meaning: "TokPortal did not answer (a network error, a timeout, a server error), after the retries.",
    fix: "Nothing: the next run retries.",
    text: (p) =>
      `${lead(p.step)}TokPortal did not answer (${p.why}${p.attempts > 1 ? ` after ${p.attempts} attempts` : ""}); the next run retries.`,
  }),
  answer_unreadable: code<{ step?: string; message: string }>({
    status: "error",
    meaning: "TokPortal's answer could not be read as the contract says.",
    fix: "Nothing: the next run reads TokPortal's state again.",
    text: (p) =>
      `${lead(p.step)}TokPortal's answer could not be read (${p.message}); the next run checks again.`,
  }),
  request_invalid: code<{ kind: string; message: string }>({
    status: "error",
    meaning: "The request built from the row did not fit TokPortal's contract, so it was not sent.",
    fix: "Check the row's values.",
    text: (p) =>
      `${stepWords(p.kind)} was not sent: the request did not fit TokPortal's contract (${p.message}); check the row's values.`,
  }),
  step_crashed: code<{ kind: string; message: string }>({
    status: "error",
    meaning: "A step failed for a reason that is not TokPortal's answer.",
    fix: "Run again; if it persists, report it with the message.",
    text: (p) => `${stepWords(p.kind)} failed unexpectedly: ${p.message}`,
  }),
  api_key_refused: code<{ tpCode: string }>({
    status: "error",
    meaning: "TokPortal refused the API key; the run stopped.",
    fix: "Fix TOKPORTAL_API_KEY and run again.",
    text: (p) => `TokPortal refused the API key (${p.tpCode}); fix TOKPORTAL_API_KEY and run again.`,
  }),

  // ——— Before the call ———
  upload_failed: code<{ step?: string; file: string; reason: string }>({
    status: "error",
    meaning: "A media file could not be uploaded to TokPortal (a local file, or a carousel image URL).",
    fix: "Check the file or URL in the cell; the next run uploads it again.",
    text: (p) => `${lead(p.step)}could not upload ${p.file}: ${p.reason}.`,
  }),
  item_not_prepared: code<{ message: string }>({
    status: "error",
    meaning: "A videos row's item could not be prepared for the batch.",
    fix: "Check the row's media cells; the next run tries again.",
    text: (p) => `${p.message.replace(/\.$/, "")}.`,
  }),
  credits_short: code<{
    step: string;
    cost: number;
    missing: number;
    limit: "max_credits" | "balance";
    of: number;
  }>({
    status: "pending",
    meaning: "The step's price does not fit under max_credits or the balance that is left in this run.",
    fix: "Raise max_credits or top up the balance; the next run continues.",
    text: (p) =>
      `waiting for credits: ${stepWords(p.step)} (${p.cost} credits) needs ${plural(p.missing, "more credit")} (${p.limit} ${p.of}); ${p.limit === "max_credits" ? "raise max_credits" : "top up the balance"} and the next run continues.`,
  }),

  // ——— After the call: an answer that did not say what it did ———
  unsettled_unreadable: code<{ position: number; error: string }>({
    status: "error",
    meaning:
      "TokPortal's batch answer did not say whether the row's slot was configured, and the slots could not be read back.",
    fix: "Nothing: the next run checks it again.",
    text: (p) =>
      `TokPortal's answer did not say whether position ${p.position} was configured, and its slots could not be read back (${p.error}); the next run checks it again.`,
  }),
  unsettled_not_held: code<{ position: number; status: string | null }>({
    status: "error",
    meaning:
      "TokPortal's batch answer did not say whether the row's slot was configured, and the slot read back does not hold it.",
    fix: "Nothing: the next run sends it again.",
    text: (p) =>
      `TokPortal's answer did not say whether position ${p.position} was configured, and the slot read back does not hold this row's video (it is ${p.status ?? "missing"}); the next run sends it again.`,
  }),

  // ——— A bundle's later steps, not run ———
  stopped_key_refused: code<None>({
    status: "skipped",
    meaning: "TokPortal refused the API key during the run, so this step was not sent.",
    fix: "Fix TOKPORTAL_API_KEY and run again.",
    text: () => "not applied: TokPortal refused the API key, so the run stopped.",
  }),
  stopped_by_user: code<None>({
    status: "pending",
    meaning: "The run was stopped (Ctrl+C, a service stop) before this step.",
    fix: "Nothing: the next run does it.",
    text: () => "not applied: the run was stopped first; the next run does it.",
  }),
  earlier_step_failed: code<{
    step: string;
    bundleRef: string;
    /** The code of the earlier step's failure, and its words. */
    causeCode: string;
    cause: string;
    waiting: boolean;
  }>({
    status: "skipped",
    meaning:
      "An earlier step of the same bundle failed, so its later steps were not sent (pending when it only waits).",
    fix: "See the failed step's own message.",
    text: (p) =>
      `${p.waiting ? "waiting" : "not applied"}: ${stepWords(p.step)} for bundle ${p.bundleRef} failed first (${p.cause})`,
  }),
  earlier_step_short: code<{
    step: string;
    bundleRef: string;
    missing: number;
    limit: "max_credits" | "balance";
    of: number;
  }>({
    status: "pending",
    meaning: "An earlier step of the same bundle waits for credits, so its later steps wait too.",
    fix: "Raise max_credits or top up the balance; the next run continues.",
    text: (p) =>
      `waiting for credits: ${stepWords(p.step)} for bundle ${p.bundleRef} needs ${plural(p.missing, "more credit")} (${p.limit} ${p.of}).`,
  }),
  batch_item_failed: code<{ step: string; bundleRef: string }>({
    status: "skipped",
    meaning: "Every item of a batch failed, so the bundle's later steps were not sent.",
    fix: "See each videos row's own message.",
    text: (p) => `not applied: ${stepWords(p.step)} for bundle ${p.bundleRef} failed for every row.`,
  }),

  // ——— Said on rows that synced ———
  date_moved_by_tokportal: code<{ from: string; to: string }>({
    status: "info",
    meaning: "TokPortal moved a publish date that had become too soon when the video was released.",
    fix: "Nothing: the row shows TokPortal's new date.",
    text: (p) => `TokPortal moved the date from ${p.from} to ${p.to}: it had become too soon.`,
  }),
  bundle_adopted: code<{ externalRef: string; bundleId: string }>({
    status: "info",
    meaning:
      "TokPortal already had a bundle with this ref (an earlier run's create whose answer was lost): it was adopted, not bought again.",
    fix: "Nothing.",
    text: (p) =>
      `TokPortal already had a bundle with ref ${p.externalRef} (${p.bundleId}); it was adopted instead of creating another, and no credits were charged.`,
  }),

  // ——— plan --server-check: checked locally only ———
  needs_upload: code<{ what: "picture" | "item" | "every_item" }>({
    status: "info",
    meaning:
      "A media cell is uploaded by sync before it is sent (a local file, or a carousel image URL stored first), so a dry run cannot send it.",
    fix: "Nothing: the planner's own checks apply; sync uploads it.",
    text: (p) =>
      p.what === "picture"
        ? "the profile picture is a local file, uploaded only by sync"
        : p.what === "item"
          ? "a media cell (a local file or a carousel image URL) is uploaded only by sync"
          : "every video has media uploaded only by sync (local files or carousel image URLs)",
  }),
  bundle_not_created_yet: code<None>({
    status: "info",
    meaning:
      "The bundle does not exist yet (this plan creates it), so its steps cannot be sent as a dry run.",
    fix: "Nothing: the planner's own checks apply.",
    text: () => "the bundle does not exist yet (this plan creates it)",
  }),
};
