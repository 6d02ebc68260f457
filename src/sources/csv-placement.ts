/**
 * The CSV write-back's planner when no output file carries values over (docs/architecture.md, CSV
 * write-back): the same placement as `planWrite` (write-plan.ts) on a table holding every cell, done as
 * the file streams past twice instead of on a grid of it, so a write-back of every row of a large file
 * holds the patches and one small entry per ref, not the rows.
 *
 * - The patches are indexed once by ref (bundle_ref, then video_ref: no key string is built per patch),
 *   the last patch winning per column as in `changesOf`.
 * - Pass 1 (`scan`, each record in turn): the width, the header, which refs are still there (a row moved
 *   or inserted since the read is found wherever it is; a duplicate ref is written on every row), which
 *   output columns will get a value, and how many cells change. Rows keyed by number (rows without refs)
 *   are kept whole, since such a row is recognized by its content once the pass is over.
 * - `finish`: the appended columns, the rows keyed by number that are still theirs, the refs not found.
 * - Pass 2 (`editsAt`, each record in turn): the record's edits, computed again from its own cells. The
 *   caller replaces the file only if it did not change between the passes, so both passes see the same
 *   records.
 */
import { outputColumns } from "./columns.ts";
import type { CsvEdit } from "./csv-file.ts";
import { type HeaderLayout, resolveHeader, type TableOptions } from "./table.ts";
import type { CellPatch, RowKey } from "./types.ts";
import { type CellEncoding, type Change, type ReadTable, sameRowStill, wholeFresh } from "./write-plan.ts";

type Values = CellPatch["values"];

interface Entry {
  key: RowKey;
  /** The patches' values for this key merged, the last patch winning per column. */
  values: Values;
  /** Placed on at least one row in the current pass 1. */
  found: boolean;
}

const EMPTY: readonly string[] = [];

/** Surrounding spaces are not a difference: rows are read trimmed (as in `planWrite`). */
const same = (a: string, b: string): boolean => a.trim() === b.trim();

export class CsvPlacement {
  /** bundle_ref → video_ref ("" for the bundles table) → entry. */
  private readonly byRef = new Map<string, Map<string, Entry>>();
  /** 0-based row index → entry, for the keys by row number. */
  private readonly byNumber = new Map<number, Entry>();
  /** Every entry in the order its key first appears (the order `rowsNotFound` reports them in). */
  private readonly order: Entry[] = [];

  // The state of one pair of passes (`start` resets it).
  private head: string[][] = [];
  private layout: HeaderLayout | null = null;
  private refCols: { bundle?: number; video?: number } = {};
  private width = 0;
  private kept = new Map<number, readonly string[]>();
  private filled = new Set<string>();
  private columns = new Map<string, number>();
  private placedByNumber = new Map<number, Entry>();
  /** Header cells of the appended columns. */
  appended: { column: string; col: number }[] = [];
  /** Data cells that change (header cells not counted), known after `finish`. */
  cells = 0;

  /** Throws a plain Error for a column that is not an output column (an engine bug), as `changesOf` does. */
  constructor(
    patches: readonly CellPatch[],
    private readonly options: TableOptions,
    private readonly encoding: CellEncoding,
  ) {
    const outputs = new Set(outputColumns(options));
    for (const patch of patches) {
      if (patch.key.table !== options.table) continue;
      const columns = Object.keys(patch.values);
      if (columns.length === 0) continue;
      for (const column of columns) {
        if (!outputs.has(column)) {
          throw new Error(`write-back: "${column}" is not an output column of the ${options.table} table`);
        }
      }
      const entry = this.entryOf(patch.key, true)!;
      entry.values = entry.values === NO_VALUES ? patch.values : { ...entry.values, ...patch.values };
    }
  }

  private entryOf(key: RowKey, create: boolean): Entry | undefined {
    if ("rowNumber" in key) {
      let entry = this.byNumber.get(key.rowNumber - 1);
      if (!entry && create) {
        entry = { key, values: NO_VALUES, found: false };
        this.byNumber.set(key.rowNumber - 1, entry);
        this.order.push(entry);
      }
      return entry;
    }
    const video = key.table === "videos" ? key.videoRef : "";
    let videos = this.byRef.get(key.bundleRef);
    if (!videos) {
      if (!create) return undefined;
      videos = new Map();
      this.byRef.set(key.bundleRef, videos);
    }
    let entry = videos.get(video);
    if (!entry && create) {
      entry = { key, values: NO_VALUES, found: false };
      videos.set(video, entry);
      this.order.push(entry);
    }
    return entry;
  }

  /** Before pass 1 (again, when the file changed under a previous pair of passes). */
  start(): void {
    for (const entry of this.order) entry.found = false;
    this.head = [];
    this.layout = null;
    this.refCols = {};
    this.width = 0;
    this.kept = new Map();
    this.filled = new Set();
    this.columns = new Map();
    this.placedByNumber = new Map();
    this.appended = [];
    this.cells = 0;
  }

  /** Pass 1, record `index` (0-based); `fields` is `[]` for a record papaparse reported an error on. */
  scan(index: number, fields: readonly string[]): void {
    for (let c = fields.length - 1; c >= this.width; c--) {
      if ((fields[c] ?? "").trim() !== "") {
        this.width = c + 1;
        break;
      }
    }
    if (!this.layout) {
      // Up to the header (the first non-blank row) every row is kept: blank rows cost nothing.
      this.head.push(fields as string[]);
      if (fields.some((c) => c.trim() !== "")) {
        this.layout = resolveHeader(this.head, this.options).layout ?? emptyLayout(index);
        this.refCols = {
          bundle: this.layout.columns.get("bundle_ref"),
          video: this.layout.columns.get("video_ref"),
        };
      }
      return;
    }
    // Kept whole: a row keyed by number is recognized by its content once the pass is over.
    if (this.byNumber.has(index)) this.kept.set(index, fields);
    const entry = this.refEntry(fields);
    if (!entry) return;
    entry.found = true;
    this.count(entry, fields);
  }

  /** After pass 1. Throws `WritePlanError` when the header cannot be used (as `wholeFresh` words it). */
  finish(read: ReadTable | null): void {
    const layout = wholeFresh(this.head, this.options).layout;
    layout.width = Math.max(layout.width, this.width);
    this.layout = layout;
    const fresh = { kind: "refs" as const, layout, grid: this.head, width: layout.width, rows: this.kept };
    for (const [i, entry] of this.byNumber) {
      if (sameRowStill(read, fresh, entry.key as RowKey & { rowNumber: number }).length === 0) continue;
      entry.found = true;
      this.placedByNumber.set(i, entry);
      this.count(entry, this.kept.get(i) ?? EMPTY);
    }
    // A missing column that would only be cleared is not created.
    this.columns = new Map(layout.columns);
    let next = layout.width;
    for (const column of outputColumns(this.options)) {
      if (this.columns.has(column) || !this.filled.has(column)) continue;
      this.columns.set(column, next);
      this.appended.push({ column, col: next });
      next++;
    }
  }

  /** Rows of the file held: those up to the header and those keyed by number, never rows found by ref. */
  get rowsKept(): number {
    return this.head.length + this.kept.size;
  }

  /** Keys whose row is not there any more, each once (after `finish`). */
  rowsNotFound(): RowKey[] {
    return this.order.filter((e) => !e.found).map((e) => e.key);
  }

  /**
   * Pass 2: the edits of record `index`, from its own cells (`[]` for a record papaparse reported an
   * error on, as in pass 1).
   */
  editsAt(index: number, fields: readonly string[]): CsvEdit[] | undefined {
    const layout = this.layout!;
    if (index === layout.headerIndex) {
      if (this.appended.length === 0) return undefined;
      return this.appended.map((a) => ({ rowIndex: index, colIndex: a.col, value: a.column }));
    }
    if (index < layout.headerIndex) return undefined;
    const entry = this.placedByNumber.get(index) ?? this.refEntry(fields);
    if (!entry) return undefined;
    let edits: CsvEdit[] | undefined;
    for (const d of this.differences(entry, fields)) {
      edits ??= [];
      edits.push({ rowIndex: index, colIndex: d.col, value: String(this.encoding.value(d.value)) });
    }
    return edits;
  }

  /**
   * The changes placed on rows keyed by number that changed a cell, for `rememberWritten` (after pass 1).
   * Rows with refs are left out: a CSV write-back finds them by ref in the file as it is now, which holds
   * every cell, so what the read saw of them is never consulted again.
   */
  writtenByNumber(): Change[] {
    const written: Change[] = [];
    for (const [i, entry] of this.placedByNumber) {
      for (const d of this.differences(entry, this.kept.get(i) ?? EMPTY)) {
        written.push({ key: entry.key, column: d.column, value: this.encoding.value(d.value), text: d.text });
      }
    }
    return written;
  }

  /** Each of `entry`'s columns whose value differs from what `fields` holds, at its column after `finish`. */
  private *differences(
    entry: Entry,
    fields: readonly string[],
  ): Generator<{ column: string; col: number; value: Values[string]; text: string }> {
    for (const column in entry.values) {
      const col = this.columns.get(column);
      if (col === undefined) continue;
      const value = entry.values[column]!;
      const text = this.encoding.text(value);
      if (!same(fields[col] ?? "", text)) yield { column, col, value, text };
    }
  }

  /** The entry of a data row found by its refs (trimmed, as `RowLocator` reads them). */
  private refEntry(fields: readonly string[]): Entry | undefined {
    const { bundle, video } = this.refCols;
    const b = bundle === undefined ? "" : (fields[bundle] ?? "").trim();
    if (b === "") return undefined;
    const videos = this.byRef.get(b);
    if (!videos) return undefined;
    if (this.options.table === "bundles") return videos.get("");
    const v = video === undefined ? "" : (fields[video] ?? "").trim();
    return v === "" ? undefined : videos.get(v);
  }

  /** Pass 1's count of the cells `entry` changes on a row holding `fields`; notes the columns it fills. */
  private count(entry: Entry, fields: readonly string[]): void {
    for (const column in entry.values) {
      const text = this.encoding.text(entry.values[column]!);
      if (text !== "") this.filled.add(column);
      // A column still missing reads as blank: it is appended when some change fills it.
      const col = this.layout!.columns.get(column);
      if (!same(col === undefined ? "" : (fields[col] ?? ""), text)) this.cells++;
    }
  }
}

const NO_VALUES: Values = Object.freeze({}) as Values;

/** A placeholder until `finish` words what is wrong with the header (nothing is placed meanwhile). */
function emptyLayout(headerIndex: number): HeaderLayout {
  return { headerIndex, columns: new Map(), names: new Map(), width: 0 };
}
