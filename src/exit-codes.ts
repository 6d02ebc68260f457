/**
 * The exit codes of `tokportal-sync` (documented in `--help`). Scripts and CI rely on them, so each cause
 * has its own code; src/cli/outcome.ts maps a run's report or an error to one, and the run log
 * (src/sync/run-log.ts) records the same code through `runExitCode`. No imports: `--help` stays instant.
 */

export const EXIT = {
  /** Every row synced (rows pending or skipped for a reason of their own are allowed). */
  ok: 0,
  /** Some rows are in error or locked (or an unexpected failure). */
  rowsFailed: 1,
  /** Usage or config error: bad flags or config, missing API key, unreadable source. */
  usage: 2,
  /** TokPortal refused the API key. */
  auth: 3,
  /** Refused by the credit budget or the balance, or the spend was not confirmed. */
  budget: 4,
  /** Another run holds the lock on the source. */
  locked: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  every row synced (rows waiting on TokPortal, or skipped, are fine)
  1  some rows are in error or locked (their sync_message says why)
  2  usage or config error (bad option or config field, TOKPORTAL_API_KEY missing, unreadable sheet,
     a saved plan the sheet or TokPortal no longer matches)
  3  TokPortal refused the API key (missing, revoked or without the needed scope)
  4  refused by the credit budget or balance (some bundles wait for credits), or the spend was not confirmed
  5  another run holds the lock on the sheet
When several apply, the most specific wins: 3, 5, 4, then 1.`;

/**
 * The code a run that went to its end gets, from what it came to: the most specific cause wins (3 key
 * refused, 4 work waiting for credits, 1 rows in error or locked, else 0). The one place this order lives.
 */
export function runExitCode(o: {
  authRefused: boolean;
  waitsForCredits: boolean;
  counts: { error: number; locked: number };
}): ExitCode {
  if (o.authRefused) return EXIT.auth;
  if (o.waitsForCredits) return EXIT.budget;
  if (o.counts.error > 0 || o.counts.locked > 0) return EXIT.rowsFailed;
  return EXIT.ok;
}
