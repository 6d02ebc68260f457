/**
 * The extra tabs as CSV files (`sync-runs.csv`, `analytics-history.csv` beside the videos file). They are
 * the sync's own files: read whole, and rewritten whole (atomically, under the same file lock as the
 * campaign files) only when their content changes. Text is escaped so no spreadsheet runs it (formula.ts).
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import writeFileAtomic from "write-file-atomic";
import { quoteField } from "./csv-file.ts";
import { CsvSourceError, lockCsvFile } from "./csv-lock.ts";
import {
  EXTRA_FILES,
  EXTRA_TABS,
  type ExtraReads,
  type ExtraTabName,
  type ExtraTabsOption,
  type ExtraWrite,
  extraCellWrites,
  extraReadsOf,
} from "./extra-tabs.ts";
import { encodeCsvValue } from "./formula.ts";

export function extraFilePath(videosPath: string, tab: ExtraTabName): string {
  return path.join(path.dirname(videosPath), EXTRA_FILES[tab]);
}

async function readRows(file: string): Promise<string[][] | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CsvSourceError(
      `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}).`,
      file,
    );
  }
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ""), { delimiter: ",", skipEmptyLines: true });
  return parsed.data;
}

export async function readCsvExtras(
  videosPath: string,
  option: ExtraTabsOption | undefined,
): Promise<ExtraReads> {
  const found = new Map<ExtraTabName, string[][]>();
  for (const tab of EXTRA_TABS) {
    if (!option?.[tab]) continue;
    const rows = await readRows(extraFilePath(videosPath, tab));
    if (rows !== undefined) found.set(tab, rows);
  }
  return extraReadsOf(option, found);
}

/** Rewrites each extra file whose content changes; returns the files written. */
export async function writeCsvExtras(
  videosPath: string,
  reads: ExtraReads,
  writes: readonly ExtraWrite[],
  lockWaitMs: number,
): Promise<number> {
  let written = 0;
  for (const w of writes) {
    if (!reads.has(w.tab)) continue;
    const file = extraFilePath(videosPath, w.tab);
    const release = await lockCsvFile(file, lockWaitMs, (f) => f);
    try {
      // Re-read under the lock: another process may have written since this run read it.
      const now = await readRows(file);
      const current = now === undefined ? null : { rows: now };
      const rendered = w.rows.map((r) => r.map((v) => encodeCsvValue(v)));
      if (extraCellWrites(current, { tab: w.tab, rows: rendered }).length === 0) continue;
      const lines = rendered.map((r) => r.map((v) => quoteField(v, ",")).join(","));
      await writeFileAtomic(file, `${lines.join("\n")}\n`, { encoding: "utf8" });
      reads.set(w.tab, { rows: rendered });
      written++;
    } finally {
      await release();
    }
  }
  return written;
}
