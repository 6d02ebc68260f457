/**
 * The one place alert codes (src/alerts/codes.ts) become words: each group's headline when it opens and
 * when it recovers, and the lines naming the first few rows.
 */
import { plural } from "../words.ts";
import type { AlertCode, AlertParams, OpenCondition } from "./codes.ts";

/** Rows named per group; the count says how many there are in all. */
export const ROWS_SHOWN = 5;

interface GroupWords {
  opened: (n: number, p: AlertParams) => string;
  recovered: (n: number, p: AlertParams) => string;
}

const num = (p: AlertParams, k: string): number => Number(p[k] ?? 0);
const str = (p: AlertParams, k: string): string => String(p[k] ?? "");

export const ALERT_WORDS: Record<AlertCode, GroupWords> = {
  run_failed: {
    opened: (_n, p) => `The run failed: ${str(p, "error")}`,
    recovered: () => "Runs succeed again.",
  },
  row_error: {
    opened: (n) => `${plural(n, "row")} newly in error:`,
    recovered: (n) => `${plural(n, "row")} no longer in error:`,
  },
  row_locked: {
    opened: (n) => `${plural(n, "row")} newly locked:`,
    recovered: (n) => `${plural(n, "row")} no longer locked:`,
  },
  row_pending_long: {
    opened: (n, p) => `${plural(n, "row")} pending for more than ${str(p, "after")}:`,
    recovered: (n) => `${plural(n, "row")} no longer pending:`,
  },
  balance_low: {
    opened: (_n, p) =>
      `The TokPortal balance is ${plural(num(p, "balance"), "credit")}, below ${num(p, "threshold")}: top up the workspace.`,
    recovered: (_n, p) => `The TokPortal balance is back at or above ${num(p, "threshold")} credits.`,
  },
  credits_expiring: {
    opened: (_n, p) =>
      `${plural(num(p, "amount"), "credit")} expire within ${plural(num(p, "days"), "day")} (the first on ${str(p, "first")}): spend or plan them.`,
    recovered: (_n, p) => `No credits expire within ${plural(num(p, "days"), "day")} any more.`,
  },
  credits_waiting: {
    opened: (_n, p) =>
      `Work waits for credits: ${plural(num(p, "bundles"), "bundle")} left out (${plural(num(p, "cost"), "credit")}), ${plural(num(p, "rows"), "row")} waiting; raise "max_credits" or top up.`,
    recovered: () => "No work waits for credits any more.",
  },
};

/** The headline of a group of conditions of one code, opened or recovered. */
export function groupHeadline(code: AlertCode, items: readonly OpenCondition[], recovered: boolean): string {
  const w = ALERT_WORDS[code];
  const params = items[0]?.params ?? {};
  return recovered ? w.recovered(items.length, params) : w.opened(items.length, params);
}

/** The lines naming a group's first rows ("videos: Row 7, column x: …"), and how many more there are. */
export function rowLines(items: readonly OpenCondition[]): string[] {
  const rows = items.filter((c) => c.row);
  const lines = rows.slice(0, ROWS_SHOWN).map((c) => `${c.row?.table}: ${c.row?.message}`);
  if (rows.length > ROWS_SHOWN) lines.push(`… and ${plural(rows.length - ROWS_SHOWN, "more row")}`);
  return lines;
}

export function messageSubject(campaign: string, opened: number, recovered: number): string {
  const parts = [opened > 0 ? plural(opened, "alert") : "", recovered > 0 ? `${recovered} recovered` : ""];
  return `tokportal-sync ${campaign}: ${parts.filter(Boolean).join(", ")}`;
}
