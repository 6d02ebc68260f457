/**
 * A read of the CSV files, and its write-back. Per file: take the file's lock, re-read it, place every
 * patch by ref in what is on disk now (write-plan.ts), and rewrite the file atomically only if a cell
 * actually changes. Untouched records are copied byte for byte (delimiter, quoting, line endings and BOM
 * kept); text from remote is escaped so no spreadsheet runs it (formula.ts).
 *
 * With an output file, the input file is never written: the output file is the input file's current
 * content plus the output columns, which are carried over from the previous output file by row ref.
 */
import { promises as fsp } from "node:fs";
import writeFileAtomic from "write-file-atomic";
import { outputColumns } from "./columns.ts";
import { writeCsvExtras } from "./csv-extra.ts";
import { type CsvEdit, type CsvGrid, renderCsv } from "./csv-file.ts";
import { CsvSourceError } from "./csv-lock.ts";
import type { ExtraReads, ExtraWrite } from "./extra-tabs.ts";
import { encodeCsvValue } from "./formula.ts";
import { gridToRows, rowKeyOf, type TableOptions } from "./table.ts";
import type { CampaignTables, CellPatch, SheetRow, SourceSnapshot, TableName, WriteReport } from "./types.ts";
import {
  applyWritePlan,
  type CellEncoding,
  changesOf,
  headerWrites,
  keyId,
  planWrite,
  type ReadTable,
  rememberWritten,
  type WritePlan,
  WritePlanError,
  wholeFresh,
} from "./write-plan.ts";

/** What the snapshot needs of the source's files (the source itself, which keeps no state). */
export interface CsvStore {
  inputPath(table: TableName): string | null;
  outputPath(table: TableName): string | null;
  tableOptions(table: TableName): TableOptions;
  readGrid(file: string, table: TableName, keepRaw: boolean): Promise<CsvGrid>;
  display(file: string): string;
  lock(file: string): Promise<() => Promise<void>>;
  /** Where the extra tabs' files live (beside this file), and how long to wait for their locks. */
  extrasBeside(): { videosPath: string; lockWaitMs: number };
}

/** Remote values as CSV text: numbers as numbers, text escaped so it is never a formula. */
const CSV_ENCODING: CellEncoding = { value: encodeCsvValue, text: encodeCsvValue };
/** Cells carried over from the previous output file, already stored text. */
const STORED: CellEncoding = {
  value: (v) => (v === null ? "" : String(v)),
  text: (v) => (v === null ? "" : String(v)),
};

export class CsvSnapshot implements SourceSnapshot {
  readonly bundles: CampaignTables["bundles"];
  readonly videos: CampaignTables["videos"];
  readonly problems: CampaignTables["problems"];

  /** `reads`: per usable table, the input grid as read (rows without refs are recognized by it). */
  constructor(
    tables: CampaignTables,
    private readonly reads: Map<TableName, ReadTable>,
    private readonly store: CsvStore,
    readonly extras: ExtraReads = new Map(),
    readonly runLogMaxRows?: number,
  ) {
    this.bundles = tables.bundles;
    this.videos = tables.videos;
    this.problems = tables.problems;
  }

  async write(patches: CellPatch[], extras: readonly ExtraWrite[] = []): Promise<WriteReport> {
    const report: WriteReport = { cellsWritten: 0, rowsNotFound: [], requests: 0 };
    // The campaign files first: a failure there leaves the run log saying nothing of a write that did not happen.
    const written = await this.writeTables(patches, report);
    const beside = this.store.extrasBeside();
    const files = await writeCsvExtras(beside.videosPath, this.extras, extras, beside.lockWaitMs);
    if (files > 0) {
      written.requests += files;
      written.extrasWritten = files;
    }
    return written;
  }

  private async writeTables(patches: CellPatch[], report: WriteReport): Promise<WriteReport> {
    for (const table of ["bundles", "videos"] as const) {
      const mine = patches.filter((p) => p.key.table === table);
      if (mine.length === 0) continue;
      const input = this.store.inputPath(table);
      if (!input) {
        report.rowsNotFound.push(...mine.map((p) => p.key));
        continue;
      }
      const r = await this.writeTable(table, input, mine);
      report.cellsWritten += r.cellsWritten;
      report.requests += r.requests;
      report.rowsNotFound.push(...r.rowsNotFound);
    }
    return report;
  }

  private async writeTable(table: TableName, input: string, patches: CellPatch[]): Promise<WriteReport> {
    const opts = this.store.tableOptions(table);
    const changes = changesOf(patches, opts, CSV_ENCODING);
    const target = this.store.outputPath(table) ?? input;
    const release = await this.store.lock(target);
    try {
      const csv = await this.store.readGrid(input, table, true);
      const fatal = csv.problems.filter((p) => p.fatal);
      if (fatal.length > 0) throw new CsvSourceError(fatal.map((p) => p.message).join(" "), input);
      let grid = csv.grid;
      let carried: WritePlan | null = null;
      if (target !== input && (await exists(target))) {
        carried = await this.carryOver(table, target, grid);
        grid = applyWritePlan(grid, carried);
      }
      const read = this.reads.get(table) ?? null;
      let plan: WritePlan;
      try {
        plan = planWrite(opts, changes, wholeFresh(grid, opts), read);
      } catch (err) {
        if (err instanceof WritePlanError) throw new CsvSourceError(err.message, input);
        throw err;
      }
      const report: WriteReport = {
        cellsWritten: plan.cells.length,
        rowsNotFound: plan.rowsNotFound,
        requests: 0,
      };
      if (plan.cells.length === 0) return report;
      const edits: CsvEdit[] = [];
      for (const p of carried ? [carried, plan] : [plan]) {
        for (const c of [...headerWrites(p), ...p.cells])
          edits.push({ rowIndex: c.row - 1, colIndex: c.col, value: String(c.value) });
      }
      const text = renderCsv(csv.raw!, csv.records!, csv.format, edits);
      await writeFileAtomic(target, text, { encoding: "utf8" });
      report.requests = 1;
      // With an output file the input rows are untouched, so what was read still describes them.
      if (target === input && read) rememberWritten(read, plan.written);
      return report;
    } finally {
      await release();
    }
  }

  /** The output columns of the previous output file, as a plan against the fresh input grid. */
  private async carryOver(table: TableName, target: string, grid: string[][]): Promise<WritePlan> {
    const opts = this.store.tableOptions(table);
    const prev = await this.store.readGrid(target, table, false);
    const prevRows = prev.problems.some((p) => p.fatal) ? null : gridToRows(prev.grid, opts);
    if (!prevRows?.layout || prevRows.problems.some((p) => p.fatal)) {
      throw new CsvSourceError(
        `The output file ${this.store.display(target)} cannot be read, so outputs of earlier runs would be lost; fix or delete it.`,
        target,
      );
    }
    const inputRows = new Map<string, SheetRow>();
    for (const row of gridToRows(grid, opts).rows) inputRows.set(keyId(rowKeyOf(row)), row);
    const present = [...prevRows.layout.columns.keys()].filter((c) => outputColumns(opts).includes(c));
    const patches: CellPatch[] = [];
    for (const row of prevRows.rows) {
      const key = rowKeyOf(row);
      if ("rowNumber" in key) continue;
      const values: Record<string, string> = {};
      const inputRow = inputRows.get(keyId(key));
      for (const c of present) {
        // A column that is also an input (position): the user's own value in the input file wins.
        if (inputRow && (inputRow.cells[c] ?? "") !== "") continue;
        values[c] = row.cells[c] ?? "";
      }
      patches.push({ key, values });
    }
    return planWrite(opts, changesOf(patches, opts, STORED), wholeFresh(grid, opts), null);
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}
