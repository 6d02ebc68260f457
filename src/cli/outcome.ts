/**
 * Which exit code a run's outcome or an error gets (codes in src/exit-codes.ts).
 */
import { TokPortalError } from "../api/errors.ts";
import { ConfigError } from "../config/errors.ts";
import { EXIT, type ExitCode, runExitCode } from "../exit-codes.ts";
import { CsvSourceError, SourceError } from "../sources/index.ts";
import { waitsForCredits as waitsForCreditsOf } from "../sync/credit-wait.ts";
import type { RunReport } from "../sync/types.ts";

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

export function waitsForCredits(report: RunReport): boolean {
  const deferred = report.mode === "analytics" ? 0 : report.plan.totals.deferred.bundles.length;
  return waitsForCreditsOf(deferred, report.rows);
}

export function exitCodeForReport(report: RunReport): ExitCode {
  return runExitCode({ authRefused: false, waitsForCredits: waitsForCredits(report), counts: report.counts });
}
