/**
 * The boundary between the sync engine and where the campaign lives (CSV files or Google Sheets).
 * The engine knows only `Source`: a read returns a `SourceSnapshot` (rows with a stable identity), and the
 * engine hands that snapshot back cell patches. What a write needs of the read lives in the snapshot, not
 * in the source, so two reads of one source never mix.
 */

import type { ExtraReads, ExtraWrite } from "./extra-tabs.ts";

export type TableName = "bundles" | "videos";

/** One data row, as read. */
export interface SheetRow {
  table: TableName;
  /** Row number as the user sees it (the header is row 1). For messages, and to locate rows without a ref. */
  rowNumber: number;
  /**
   * Canonical column name (after header normalization and the config's aliases; see docs/sheet-format.md) → the cell
   * as text, trimmed. Dates are `YYYY-MM-DD`, booleans and numbers as the user typed them. Empty cells are
   * "". Columns the tool does not know are not here and are never written.
   */
  cells: Record<string, string>;
}

/** A problem the source found while reading: a whole-file problem has no rowNumber. */
export interface SourceProblem {
  table: TableName;
  rowNumber?: number;
  column?: string;
  /** Worded for a sheet user: names the row, the column and the fix. */
  message: string;
  /** True when the table cannot be used at all (e.g. wrong encoding, no header, missing required column). */
  fatal: boolean;
}

export interface CampaignTables {
  /** Null in single-table mode: then each videos row carries the bundle columns. */
  bundles: SheetRow[] | null;
  videos: SheetRow[];
  problems: SourceProblem[];
}

/**
 * Identifies the row(s) a patch is for, located again right before writing (users insert, sort and
 * delete rows while a run is going). Bundles rows are keyed by `bundleRef`, videos rows by
 * `bundleRef` + `videoRef`. A row without a ref (a videos row lacking either) is keyed by its `rowNumber` at
 * read time, and is written only while the row at that number still holds the cells it was read with. A key
 * that matches several rows (a duplicate ref: a row error) patches all of them.
 */
export type RowKey =
  | { table: "bundles"; bundleRef: string }
  | { table: "videos"; bundleRef: string; videoRef: string }
  | { table: TableName; rowNumber: number };

/** Output column → new value. `null` clears the cell. Values from remote are written as data, never formulas. */
export interface CellPatch {
  key: RowKey;
  values: Record<string, string | number | null>;
}

export interface WriteReport {
  /** Cells whose value actually changed and were written. */
  cellsWritten: number;
  /** Patches whose row could not be found any more (deleted meanwhile); reported, never guessed. */
  rowsNotFound: RowKey[];
  /** Requests sent to the backing store (0 for a no-op write). */
  requests: number;
  /** Extra tabs (run log, analytics history) whose content changed and was written. */
  extrasWritten?: number;
}

/** What one read saw, and the way to write results back into the rows it saw. */
export interface SourceSnapshot extends CampaignTables {
  /**
   * The extra tabs the source keeps (see extra-tabs.ts), as read: null for one that does not exist yet.
   * Absent when the source keeps none.
   */
  readonly extras?: ExtraReads;
  /** The run log's cap on data rows, when the source keeps a run log. */
  readonly runLogMaxRows?: number;
  /**
   * Applies patches to output columns only, creating missing output columns; unchanged cells are skipped.
   * Rows are placed where they are at write time (see `RowKey`). Writing again after a write sees what the
   * first wrote: the same patches again write nothing.
   *
   * `extras`: the new whole content of extra tabs read in `extras`, written in the same request as the
   * patches (Sheets) when any cell differs; a missing tab is created first.
   */
  write(patches: CellPatch[], extras?: readonly ExtraWrite[]): Promise<WriteReport>;
}

/** What a source tells while it reads, before `read` resolves (a run starts work that needs only these). */
export interface ReadObserver {
  /** A table's rows as soon as they are read; a source that reads every table at once may not call it. */
  rows?(table: TableName, rows: readonly SheetRow[]): void;
}

export interface Source {
  /** A short human description, e.g. `campaign/videos.csv` or `Google Sheet 1AbC… (tabs bundles, videos)`. */
  describe(): string;
  read(observer?: ReadObserver): Promise<SourceSnapshot>;
}
