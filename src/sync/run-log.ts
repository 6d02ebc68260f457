/**
 * The run log tab (`sync_runs`): one row per run that changed something or failed. Pure.
 *
 * A run is quiet when it changed nothing on TokPortal (no row changed, no credit charged) and ends as the
 * last logged run ended (same exit code, same counts, same first errors): a quiet run is not appended but
 * counted on the last row (`quiet_runs`, `last_quiet_at`), so a 15-minute cron adds a row only when
 * something happens. The first run of an empty log is always logged. Past `maxRows` data rows, the
 * oldest tenth is dropped at once (so the tab is rewritten once per tenth of the cap, not on every run).
 */
import type { ExtraTable } from "../sources/extra-tabs.ts";
import type { RowResult, RunMode, SyncStatus } from "./types.ts";

export const RUN_LOG_HEADER = [
  "started_at",
  "ended_at",
  "mode",
  "synced",
  "pending",
  "locked",
  "error",
  "skipped",
  "credits_charged",
  "tokportal_calls",
  "rate_limited",
  "errors",
  "exit_code",
  "quiet_runs",
  "last_quiet_at",
] as const;

/** Row errors the log names (code and where), past which it says how many more. */
export const LOGGED_ERRORS = 5;

export interface RunLogEntry {
  startedAt: string;
  endedAt: string;
  mode: RunMode;
  counts: Record<SyncStatus, number>;
  creditsCharged: number;
  calls: number;
  rateLimited: number;
  /** `CODE table!row`, the first few. */
  errors: string;
  exitCode: number;
  /** Something changed on TokPortal (a row changed, credits charged). */
  changed: boolean;
}

type Cell = string | number;

/** The first row errors as `CODE videos!7` (the row's code, else its status), joined by `; `. */
export function loggedErrors(rows: readonly RowResult[], max = LOGGED_ERRORS): string {
  const failed = rows.filter((r) => r.outcome === "error" || r.outcome === "locked");
  const shown = failed.slice(0, max).map((r) => {
    const where = `${r.row.table}!${r.row.rowNumbers.join(",")}`;
    return `${r.code ?? r.outcome.toUpperCase()} ${where}`;
  });
  if (failed.length > max) shown.push(`+${failed.length - max} more`);
  return shown.join("; ");
}

function entryRow(e: RunLogEntry): Cell[] {
  const c = e.counts;
  return [
    e.startedAt,
    e.endedAt,
    e.mode,
    c.synced,
    c.pending,
    c.locked,
    c.error,
    c.skipped,
    e.creditsCharged,
    e.calls,
    e.rateLimited,
    e.errors,
    e.exitCode,
    0,
    "",
  ];
}

const col = (name: (typeof RUN_LOG_HEADER)[number]): number => RUN_LOG_HEADER.indexOf(name);
/** What a quiet run must share with the last row: how the run ended. */
const OUTCOME = ["mode", "synced", "pending", "locked", "error", "skipped", "errors", "exit_code"] as const;

/** The run log's next content (header first). */
export function nextRunLog(read: ExtraTable | null, entry: RunLogEntry, maxRows: number): Cell[][] {
  const readRows = read?.rows ?? [];
  const header = readRows[0] ?? [];
  const index = RUN_LOG_HEADER.map((h) => header.indexOf(h));
  let rows: Cell[][] = readRows.slice(1).map((r) => index.map((i) => (i < 0 ? "" : (r[i] ?? ""))));
  const fresh = entryRow(entry);
  const last = rows.at(-1);
  const quiet =
    !entry.changed &&
    last !== undefined &&
    OUTCOME.every((name) => String(last[col(name)] ?? "") === String(fresh[col(name)]));
  if (quiet && last) {
    last[col("quiet_runs")] = (Number(last[col("quiet_runs")]) || 0) + 1;
    last[col("last_quiet_at")] = entry.endedAt;
  } else {
    rows.push(fresh);
    if (rows.length > maxRows) rows = rows.slice(rows.length - maxRows + Math.ceil(maxRows / 10) - 1);
  }
  return [[...RUN_LOG_HEADER], ...rows];
}
