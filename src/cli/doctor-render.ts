/**
 * The doctor's report: one JSON document (for `--json`, and the file `--save` writes for a bug report) and
 * the table people read. Both are made from codes, field names and types only: no key, no account data.
 */

import {
  type CheckResult,
  type Counts,
  countOutcomes,
  type Finding,
  type Outcome,
} from "../doctor/checks.ts";
import { describeResult, titleOf } from "../doctor/words.ts";
import { type Palette, palette } from "./color.ts";

export type Target = "production" | "sandbox" | "custom";

export interface ReportCheck {
  code: string;
  title: string;
  outcome: Outcome;
  found: string;
  action: string;
  status?: number | null;
  findings: Finding[];
  shape?: unknown;
}

export interface DoctorReport {
  report: "tokportal-sync doctor";
  format: 1;
  tool_version: string;
  generated_at: string;
  target: Target;
  exit_code: number;
  counts: Counts;
  checks: ReportCheck[];
}

export function buildReport(
  results: readonly CheckResult[],
  meta: { toolVersion: string; target: Target; exitCode: number; now?: Date },
): DoctorReport {
  return {
    report: "tokportal-sync doctor",
    format: 1,
    tool_version: meta.toolVersion,
    generated_at: (meta.now ?? new Date()).toISOString(),
    target: meta.target,
    exit_code: meta.exitCode,
    counts: countOutcomes(results),
    checks: results.map((r) => {
      const words = describeResult(r);
      return {
        code: r.code,
        title: titleOf(r.code),
        outcome: r.outcome,
        found: words.found,
        action: words.action,
        ...(r.status !== undefined ? { status: r.status } : {}),
        findings: r.findings,
        ...(r.shape !== undefined ? { shape: r.shape } : {}),
      };
    }),
  };
}

type Colors = Pick<Palette, "green" | "yellow" | "red" | "bold" | "dim">;

const MARKS: Record<Outcome, { mark: string; color: keyof Colors }> = {
  ok: { mark: "✓", color: "green" },
  differs: { mark: "!", color: "yellow" },
  unreadable: { mark: "✗", color: "red" },
  failed: { mark: "✗", color: "red" },
  key_refused: { mark: "✗", color: "red" },
  refused: { mark: "·", color: "dim" },
  not_checked: { mark: "-", color: "dim" },
};

/** The widest "found" column before an action moves to a line of its own. */
const MAX_FOUND = 46;

export function formatHeader(where: string, options: { color?: boolean } = {}): string {
  const c = palette(!!options.color);
  return [
    c.bold("tokportal-sync doctor: does TokPortal answer the way the sync expects?"),
    `TokPortal: ${where}`,
    c.dim("Reads, and every kind of write the sync makes sent as a dry run (X-TokPortal-Dry-Run: true):"),
    c.dim("nothing is created, changed or charged."),
    "",
    "",
  ].join("\n");
}

const LINE_WIDTH = 110;

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Rows of the table: consecutive checks not sent for the same reason share one row. */
function rowsOf(checks: readonly ReportCheck[]): Array<{ first: ReportCheck; titles: string[] }> {
  const rows: Array<{ first: ReportCheck; titles: string[] }> = [];
  for (const k of checks) {
    const last = rows.at(-1);
    if (
      last &&
      k.outcome === "not_checked" &&
      last.first.outcome === "not_checked" &&
      last.first.found === k.found
    )
      last.titles.push(k.title);
    else rows.push({ first: k, titles: [k.title] });
  }
  return rows;
}

export function formatTable(report: DoctorReport, options: { color?: boolean } = {}): string {
  const c: Colors = palette(!!options.color);
  const rows = rowsOf(report.checks);
  const titleOfRow = (r: { titles: string[] }) =>
    r.titles.length === 1 ? (r.titles[0] ?? "") : `${r.titles.length} checks`;
  const titleWidth = Math.max(5, ...rows.map((r) => titleOfRow(r).length));
  const foundWidth = Math.min(MAX_FOUND, Math.max(6, ...report.checks.map((k) => k.found.length)));
  const indent = `    ${" ".repeat(titleWidth)}  `;
  const lines = [
    c.bold(`    ${"check".padEnd(titleWidth)}  ${"result".padEnd(foundWidth)}  what the sync does`),
  ];
  for (const row of rows) {
    const k = row.first;
    const m = MARKS[k.outcome];
    const mark = c[m.color](m.mark);
    const found = k.outcome === "ok" ? c.green(k.found) : k.found;
    const pad = " ".repeat(Math.max(0, foundWidth - k.found.length));
    const head = `  ${mark} ${titleOfRow(row).padEnd(titleWidth)}  ${found}`;
    if (!k.action) lines.push(head);
    else if (k.found.length <= foundWidth) lines.push(`${head}${pad}  ${k.action}`);
    else lines.push(head, `${indent}${" ".repeat(foundWidth)}  ${k.action}`);
    if (row.titles.length > 1)
      for (const line of wrap(`(${row.titles.join(", ")})`, LINE_WIDTH - indent.length))
        lines.push(c.dim(`${indent}${line}`));
  }
  return `${lines.join("\n")}\n`;
}

/** The closing lines: the verdict, and what to do next. */
export function formatVerdict(report: DoctorReport, options: { color?: boolean } = {}): string {
  const c = palette(!!options.color);
  const n = report.counts;
  const tally = [
    `${n.ok} ok`,
    n.refused ? `${n.refused} refused as things are` : "",
    n.not_checked ? `${n.not_checked} not checked` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const lines = [""];
  if (report.exit_code === 3) {
    lines.push(
      c.red("TokPortal refused the API key."),
      "Check TOKPORTAL_API_KEY (copy it again from TokPortal's settings; sync needs a key that can write).",
    );
  } else if (report.checks.length === 1 && report.checks[0]?.outcome === "failed") {
    lines.push(
      c.red("TokPortal could not be reached."),
      "Check the network, and TOKPORTAL_BASE_URL or tokportal.base_url if you set one; then run doctor again.",
    );
  } else if (report.exit_code === 0) {
    lines.push(c.green(`Everything the sync needs is there (${tally}).`));
    if (report.checks.some((k) => k.findings.some((f) => f.code === "no_bundle")))
      lines.push("Some writes need a bundle: run doctor again after your first sync to check them too.");
    lines.push("Next: tokportal-sync validate, then tokportal-sync plan.");
  } else {
    const off = report.checks.filter((k) => ["differs", "unreadable", "failed"].includes(k.outcome));
    lines.push(
      c.yellow(`The sync will do less than usual: ${off.map((k) => k.title).join(", ")} (see above).`),
      "To report it: tokportal-sync doctor --save doctor-report.json (no key, no account data) and attach the file.",
    );
  }
  return `${lines.join("\n")}\n`;
}
