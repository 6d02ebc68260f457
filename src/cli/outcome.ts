/**
 * Which exit code a run's outcome or an error gets (codes in exit-codes.ts).
 */
import { TokPortalError } from "../api/errors.ts";
import { ConfigError } from "../config/errors.ts";
import { CsvSourceError, SourceError } from "../sources/index.ts";
import type { RunReport } from "../sync/types.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";

/** A command's own usage error (a flag or a file it names is not usable): exit 2, message as is. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Thrown when a run finds the source locked before starting. */
export class SourceLockedError extends SourceError {}

/** The first error in the cause chain that is a TokPortal auth refusal, if any. */
export function authErrorOf(err: unknown): TokPortalError | null {
  for (let e: unknown = err, n = 0; e && n < 5; e = (e as { cause?: unknown }).cause, n++) {
    if (
      e instanceof TokPortalError &&
      (e.status === 401 || e.status === 403) &&
      e.code.toUpperCase().startsWith("AUTH_")
    )
      return e;
  }
  return null;
}

/** The CSV source reports a lock held by another process as a CsvSourceError saying so (src/sources/csv.ts). */
export function isLockError(err: unknown): boolean {
  return (
    err instanceof SourceLockedError ||
    (err instanceof CsvSourceError && /is locked by another tokportal-sync process/.test(err.message))
  );
}

export function exitCodeForError(err: unknown): ExitCode {
  if (authErrorOf(err)) return EXIT.auth;
  if (isLockError(err)) return EXIT.locked;
  if ((err as { name?: unknown } | null)?.name === "RunRefusedError") {
    return (err as { reason?: unknown }).reason === "declined" ? EXIT.budget : EXIT.usage;
  }
  if (err instanceof ConfigError || err instanceof SourceError || err instanceof UsageError)
    return EXIT.usage;
  // A saved plan that is not a plan (src/sync/plan-file.ts; by name, so this module stays light).
  if ((err as { name?: unknown } | null)?.name === "PlanFileError") return EXIT.usage;
  return EXIT.rowsFailed;
}

/** A row left `pending` because the budget or the balance could not pay for it (messages from src/sync). */
const CREDIT_WAIT = /\bneeds (?:\d+|more) more credit|too few credits/i;

export function waitsForCredits(report: RunReport): boolean {
  if (report.mode !== "analytics" && report.plan.totals.deferred.bundles.length > 0) return true;
  return report.rows.some((r) => r.outcome === "pending" && CREDIT_WAIT.test(r.message));
}

export function exitCodeForReport(report: RunReport): ExitCode {
  if (waitsForCredits(report)) return EXIT.budget;
  if (report.counts.error > 0 || report.counts.locked > 0) return EXIT.rowsFailed;
  return EXIT.ok;
}
