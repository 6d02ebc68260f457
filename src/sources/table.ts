/**
 * Pure table logic shared by every source: header normalization and aliases, a raw grid → `SheetRow[]`,
 * and locating rows by ref (the write planner, write-plan.ts, places patches with it).
 *
 * Grid conventions: `grid[i]` is the sheet's row `i + 1` (blank rows included, so row numbers match what
 * the user sees); rows may be shorter than the header (missing cells are empty).
 */

import { columnLetters } from "./a1.ts";
import { type DateFormat, parseDate } from "./cell-parsers.ts";
import { inputColumns, knownColumns, requiredColumns, type TableMode } from "./columns.ts";
import { recordMaker } from "./records.ts";
import type { RowKey, SheetRow, SourceProblem, TableName } from "./types.ts";

export interface TableOptions extends TableMode {
  /** From the config's `columns`: a header as the user wrote it → canonical column name. */
  aliases?: Record<string, string>;
  /** Where the table lives, for whole-table messages (e.g. `campaign/videos.csv` or `tab "videos"`). */
  label?: string;
  /** Day/month order accepted besides ISO for date columns. */
  dateFormat?: DateFormat;
  /**
   * What cells beyond the last header mean. `"ragged"` (CSV): the row has more fields than the header, so
   * its cells cannot be trusted — the row is reported and left out. `"unnamed-column"` (spreadsheets,
   * default): a column without a header; its data is reported once and ignored.
   */
  extraCells?: "ragged" | "unnamed-column";
  /**
   * A data row whose first cell starts with `#` is a comment, left out like a blank row (CSV: the example
   * row `init --csv` writes, and notes a person keeps in the file).
   */
  commentRows?: boolean;
}

/** A comment row (see `TableOptions.commentRows`). */
export const isCommentRow = (row: readonly string[]): boolean => (row[0] ?? "").trimStart().startsWith("#");

/** `Bundle Ref`, `bundle-ref`, ` BUNDLE_REF ` → `bundle_ref`. */
export function normalizeHeader(name: string): string {
  return name
    .replace(/^\uFEFF/, "")
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

const isBlank = (row: readonly string[] | undefined): boolean => !row || row.every((c) => c.trim() === "");

export interface HeaderLayout {
  /** Index in the grid of the header row (the first non-blank row). */
  headerIndex: number;
  /** Canonical column → column index. Only known columns, and only those that are not ambiguous. */
  columns: Map<string, number>;
  /** Index → canonical name, for known columns. */
  names: Map<number, string>;
  /** One past the last column holding a non-blank cell in any row (header included): appended columns go here. */
  width: number;
}

function describeHeader(raw: string, index: number): string {
  return `column ${columnLetters(index)} ("${raw.trim()}")`;
}

/** Finds the header row and maps its cells to canonical names. Problems with the header are whole-table. */
export function resolveHeader(
  grid: readonly (readonly string[])[],
  opts: TableOptions,
): { layout: HeaderLayout | null; problems: SourceProblem[] } {
  const table = opts.table;
  const problems: SourceProblem[] = [];
  const named = opts.label ? `The ${table} table (${opts.label})` : `The ${table} table`;
  const headerIndex = grid.findIndex((row) => !isBlank(row));
  if (headerIndex < 0) {
    problems.push({
      table,
      message: `${named} is empty; its first row must hold the column names (${requiredColumns(table).join(", ")}).`,
      fatal: true,
    });
    return { layout: null, problems };
  }
  const known = new Set(knownColumns(opts));
  const aliases = new Map<string, string>();
  for (const [from, to] of Object.entries(opts.aliases ?? {})) {
    const target = normalizeHeader(to);
    if (!known.has(target)) {
      problems.push({
        table,
        message: `The config maps "${from}" to "${to}", which is not a column of the ${table} table${opts.label ? ` (${opts.label})` : ""}; use one of ${[...known].join(", ")}.`,
        fatal: false,
      });
      continue;
    }
    aliases.set(normalizeHeader(from), target);
  }

  const header = grid[headerIndex] ?? [];
  const byName = new Map<string, number[]>();
  header.forEach((raw, i) => {
    const norm = normalizeHeader(raw);
    if (norm === "") return;
    const name = aliases.get(norm) ?? norm;
    const list = byName.get(name) ?? [];
    list.push(i);
    byName.set(name, list);
  });

  const columns = new Map<string, number>();
  const names = new Map<number, string>();
  for (const [name, indexes] of byName) {
    const first = indexes[0]!;
    if (indexes.length > 1) {
      const which = indexes.map((i) => describeHeader(header[i] ?? "", i)).join(" and ");
      if (known.has(name)) {
        problems.push({
          table,
          rowNumber: headerIndex + 1,
          column: name,
          message: `${which} in the header row (row ${headerIndex + 1}) are both the ${name} column; rename or delete all but one.`,
          fatal: true,
        });
        continue;
      }
      problems.push({
        table,
        rowNumber: headerIndex + 1,
        column: columnLetters(indexes[1]!),
        message: `${which} in the header row (row ${headerIndex + 1}) have the same name; the tool ignores them, but rename one to tell them apart.`,
        fatal: false,
      });
      continue;
    }
    if (known.has(name)) {
      columns.set(name, first);
      names.set(first, name);
    }
  }

  const duplicated = new Set(problems.filter((p) => p.fatal).map((p) => p.column));
  // A header read as one cell holding separators usually means the wrong delimiter.
  const glued = header.find((h) => /[,;\t|]/.test(h) && h.trim().length > 0);
  const hint = glued
    ? ` (the header cell "${glued.trim().slice(0, 60)}" holds separators: check the file's delimiter)`
    : "";
  for (const req of requiredColumns(table)) {
    if (columns.has(req) || duplicated.has(req)) continue;
    problems.push({
      table,
      rowNumber: headerIndex + 1,
      column: req,
      message: `${named} has no ${req} column; add a column named ${req} to the header row (row ${headerIndex + 1})${hint}.`,
      fatal: true,
    });
  }

  // Trailing empty cells (`a,b,,` from some exports) do not count: new columns go after the last used one.
  let width = 0;
  for (const row of grid) {
    for (let c = row.length - 1; c >= width; c--) {
      if ((row[c] ?? "").trim() !== "") {
        width = c + 1;
        break;
      }
    }
  }
  return { layout: { headerIndex, columns, names, width }, problems };
}

function dateColumns(opts: TableOptions): Set<string> {
  return new Set(
    inputColumns(opts)
      .filter((c) => c.type.kind === "date")
      .map((c) => c.name),
  );
}

/** A raw grid → rows of known columns (trimmed; valid dates as `YYYY-MM-DD`) and the problems found. */
export function gridToRows(
  grid: readonly (readonly string[])[],
  opts: TableOptions,
): { rows: SheetRow[]; problems: SourceProblem[]; layout: HeaderLayout | null } {
  const { layout, problems } = resolveHeader(grid, opts);
  const rows: SheetRow[] = [];
  if (!layout || problems.some((p) => p.fatal)) return { rows, problems, layout };

  const table = opts.table;
  const header = grid[layout.headerIndex] ?? [];
  const dates = dateColumns(opts);
  const fields = [...layout.columns].map(([name, index]) => ({ name, index, isDate: dates.has(name) }));
  const newCells = recordMaker(fields.map((f) => f.name));
  const named = header.map((h) => normalizeHeader(h) !== "");
  const unnamedWithData = new Map<number, number>();

  for (let i = layout.headerIndex + 1; i < grid.length; i++) {
    const raw = grid[i] ?? [];
    if (isBlank(raw) || (opts.commentRows && isCommentRow(raw))) continue;
    const rowNumber = i + 1;
    if (opts.extraCells === "ragged" && raw.length > header.length) {
      const extra = raw.slice(header.length).some((c) => c.trim() !== "");
      if (extra) {
        problems.push({
          table,
          rowNumber,
          message: `Row ${rowNumber} has ${raw.length} cells but the header has ${header.length} columns, so its values cannot be matched to columns; put quotes around values that contain the delimiter, or remove the extra cells. The row is skipped.`,
          fatal: false,
        });
        continue;
      }
    }
    for (let c = 0; c < raw.length; c++) {
      if (named[c] === true || unnamedWithData.has(c) || (raw[c] ?? "").trim() === "") continue;
      unnamedWithData.set(c, rowNumber);
    }
    const cells = newCells();
    for (const f of fields) {
      const value = (raw[f.index] ?? "").trim();
      if (f.isDate && value !== "") {
        const parsed = parseDate(value, opts.dateFormat);
        cells[f.name] = parsed.ok && parsed.value !== undefined ? parsed.value : value;
      } else {
        cells[f.name] = value;
      }
    }
    rows.push({ table, rowNumber, cells });
  }

  for (const [c, firstRow] of unnamedWithData) {
    problems.push({
      table,
      rowNumber: firstRow,
      column: columnLetters(c),
      message: `Column ${columnLetters(c)} has no header but holds data (first in row ${firstRow}); give it a name in row ${layout.headerIndex + 1} or clear it. Its values are ignored.`,
      fatal: false,
    });
  }
  return { rows, problems, layout };
}

/** The key a patch for this row should carry: by ref when the row has its refs, else by row number. */
export function rowKeyOf(row: SheetRow): RowKey {
  const bundleRef = row.cells["bundle_ref"] ?? "";
  if (row.table === "bundles") {
    return bundleRef !== ""
      ? { table: "bundles", bundleRef }
      : { table: "bundles", rowNumber: row.rowNumber };
  }
  const videoRef = row.cells["video_ref"] ?? "";
  return bundleRef !== "" && videoRef !== ""
    ? { table: "videos", bundleRef, videoRef }
    : { table: "videos", rowNumber: row.rowNumber };
}

const refKey = (bundleRef: string, videoRef?: string): string =>
  videoRef === undefined ? bundleRef : `${bundleRef}\u0000${videoRef}`;

/**
 * Whether two rows hold the same cells, wherever their columns moved to: a row without a ref is identified
 * by its content (non-empty cells, trimmed, as a multiset).
 */
export function sameCells(a: readonly string[], b: readonly string[]): boolean {
  const cells = (row: readonly string[]) =>
    row
      .map((v) => v.trim())
      .filter((v) => v !== "")
      .sort();
  const x = cells(a);
  const y = cells(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Grid indexes of the rows a key designates in a fresh grid. By ref (every row with that ref: a duplicate
 * ref patches all of them), or — for a row that had no ref — the same row number, only while that row is
 * still non-blank and still without a ref.
 */
export function locateRows(
  grid: readonly (readonly string[])[],
  layout: HeaderLayout,
  key: RowKey,
): number[] {
  return new RowLocator(grid, layout, key.table).find(key);
}

/** Indexes a fresh grid by ref once, so locating many keys stays linear. */
export class RowLocator {
  private readonly byRef = new Map<string, number[]>();
  private readonly bundleCol: number | undefined;
  private readonly videoCol: number | undefined;

  constructor(
    private readonly grid: readonly (readonly string[])[],
    private readonly layout: HeaderLayout,
    private readonly table: TableName,
  ) {
    this.bundleCol = layout.columns.get("bundle_ref");
    this.videoCol = table === "videos" ? layout.columns.get("video_ref") : undefined;
    for (let i = layout.headerIndex + 1; i < grid.length; i++) {
      const k = this.keyAt(i);
      if (k === null) continue;
      const list = this.byRef.get(k) ?? [];
      list.push(i);
      this.byRef.set(k, list);
    }
  }

  private cell(i: number, col: number | undefined): string {
    return col === undefined ? "" : (this.grid[i]?.[col] ?? "").trim();
  }

  private keyAt(i: number): string | null {
    const b = this.cell(i, this.bundleCol);
    if (this.table === "bundles") return b === "" ? null : refKey(b);
    const v = this.cell(i, this.videoCol);
    return b === "" || v === "" ? null : refKey(b, v);
  }

  find(key: RowKey): number[] {
    if (key.table !== this.table) return [];
    if ("rowNumber" in key) {
      const i = key.rowNumber - 1;
      if (i <= this.layout.headerIndex || i >= this.grid.length || isBlank(this.grid[i])) return [];
      // Ref-less as `rowKeyOf` means it: a videos row lacking either ref (a bundle_ref alone is not a key).
      return this.keyAt(i) === null ? [i] : [];
    }
    const k = key.table === "bundles" ? refKey(key.bundleRef) : refKey(key.bundleRef, key.videoRef);
    return this.byRef.get(k) ?? [];
  }
}
