/**
 * The doctor's report: one JSON document (for `--json`, and the file `--save` writes for a bug report) and
 * the table people read. Both are made from codes, field names and types only: no key, no account data.
 */

import {
  type CheckResult,
  type Counts,
  countOutcomes,
  type Finding,
  type GoogleFacts,
  type Outcome,
} from "../doctor/checks.ts";
import { describeResult, titleOf } from "../doctor/words.ts";
import type { CredentialKind, CredentialOrigin } from "../sources/google-credentials.ts";
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
  /** Google checks: the credentials used, as codes and names (never a secret). */
  google?: ReportGoogle;
}

/** What the Google checks report of the credentials and the sheet. */
export interface ReportGoogle {
  kind: CredentialKind | null;
  origin: CredentialOrigin | null;
  file: string | null;
  account: string | null;
  impersonate: string | null;
  title?: string;
  tabs?: string[];
}

function reportGoogle(g: GoogleFacts): ReportGoogle {
  const c = g.credentials;
  return {
    kind: c?.kind ?? null,
    origin: c?.origin ?? null,
    file: c?.file ?? null,
    account: c?.account ?? null,
    impersonate: c?.impersonate ?? null,
    ...(g.title !== undefined ? { title: g.title } : {}),
    ...(g.tabs !== undefined ? { tabs: g.tabs } : {}),
  };
}

/**
 * The report as `--save` writes it for a bug report: the Google checks keep their codes and the kind and
 * origin of the credentials, but not the file, the e-mails or the sheet's title (nor the words naming them).
 */
export function reportForBugReport(report: DoctorReport): DoctorReport {
  return {
    ...report,
    checks: report.checks.map((k) =>
      k.google
        ? {
            ...k,
            found: k.outcome === "ok" ? "ok" : k.findings.map((f) => f.code).join("; "),
            action: "",
            google: {
              kind: k.google.kind,
              origin: k.google.origin,
              file: null,
              account: null,
              impersonate: null,
            },
          }
        : k,
    ),
  };
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
        ...(r.google ? { google: reportGoogle(r.google) } : {}),
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

export function formatHeader(where: string, options: { color?: boolean; sheet?: string } = {}): string {
  const c = palette(!!options.color);
  const sheet = options.sheet
    ? [
        `Sheet: ${options.sheet}`,
        c.dim("  which Google credentials are used, and one read of its title and tabs (nothing written)"),
      ]
    : [];
  return [
    c.bold(
      options.sheet
        ? "tokportal-sync doctor: does the sheet open, and does TokPortal answer the way the sync expects?"
        : "tokportal-sync doctor: does TokPortal answer the way the sync expects?",
    ),
    ...sheet,
    `TokPortal: ${where}`,
    c.dim("  reads, and every kind of write the sync makes sent as a dry run (X-TokPortal-Dry-Run: true):"),
    c.dim("  nothing is created, changed or charged."),
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
    c.bold(
      `    ${"check".padEnd(titleWidth)}  ${"result".padEnd(foundWidth)}  what the sync does, or the fix`,
    ),
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

function tallyOf(n: Counts): string {
  return [
    `${n.ok} ok`,
    n.refused ? `${n.refused} refused as things are` : "",
    n.not_checked ? `${n.not_checked} not checked` : "",
  ]
    .filter(Boolean)
    .join(", ");
}

/** The closing lines: the verdict, and what to do next. */
export function formatVerdict(report: DoctorReport, options: { color?: boolean } = {}): string {
  const c = palette(!!options.color);
  const tally = tallyOf(report.counts);
  const lines = [""];
  // The sheet first: whatever TokPortal answers, a sync cannot start without it.
  const sheet = report.checks.filter((k) => k.google && k.outcome === "failed");
  const tokportal = report.checks.filter((k) => !k.google);
  for (const k of sheet)
    lines.push(c.red(`The sync cannot use the spreadsheet. ${k.title}: ${k.found}.`), `Fix: ${k.action}.`);
  const onlySheet =
    sheet.length > 0 &&
    report.exit_code === 1 &&
    !tokportal.some((k) => ["differs", "unreadable", "failed"].includes(k.outcome));
  if (onlySheet) {
    const t = countOutcomes([]);
    for (const k of tokportal) t[k.outcome] += 1;
    lines.push(`TokPortal answers the way the sync expects (${tallyOf(t)}); run doctor again after the fix.`);
  } else if (report.exit_code === 3) {
    lines.push(
      c.red("TokPortal refused the API key."),
      "Check TOKPORTAL_API_KEY (copy it again from TokPortal's settings; sync needs a key that can write).",
    );
  } else if (tokportal.length === 1 && tokportal[0]?.outcome === "failed") {
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
    const off = tokportal.filter((k) => ["differs", "unreadable", "failed"].includes(k.outcome));
    lines.push(
      c.yellow(`The sync will do less than usual: ${off.map((k) => k.title).join(", ")} (see above).`),
      "To report it: tokportal-sync doctor --save doctor-report.json (no key, no account data) and attach the file.",
    );
  }
  return `${lines.join("\n")}\n`;
}
