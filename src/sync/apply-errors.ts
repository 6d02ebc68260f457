/**
 * TokPortal's failures as findings a sheet user can act on: which step, what TokPortal said (message and
 * code), the column when the error names one, and whether fixing the row or simply waiting for the next
 * run is what helps. Pure functions of the error; the words are src/findings/codes-apply.ts's.
 */
import { CapacityCooldownError, sameCode, TokPortalError, TokPortalWaitTooLongError } from "../api/errors.ts";
import { type Finding, finding } from "../findings/index.ts";
import { columnOfField } from "./field-columns.ts";
import type { OpKind, SyncStatus } from "./types.ts";

/** What a failure does to a row: its outcome, and the finding its message is made from. */
export interface Failure {
  outcome: SyncStatus;
  finding: Finding;
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

/** Why a file could not be uploaded: the upload error's words after "could not upload <file>: ". */
export function uploadReason(error: Error & { file: string }): string {
  const prefix = `could not upload ${error.file}: `;
  const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return text.replace(/\.$/, "");
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/** `step` is said when the failure is told on the failed step's own rows (not for one batch item). */
function withStep<P extends object>(step: OpKind | undefined, params: P): P & { step?: string } {
  return step === undefined ? params : { step, ...params };
}

/**
 * The finding for an error code and its details, shared by whole-call errors and per-item batch errors.
 * `status` is null for a batch item (the HTTP status belongs to the whole call); `kind` is the step, which
 * tells what a field TokPortal names is called in the sheet; `step` is set when the row is told which
 * step failed.
 */
export function describeCode(
  code: string,
  message: string,
  details: Record<string, unknown>,
  status: number | null,
  kind: OpKind,
  step?: OpKind,
): Failure {
  const said = withStep(step, { tpCode: code, message });
  // Codes are compared without regard to case (see `sameCode`): the cases below are upper case.
  switch (code.toUpperCase()) {
    case "INVALID_DATE": {
      const earliest = str(details.earliest_allowed);
      const params = withStep(step, {
        date: str(details.target_publish_date),
        days: num(details.min_days_ahead),
      });
      return {
        outcome: "error",
        finding: earliest
          ? finding("date_too_soon_server", "target_publish_date", { ...params, earliest })
          : finding("date_refused", "target_publish_date", said),
      };
    }
    case "VIDEOS_PER_DAY_EXCEEDED":
      return {
        outcome: "error",
        finding: finding(
          "day_full_server",
          "target_publish_date",
          withStep(step, { date: str(details.date), count: num(details.current_count) }),
        ),
      };
    case "VIDEO_INVALID_STATUS":
      return {
        outcome: "locked",
        finding: finding(
          "video_status_closed",
          undefined,
          withStep(step, { current: str(details.current_status) }),
        ),
      };
    case "VALIDATION_ERROR":
    case "UNKNOWN_FIELD": {
      const field = str(details.field);
      const column = field ? columnOfField(field, kind) : undefined;
      const params = {
        ...said,
        field,
        fieldColumn: column ?? null,
        unknown: sameCode(code, "UNKNOWN_FIELD"),
      };
      return { outcome: "error", finding: finding("field_refused", column, params) };
    }
    case "INSUFFICIENT_CREDITS":
      return {
        outcome: "pending",
        finding: finding(
          "insufficient_credits",
          undefined,
          withStep(step, {
            missing: num(details.missing),
            required: num(details.required),
            available: num(details.available),
          }),
        ),
      };
    case "DUPLICATE_EXTERNAL_REF":
      return { outcome: "error", finding: finding("duplicate_external_ref", undefined, said) };
    default:
      return {
        outcome: "error",
        finding: finding("tokportal_refused", undefined, { ...said, gone: status === 404 }),
      };
  }
}

/** A 409 publish's blockers, as the parameters of `not_published_yet`. */
export function notPublishedYet(details: Record<string, unknown>, fallback: string, step?: OpKind): Finding {
  const blockers = Array.isArray(details.blockers) ? details.blockers : [];
  let missingColumns: string[] | null = null;
  let noVideos = false;
  const codes: string[] = [];
  const messages: string[] = [];
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
      missingColumns = fields.map((f) => columnOfField(f, "configureAccount") ?? f);
    } else if (sameCode(code, "NO_VIDEOS_CONFIGURED")) {
      noVideos = true;
    } else if (code) {
      codes.push(code);
      messages.push(str(item.message) ?? "");
    }
  }
  return finding(
    "not_published_yet",
    undefined,
    withStep(step, { missingColumns, noVideos, codes, messages, said: fallback }),
  );
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
 * A whole call's failure (after the client's retries) as a row failure, said on the rows of the step that
 * failed (`kind`). Auth failures are not described here: the caller stops the run on them.
 */
export function describeError(error: unknown, kind: OpKind): Failure {
  if (!(error instanceof TokPortalError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: "error", finding: finding("step_crashed", undefined, { kind, message }) };
  }
  if (error instanceof TokPortalWaitTooLongError) return describeWaitTooLong(error, kind);
  if (error.isCapacityCooldown) {
    const what = kind === "createBundle" ? "creation" : "publish";
    const known = error instanceof CapacityCooldownError;
    const params = {
      step: kind,
      what,
      message: known ? error.said : serverMessage(error),
      retryAt: known && error.retryAt !== null ? new Date(error.retryAt).toISOString() : null,
    } as const;
    return { outcome: "pending", finding: finding("capacity_cooldown", undefined, params) };
  }
  if (sameCode(error.code, "REQUEST_VALIDATION")) {
    return {
      outcome: "error",
      finding: finding("request_invalid", undefined, { kind, message: error.message }),
    };
  }
  if (error.retryable || error.kind === "network" || error.kind === "timeout") {
    const why =
      error.status !== null
        ? `HTTP ${error.status}${error.code.startsWith("HTTP_") ? "" : ` ${error.code}`}`
        : error.code === "TIMEOUT"
          ? "timed out"
          : "network error";
    return {
      outcome: "error",
      finding: finding("tokportal_unanswered", undefined, { step: kind, why, attempts: error.attempts }),
    };
  }
  if (error.kind === "response") {
    return {
      outcome: "error",
      finding: finding("answer_unreadable", undefined, { step: kind, message: serverMessage(error) }),
    };
  }
  if ((kind === "publishBundle" || kind === "publishVideos") && error.status === 409) {
    // A status or date refusal is described as such below; any other 409 is "not ready yet", whatever
    // code TokPortal chose (docs/tokportal-api.md §8), in TokPortal's own words: a later run passes it.
    if (!STATUS_REFUSALS.has(error.code.toUpperCase())) {
      return {
        outcome: "pending",
        finding: notPublishedYet(error.details, serverMessage(error) || error.code, kind),
      };
    }
  }
  return describeCode(error.code, serverMessage(error), error.details, error.status, kind, kind);
}

/**
 * TokPortal asked for a wait longer than the run's ceiling: nothing is wrong with the row, it waits for a
 * later run. The finding carries what TokPortal asked and from when progress can be expected.
 */
export function describeWaitTooLong(error: TokPortalWaitTooLongError, step?: OpKind): Failure {
  const { asked } = error;
  const params = withStep(step, {
    askedCode: asked.code,
    message: asked.message ?? "",
    retryAfterSeconds: asked.retryAfterSeconds,
    ceilingSeconds: error.ceilingSeconds,
    retryAt: error.retryAt === null ? null : new Date(error.retryAt).toISOString(),
  });
  return { outcome: "pending", finding: finding("wait_exceeds_ceiling", undefined, params) };
}
