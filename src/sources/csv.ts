/**
 * The campaign as CSV files: `bundles` and `videos`, or one videos file carrying the bundle columns.
 *
 * Write-back, per file: take the file's lock, re-read it, locate every patch's row by ref in what is on disk
 * now, and rewrite the file atomically only if a cell actually changes. Untouched records are copied byte
 * for byte (delimiter, quoting, line endings and BOM kept); output columns that are missing are appended
 * after the last column in canonical order; text from remote is escaped so no spreadsheet runs it.
 *
 * With `output` set, the input file is never written: the output file is the input file's current content
 * plus the output columns, which are carried over from the previous output file by row ref.
 */

import { promises as fsp } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import writeFileAtomic from "write-file-atomic";
import type { DateFormat } from "./coerce.ts";
import { outputColumns } from "./columns.ts";
import { type CsvDelimiter, type CsvEdit, type CsvGrid, readCsvGrid, renderCsv } from "./csv-file.ts";
import { SourceError } from "./errors.ts";
import { encodeCsvValue } from "./formula.ts";
import {
  applyWritePlan,
  gridToRows,
  type PlanWriteOptions,
  planWrite,
  renderValue,
  rowKeyOf,
  type TableOptions,
  type WritePlan,
  WritePlanError,
} from "./table.ts";
import type {
  CampaignTables,
  CellPatch,
  RowKey,
  SheetRow,
  Source,
  SourceProblem,
  TableName,
  WriteReport,
} from "./types.ts";

export interface CsvSourceOptions {
  /** Null or absent: single-table mode (the videos file carries the bundle columns). */
  bundlesPath?: string | null;
  videosPath: string;
  /** Default: detected per file among `,` `;` tab `|`. */
  delimiter?: CsvDelimiter;
  dateFormat?: DateFormat;
  /** Per table: a header as the user wrote it → canonical column name (the config's `columns`). */
  aliases?: Partial<Record<TableName, Record<string, string>>>;
  /** Write-back goes to these files instead of the inputs. */
  output?: { bundles?: string; videos?: string };
  /** Paths in messages are shown relative to this directory. Default: the current directory. */
  displayBase?: string;
  /** How long to retry when another process holds a file's lock. Default 0: fail at once. */
  lockWaitMs?: number;
}

export class CsvSourceError extends SourceError {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** What locks a CSV file while it is being rewritten (also the file named in the lock error). */
export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

const keyString = (key: RowKey): string =>
  "rowNumber" in key
    ? `${key.table}#${key.rowNumber}`
    : key.table === "bundles"
      ? `b\u0000${key.bundleRef}`
      : `v\u0000${key.bundleRef}\u0000${key.videoRef}`;

export class CsvSource implements Source {
  /**
   * Per table, the rows without a ref as the last `read()` saw them (grid row by row number): a result for
   * such a row is written only while the row at that number still holds the same cells.
   */
  private readonly readRows = new Map<TableName, Map<number, string[]>>();

  constructor(private readonly options: CsvSourceOptions) {}

  private get singleTable(): boolean {
    return !this.options.bundlesPath;
  }

  private display(file: string): string {
    const rel = path.relative(this.options.displayBase ?? process.cwd(), file);
    return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
  }

  private inputPath(table: TableName): string | null {
    return table === "bundles" ? (this.options.bundlesPath ?? null) : this.options.videosPath;
  }

  private outputPath(table: TableName): string | null {
    return this.options.output?.[table] ?? null;
  }

  private tableOptions(table: TableName): TableOptions {
    return {
      table,
      label: this.display(this.inputPath(table) ?? ""),
      singleTable: table === "videos" && this.singleTable,
      aliases: this.options.aliases?.[table] ?? {},
      dateFormat: this.options.dateFormat ?? "YYYY-MM-DD",
      extraCells: "ragged",
    };
  }

  describe(): string {
    const files = [this.options.bundlesPath, this.options.videosPath].filter((f): f is string => !!f);
    const names = files.map((f) => this.display(f)).join(" + ");
    return this.singleTable ? `${names} (single table)` : names;
  }

  private async readGrid(file: string, table: TableName, keepRaw: boolean): Promise<CsvGrid> {
    const opts = { table, displayName: this.display(file), keepRaw };
    return this.options.delimiter === undefined
      ? readCsvGrid(file, opts)
      : readCsvGrid(file, { ...opts, delimiter: this.options.delimiter });
  }

  private async readTable(table: TableName): Promise<{ rows: SheetRow[]; problems: SourceProblem[] }> {
    const file = this.inputPath(table)!;
    const refless = new Map<number, string[]>();
    this.readRows.set(table, refless);
    const csv = await this.readGrid(file, table, false);
    if (csv.problems.some((p) => p.fatal)) return { rows: [], problems: csv.problems };
    const opts = this.tableOptions(table);
    const { rows, problems } = gridToRows(csv.grid, opts);
    for (const row of rows) {
      if ("rowNumber" in rowKeyOf(row)) refless.set(row.rowNumber, csv.grid[row.rowNumber - 1] ?? []);
    }
    const all = [...csv.problems, ...problems];
    const out = this.outputPath(table);
    if (out && (await exists(out))) {
      const prev = await this.readGrid(out, table, false);
      const prevRows = prev.problems.some((p) => p.fatal) ? null : gridToRows(prev.grid, opts);
      if (!prevRows || prevRows.problems.some((p) => p.fatal)) {
        all.push({
          table,
          message: `The output file ${this.display(out)} cannot be read, so outputs of earlier runs are not known; fix or delete it.`,
          fatal: true,
        });
      } else {
        overlayOutputs(rows, prevRows.rows, prevRows.layout?.columns ?? new Map(), opts);
      }
    }
    return { rows, problems: all };
  }

  async read(): Promise<CampaignTables> {
    const videos = await this.readTable("videos");
    if (this.singleTable) return { bundles: null, videos: videos.rows, problems: videos.problems };
    const bundles = await this.readTable("bundles");
    return {
      bundles: bundles.rows,
      videos: videos.rows,
      problems: [...bundles.problems, ...videos.problems],
    };
  }

  async write(patches: CellPatch[]): Promise<WriteReport> {
    const report: WriteReport = { cellsWritten: 0, rowsNotFound: [], requests: 0 };
    for (const table of ["bundles", "videos"] as const) {
      const mine = patches.filter((p) => p.key.table === table);
      if (mine.length === 0) continue;
      const input = this.inputPath(table);
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
    const target = this.outputPath(table) ?? input;
    const release = await this.lock(target);
    try {
      const csv = await this.readGrid(input, table, true);
      const fatal = csv.problems.filter((p) => p.fatal);
      if (fatal.length > 0) throw new CsvSourceError(fatal.map((p) => p.message).join(" "), input);
      const readRows = this.readRows.get(table) ?? new Map<number, string[]>();
      const opts: PlanWriteOptions = { ...this.tableOptions(table), encode: encodeCsvValue, readRows };
      let grid = csv.grid;
      let carried: WritePlan | null = null;
      if (target !== input && (await exists(target))) {
        carried = await this.carryOver(table, target, grid);
        grid = applyWritePlan(grid, carried);
      }
      let plan: WritePlan;
      try {
        plan = planWrite(grid, patches, opts);
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
        for (const a of p.appended)
          edits.push({ rowIndex: p.headerIndex, colIndex: a.colIndex, value: a.column });
        for (const c of p.cells) edits.push({ rowIndex: c.rowIndex, colIndex: c.colIndex, value: c.value });
      }
      const text = renderCsv(csv.raw!, csv.records!, csv.format, edits);
      await writeFileAtomic(target, text, { encoding: "utf8" });
      report.requests = 1;
      if (target === input) rememberWritten(readRows, grid, plan);
      return report;
    } finally {
      await release();
    }
  }

  /** The output columns of the previous output file, as a plan against the fresh input grid. */
  private async carryOver(table: TableName, target: string, grid: string[][]): Promise<WritePlan> {
    const opts = this.tableOptions(table);
    const prev = await this.readGrid(target, table, false);
    const prevRows = prev.problems.some((p) => p.fatal) ? null : gridToRows(prev.grid, opts);
    if (!prevRows?.layout || prevRows.problems.some((p) => p.fatal)) {
      throw new CsvSourceError(
        `The output file ${this.display(target)} cannot be read, so outputs of earlier runs would be lost; fix or delete it.`,
        target,
      );
    }
    const inputRows = new Map<string, SheetRow>();
    for (const row of gridToRows(grid, opts).rows) inputRows.set(keyString(rowKeyOf(row)), row);
    const present = [...prevRows.layout.columns.keys()].filter((c) => outputColumns(opts).includes(c));
    const patches: CellPatch[] = [];
    for (const row of prevRows.rows) {
      const key = rowKeyOf(row);
      if ("rowNumber" in key) continue;
      const values: Record<string, string> = {};
      const inputRow = inputRows.get(keyString(key));
      for (const c of present) {
        // A column that is also an input (position): the user's own value in the input file wins.
        if (inputRow && (inputRow.cells[c] ?? "") !== "") continue;
        values[c] = row.cells[c] ?? "";
      }
      patches.push({ key, values });
    }
    return planWrite(grid, patches, { ...opts, encode: renderValue });
  }

  private async lock(file: string): Promise<() => Promise<void>> {
    const lockPath = lockPathFor(file);
    let compromised: Error | null = null;
    try {
      const release = await lockfile.lock(file, {
        realpath: false,
        lockfilePath: lockPath,
        stale: 30_000,
        update: 10_000,
        retries: this.options.lockWaitMs
          ? { retries: Math.ceil(this.options.lockWaitMs / 100), minTimeout: 100, maxTimeout: 100, factor: 1 }
          : 0,
        onCompromised: (err) => {
          compromised = err;
        },
      });
      return async () => {
        await release().catch(() => undefined);
        if (compromised) {
          throw new CsvSourceError(
            `The lock ${this.display(lockPath)} was taken over by another process while ${this.display(file)} was being written; check the file and run again.`,
            file,
          );
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ELOCKED") {
        const since = await fsp
          .stat(lockPath)
          .then((s) => ` since ${s.mtime.toISOString()}`)
          .catch(() => "");
        throw new CsvSourceError(
          `${this.display(file)} is locked by another tokportal-sync process (lock ${this.display(lockPath)} held${since}); wait for that run to finish, or remove ${this.display(lockPath)} if no other run is going.`,
          file,
        );
      }
      throw err;
    }
  }
}

/**
 * A ref-less row this write changed now holds the written cells: a later write of the same run must still
 * recognize it. (With an output file the input row is untouched, so what was read stays right.)
 */
function rememberWritten(readRows: Map<number, string[]>, grid: string[][], plan: WritePlan): void {
  const written = new Map<number, string[]>();
  for (const c of plan.cells) {
    if (!readRows.has(c.rowNumber)) continue;
    const row = written.get(c.rowNumber) ?? [...(grid[c.rowIndex] ?? [])];
    while (row.length <= c.colIndex) row.push("");
    row[c.colIndex] = c.value;
    written.set(c.rowNumber, row);
  }
  for (const [rowNumber, row] of written) readRows.set(rowNumber, row);
}

/** Copies earlier outputs (from the output file) onto freshly read input rows, matched by ref. */
function overlayOutputs(
  rows: SheetRow[],
  prevRows: SheetRow[],
  prevColumns: Map<string, number>,
  opts: TableOptions,
): void {
  const outputs = outputColumns(opts).filter((c) => prevColumns.has(c));
  const byKey = new Map<string, SheetRow>();
  for (const r of prevRows) {
    const key = rowKeyOf(r);
    if (!("rowNumber" in key)) byKey.set(keyString(key), r);
  }
  for (const row of rows) {
    const key = rowKeyOf(row);
    if ("rowNumber" in key) continue;
    const prev = byKey.get(keyString(key));
    if (!prev) continue;
    for (const c of outputs) {
      if ((row.cells[c] ?? "") !== "") continue;
      row.cells[c] = prev.cells[c] ?? "";
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}
