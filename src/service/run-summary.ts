/**
 * One run of the service as a small JSON object: what the run's log line carries and what `/last-run`
 * answers. Pure: built from the RunReport (or the error that ended the run) and the next tick.
 */
import type { RunReport, SyncStatus } from "../sync/types.ts";

/** A row that did not sync, as it appears in the summary (at most MAX_PROBLEM_ROWS of them). */
export interface ProblemRow {
  table: string;
  rows: number[];
  outcome: SyncStatus;
  message: string;
}

export const MAX_PROBLEM_ROWS = 20;

export interface RunSummary {
  /** `ok`: the run finished (some rows may still have failed: see counts); `failed`: it ended with an error. */
  status: "ok" | "failed";
  /** 1 for the service's first run, then counting. */
  run: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** True when a stop signal ended the run early (rows not started stay pending). */
  stopped: boolean;
  source: string | null;
  counts: Record<SyncStatus, number> | null;
  creditsCharged: number;
  /** Bundles left waiting for credits (budget or balance), and what they would cost. */
  deferred: { bundles: number; cost: number };
  calls: number;
  callsByOperation: Record<string, number>;
  rateLimited: number;
  cellsWritten: number;
  analytics: RunReport["analytics"];
  warnings: string[];
  problems: ProblemRow[];
  /** The error that ended the run (status `failed`), one line. */
  error: string | null;
  nextRunAt: string | null;
}

export interface SummaryContext {
  run: number;
  startedAt: Date;
  finishedAt: Date;
  stopped: boolean;
  nextRunAt: Date | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function summarizeReport(report: RunReport, ctx: SummaryContext): RunSummary {
  const problems = report.rows
    .filter((r) => r.outcome === "error" || r.outcome === "locked" || r.outcome === "pending")
    .slice(0, MAX_PROBLEM_ROWS)
    .map((r) => ({ table: r.row.table, rows: r.row.rowNumbers, outcome: r.outcome, message: r.message }));
  return {
    status: "ok",
    run: ctx.run,
    startedAt: ctx.startedAt.toISOString(),
    finishedAt: ctx.finishedAt.toISOString(),
    durationMs: ctx.finishedAt.getTime() - ctx.startedAt.getTime(),
    stopped: ctx.stopped,
    source: report.source,
    counts: report.counts,
    creditsCharged: report.creditsCharged,
    deferred:
      report.mode === "analytics"
        ? { bundles: 0, cost: 0 }
        : { bundles: report.plan.totals.deferred.bundles.length, cost: report.plan.totals.deferred.cost },
    calls: Object.values(report.calls).reduce((a, b) => a + b, 0),
    callsByOperation: report.calls,
    rateLimited: report.rateLimited,
    cellsWritten: report.write?.cellsWritten ?? 0,
    analytics: report.analytics ?? null,
    warnings: report.warnings ?? [],
    problems,
    error: null,
    nextRunAt: iso(ctx.nextRunAt),
  };
}

export function summarizeFailure(message: string, ctx: SummaryContext): RunSummary {
  return {
    status: "failed",
    run: ctx.run,
    startedAt: ctx.startedAt.toISOString(),
    finishedAt: ctx.finishedAt.toISOString(),
    durationMs: ctx.finishedAt.getTime() - ctx.startedAt.getTime(),
    stopped: ctx.stopped,
    source: null,
    counts: null,
    creditsCharged: 0,
    deferred: { bundles: 0, cost: 0 },
    calls: 0,
    callsByOperation: {},
    rateLimited: 0,
    cellsWritten: 0,
    analytics: null,
    warnings: [],
    problems: [],
    error: message,
    nextRunAt: iso(ctx.nextRunAt),
  };
}
