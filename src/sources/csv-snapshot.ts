/**
 * A read of the CSV files, and its write-back. Per file: take the file's lock, re-read it as a stream (or,
 * while the file is still the version the run read, walk the grid the read kept: csv-version.ts), place
 * every patch by ref in what is on disk now (csv-placement.ts, placing as `planWrite` in write-plan.ts
 * does, row by row), and rewrite the file atomically, as a stream, only if a cell actually changes
 * (csv-rewrite.ts). Untouched records are copied byte for byte
 * (delimiter, quoting, line endings and BOM kept); text from remote is escaped so no spreadsheet runs it
 * (formula.ts).
 *
 * With an output file, the input file is never written: the output file is the input file's current
 * content plus the output columns, which are carried over from the previous output file by row ref.
 */
import { promises as fsp } from "node:fs";
import { outputColumns } from "./columns.ts";
import { writeCsvExtras } from "./csv-extra.ts";
import type { CsvGrid, ReadCsvOptions } from "./csv-file.ts";
import { CsvSourceError } from "./csv-lock.ts";
import { CsvPlacement } from "./csv-placement.ts";
import type { CsvRecord } from "./csv-records.ts";
import { editsInOrder, freshOf, indexCsv, rewriteCsv, scanCsv, scanRead, wantedBy } from "./csv-rewrite.ts";
import type { ReadVersion } from "./csv-version.ts";
import type { ExtraReads, ExtraWrite } from "./extra-tabs.ts";
import { encodeCsvValue } from "./formula.ts";
import { gridToRows, rowKeyOf, type TableOptions } from "./table.ts";
import type { CampaignTables, CellPatch, SheetRow, SourceSnapshot, TableName, WriteReport } from "./types.ts";
import {
  applyWritePlan,
  type CellEncoding,
  type Change,
  changesOf,
  type FreshTable,
  headerWrites,
  keyId,
  planWrite,
  type ReadTable,
  rememberWritten,
  type WritePlan,
  WritePlanError,
} from "./write-plan.ts";

/** What the snapshot needs of the source's files (the source itself, which keeps no state). */
export interface CsvStore {
  inputPath(table: TableName): string | null;
  outputPath(table: TableName): string | null;
  tableOptions(table: TableName): TableOptions;
  readGrid(file: string, table: TableName, keepRaw: boolean): Promise<CsvGrid>;
  /** How `readGrid` reads `file` (for the write-back's streamed passes). */
  readOptions(file: string, table: TableName): ReadCsvOptions;
  display(file: string): string;
  lock(file: string): Promise<() => Promise<void>>;
  /** Where the extra tabs' files live (beside this file), and how long to wait for their locks. */
  extrasBeside(): { videosPath: string; lockWaitMs: number };
}

/** What a read kept of a table: its grid, and which version of the file that grid is (null: unknown). */
export interface CsvRead {
  table: ReadTable;
  version: ReadVersion | null;
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
    private readonly reads: Map<TableName, CsvRead>,
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
    const target = this.store.outputPath(table) ?? input;
    const release = await this.store.lock(target);
    try {
      const previous =
        target !== input && (await exists(target)) ? await this.previousOutputs(table, target) : null;
      // Carried-over outputs are placed on a grid of the rows they name; otherwise the patches are placed
      // as the file streams past (csv-placement.ts).
      let once: () => Promise<WriteReport | null>;
      if (previous) {
        const changes = changesOf(patches, opts, CSV_ENCODING);
        once = () => this.carryOverOnce(table, input, target, changes, previous);
      } else {
        const placement = new CsvPlacement(patches, opts, CSV_ENCODING);
        once = () => this.placeOnce(table, input, target, placement);
      }
      for (let attempt = 1; ; attempt++) {
        const report = await once();
        if (report) return report;
        if (attempt === REWRITE_ATTEMPTS) {
          throw new CsvSourceError(
            `${this.store.display(input)} kept changing while it was being written back; close it in other programs and run again.`,
            input,
          );
        }
      }
    } finally {
      await release();
    }
  }

  /** One streamed placement and rewrite; null when the input changed under it (then nothing was written). */
  private async placeOnce(
    table: TableName,
    input: string,
    target: string,
    placement: CsvPlacement,
  ): Promise<WriteReport | null> {
    const readOptions = this.store.readOptions(input, table);
    placement.start();
    const visit = (i: number, fields: readonly string[]) => placement.scan(i, fields);
    const kept = this.reads.get(table);
    const read = kept?.table ?? null;
    // The grid read serves one first pass: once the file is written (or found changed) it is another version.
    const version = kept?.version ?? null;
    if (kept) kept.version = null;
    const pass =
      (version && read && (await scanRead(input, version, read.grid, visit))) ||
      (await scanCsv(input, readOptions, visit));
    if (!pass) return this.unreadable(table, input);
    try {
      placement.finish(read);
    } catch (err) {
      if (err instanceof WritePlanError) throw new CsvSourceError(err.message, input);
      throw err;
    }
    const report: WriteReport = {
      cellsWritten: placement.cells,
      rowsNotFound: placement.rowsNotFound(),
      requests: 0,
    };
    if (placement.cells === 0) return report;
    const edits = (r: CsvRecord) => placement.editsAt(r.index, r.ok ? r.fields : []);
    if (!(await rewriteCsv(input, target, readOptions, pass, edits))) return null;
    report.requests = 1;
    // With an output file the input rows are untouched, so what was read still describes them.
    if (target === input && read) rememberWritten(read, placement.writtenByNumber());
    return report;
  }

  /** The input cannot be read as CSV text: words why, as the read does. */
  private async unreadable(table: TableName, input: string): Promise<never> {
    const csv = await this.store.readGrid(input, table, false);
    const fatal = csv.problems.filter((p) => p.fatal);
    throw new CsvSourceError(fatal.map((p) => p.message).join(" "), input);
  }

  /**
   * One re-read, carry-over, plan and rewrite with an earlier output file; null when the input changed
   * under it (then nothing was written).
   */
  private async carryOverOnce(
    table: TableName,
    input: string,
    target: string,
    changes: Change[],
    previous: PreviousOutputs,
  ): Promise<WriteReport | null> {
    const opts = this.store.tableOptions(table);
    const readOptions = this.store.readOptions(input, table);
    const wanted = wantedBy(changes, [...previous.keys], true);
    const index = await indexCsv(input, readOptions, opts, wanted);
    if (!index) return this.unreadable(table, input);
    let plan: WritePlan;
    let carried: WritePlan;
    try {
      carried = carryOver(opts, previous, freshOf(index, index.grid, opts));
      const grid = applyWritePlan(index.grid, carried);
      plan = planWrite(opts, changes, freshOf(index, grid, opts), this.reads.get(table)?.table ?? null);
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
    // Each plan's cells are sorted by row, and its header cells sit on the header row, above them all.
    const edits = editsInOrder([carried, plan].map((p) => [...headerWrites(p), ...p.cells]));
    if (!(await rewriteCsv(input, target, readOptions, index, edits))) return null;
    report.requests = 1;
    return report;
  }

  /** The previous output file's rows and columns, read once (it is under the lock). */
  private async previousOutputs(table: TableName, target: string): Promise<PreviousOutputs> {
    const opts = this.store.tableOptions(table);
    const prev = await this.store.readGrid(target, table, false);
    const prevRows = prev.problems.some((p) => p.fatal) ? null : gridToRows(prev.grid, opts);
    if (!prevRows?.layout || prevRows.problems.some((p) => p.fatal)) {
      throw new CsvSourceError(
        `The output file ${this.store.display(target)} cannot be read, so outputs of earlier runs would be lost; fix or delete it.`,
        target,
      );
    }
    const present = [...prevRows.layout.columns.keys()].filter((c) => outputColumns(opts).includes(c));
    const rows = prevRows.rows.filter((row) => !("rowNumber" in rowKeyOf(row)));
    return { rows, present, keys: new Set(rows.map((row) => keyId(rowKeyOf(row)))) };
  }
}

/** How many times a write-back starts again when a person saves the file while it is being rewritten. */
const REWRITE_ATTEMPTS = 3;

interface PreviousOutputs {
  /** The rows with refs (outputs are carried over by ref only). */
  rows: SheetRow[];
  /** The output columns the file has. */
  present: string[];
  keys: Set<string>;
}

/** The output columns of the previous output file, as a plan against the fresh input table. */
function carryOver(opts: TableOptions, previous: PreviousOutputs, fresh: FreshTable): WritePlan {
  const inputRows = new Map<string, SheetRow>();
  for (const row of gridToRows(fresh.grid, opts).rows) inputRows.set(keyId(rowKeyOf(row)), row);
  const patches: CellPatch[] = [];
  for (const row of previous.rows) {
    const key = rowKeyOf(row);
    const values: Record<string, string> = {};
    const inputRow = inputRows.get(keyId(key));
    for (const c of previous.present) {
      // A column that is also an input (position): the user's own value in the input file wins.
      if (inputRow && (inputRow.cells[c] ?? "") !== "") continue;
      values[c] = row.cells[c] ?? "";
    }
    patches.push({ key, values });
  }
  return planWrite(opts, changesOf(patches, opts, STORED), fresh, null);
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}
