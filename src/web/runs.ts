/**
 * A run as the pages show it, from either place runs are kept: the service's run history (records with
 * each failing row's message) or the sheet's run log (`sync_runs`, whose errors are `CODE table!row`).
 * Pure.
 */
import { EXIT } from "../exit-codes.ts";
import { CATALOGUE } from "../findings/catalogue.ts";
import type { RunRecord } from "../service/run-record.ts";
import type { ExtraTable } from "../sources/extra-tabs.ts";
import type { RUN_LOG_HEADER } from "../sync/run-log.ts";
import type { SyncStatus } from "../sync/types.ts";

export const STATUSES: readonly SyncStatus[] = ["synced", "pending", "locked", "error", "skipped"];

export interface RunError {
  table: string;
  rows: number[];
  code: string | null;
  column: string | null;
  /** The row's message when the run kept it (the run history), else null. */
  message: string | null;
}

export interface RunEntry {
  startedAt: string;
  finishedAt: string;
  /** `cron`/`sync` from the run history; `log` from the sheet's run log. */
  trigger: RunRecord["trigger"] | "log";
  status: "ok" | "failed";
  counts: Record<SyncStatus, number> | null;
  creditsCharged: number;
  calls: number;
  rateLimited: number;
  errorRows: number;
  errors: RunError[];
  error: string | null;
  exitCode: number;
  /** Runs like this one that the run log folded into it (0 for the run history). */
  quietRuns: number;
}

export function runsFromRecords(records: readonly RunRecord[]): RunEntry[] {
  return records.map((r) => ({
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    trigger: r.trigger,
    status: r.status,
    counts: r.counts,
    creditsCharged: r.creditsCharged,
    calls: r.calls,
    rateLimited: r.rateLimited,
    errorRows: r.errorRows,
    errors: r.errors.map((e) => ({
      table: e.table,
      rows: e.rows,
      code: e.code,
      column: e.column,
      message: e.message,
    })),
    error: r.error,
    exitCode: r.exitCode,
    quietRuns: 0,
  }));
}

const num = (v: string | undefined): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

/** `CODE videos!7,8; +3 more` back into errors (the `+N more` counted, not listed). */
function parseLoggedErrors(text: string): { errors: RunError[]; more: number } {
  const errors: RunError[] = [];
  let more = 0;
  for (const part of text.split(";").map((p) => p.trim())) {
    const extra = /^\+(\d+) more$/.exec(part);
    if (extra) {
      more += Number(extra[1]);
      continue;
    }
    const m = /^(\S+) ([a-z_]+)!([\d,]+)$/.exec(part);
    if (!m) continue;
    const code = m[1] as string;
    errors.push({
      table: m[2] as string,
      rows: (m[3] as string).split(",").map(Number),
      code: code in CATALOGUE ? code : null,
      column: null,
      message: null,
    });
  }
  return { errors, more };
}

export function runsFromLog(table: ExtraTable | null): RunEntry[] {
  const rows = table?.rows ?? [];
  const header = rows[0] ?? [];
  const at = (row: string[], name: (typeof RUN_LOG_HEADER)[number]) => {
    const i = header.indexOf(name);
    return i < 0 ? "" : (row[i] ?? "");
  };
  return rows.slice(1).flatMap((row) => {
    const startedAt = at(row, "started_at");
    if (!Number.isFinite(Date.parse(startedAt))) return [];
    const counts = Object.fromEntries(STATUSES.map((s) => [s, num(at(row, s))])) as Record<
      SyncStatus,
      number
    >;
    const { errors, more } = parseLoggedErrors(at(row, "errors"));
    const exitCode = num(at(row, "exit_code"));
    return [
      {
        startedAt,
        finishedAt: at(row, "last_quiet_at") || at(row, "ended_at") || startedAt,
        trigger: "log" as const,
        status: exitCode === EXIT.usage ? ("failed" as const) : ("ok" as const),
        counts,
        creditsCharged: num(at(row, "credits_charged")),
        calls: num(at(row, "tokportal_calls")),
        rateLimited: num(at(row, "rate_limited")),
        errorRows: errors.length + more,
        errors,
        error: null,
        exitCode,
        quietRuns: num(at(row, "quiet_runs")),
      },
    ];
  });
}

export type Tone = "good" | "warn" | "bad" | "idle";

/** How a run ended, in words and a tone (colour is never the only sign: the words say it too). */
export function runOutcome(run: RunEntry): { words: string; tone: Tone } {
  if (run.status === "failed") return { words: `failed: ${run.error ?? "the run stopped"}`, tone: "bad" };
  switch (run.exitCode) {
    case EXIT.ok:
      return { words: "every row synced", tone: "good" };
    case EXIT.rowsFailed:
      return { words: `${run.errorRows} rows in error or locked`, tone: "warn" };
    case EXIT.auth:
      return { words: "TokPortal refused the API key", tone: "bad" };
    case EXIT.budget:
      return { words: "work waits for credits (budget or balance)", tone: "warn" };
    case EXIT.locked:
      return { words: "skipped: another run held the sheet", tone: "warn" };
    default:
      return { words: `ended with exit code ${run.exitCode}`, tone: "bad" };
  }
}

/** The catalogue's fix for a code (docs/sheet-format.md), null for none. */
export function fixOf(code: string | null): string | null {
  if (code === null || !(code in CATALOGUE)) return null;
  return CATALOGUE[code as keyof typeof CATALOGUE].fix;
}
