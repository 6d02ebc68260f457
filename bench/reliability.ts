/**
 * The reliability suite's figures in BENCHMARKS.md: runs `vitest run test/reliability` with
 * RELIABILITY_FIGURES set to a temp file (test/reliability/figures.ts appends one JSON line per
 * `recordFigures(suite, figures)` call), then writes the `reliability` section from those lines.
 *
 *   npm run bench:reliability        (= npx tsx bench/reliability.ts)
 *   npx tsx bench/reliability.ts test/reliability/chaos.test.ts    (only some files; the section says so)
 *
 * Every suite is rendered the same way, whatever it records: a suite that recorded one line gets a
 * figure | value table, one that recorded several (one per seed, say) a table with a row per line and a
 * column per figure. A new suite needs no change here. The section is written even when a test failed
 * (its figures are what shows the failure), and the script then exits 1.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { machineLines, report } from "./report.ts";

type Line = Record<string, unknown> & { suite: string };

const filters = process.argv.slice(2);
const COMMAND =
  filters.length === 0 ? "npm run bench:reliability" : `npx tsx bench/reliability.ts ${filters.join(" ")}`;
const targets = filters.length === 0 ? ["test/reliability"] : filters;
const root = fileURLToPath(new URL("../", import.meta.url));

/** What each known suite shows; a suite not listed here is still rendered, without a note. */
const NOTES: Record<string, string> = {
  chaos:
    "test/reliability/chaos.test.ts: 30 bundles × 5 videos synced twice through CSV files while the emulator injects, seeded, 10% 5xx, 2% dropped connections (half before handling, half after: work done, answer lost), a 429 storm of 3 in every 40 requests and ±4 ms jitter, plus the first answers of charging writes (2 creates, 1 account, 1 publish) lost. One row per seed.",
  crash:
    "test/reliability/crash.test.ts: `tokportal-sync sync --yes` as a child process on 4 bundles × 3 videos, SIGKILLed at seeded writes (`<k>b`: the k-th write never reached TokPortal; `<k>a`: TokPortal handled it, the answer never reached the child), then rerun to completion on the same CSV files. Counts are over all trials.",
  "sheets-concurrency":
    "test/reliability/sheets-concurrency.test.ts: 50 seeded trials per variant; each syncs 3 bundles × 3 videos twice into a spreadsheet on the fake Sheets server (through the real @googleapis/sheets client) while a seeded user inserts, appends, deletes, sorts, edits cells and moves or inserts columns between the read and the write-back. Every row is followed by a tag cell the tool does not know; a cell written anywhere but its row counts as misplaced. The `rows-without-refs` variant adds comment rows with no ref (written by row number, only while the same row is still there).",
  "bad-input":
    "test/reliability/bad-input.test.ts: every case of fixtures/bad/cases.json (file-level: encodings, delimiters, quotes, headers, dates, numbers; row-level: each rule the sync checks before a call) through a whole sync against the emulator; a sample also through the real CLI. Each expected message must be on its row's sync_message cell (or in the output for a file that stops the run), with the fix; the valid rows beside it must sync; nothing may print a stack trace.",
  secrets:
    "test/reliability/secrets.test.ts: a distinctive key through every command and failure (plan table/--json/--out, sync human/--json/--plan, validate, cron logs, 401, 5xx until retries run out, connection refused, config errors holding the key, the emulator command); every output, every file left in the folder and the emulator's request log scanned for it. test/support/secrets-guard.ts also fails any test in the suite that prints a key.",
};

function readLines(file: string): Line[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Line);
}

const cell = (v: unknown): string =>
  (v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v)).replaceAll("|", "\\|");

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

function renderSuite(suite: string, lines: Line[]): string[] {
  const out = [`### ${suite}`, ""];
  const note = NOTES[suite];
  if (note) out.push(note, "");
  const keys: string[] = [];
  for (const l of lines) for (const k of Object.keys(l)) if (k !== "suite" && !keys.includes(k)) keys.push(k);
  const only = lines.length === 1 ? lines[0] : undefined;
  if (only)
    out.push(
      ...table(
        ["figure", "value"],
        keys.map((k) => [k, cell(only[k])]),
      ),
    );
  else
    out.push(
      ...table(
        keys,
        lines.map((l) => keys.map((k) => cell(l[k]))),
      ),
    );
  out.push("");
  return out;
}

const tmp = mkdtempSync(path.join(tmpdir(), "tps-reliability-"));
const figures = path.join(tmp, "figures.jsonl");
const started = performance.now();
const run = spawnSync("npx", ["vitest", "run", ...targets], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, RELIABILITY_FIGURES: figures },
});
const seconds = (performance.now() - started) / 1000;
const lines = readLines(figures);
rmSync(tmp, { recursive: true, force: true });

const bySuite = new Map<string, Line[]>();
for (const l of lines) bySuite.set(l.suite, [...(bySuite.get(l.suite) ?? []), l]);
const passed = run.status === 0;

report("reliability", [
  "## Reliability",
  "",
  `\`${COMMAND}\`: runs \`npx vitest run ${targets.join(" ")}\` with RELIABILITY_FIGURES set, and renders what`,
  "each suite recorded (test/reliability/figures.ts). The tests assert on these same figures.",
  "",
  ...machineLines(),
  `Suite ${passed ? "passed" : `FAILED (vitest exit ${run.status ?? run.signal})`} in ${seconds.toFixed(1)} s.`,
  "",
  ...(bySuite.size === 0 ? ["No figures were recorded.", ""] : []),
  ...[...bySuite].flatMap(([suite, suiteLines]) => renderSuite(suite, suiteLines)),
]);
if (!passed) process.exitCode = 1;
