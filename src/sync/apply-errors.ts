/**
 * TokPortal's failures in words a sheet user can act on: which step, what TokPortal said (message and
 * code), the column when the error names one, and whether fixing the row or simply waiting for the next
 * run is what helps. Pure functions of the error.
 */
import { sameCode, TokPortalError, TokPortalWaitTooLongError } from "../api/errors.ts";
import { columnOfField } from "./field-columns.ts";
import type { OpKind, RowRef, SyncStatus } from "./types.ts";

/** What a failure does to a row: its outcome, the column at fault (if known) and the words after "Row N…:". */
export interface Failure {
  outcome: SyncStatus;
  column?: string;
  text: string;
}

/** What each step does, as a sheet user would say it. */
export const STEP_WORDS: Record<OpKind, string> = {
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
};

/** "Row 7", "Rows 7, 8, 9", or "Row 7, column description". */
export function rowWhere(row: RowRef, column?: string): string {
  const numbers = row.rowNumbers;
  const head =
    numbers.length === 0
      ? "Row ?"
      : numbers.length === 1
        ? `Row ${numbers[0]}`
        : `Rows ${numbers.join(", ")}`;
  return column ? `${head}, column ${column}` : head;
}

/** 401s and auth-coded 403s: the key itself is refused, so no later call can succeed either. */
export function isAuthFailure(error: unknown): error is TokPortalError {
  return (
    error instanceof TokPortalError &&
    (error.status === 401 || (error.status === 403 && error.code.toUpperCase().startsWith("AUTH_")))
  );
}

/** TokPortal's own sentence, without the client's `operationId:` prefix and `[CODE, HTTP …]` suffix. */
export function serverMessage(error: TokPortalError): string {
  let text = error.message;
  const prefix = `${error.operationId}: `;
  if (text.startsWith(prefix)) text = text.slice(prefix.length);
  return text.replace(/\s*\[[^\]]*\]\s*$/, "").trim();
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/** "TokPortal says: <message> (code X)", the part every refusal shares. */
function says(message: string, code: string): string {
  const m = message.replace(/\.$/, "");
  return `TokPortal says: ${m} (code ${code})`;
}

/**
 * The words for an error code and its details, shared by whole-call errors and per-item batch errors.
 * `status` is null for a batch item (the HTTP status belongs to the whole call); `kind` is the step, which
 * tells what a field TokPortal names is called in the sheet.
 */
export function describeCode(
  code: string,
  message: string,
  details: Record<string, unknown>,
  status: number | null,
  kind: OpKind,
): Failure {
  // Codes are compared without regard to case (see `sameCode`): the cases below are upper case.
  switch (code.toUpperCase()) {
    case "INVALID_DATE": {
      const earliest = str(details.earliest_allowed);
      const days = num(details.min_days_ahead);
      const date = str(details.target_publish_date);
      if (earliest) {
        return {
          outcome: "error",
          column: "target_publish_date",
          text: `${date ?? "the date"} is too soon; TokPortal needs ${days ?? "more"} day(s) of lead time, so the earliest it accepts is ${earliest}. Pick ${earliest} or later.`,
        };
      }
      return {
        outcome: "error",
        column: "target_publish_date",
        text: `${says(message, code)}. Fix the date.`,
      };
    }
    case "VIDEOS_PER_DAY_EXCEEDED": {
      const date = str(details.date) ?? "that day";
      const count = num(details.current_count);
      return {
        outcome: "error",
        column: "target_publish_date",
        text: `TokPortal already has ${count ?? "the maximum of"} videos of this bundle on ${date} (at most 3 per day); pick another day.`,
      };
    }
    case "VIDEO_INVALID_STATUS": {
      const current = str(details.current_status);
      return {
        outcome: "locked",
        text: `the video is ${current ? `"${current}"` : "past the editable stage"} on TokPortal and can no longer be changed; revert the row or leave it as it is.`,
      };
    }
    case "VALIDATION_ERROR":
    case "UNKNOWN_FIELD": {
      const field = str(details.field);
      const column = field ? columnOfField(field, kind) : undefined;
      const fix = sameCode(code, "UNKNOWN_FIELD") ? "remove it" : "fix the cell";
      // TokPortal's sentence names its own field: say which column that is when the names differ.
      const named = field && column && column !== field ? `; TokPortal's ${field} is column ${column}` : "";
      return {
        outcome: "error",
        ...(column ? { column } : {}),
        text: `${says(message, `${code}${named}`)}; ${fix}.`,
      };
    }
    case "INSUFFICIENT_CREDITS": {
      const missing = num(details.missing);
      const required = num(details.required);
      const available = num(details.available);
      const parts = [
        required !== null ? `required ${required}` : null,
        available !== null ? `available ${available}` : null,
      ].filter(Boolean);
      return {
        outcome: "pending",
        text: `TokPortal has too few credits: needs ${missing ?? "more"} more credit(s)${parts.length ? ` (${parts.join(", ")})` : ""}; top up and the next run continues.`,
      };
    }
    case "DUPLICATE_EXTERNAL_REF":
      return {
        outcome: "error",
        text: `${says(message, code)}; another TokPortal bundle already uses this ref, so rename the ref.`,
      };
    default: {
      const statusWords = status === null ? "" : status === 404 ? " It no longer exists on TokPortal." : "";
      return { outcome: "error", text: `${says(message, code)}.${statusWords}` };
    }
  }
}

/** Blockers of a 409 publish, as a list a sheet user can work through. */
export function describeBlockers(details: Record<string, unknown>, fallback: string): string {
  const blockers = Array.isArray(details.blockers) ? details.blockers : [];
  const parts: string[] = [];
  for (const b of blockers) {
    if (typeof b !== "object" || b === null) continue;
    const item = b as { code?: unknown; message?: unknown; details?: unknown };
    const code = str(item.code);
    const inner = (typeof item.details === "object" && item.details !== null ? item.details : {}) as Record<
      string,
      unknown
    >;
    if (sameCode(code, "ACCOUNT_MISSING_FIELDS")) {
      const fields = Array.isArray(inner.fields) ? inner.fields.filter((f) => typeof f === "string") : [];
      const columns = fields.map((f) => columnOfField(f, "configureAccount") ?? f);
      parts.push(
        columns.length
          ? `the account profile lacks ${columns.join(", ")} (fill those columns)`
          : "the account profile is incomplete (fill username, visible_name, biography, profile_picture)",
      );
    } else if (sameCode(code, "NO_VIDEOS_CONFIGURED")) {
      parts.push("no video is configured yet (add at least one valid videos row)");
    } else if (code) {
      parts.push(`${str(item.message) ?? code} (code ${code})`);
    }
  }
  return parts.length > 0 ? parts.join("; ") : fallback;
}

/**
 * 409 codes on a publish that are not "not ready yet": a status past the point of publishing (the row is
 * locked) and a date TokPortal refuses (the row's to fix).
 */
const STATUS_REFUSALS = new Set([
  "BUNDLE_INVALID_STATUS",
  "VIDEO_INVALID_STATUS",
  "INVALID_STATUS_TRANSITION",
  "INVALID_DATE",
  "VIDEOS_PER_DAY_EXCEEDED",
]);

/**
 * A whole call's failure (after the client's retries) as a row failure. Auth failures are not described
 * here: the caller stops the run on them.
 */
export function describeError(error: unknown, kind: OpKind): Failure {
  if (!(error instanceof TokPortalError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: "error", text: `${STEP_WORDS[kind]} failed unexpectedly: ${message}` };
  }
  if (error instanceof TokPortalWaitTooLongError) return describeWaitTooLong(error);
  if (error.isCapacityCooldown) {
    const what = kind === "createBundle" ? "creation" : "publish";
    return {
      outcome: "pending",
      text: `TokPortal's ${what} capacity is cooling down; the next run retries.`,
    };
  }
  if (sameCode(error.code, "REQUEST_VALIDATION")) {
    return {
      outcome: "error",
      text: `${STEP_WORDS[kind]} was not sent: the request did not fit TokPortal's contract (${error.message}); check the row's values.`,
    };
  }
  if (error.retryable || error.kind === "network" || error.kind === "timeout") {
    const why =
      error.status !== null
        ? `HTTP ${error.status}${error.code.startsWith("HTTP_") ? "" : ` ${error.code}`}`
        : error.code === "TIMEOUT"
          ? "timed out"
          : "network error";
    const tries = error.attempts > 1 ? ` after ${error.attempts} attempts` : "";
    return { outcome: "error", text: `TokPortal did not answer (${why}${tries}); the next run retries.` };
  }
  if (error.kind === "response") {
    return {
      outcome: "error",
      text: `TokPortal's answer could not be read (${serverMessage(error)}); the next run checks again.`,
    };
  }
  if ((kind === "publishBundle" || kind === "publishVideos") && error.status === 409) {
    const code = error.code.toUpperCase();
    // A status or date refusal is described as such below; any other 409 is "not ready yet", whatever
    // code TokPortal chose (docs/tokportal-api.md §8), in TokPortal's own words: a later run passes it.
    if (!STATUS_REFUSALS.has(code)) {
      const blockers = describeBlockers(error.details, serverMessage(error) || error.code);
      return { outcome: "pending", text: `not published yet: ${blockers}.` };
    }
  }
  return describeCode(error.code, serverMessage(error), error.details, error.status, kind);
}

/** "45 s", "20 min", "2 h". */
function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

/**
 * TokPortal asked for a wait longer than the run's ceiling: nothing is wrong with the row, it waits for a
 * later run. The words say what TokPortal asked and from when progress can be expected.
 */
export function describeWaitTooLong(error: TokPortalWaitTooLongError): Failure {
  const { asked } = error;
  const wait = asked.retryAfterSeconds === null ? "to wait" : `to wait ${duration(asked.retryAfterSeconds)}`;
  const said = asked.message ? `: ${asked.message.replace(/\.$/, "")}` : "";
  const when =
    error.retryAt === null
      ? "the next run retries"
      : `expect progress from ${new Date(error.retryAt).toISOString().slice(0, 16).replace("T", " ")} UTC, when a run retries`;
  return {
    outcome: "pending",
    text: `TokPortal asked ${wait} (${asked.code}${said}), longer than this run waits (${duration(error.ceilingSeconds)}); ${when}.`,
  };
}
