/**
 * Reliability: the bad-input corpus (fixtures/bad/cases.json) run through a whole sync, not only
 * the parser. File-level cases (encodings, headers, coercion) and row-level cases (what src/sync/desired.ts
 * and the planner refuse: required fields, username, lead time, 3 videos a day, unknown bundles, …) alike:
 *   - every expected message reaches the user: in the row's result and its `sync_message` cell in the
 *     written CSV, or among the run's warnings when no row can show it, or in the error line of a run a
 *     fatal file problem stops (exit 2);
 *   - the valid rows beside the bad ones still sync (`sync_status` synced in the written CSV, as counted);
 *   - the exit code is the README's (1 some rows failed, 2 a file problem stopped the run);
 *   - nothing prints a stack trace.
 * Every case runs in-process (runSync, with the CLI's own summary and exit-code functions); a sample also
 * runs through the real CLI as a child process (`sync --yes`), which checks what is actually printed.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Papa from "papaparse";
import { afterAll, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import { errorText } from "../../src/cli/command.ts";
import { exitCodeForError, exitCodeForReport } from "../../src/cli/outcome.ts";
import { formatSummary } from "../../src/cli/output.ts";
import { createSource } from "../../src/sources/index.ts";
import type { TableName } from "../../src/sources/types.ts";
import { runSync } from "../../src/sync/run.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { cliHarness } from "../cli/cli-harness.ts";
import { type BadCase as Case, CORPUS_DIR, readCorpus } from "../support/bad-corpus.ts";
import { recordFigures } from "./figures.ts";

const corpus = CORPUS_DIR;
const manifest = { cases: readCorpus() };
const PREFIX = "bad-";
const DEFAULTS = { platform: "tiktok", bundle_type: "account_and_videos", publish: false } as const;
/** The words a message uses to say what to do about it, or what the cell needs. */
const FIX =
  /\b(write|clear|fix|move|shorten|rename|add|set|use|change|give|remove|save|correct|name|lower|raise|close|put|check|delete|choose|needs|must|at most)\b/i;
/** A line of a Node stack trace, as printed by an uncaught error. */
const STACK_LINE = /\n\s+at .*:\d+:\d+/;
/** Cases the real CLI also runs: fatal, coercion, desired-state and planner problems, single table. */
const CLI_SAMPLE = [
  "utf16",
  "missing-video-ref-column",
  "wrong-delimiter-forced",
  "date-feb-30",
  "duplicate-bundle-ref",
  "single-table-disagreement",
  "row-videos-only-without-account-id",
  "row-date-too-soon",
  "row-fourth-video-on-a-day",
  "row-single-table-bad-username",
  "row-description-too-long",
];

const cli = cliHarness();

/** Copies a case's folder into a fresh dir (the sync writes its results into the CSVs). */
function copyCase(c: Case): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tps-bad-"));
  const folder = path.dirname(c.videos);
  cpSync(path.join(corpus, folder), path.join(dir, folder), { recursive: true });
  return dir;
}

/** The CSV files the case syncs, as raw rows (index 0 is the header, so sheet row N is index N - 1). */
function csvFiles(c: Case, dir: string): Partial<Record<TableName, string>> {
  return { videos: path.join(dir, c.videos), ...(c.bundles ? { bundles: path.join(dir, c.bundles) } : {}) };
}

function readRaw(file: string, delimiter?: string): string[][] {
  const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  // Papa's own guess can be fooled by the `; ` inside written messages: go by the header line, as the
  // source does when no delimiter is configured.
  const header = text.slice(0, text.indexOf("\n"));
  const guess = [",", ";", "\t"].sort((a, b) => header.split(b).length - header.split(a).length)[0];
  const d = delimiter === "\\t" ? "\t" : (delimiter ?? guess);
  return Papa.parse<string[]>(text, { delimiter: d }).data;
}

/** The `sync_message` cell of sheet row `rowNumber`, or null when the file has no such column. */
function syncMessageCell(rows: string[][], rowNumber: number, column = "sync_message"): string | null {
  const col = rows[0]?.indexOf(column) ?? -1;
  if (col < 0) return null;
  return rows[rowNumber - 1]?.[col] ?? "";
}

function syncedInCsv(c: Case, dir: string): number {
  let n = 0;
  for (const file of Object.values(csvFiles(c, dir))) {
    const rows = readRaw(file, c.options?.delimiter);
    const col = rows[0]?.indexOf("sync_status") ?? -1;
    if (col >= 0) n += rows.slice(1).filter((r) => r[col] === "synced").length;
  }
  return n;
}

interface Outcome {
  exit: number;
  /** What the CLI would print: the summary (or the error line). */
  output: string;
  report: RunReport | null;
}

/** The case's files and CSV options, as the config's `source` says them. */
function csvSourceOf(c: Case) {
  const o = c.options ?? {};
  return {
    type: "csv" as const,
    videos: c.videos,
    ...(c.bundles ? { bundles: c.bundles } : {}),
    ...(o.date_format ? { date_format: o.date_format } : {}),
    ...(o.delimiter ? { delimiter: o.delimiter } : {}),
  };
}

async function syncInProcess(c: Case, dir: string, apiKey: string): Promise<Outcome> {
  const o = c.options ?? {};
  const client = new TokPortalClient({ baseUrl: cli.emu.url, apiKey, retry: { maxRetries: 0 } });
  try {
    const source = createSource(
      { ...csvSourceOf(c), ...(o.columns ? { columns: o.columns } : {}) },
      { baseDir: dir },
    );
    const report = await runSync({
      source,
      client,
      prefix: PREFIX,
      defaults: DEFAULTS,
      maxCredits: null,
      prune: false,
      mode: "apply",
      baseDir: dir,
      ...(o.date_format ? { dateFormat: o.date_format } : {}),
    });
    return { exit: exitCodeForReport(report), output: formatSummary(report), report };
  } catch (err) {
    return { exit: exitCodeForError(err), output: errorText(err, {}), report: null };
  } finally {
    await client.close();
  }
}

const figures = { cases: 0, messages: 0, messagesMatched: 0, validRowsSynced: 0, stackTraces: 0, cliRuns: 0 };
afterAll(() => {
  recordFigures("bad-input", {
    cases: figures.cases,
    messages: figures.messages,
    messages_matched: figures.messagesMatched,
    valid_rows_synced: figures.validRowsSynced,
    stack_traces: figures.stackTraces,
    cli_runs: figures.cliRuns,
  });
});

/** Checks every expected message of the case against a run's outcome; returns how many were found. */
function checkMessages(c: Case, dir: string, out: Outcome): number {
  const all = [...c.expected, ...c.sync.expected];
  const files = csvFiles(c, dir);
  let matched = 0;
  for (const e of all) {
    const what = `${c.name}: ${JSON.stringify(e)}`;
    if (out.exit === 2) {
      // A fatal file problem stops the run before any row: only the fatal messages are shown, on stderr.
      if (e.fatal) {
        expect(out.output, what).toContain(e.messageIncludes);
        matched++;
      }
      continue;
    }
    expect(e.fatal, `${what} is fatal but the run went on`).not.toBe(true);
    const report = out.report!;
    const file = files[e.table];
    const cell =
      e.rowNumber === undefined || file === undefined
        ? null
        : syncMessageCell(readRaw(file, c.options?.delimiter), e.rowNumber);
    const unwritable = e.rowNumber !== undefined && (c.sync.notInSheet?.rows ?? []).includes(e.rowNumber);
    if (unwritable) {
      // A known gap, named in cases.json: the message is printed but cannot reach the row's cell. When the
      // gap is fixed this fails, and the case's notInSheet goes.
      expect(cell ?? "", `${what}: notInSheet, yet the cell holds it`).not.toContain(e.messageIncludes);
    } else if (cell?.includes(e.messageIncludes)) {
      // The person reads it in the sheet, on the row, and the run's result for that row says the same.
      const hit = report.rows.find((r) => r.row.table === e.table && r.message.includes(e.messageIncludes));
      expect(hit?.outcome, what).toBe("error");
      if (e.column) expect(cell, what).toContain(`column ${e.column}`);
    } else {
      // No row can show it (a header, an unreadable row): the run's warnings do.
      expect(
        report.warnings.join("\n"),
        `${what}: neither in the sync_message cell (${JSON.stringify(cell)}) nor among the warnings`,
      ).toContain(e.messageIncludes);
    }
    expect(out.output, `${what} in the printed summary`).toContain(e.messageIncludes);
    matched++;
  }
  for (const w of c.sync.inSheet ?? []) {
    const rows = readRaw(files[w.table]!, c.options?.delimiter);
    const what = `${c.name}: ${JSON.stringify(w)}`;
    expect(syncMessageCell(rows, w.rowNumber, "sync_status"), what).toBe(w.sync_status);
    expect(syncMessageCell(rows, w.rowNumber), what).toContain(w.messageIncludes);
  }
  return matched;
}

describe("bad input through a whole sync", () => {
  it("the corpus holds at least 55 cases, row-level ones among them", () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(55);
    expect(manifest.cases.filter((c) => c.sync.expected.length > 0).length).toBeGreaterThanOrEqual(20);
    for (const c of manifest.cases) expect(c.sync, c.name).toBeDefined();
  });

  it.each(manifest.cases.map((c) => [c.name, c] as const))("%s (in-process)", async (_name, c) => {
    const dir = copyCase(c);
    try {
      const { apiKey } = cli.emu.createKey({ credits: 10_000 });
      const out = await syncInProcess(c, dir, apiKey);
      figures.cases++;
      const stack = STACK_LINE.test(out.output);
      if (stack) figures.stackTraces++;
      expect(stack, out.output).toBe(false);
      expect(out.exit, out.output).toBe(c.sync.exit);

      const matched = checkMessages(c, dir, out);
      figures.messages += [...c.expected, ...c.sync.expected].filter((e) => out.exit !== 2 || e.fatal).length;
      figures.messagesMatched += matched;

      // The valid rows beside the bad ones went through.
      const synced = syncedInCsv(c, dir);
      expect(synced, out.output).toBe(c.sync.synced);
      figures.validRowsSynced += synced;
      // Every row in error says why and what to do: a message with a fix in it.
      if (out.report) {
        const unhelpful = out.report.rows.filter((r) => r.outcome === "error" && !FIX.test(r.message));
        expect(unhelpful.map((r) => r.message)).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bad input through the real CLI (a sample)", () => {
  const sample = CLI_SAMPLE.map((name) => {
    const c = manifest.cases.find((x) => x.name === name);
    if (!c) throw new Error(`CLI_SAMPLE names ${name}, which fixtures/bad/cases.json does not hold`);
    return [name, c] as const;
  });

  it.each(sample)("%s: sync --yes", async (_name, c) => {
    const dir = cli.dir();
    const folder = path.dirname(c.videos);
    cpSync(path.join(corpus, folder), path.join(dir, folder), { recursive: true });
    const o = c.options ?? {};
    cli.writeConfig({
      source: csvSourceOf(c),
      ...(o.columns ? { columns: o.columns } : {}),
      ref_prefix: PREFIX,
      defaults: DEFAULTS,
    });
    const r = await cli.run(["sync", "--yes"]);
    figures.cliRuns++;
    const printed = `${r.stdout}\n${r.stderr}`;
    expect(STACK_LINE.test(r.stdout) || STACK_LINE.test(r.stderr), printed).toBe(false);
    cli.expectClean(r);
    expect(r.code, printed).toBe(c.sync.exit);
    for (const e of [...c.expected, ...c.sync.expected]) {
      if (r.code === 2 && !e.fatal) continue;
      // Fatal problems on stderr (the error line), row problems on stdout (the summary).
      expect(r.code === 2 ? r.stderr : r.stdout, `${c.name}: ${JSON.stringify(e)}`).toContain(
        e.messageIncludes,
      );
    }
    expect(syncedInCsv(c, dir), printed).toBe(c.sync.synced);
    // The CSV files hold only the case's files and what the run wrote beside them (no stray dumps).
    expect(
      readdirSync(path.join(dir, folder)).every((f) => /\.csv$/.test(f)),
      printed,
    ).toBe(true);
  });
});
