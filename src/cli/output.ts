/**
 * What `sync` prints: a short summary of a RunReport for people (pure; colours only when the terminal
 * takes them), and error lines that never carry the API key.
 */
import { scrubSecrets } from "../api/errors.ts";
import type { RowResult, RunReport, SyncStatus } from "../sync/types.ts";
import { plural } from "../words.ts";
import { type Palette, palette } from "./color.ts";

type Colors = Pick<Palette, "green" | "yellow" | "red" | "bold" | "dim">;

/** Rows listed one by one in the summary; the rest are counted. */
export const MAX_LISTED_ROWS = 20;

const ORDER: readonly SyncStatus[] = ["synced", "pending", "locked", "error", "skipped"];

function rowLine(r: RowResult, c: Colors): string {
  const mark = r.outcome === "error" || r.outcome === "locked" ? c.red : c.yellow;
  const where =
    r.row.rowNumbers.length > 0 ? `${r.row.table} row ${r.row.rowNumbers.join(", ")}` : r.row.table;
  // Messages from the engine already name the row ("Row 7, column …"); then the table is enough.
  const prefix = /^rows? \d/i.test(r.message) ? r.row.table : where;
  return `  ${mark(r.outcome.padEnd(7))} ${prefix}: ${r.message || "(no message)"}`;
}

export function formatSummary(report: RunReport, options: { color?: boolean } = {}): string {
  const c: Colors = palette(!!options.color);
  const total = report.rows.length;
  const counts = ORDER.filter((s) => report.counts[s] > 0).map((s) => {
    const text = `${report.counts[s]} ${s}`;
    return s === "synced" ? c.green(text) : s === "error" || s === "locked" ? c.red(text) : c.yellow(text);
  });
  const calls = Object.values(report.calls).reduce((a, b) => a + b, 0);
  // An analytics-only run planned nothing: no balance, budget or waiting bundles to show.
  const totals = report.mode === "analytics" ? null : report.plan.totals;
  const lines: string[] = [];
  lines.push(c.bold(`${report.mode === "apply" ? "Sync" : "Plan"} of ${report.source}`));
  lines.push(`  rows:     ${plural(total, "row")}${counts.length ? `: ${counts.join(", ")}` : ""}`);
  const balance = totals?.balance == null ? "" : ` (balance before ${totals.balance})`;
  const budget = totals?.maxCredits == null ? "" : `, max_credits ${totals.maxCredits}`;
  lines.push(`  credits:  ${report.creditsCharged} charged${balance}${budget}`);
  if (totals && totals.deferred.bundles.length > 0) {
    lines.push(
      c.yellow(
        `  waiting:  ${plural(totals.deferred.bundles.length, "bundle")} for ${totals.deferred.cost} more credits: ${totals.deferred.bundles.join(", ")}`,
      ),
    );
  }
  lines.push(`  calls:    ${plural(calls, "TokPortal call")}, ${report.rateLimited} rate-limited (429)`);
  if (report.write) {
    const notFound =
      report.write.rowsNotFound > 0 ? `, ${report.write.rowsNotFound} rows no longer found` : "";
    lines.push(
      `  results:  ${plural(report.write.cellsWritten, "cell")} written to ${report.source}${notFound}`,
    );
  }
  if (report.analytics) lines.push(`  analytics: ${analyticsLine(report.analytics)}`);
  lines.push(`  time:     ${(report.durationMs / 1000).toFixed(1)} s`);
  // Orphans, rows no longer found, unreadable analytics, ignored columns: what no row shows.
  if (report.warnings.length > 0) {
    lines.push("", c.bold("Warnings:"));
    for (const w of report.warnings) lines.push(c.yellow(`  ${w}`));
  }
  const notSynced = report.rows.filter(
    (r) => r.outcome !== "synced" && (r.outcome !== "skipped" || r.message),
  );
  if (notSynced.length > 0) {
    lines.push("", c.bold("Rows not synced:"));
    for (const r of notSynced.slice(0, MAX_LISTED_ROWS)) lines.push(rowLine(r, c));
    if (notSynced.length > MAX_LISTED_ROWS) lines.push(`  … and ${notSynced.length - MAX_LISTED_ROWS} more`);
  }
  return `${lines.join("\n")}\n`;
}

/** Where the analytics came from; an unknown source (a newer engine) is shown as it is. */
const ANALYTICS_SOURCE: Record<string, string> = {
  export: "read from TokPortal's analytics export",
  account_videos: "read account by account (the plan tier refused the export)",
  video: "read video by video (the plan tier refused the export)",
  none: "nothing measured",
};

function analyticsLine(a: NonNullable<RunReport["analytics"]>): string {
  const how = ANALYTICS_SOURCE[a.source] ?? a.source;
  return `${how} (${plural(a.calls, "call")})${a.note ? `. ${a.note}` : ""}`;
}

/** Removes the API key (and anything key-shaped) from text bound for a terminal or a log. */
export function redact(text: string, apiKey: string | null): string {
  const scrubbed = scrubSecrets(text);
  return apiKey && apiKey.length >= 8 ? scrubbed.split(apiKey).join("***") : scrubbed;
}
