/**
 * The one write planner of every source: from a snapshot's patches to the cells that change, placed where
 * their rows are now. Pure: the sources do the reading and the writing around it.
 *
 * 1. `changesOf`: the patches as one value per row key and output column (the last patch wins), encoded
 *    the way the source stores values. Writing an input column is refused: those are the user's.
 * 2. `changedSinceRead` (optional): drops the cells that already hold their value in what the read saw, so
 *    a source whose re-read costs a request can skip it when nothing changed.
 * 3. `planWrite`: places the changes in a table re-read right before writing. A row with refs is found by
 *    its refs wherever it is now (every row, for a duplicate ref); a row without refs only while the row at
 *    its number still holds the cells it was read with and still has no ref. Output columns that will hold
 *    a value and are missing get a header after the last used column, in canonical order. When the re-read
 *    holds every cell, a cell that already holds its value is not written.
 * 4. `rememberWritten`: what the read saw now holds the written values, so the same patch again is a no-op
 *    and a row without refs is still recognized by a later write of the same snapshot.
 */
import { outputColumns } from "./columns.ts";
import { SourceError } from "./errors.ts";
import { type HeaderLayout, RowLocator, resolveHeader, sameCells, type TableOptions } from "./table.ts";
import type { CellPatch, RowKey, SourceProblem, TableName } from "./types.ts";

export type PatchValue = CellPatch["values"][string];

/** One cell to set. */
export interface CellWrite {
  /** 1-based row, as the user sees it. */
  row: number;
  /** 0-based column. */
  col: number;
  /** What is stored: `""` clears; a number stays a number where the store has numbers. Never a formula. */
  value: string | number;
}

/** How a source stores a patch value. */
export interface CellEncoding {
  /** What is written for a value (`null` → `""`). */
  value(v: PatchValue): string | number;
  /** The text the cell reads back as afterwards, compared with what was read. */
  text(v: PatchValue): string;
}

/** What a read saw of one table; a snapshot keeps it to plan its writes. */
export interface ReadTable {
  options: TableOptions;
  layout: HeaderLayout;
  /** The table as text, as read (updated by `rememberWritten`). */
  grid: string[][];
  locator: RowLocator;
}

/**
 * The locator is built on first use: a run that writes nothing back (`plan`, `validate`) never indexes the
 * table. The ref columns it reads are never written, so building it later finds the same rows.
 */
export function readTable(grid: string[][], layout: HeaderLayout, options: TableOptions): ReadTable {
  let locator: RowLocator | undefined;
  return {
    options,
    layout,
    grid,
    get locator(): RowLocator {
      locator ??= new RowLocator(grid, layout, options.table);
      return locator;
    },
  };
}

/**
 * A table re-read right before writing: `whole` holds every cell (a CSV file); `refs` holds the header row
 * and the ref columns only, plus the rows re-read whole (those of patches keyed by row number), so its
 * output cells are unknown and every change is written.
 */
export type FreshTable =
  | { kind: "whole"; layout: HeaderLayout; grid: readonly (readonly string[])[] }
  | {
      kind: "refs";
      layout: HeaderLayout;
      grid: readonly (readonly string[])[];
      /** Where appended columns start (the re-read does not see every cell). */
      width: number;
      rows: ReadonlyMap<number, readonly string[]>;
    };

/** One output cell to set on every row its key designates. */
export interface Change {
  key: RowKey;
  column: string;
  value: string | number;
  text: string;
}

export interface WritePlan {
  /** The header row (1-based), where appended column names go. */
  headerRow: number;
  /** Output columns to create, in canonical order. */
  appended: { column: string; col: number }[];
  /** The data cells to set (headers of appended columns not included). */
  cells: CellWrite[];
  /** Keys whose row is not there any more (each once). */
  rowsNotFound: RowKey[];
  /** The changes that were placed and have a column, for `rememberWritten`. */
  written: Change[];
}

/** The fresh header cannot be used (a required column was deleted or duplicated since the read). */
export class WritePlanError extends SourceError {
  constructor(
    message: string,
    readonly problems: SourceProblem[],
  ) {
    super(message);
  }
}

export const keyId = (key: RowKey): string =>
  "rowNumber" in key
    ? `${key.table}#${key.rowNumber}`
    : key.table === "bundles"
      ? `b\u0000${key.bundleRef}`
      : `v\u0000${key.bundleRef}\u0000${key.videoRef}`;

export function refColumns(table: TableName): string[] {
  return table === "bundles" ? ["bundle_ref"] : ["bundle_ref", "video_ref"];
}

/**
 * The patches for `options.table` (others are ignored) as one change per key and column, the last patch
 * winning. Throws a plain Error for a column that is not an output column: an engine bug.
 */
export function changesOf(
  patches: readonly CellPatch[],
  options: TableOptions,
  encoding: CellEncoding,
): Change[] {
  const outputs = outputColumns(options);
  const latest = new Map<string, Change>();
  for (const patch of patches) {
    if (patch.key.table !== options.table) continue;
    for (const [column, v] of Object.entries(patch.values)) {
      if (!outputs.includes(column)) {
        throw new Error(`write-back: "${column}" is not an output column of the ${options.table} table`);
      }
      const change = { key: patch.key, column, value: encoding.value(v), text: encoding.text(v) };
      latest.set(`${keyId(patch.key)}|${column}`, change);
    }
  }
  return [...latest.values()];
}

const cellOf = (grid: readonly (readonly string[])[], row: number, col: number | undefined): string =>
  col === undefined ? "" : (grid[row]?.[col] ?? "");

/** Surrounding spaces are not a difference: rows are read trimmed. */
const same = (a: string, b: string): boolean => a.trim() === b.trim();

/** The changes whose row, as read, holds something else (a key the read did not see is kept). */
export function changedSinceRead(read: ReadTable, changes: readonly Change[]): Change[] {
  return changes.filter((c) => {
    const rows = read.locator.find(c.key);
    if (rows.length === 0) return true; // the placement decides, and reports it
    const col = read.layout.columns.get(c.column);
    return rows.some((i) => !same(cellOf(read.grid, i, col), c.text));
  });
}

/** A fresh CSV-like grid as a `whole` fresh table; throws `WritePlanError` when its header is unusable. */
export function wholeFresh(grid: readonly (readonly string[])[], options: TableOptions): FreshTable {
  const { layout, problems } = resolveHeader(grid, options);
  const fatal = problems.filter((p) => p.fatal);
  if (!layout || fatal.length > 0) {
    throw new WritePlanError(
      `The ${options.table} table changed so that it cannot be written back: ${fatal.map((p) => p.message).join(" ")}`,
      fatal,
    );
  }
  return { kind: "whole", layout, grid };
}

/**
 * A row without refs, keyed by its number: still the row that was read there (non-blank, still without
 * refs, the same refs cells and the same cells wherever its columns moved), or nothing. Its refs alone
 * would also match a blank row or another row without refs moved there meanwhile.
 */
export function sameRowStill(
  read: ReadTable | null,
  fresh: FreshTable,
  key: RowKey & { rowNumber: number },
): number[] {
  const i = key.rowNumber - 1;
  const then = read?.grid[i];
  if (!read || !then || i <= fresh.layout.headerIndex || read.locator.find(key).length === 0) return [];
  const now = fresh.kind === "whole" ? fresh.grid[i] : fresh.rows.get(i);
  if (!now || now.every((c) => c.trim() === "")) return [];
  const refsSame = refColumns(read.options.table).every((name) =>
    same(cellOf([then], 0, read.layout.columns.get(name)), cellOf([now], 0, fresh.layout.columns.get(name))),
  );
  return refsSame && sameCells(then, now) ? [i] : [];
}

/** Places `changes` (those of `options.table`) in the fresh table; `read` is needed for rows without refs. */
export function planWrite(
  options: TableOptions,
  changes: readonly Change[],
  fresh: FreshTable,
  read: ReadTable | null,
): WritePlan {
  const plan: WritePlan = {
    headerRow: fresh.layout.headerIndex + 1,
    appended: [],
    cells: [],
    rowsNotFound: [],
    written: [],
  };
  const locator = new RowLocator(fresh.grid, fresh.layout, options.table);
  const rowsOf = new Map<string, number[]>();
  const located: { change: Change; rows: number[] }[] = [];
  for (const change of changes) {
    if (change.key.table !== options.table) continue;
    const id = keyId(change.key);
    let rows = rowsOf.get(id);
    if (!rows) {
      rows = "rowNumber" in change.key ? sameRowStill(read, fresh, change.key) : locator.find(change.key);
      rowsOf.set(id, rows);
      if (rows.length === 0) plan.rowsNotFound.push(change.key);
    }
    if (rows.length > 0) located.push({ change, rows });
  }

  // A missing column that would only be cleared is not created.
  const colOf = new Map(fresh.layout.columns);
  let next = fresh.kind === "whole" ? fresh.layout.width : fresh.width;
  for (const column of outputColumns(options)) {
    if (colOf.has(column) || !located.some((l) => l.change.column === column && l.change.text !== ""))
      continue;
    colOf.set(column, next);
    plan.appended.push({ column, col: next });
    next++;
  }

  for (const { change, rows } of located) {
    const col = colOf.get(change.column);
    if (col === undefined) continue;
    let wrote = false;
    for (const i of rows) {
      if (fresh.kind === "whole" && same(cellOf(fresh.grid, i, col), change.text)) continue;
      plan.cells.push({ row: i + 1, col, value: change.value });
      wrote = true;
    }
    if (wrote) plan.written.push(change);
  }
  plan.cells.sort((a, b) => a.row - b.row || a.col - b.col);
  return plan;
}

/** The header cells of the appended columns, as writes. */
export function headerWrites(plan: WritePlan): CellWrite[] {
  return plan.appended.map((a) => ({ row: plan.headerRow, col: a.col, value: a.column }));
}

/** After a write: the rows as read now hold what was written (columns the read did not have are added). */
export function rememberWritten(read: ReadTable, written: readonly Change[]): void {
  const { layout, grid } = read;
  for (const change of written) {
    let col = layout.columns.get(change.column);
    if (col === undefined) {
      col = Math.max(layout.width, ...layout.columns.values()) + 1;
      while ([...layout.columns.values()].includes(col)) col++;
      layout.columns.set(change.column, col);
      layout.names.set(col, change.column);
    }
    for (const i of read.locator.find(change.key)) {
      const row = grid[i] ?? [];
      grid[i] = row;
      while (row.length <= col) row.push("");
      row[col] = change.text;
    }
  }
}

/** The grid after a plan is applied (a new grid; the input is not modified). */
export function applyWritePlan(grid: readonly (readonly string[])[], plan: WritePlan): string[][] {
  const out = grid.map((row) => [...row]);
  for (const c of [...headerWrites(plan), ...plan.cells]) {
    const row = out[c.row - 1];
    if (!row) continue;
    while (row.length <= c.col) row.push("");
    row[c.col] = String(c.value);
  }
  return out;
}
