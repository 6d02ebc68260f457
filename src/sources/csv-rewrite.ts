/**
 * The CSV write-back's two passes over the file, each a stream (csv-records.ts), so the write-back's memory
 * does not grow with the file:
 *
 * 1. `scanCsv`: each record's cells handed to the planner as they pass (csv-placement.ts), which keeps
 *    what it needs and no rows found by ref. With an output file carrying earlier outputs over, `indexCsv`
 *    instead: the file as a sparse grid for the write planner (write-plan.ts). Every record keeps its row
 *    number, but only the rows a change may land on keep cells: rows whose refs a change names (their
 *    refs and the columns being written, or every cell when `whole`), and rows named by number (every
 *    cell: such a row is recognized by its content). The width (where new columns go) is measured on
 *    every row as it passes. When the file is still the version the run read (csv-version.ts),
 *    `scanRead` walks the grid the read kept instead, with nothing read or parsed again.
 * 2. `rewriteCsv`: the file again, each record copied byte for byte or rebuilt with its edits
 *    (`renderRecord`), into a temporary file beside the target that then replaces it. If the input
 *    changed between the passes (a person saved it: only tokportal-sync takes the lock), nothing is
 *    replaced and the caller starts again.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { type CsvEdit, type CsvFormat, type ReadCsvOptions, renderRecord } from "./csv-file.ts";
import { type CsvRecord, eachCsvRecord, eachReadRecord } from "./csv-records.ts";
import { type ReadVersion, type Stamp, sameStamp, stampNow, stampOf } from "./csv-version.ts";
import { resolveHeader, type TableOptions } from "./table.ts";
import type { TableName } from "./types.ts";
import { type CellWrite, type Change, type FreshTable, keyId, wholeFresh } from "./write-plan.ts";

/** Which rows the planner must see. */
export interface Wanted {
  /** `keyId`s of the ref keys a change (or a carried-over output) names. */
  keys: Set<string>;
  /** 0-based indexes of the rows named by number. */
  rows: Set<number>;
  /** Output columns being written, by canonical name. */
  columns: Set<string>;
  /** Keep every cell of a wanted row (the carry-over from an output file reads the row's inputs). */
  whole: boolean;
}

export function wantedBy(changes: readonly Change[], extraKeys: readonly string[], whole: boolean): Wanted {
  const wanted: Wanted = { keys: new Set(extraKeys), rows: new Set(), columns: new Set(), whole };
  for (const c of changes) {
    wanted.columns.add(c.column);
    if ("rowNumber" in c.key) wanted.rows.add(c.key.rowNumber - 1);
    else wanted.keys.add(keyId(c.key));
  }
  return wanted;
}

/** What a first pass saw of the file that the rewrite needs: its format, and which version it was. */
export interface CsvPass {
  format: CsvFormat;
  stamp: Stamp;
  /** Set when the file is the version a read kept (`scanRead`): the rewrite cuts records where it found them. */
  read?: { version: ReadVersion; grid: readonly (readonly string[])[] };
}

/**
 * Pass 1 without a grid: `visit` sees each record's index and cells (`[]` for a record papaparse reported
 * an error on, as in a grid) and keeps what it needs. Null when the file cannot be read as CSV text.
 */
export async function scanCsv(
  file: string,
  readOptions: ReadCsvOptions,
  visit: (index: number, fields: readonly string[]) => void,
): Promise<CsvPass | null> {
  const stamp = stampOf(await fsp.stat(file));
  const format = await eachCsvRecord(file, readOptions, (r) => visit(r.index, r.ok ? r.fields : EMPTY));
  return format ? { format, stamp } : null;
}

export interface CsvIndex extends CsvPass {
  /** `grid[i]` is record i; rows the planner need not see are empty. */
  grid: string[][];
  /** One past the last column holding a non-blank cell in any row (`HeaderLayout.width` of the whole file). */
  width: number;
}

/**
 * Pass 1 on the grid the read kept, when the file is still the version it read (csv-version.ts): the same
 * records `scanCsv` would see, without reading or parsing the file again. Null, having visited nothing,
 * when the file is another version now.
 */
export async function scanRead(
  file: string,
  version: ReadVersion,
  grid: readonly (readonly string[])[],
  visit: (index: number, fields: readonly string[]) => void,
): Promise<CsvPass | null> {
  const now = await stampNow(file);
  if (now === null || !sameStamp(version.stamp, now)) return null;
  for (let index = 0; index < grid.length; index++) visit(index, grid[index]!);
  return { format: version.format, stamp: version.stamp, read: { version, grid } };
}

const EMPTY: string[] = [];

/** Pass 1. Null when the file cannot be read as CSV text (`readCsvGrid` words why). */
export async function indexCsv(
  file: string,
  readOptions: ReadCsvOptions,
  options: TableOptions,
  wanted: Wanted,
): Promise<CsvIndex | null> {
  const stamp = stampOf(await fsp.stat(file));
  const grid: string[][] = [];
  let width = 0;
  let refCols: { bundle?: number; video?: number } | null = null;
  let keepCols: number[] = [];
  const format = await eachCsvRecord(file, readOptions, (record) => {
    const row = record.ok ? record.fields : EMPTY;
    for (let c = row.length - 1; c >= width; c--) {
      if ((row[c] ?? "").trim() !== "") {
        width = c + 1;
        break;
      }
    }
    if (!refCols) {
      // Up to the header (the first non-blank row) every row is kept: blank rows cost nothing.
      grid.push(row);
      if (row.some((c) => c.trim() !== "")) {
        const columns = resolveHeader([row], options).layout?.columns ?? new Map<string, number>();
        refCols = { bundle: columns.get("bundle_ref"), video: columns.get("video_ref") };
        keepCols = [refCols.bundle, refCols.video, ...[...wanted.columns].map((c) => columns.get(c))].filter(
          (c): c is number => c !== undefined,
        );
      }
      return;
    }
    if (wanted.rows.has(record.index)) {
      grid.push(row);
      return;
    }
    const key = keyOfRow(row, options.table, refCols);
    if (key === null || !wanted.keys.has(key)) {
      grid.push(EMPTY);
      return;
    }
    if (wanted.whole) {
      grid.push(row);
      return;
    }
    // Only the refs and the non-blank cells being written; a blank cell reads as "" either way.
    let last = -1;
    for (const c of keepCols) if (c < row.length && row[c]!.trim() !== "" && c > last) last = c;
    const kept: string[] = new Array(last + 1);
    for (const c of keepCols) if (c <= last && row[c]!.trim() !== "") kept[c] = row[c]!;
    grid.push(kept);
  });
  return format ? { grid, width, format, stamp } : null;
}

function keyOfRow(row: readonly string[], table: TableName, cols: { bundle?: number; video?: number }) {
  const b = cols.bundle === undefined ? "" : (row[cols.bundle] ?? "").trim();
  if (b === "") return null;
  if (table === "bundles") return keyId({ table, bundleRef: b });
  const v = cols.video === undefined ? "" : (row[cols.video] ?? "").trim();
  return v === "" ? null : keyId({ table, bundleRef: b, videoRef: v });
}

/**
 * The cells of plans, applied in order (a later plan's cell wins), as the edits of each record in turn:
 * each plan's writes are walked once, so no per-row table is built for a write-back of every row.
 */
export function editsInOrder(
  plans: readonly (readonly CellWrite[])[],
): (record: CsvRecord) => CsvEdit[] | undefined {
  const at = plans.map(() => 0);
  return ({ index }) => {
    let edits: CsvEdit[] | undefined;
    plans.forEach((cells, p) => {
      let k = at[p]!;
      while (k < cells.length && cells[k]!.row - 1 < index) k++;
      for (; k < cells.length && cells[k]!.row - 1 === index; k++) {
        const c = cells[k]!;
        edits ??= [];
        edits.push({ rowIndex: index, colIndex: c.col, value: String(c.value) });
      }
      at[p] = k;
    });
    return edits;
  };
}

/**
 * The index as the planner's fresh table (throws `WritePlanError` when the header is unusable). `grid`:
 * the index's grid, or that grid with carried-over cells applied (which may widen it).
 */
export function freshOf(index: CsvIndex, grid: string[][], options: TableOptions): FreshTable {
  const fresh = wholeFresh(grid, options);
  fresh.layout.width = Math.max(fresh.layout.width, index.width);
  return fresh;
}

/**
 * Pass 2: `input` with its edits replaces `target` atomically. `editsAt` is asked for records in order,
 * once each. False, with nothing written, when `input` is not the version pass 1 saw (`pass.stamp`).
 */
export async function rewriteCsv(
  input: string,
  target: string,
  readOptions: ReadCsvOptions,
  pass: CsvPass,
  editsAt: (record: CsvRecord) => CsvEdit[] | undefined,
): Promise<boolean> {
  const before = await fsp.stat(target).catch(() => null);
  const temp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fh = await fsp.open(temp, "wx", before ? before.mode & 0o7777 : 0o666);
  let replaced = false;
  try {
    let pending: string[] = pass.format.bom ? ["\uFEFF"] : [];
    const flush = async () => {
      if (pending.length === 0) return;
      const text = pending.join("");
      pending = [];
      await fh.write(text, null, "utf8");
    };
    const render = (r: CsvRecord) =>
      pending.push(renderRecord(r.raw, r.fields, pass.format, editsAt(r), r.last));
    const format = pass.read
      ? await eachReadRecord(input, pass.read.version, pass.read.grid, render, flush)
      : await eachCsvRecord(input, { ...readOptions, delimiter: pass.format.delimiter }, render, flush);
    await flush();
    const after = await fsp.stat(input);
    if (!format || !sameStamp(pass.stamp, stampOf(after))) return false;
    await fh.sync();
    if (before && process.getuid?.() === 0) await fh.chown(before.uid, before.gid);
    await fh.close();
    await fsp.rename(temp, target);
    replaced = true;
    return true;
  } finally {
    if (!replaced) {
      await fh.close().catch(() => undefined);
      await fsp.unlink(temp).catch(() => undefined);
    }
  }
}
