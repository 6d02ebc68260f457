/**
 * The campaign as CSV files: `bundles` and `videos`, or one videos file carrying the bundle columns.
 * A read returns a `CsvSnapshot`, which does the write-back (csv-snapshot.ts).
 *
 * With `output` set, the rows read carry the outputs of earlier runs from the output file, matched by ref.
 */

import path from "node:path";
import type { DateFormat } from "./cell-parsers.ts";
import { outputColumns } from "./columns.ts";
import { readCsvExtras } from "./csv-extra.ts";
import { type CsvDelimiter, type CsvGrid, type ReadCsvOptions, readCsvGrid } from "./csv-file.ts";
import { lockCsvFile } from "./csv-lock.ts";
import { type CsvRead, CsvSnapshot, exists } from "./csv-snapshot.ts";
import { readVersioned } from "./csv-version.ts";
import type { ExtraTabsOption } from "./extra-tabs.ts";
import { gridToRows, rowKeyOf, type TableOptions } from "./table.ts";
import type { ReadObserver, SheetRow, Source, SourceProblem, TableName } from "./types.ts";
import { keyId, readTable } from "./write-plan.ts";

export { CsvSourceError, lockPathFor } from "./csv-lock.ts";

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
  /** The run log and analytics history files kept beside the videos file (see extra-tabs.ts). */
  extras?: ExtraTabsOption;
}

/**
 * Keeps nothing between calls: what a read saw lives in its snapshot. The file helpers below are public
 * because the snapshot writes through them (`CsvStore` in csv-snapshot.ts).
 */
export class CsvSource implements Source {
  constructor(private readonly options: CsvSourceOptions) {}

  private get singleTable(): boolean {
    return !this.options.bundlesPath;
  }

  /** A path as messages show it: relative to `displayBase` when under it. */
  display(file: string): string {
    const rel = path.relative(this.options.displayBase ?? process.cwd(), file);
    return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
  }

  inputPath(table: TableName): string | null {
    return table === "bundles" ? (this.options.bundlesPath ?? null) : this.options.videosPath;
  }

  outputPath(table: TableName): string | null {
    return this.options.output?.[table] ?? null;
  }

  tableOptions(table: TableName): TableOptions {
    return {
      table,
      label: this.display(this.inputPath(table) ?? ""),
      singleTable: table === "videos" && this.singleTable,
      aliases: this.options.aliases?.[table] ?? {},
      dateFormat: this.options.dateFormat ?? "YYYY-MM-DD",
      extraCells: "ragged",
      commentRows: true,
    };
  }

  describe(): string {
    const files = [this.options.bundlesPath, this.options.videosPath].filter((f): f is string => !!f);
    const names = files.map((f) => this.display(f)).join(" + ");
    return this.singleTable ? `${names} (single table)` : names;
  }

  readOptions(file: string, table: TableName): ReadCsvOptions {
    const opts = { table, displayName: this.display(file) };
    return this.options.delimiter === undefined ? opts : { ...opts, delimiter: this.options.delimiter };
  }

  async readGrid(file: string, table: TableName, keepRaw: boolean): Promise<CsvGrid> {
    return readCsvGrid(file, { ...this.readOptions(file, table), keepRaw });
  }

  private async readTable(
    table: TableName,
  ): Promise<{ rows: SheetRow[]; problems: SourceProblem[]; read: CsvRead | null }> {
    const file = this.inputPath(table)!;
    const { csv, version } = await readVersioned(file, () => this.readGrid(file, table, false));
    if (csv.problems.some((p) => p.fatal)) return { rows: [], problems: csv.problems, read: null };
    const opts = this.tableOptions(table);
    const { rows, problems, layout } = gridToRows(csv.grid, opts);
    const read = layout ? { table: readTable(csv.grid, layout, opts), version } : null;
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
    return { rows, problems: all, read };
  }

  extrasBeside(): { videosPath: string; lockWaitMs: number } {
    return { videosPath: this.options.videosPath, lockWaitMs: this.options.lockWaitMs ?? 0 };
  }

  /** The bundles file first: it is the small one, and what it holds lets a run start its reads early. */
  async read(observer?: ReadObserver): Promise<CsvSnapshot> {
    const reads = new Map<TableName, CsvRead>();
    const bundles = this.singleTable ? null : await this.readTable("bundles");
    if (bundles?.read) reads.set("bundles", bundles.read);
    if (bundles) observer?.rows?.("bundles", bundles.rows);
    const videos = await this.readTable("videos");
    if (videos.read) reads.set("videos", videos.read);
    observer?.rows?.("videos", videos.rows);
    const extras = await readCsvExtras(this.options.videosPath, this.options.extras);
    if (!bundles) {
      const tables = { bundles: null, videos: videos.rows, problems: videos.problems };
      return new CsvSnapshot(tables, reads, this, extras, this.options.extras?.runLogMaxRows);
    }
    const tables = {
      bundles: bundles.rows,
      videos: videos.rows,
      problems: [...bundles.problems, ...videos.problems],
    };
    return new CsvSnapshot(tables, reads, this, extras, this.options.extras?.runLogMaxRows);
  }

  /** Takes a file's lock for a write-back (see csv-lock.ts). */
  lock(file: string): Promise<() => Promise<void>> {
    return lockCsvFile(file, this.options.lockWaitMs ?? 0, (f) => this.display(f));
  }
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
    if (!("rowNumber" in key)) byKey.set(keyId(key), r);
  }
  for (const row of rows) {
    const key = rowKeyOf(row);
    if ("rowNumber" in key) continue;
    const prev = byKey.get(keyId(key));
    if (!prev) continue;
    for (const c of outputs) {
      if ((row.cells[c] ?? "") !== "") continue;
      row.cells[c] = prev.cells[c] ?? "";
    }
  }
}
