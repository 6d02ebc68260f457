/**
 * One run as the run history keeps it: what a person asks afterwards (when, which campaign, how did the
 * rows end, what did it cost, which rows failed and with which code, how did the command exit). Pure:
 * built from the run's summary (src/service/run-summary.ts) and, when the run got that far, its report.
 */
import type { RunReport, SyncStatus } from "../sync/types.ts";
import type { RunSummary } from "./run-summary.ts";

/** Rows in error or locked kept per record (the count says how many there were in all). */
export const MAX_RECORD_ERRORS = 20;

export interface RecordedRowError {
  table: string;
  rows: number[];
  outcome: SyncStatus;
  /** The finding code (docs/sheet-format.md), null when the row's message has none. */
  code: string | null;
  column: string | null;
  message: string;
}

export interface RunRecord {
  /** The record's format, for readers of older files. */
  v: 1;
  campaign: string;
  /**
   * `cron`: a tick of the service; `sync`: a run by hand; `webhook`: the service's refresh after TokPortal
   * events; `manual`: the service asked to run now.
   */
  trigger: "cron" | "sync" | "webhook" | "manual";
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The run's mode; null when it failed before reading the sheet. */
  mode: RunReport["mode"] | null;
  /** `ok`: the run finished (rows may have failed: see counts and errors); `failed`: an error ended it. */
  status: "ok" | "failed";
  stopped: boolean;
  counts: Record<SyncStatus, number> | null;
  creditsCharged: number;
  deferred: { bundles: number; cost: number };
  /** TokPortal calls (retries not counted) and 429 answers received. */
  calls: number;
  rateLimited: number;
  /** Rows in error or locked, and the first MAX_RECORD_ERRORS of them. */
  errorRows: number;
  errors: RecordedRowError[];
  /** The error that ended the run, one line (status `failed`). */
  error: string | null;
  exitCode: number;
}

export interface RecordContext {
  campaign: string;
  trigger: RunRecord["trigger"];
  exitCode: number;
}

export function runRecordOf(summary: RunSummary, report: RunReport | null, ctx: RecordContext): RunRecord {
  const failing = (report?.rows ?? []).filter((r) => r.outcome === "error" || r.outcome === "locked");
  return {
    v: 1,
    campaign: ctx.campaign,
    trigger: ctx.trigger,
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    durationMs: summary.durationMs,
    mode: report?.mode ?? null,
    status: summary.status,
    stopped: summary.stopped,
    counts: summary.counts,
    creditsCharged: summary.creditsCharged,
    deferred: summary.deferred,
    calls: summary.calls,
    rateLimited: summary.rateLimited,
    errorRows: failing.length,
    errors: failing.slice(0, MAX_RECORD_ERRORS).map((r) => ({
      table: r.row.table,
      rows: r.row.rowNumbers,
      outcome: r.outcome,
      code: r.code ?? null,
      column: r.column ?? null,
      message: r.message,
    })),
    error: summary.error,
    exitCode: ctx.exitCode,
  };
}

/** True for a value read back from a file that has what a record needs to be shown. */
export function isRunRecord(v: unknown): v is RunRecord {
  const r = v as Partial<RunRecord> | null;
  return (
    typeof r === "object" &&
    r !== null &&
    r.v === 1 &&
    typeof r.campaign === "string" &&
    typeof r.startedAt === "string" &&
    typeof r.finishedAt === "string" &&
    Number.isFinite(Date.parse(r.startedAt))
  );
}
