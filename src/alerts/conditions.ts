/**
 * The pure core of alerts: from what one run found (its facts) and what was open before (the state), the
 * conditions open now, and those that opened and closed with this run. A family of conditions the run
 * could not observe (rows, when the run failed before reading the sheet; the balance, when it was not
 * read) is carried over as it was: not knowing is not recovering.
 */
import type { RunRecord } from "../service/run-record.ts";
import { waitsForCredits } from "../sync/credit-wait.ts";
import type { RunReport } from "../sync/types.ts";
import type { AlertCode, AlertRow, OpenCondition } from "./codes.ts";

export interface AlertSettings {
  /** Rows pending longer than this (ms) open `row_pending_long`; null: never. */
  pendingAfterMs: number | null;
  /** The text the setting was written as ("6h"), for the words. */
  pendingAfter: string | null;
  balanceBelow: number | null;
  expiringWithinDays: number | null;
}

export interface CreditExpiration {
  amount: number;
  expiresAt: string;
}

/** What the balance read told (either part may be unknown). */
export interface BalanceFacts {
  total: number | null;
  /** `upcoming_expirations`; null when the answer did not carry them. */
  expirations: CreditExpiration[] | null;
}

export interface RunFacts {
  at: string;
  /** The one-line error that ended the run; null when it finished. */
  error: string | null;
  /** Every row's outcome; null when the run did not get that far. */
  rows: Array<AlertRow & { outcome: string }> | null;
  /** Work waiting for credits; null when not known this run. */
  waiting: { bundles: number; cost: number; rows: number } | null;
  balance: BalanceFacts | null;
}

export interface AlertState {
  v: 1;
  open: Record<string, OpenCondition>;
  /** When each row still pending was first seen pending. */
  pendingSince: Record<string, string>;
  /** When the balance was last read (the read is spaced out: src/alerts/balance.ts). */
  balanceReadAt: string | null;
}

export const emptyState = (): AlertState => ({ v: 1, open: {}, pendingSince: {}, balanceReadAt: null });

export interface Evaluation {
  state: AlertState;
  opened: OpenCondition[];
  recovered: OpenCondition[];
}

/** The facts of a run, from its record and (when it got that far) its report. */
export function runFactsOf(
  record: RunRecord,
  report: RunReport | null,
  balance: BalanceFacts | null,
): RunFacts {
  const planned = report !== null && report.mode !== "analytics";
  const rows = planned
    ? report.rows.map((r) => ({
        id: r.row.id,
        table: r.row.table,
        rowNumbers: r.row.rowNumbers,
        column: r.column ?? null,
        findingCode: r.code ?? null,
        message: r.message,
        outcome: r.outcome,
      }))
    : null;
  let waiting: RunFacts["waiting"] = null;
  if (planned) {
    const deferred = report.plan.totals.deferred;
    const waits = waitsForCredits(deferred.bundles.length, report.rows);
    waiting = waits
      ? {
          bundles: deferred.bundles.length,
          cost: deferred.cost,
          rows: report.rows.filter((r) => waitsForCredits(0, [r])).length,
        }
      : { bundles: 0, cost: 0, rows: 0 };
  }
  // A stopped run leaves rows pending that are not: its rows say nothing about the sheet.
  const seen = record.stopped ? null : rows;
  return {
    at: record.finishedAt,
    error: record.status === "failed" ? record.error : null,
    rows: seen,
    waiting,
    balance,
  };
}

const rowOf = (r: AlertRow): AlertRow => ({
  id: r.id,
  table: r.table,
  rowNumbers: r.rowNumbers,
  column: r.column,
  findingCode: r.findingCode,
  message: r.message,
});

/** The conditions of each family the facts observed (a family absent from the map was not observed). */
function observed(facts: RunFacts, s: AlertSettings, pendingSince: Record<string, string>) {
  const families = new Map<AlertCode, OpenCondition[]>();
  const at = facts.at;
  const one = (code: AlertCode, params: OpenCondition["params"]): OpenCondition[] => [
    { key: code, code, since: at, params },
  ];
  families.set("run_failed", facts.error !== null ? one("run_failed", { error: facts.error }) : []);
  if (facts.rows) {
    for (const outcome of ["error", "locked"] as const) {
      const code: AlertCode = outcome === "error" ? "row_error" : "row_locked";
      families.set(
        code,
        facts.rows
          .filter((r) => r.outcome === outcome)
          .map((r) => ({ key: `${code}:${r.id}`, code, since: at, params: {}, row: rowOf(r) })),
      );
    }
    if (s.pendingAfterMs !== null) {
      const limit = s.pendingAfterMs;
      families.set(
        "row_pending_long",
        facts.rows
          .filter((r) => r.outcome === "pending")
          .filter((r) => Date.parse(at) - Date.parse(pendingSince[r.id] ?? at) >= limit)
          .map((r) => ({
            key: `row_pending_long:${r.id}`,
            code: "row_pending_long" as const,
            since: at,
            params: { after: s.pendingAfter },
            row: rowOf(r),
          })),
      );
    }
  }
  if (facts.waiting) {
    const w = facts.waiting;
    families.set("credits_waiting", w.bundles > 0 || w.rows > 0 ? one("credits_waiting", { ...w }) : []);
  }
  const total = facts.balance?.total ?? null;
  if (s.balanceBelow !== null && total !== null) {
    families.set(
      "balance_low",
      total < s.balanceBelow ? one("balance_low", { balance: total, threshold: s.balanceBelow }) : [],
    );
  }
  const expirations = facts.balance?.expirations ?? null;
  if (s.expiringWithinDays !== null && expirations !== null) {
    const horizon = Date.parse(at) + s.expiringWithinDays * 86_400_000;
    const soon = expirations
      .filter((e) => e.amount > 0 && Date.parse(e.expiresAt) <= horizon)
      .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
    const amount = soon.reduce((sum, e) => sum + e.amount, 0);
    families.set(
      "credits_expiring",
      soon.length > 0
        ? one("credits_expiring", {
            amount,
            days: s.expiringWithinDays,
            first: (soon[0] as CreditExpiration).expiresAt.slice(0, 10),
          })
        : [],
    );
  }
  return families;
}

/** Codes whose setting is off: their conditions leave the state without a message. */
function disabled(s: AlertSettings): Set<AlertCode> {
  const off = new Set<AlertCode>();
  if (s.pendingAfterMs === null) off.add("row_pending_long");
  if (s.balanceBelow === null) off.add("balance_low");
  if (s.expiringWithinDays === null) off.add("credits_expiring");
  return off;
}

function nextPendingSince(facts: RunFacts, prev: Record<string, string>): Record<string, string> {
  if (!facts.rows) return prev;
  const out: Record<string, string> = {};
  for (const r of facts.rows) if (r.outcome === "pending") out[r.id] = prev[r.id] ?? facts.at;
  return out;
}

export function evaluate(prev: AlertState, facts: RunFacts, settings: AlertSettings): Evaluation {
  const pendingSince = nextPendingSince(facts, prev.pendingSince);
  const families = observed(facts, settings, pendingSince);
  const off = disabled(settings);
  const open: Record<string, OpenCondition> = {};
  const opened: OpenCondition[] = [];
  const recovered: OpenCondition[] = [];
  for (const [key, c] of Object.entries(prev.open)) {
    if (off.has(c.code)) continue;
    const now = families.get(c.code);
    if (!now) open[key] = c;
    else if (!now.some((n) => n.key === key)) recovered.push(c);
  }
  for (const conditions of families.values()) {
    for (const c of conditions) {
      const before = prev.open[c.key];
      if (before && !off.has(before.code)) open[c.key] = before;
      else {
        open[c.key] = c;
        opened.push(c);
      }
    }
  }
  return { state: { ...prev, open, pendingSince }, opened, recovered };
}
