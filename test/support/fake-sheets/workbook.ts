/**
 * The state of one fake spreadsheet: tabs with typed cells and grid sizes, value reads and writes, and the
 * structural requests of `spreadsheets.batchUpdate`. Errors are thrown as `SheetsError` in Google's shape.
 */
import { A1Error, formatRange, type ParsedRange, parseRange } from "./a1.ts";
import {
  type Cell,
  type CellValue,
  type DateTimeRenderOption,
  inputCell,
  renderCell,
  type ValueInputOption,
  type ValueRenderOption,
} from "./cells.ts";
import { DeveloperMetadataStore } from "./developer-metadata.ts";
import { badRequest } from "./errors.ts";
import {
  applyNewSheetProperties,
  cellLayoutFields,
  frozenCounts,
  type GridRangeIn,
  layoutRequest,
  type TabLayout,
} from "./layout.ts";

export { badRequest, SheetsError } from "./errors.ts";

export interface Tab {
  sheetId: number;
  title: string;
  rowCount: number;
  columnCount: number;
  /** rows[r][c]; holes are empty cells. */
  rows: (Cell | undefined)[][];
  /** Notes, validation, formats, protections, conditional formats, charts, frozen panes (layout.ts). */
  layout?: TabLayout;
}

/** A resolved, closed rectangle on one tab. */
export interface Rect {
  tab: Tab;
  startRow: number;
  endRow: number;
  startCol: number;
  endCol: number;
}

export type MajorDimension = "ROWS" | "COLUMNS";

export interface ReadOptions {
  valueRenderOption: ValueRenderOption;
  dateTimeRenderOption: DateTimeRenderOption;
  majorDimension: MajorDimension;
}

export interface ValueRangeOut {
  range: string;
  majorDimension: MajorDimension;
  values?: CellValue[][];
}

export interface UpdateResult {
  updatedRange: string;
  updatedRows: number;
  updatedColumns: number;
  updatedCells: number;
}

interface DimensionRangeIn {
  sheetId?: number;
  dimension?: string;
  startIndex?: number;
  endIndex?: number;
}

function cloneTab(tab: Tab): Tab {
  const copy: Tab = { ...tab, rows: tab.rows.map((row) => (row ? [...row] : row)) };
  if (tab.layout) copy.layout = structuredClone(tab.layout);
  return copy;
}

function sortKey(cell: Cell | undefined): [number, number | string | boolean] {
  if (cell === undefined) return [3, 0];
  switch (cell.t) {
    case "n":
      return [0, cell.v];
    case "s":
      return cell.v === "" ? [3, 0] : [1, cell.v.toLowerCase()];
    case "b":
      return [2, cell.v];
    case "f":
      return [1, cell.f.toLowerCase()];
  }
}

export class Workbook {
  tabs: Tab[] = [];
  private nextSheetId = 0;
  /** Developer metadata (developer-metadata.ts), rolled back with the tabs when a batch fails. */
  readonly metadata = new DeveloperMetadataStore((id) => this.tabs.some((t) => t.sheetId === id));

  constructor(
    readonly spreadsheetId: string,
    readonly title: string,
  ) {}

  titles(): string[] {
    return this.tabs.map((t) => t.title);
  }

  tab(title: string): Tab {
    const tab = this.tabs.find((t) => t.title === title);
    if (!tab) throw badRequest(`Unable to parse range: ${title}`);
    return tab;
  }

  tabById(sheetId: number | undefined): Tab {
    const tab = this.tabs.find((t) => t.sheetId === (sheetId ?? 0));
    if (!tab) throw badRequest(`No grid with id: ${sheetId ?? 0}`);
    return tab;
  }

  addTab(title: string, rowCount = 1000, columnCount = 26, sheetId?: number): Tab {
    if (this.tabs.some((t) => t.title.toLowerCase() === title.toLowerCase())) {
      throw badRequest(
        `Invalid requests[0].addSheet: A sheet with the name "${title}" already exists. Please enter another name.`,
      );
    }
    // The first tab of a new spreadsheet is 0; later ones get large ids, as in Sheets.
    const id = sheetId ?? (this.tabs.length === 0 ? 0 : 1_000_000 + this.nextSheetId++);
    if (this.tabs.some((t) => t.sheetId === id)) throw badRequest(`A sheet with id ${id} already exists.`);
    const tab: Tab = { sheetId: id, title, rowCount, columnCount, rows: [] };
    this.tabs.push(tab);
    return tab;
  }

  /** Resolves a client range. Reads clip an open or oversized end to the grid; writes must fit. */
  resolve(range: string): { tab: Tab; parsed: ParsedRange } {
    let parsed: ParsedRange;
    try {
      parsed = parseRange(range, this.titles());
    } catch (err) {
      if (err instanceof A1Error) throw badRequest(err.message);
      throw err;
    }
    const tab = parsed.sheet === null ? this.tabs[0] : this.tabs.find((t) => t.title === parsed.sheet);
    if (!tab) throw badRequest(`Unable to parse range: ${range}`);
    return { tab, parsed };
  }

  private clip(tab: Tab, p: ParsedRange, range: string): Rect {
    if (p.startRow >= tab.rowCount || p.startCol >= tab.columnCount) {
      throw badRequest(
        `Range (${range}) exceeds grid limits. Max rows: ${tab.rowCount}, max columns: ${tab.columnCount}`,
      );
    }
    return {
      tab,
      startRow: p.startRow,
      endRow: Math.min(p.endRow ?? tab.rowCount, tab.rowCount),
      startCol: p.startCol,
      endCol: Math.min(p.endCol ?? tab.columnCount, tab.columnCount),
    };
  }

  read(range: string, opts: ReadOptions): ValueRangeOut {
    const { tab, parsed } = this.resolve(range);
    const rect = this.clip(tab, parsed, range);
    const rows: CellValue[][] = [];
    for (let r = rect.startRow; r < rect.endRow; r++) {
      const src = tab.rows[r];
      const row: CellValue[] = [];
      let last = -1;
      for (let c = rect.startCol; c < rect.endCol; c++) {
        const cell = src?.[c];
        row.push(renderCell(cell, opts.valueRenderOption, opts.dateTimeRenderOption));
        if (cell !== undefined) last = c - rect.startCol;
      }
      row.length = last + 1;
      rows.push(row);
    }
    let values = rows;
    if (opts.majorDimension === "COLUMNS") {
      const width = Math.max(0, ...rows.map((r) => r.length));
      values = [];
      for (let c = 0; c < width; c++) {
        const col = rows.map((r) => (c < r.length ? (r[c] as CellValue) : ""));
        let last = col.length - 1;
        while (last >= 0 && col[last] === "" && (rows[last]?.length ?? 0) <= c) last--;
        values.push(col.slice(0, last + 1));
      }
    }
    // Google trims trailing empty rows (or columns) and leaves out `values` when nothing is left.
    let end = values.length;
    while (end > 0 && (values[end - 1] as CellValue[]).length === 0) end--;
    values = values.slice(0, end);
    const out: ValueRangeOut = {
      range: formatRange(tab.title, rect),
      majorDimension: opts.majorDimension,
    };
    if (values.length > 0) out.values = values;
    return out;
  }

  write(range: string, values: unknown, major: MajorDimension, input: ValueInputOption): UpdateResult {
    const { tab, parsed } = this.resolve(range);
    if (!Array.isArray(values) || !values.every(Array.isArray)) {
      throw badRequest("Invalid values: expected a list of lists");
    }
    let grid = values as unknown[][];
    if (major === "COLUMNS") {
      const height = Math.max(0, ...grid.map((c) => c.length));
      grid = Array.from({ length: height }, (_, r) => grid.map((col) => col[r] ?? null));
    }
    const height = grid.length;
    const width = Math.max(0, ...grid.map((r) => r.length));
    // A one-cell range is an anchor: the data may extend right and down from it.
    const anchor = parsed.endRow === parsed.startRow + 1 && parsed.endCol === parsed.startCol + 1;
    if (!anchor) {
      if (parsed.endRow !== null && parsed.startRow + height > parsed.endRow) {
        throw badRequest(
          `Requested writing within range [${range}], but tried writing to row [${parsed.startRow + height}]`,
        );
      }
      if (parsed.endCol !== null && parsed.startCol + width > parsed.endCol) {
        throw badRequest(`Requested writing within range [${range}], but tried writing to column beyond it`);
      }
    }
    const endRow = parsed.startRow + height;
    const endCol = parsed.startCol + width;
    if (height > 0 && width > 0 && (endRow > tab.rowCount || endCol > tab.columnCount)) {
      throw badRequest(
        `Range (${range}) exceeds grid limits. Max rows: ${tab.rowCount}, max columns: ${tab.columnCount}`,
      );
    }
    const cells: { r: number; c: number; cell: Cell | null }[] = [];
    grid.forEach((row, i) => {
      row.forEach((value, j) => {
        let cell: Cell | null | undefined;
        try {
          cell = inputCell(value, input);
        } catch (err) {
          throw badRequest((err as Error).message);
        }
        if (cell !== undefined) cells.push({ r: parsed.startRow + i, c: parsed.startCol + j, cell });
      });
    });
    for (const { r, c, cell } of cells) {
      const row = tab.rows[r] ?? [];
      tab.rows[r] = row;
      row[c] = cell ?? undefined;
    }
    const rowsTouched = new Set(cells.map((x) => x.r));
    const colsTouched = new Set(cells.map((x) => x.c));
    return {
      updatedRange:
        height > 0 && width > 0
          ? formatRange(tab.title, { startRow: parsed.startRow, endRow, startCol: parsed.startCol, endCol })
          : formatRange(tab.title, { ...parsed, endRow: parsed.startRow + 1, endCol: parsed.startCol + 1 }),
      updatedRows: rowsTouched.size,
      updatedColumns: colsTouched.size,
      updatedCells: cells.length,
    };
  }

  /** Applies `spreadsheets.batchUpdate` requests atomically: all of them or none. */
  batchUpdate(requests: unknown[]): unknown[] {
    const saved = {
      tabs: this.tabs.map(cloneTab),
      nextSheetId: this.nextSheetId,
      metadata: this.metadata.snapshot(),
    };
    try {
      return requests.map((req, i) => this.structural(req, i));
    } catch (err) {
      this.tabs = saved.tabs;
      this.nextSheetId = saved.nextSheetId;
      this.metadata.restore(saved.metadata);
      throw err;
    }
  }

  private structural(req: unknown, i: number): unknown {
    if (req === null || typeof req !== "object") throw badRequest(`Invalid requests[${i}]: empty request`);
    const entries = Object.entries(req as Record<string, unknown>);
    if (entries.length !== 1)
      throw badRequest(`Invalid requests[${i}]: exactly one kind of request expected`);
    const [kind, body] = entries[0] as [string, Record<string, unknown>];
    switch (kind) {
      case "addSheet": {
        const props = (body.properties ?? {}) as {
          title?: string;
          sheetId?: number;
          gridProperties?: {
            rowCount?: number;
            columnCount?: number;
            frozenRowCount?: number;
            frozenColumnCount?: number;
          };
        };
        const title = props.title ?? `Sheet${this.tabs.length + 1}`;
        const tab = this.addTab(
          title,
          props.gridProperties?.rowCount ?? 1000,
          props.gridProperties?.columnCount ?? 26,
          props.sheetId,
        );
        applyNewSheetProperties(tab, props.gridProperties);
        return { addSheet: { properties: this.sheetProperties(tab) } };
      }
      case "appendDimension": {
        const b = body as { sheetId?: number; dimension?: string; length?: number };
        const tab = this.tabById(b.sheetId);
        const length = b.length ?? 0;
        if (!Number.isInteger(length) || length < 1) {
          throw badRequest(`Invalid requests[${i}].appendDimension: length must be at least 1`);
        }
        if (b.dimension === "ROWS") tab.rowCount += length;
        else if (b.dimension === "COLUMNS") tab.columnCount += length;
        else throw badRequest(`Invalid requests[${i}].appendDimension: dimension must be ROWS or COLUMNS`);
        return {};
      }
      case "insertDimension":
      case "deleteDimension": {
        const range = (body.range ?? {}) as DimensionRangeIn;
        const tab = this.tabById(range.sheetId);
        const start = range.startIndex ?? 0;
        const end = range.endIndex ?? start;
        const limit = range.dimension === "ROWS" ? tab.rowCount : tab.columnCount;
        if (range.dimension !== "ROWS" && range.dimension !== "COLUMNS") {
          throw badRequest(`Invalid requests[${i}].${kind}: dimension must be ROWS or COLUMNS`);
        }
        if (end <= start || start < 0 || (kind === "deleteDimension" ? end > limit : start > limit)) {
          throw badRequest(`Invalid requests[${i}].${kind}: range out of bounds`);
        }
        if (kind === "insertDimension") this.insert(tab, range.dimension, start, end - start);
        else this.remove(tab, range.dimension, start, end - start);
        return {};
      }
      case "sortRange": {
        const b = body as {
          range?: GridRangeIn;
          sortSpecs?: { dimensionIndex?: number; sortOrder?: string }[];
        };
        this.sort(b.range ?? {}, b.sortSpecs ?? []);
        return {};
      }
      case "deleteSheet": {
        const tab = this.tabById((body as { sheetId?: number }).sheetId);
        this.tabs = this.tabs.filter((t) => t !== tab);
        this.metadata.dropSheet(tab.sheetId);
        return {};
      }
      default: {
        const meta = this.metadata.request(kind, body, i);
        if (meta !== undefined) return meta;
        const reply = layoutRequest(this, kind, body, i);
        if (reply !== undefined) return reply;
        throw badRequest(`Invalid requests[${i}]: the fake Sheets server does not implement ${kind}`);
      }
    }
  }

  insert(tab: Tab, dimension: "ROWS" | "COLUMNS", start: number, count: number): void {
    if (dimension === "ROWS") {
      tab.rowCount += count;
      if (start < tab.rows.length) tab.rows.splice(start, 0, ...Array.from({ length: count }, () => []));
      const meta = tab.layout?.meta;
      if (meta && start < meta.length) meta.splice(start, 0, ...Array.from({ length: count }, () => []));
    } else {
      tab.columnCount += count;
      for (const row of [...tab.rows, ...(tab.layout?.meta ?? [])]) {
        if (row && start < row.length) row.splice(start, 0, ...new Array(count));
      }
    }
  }

  remove(tab: Tab, dimension: "ROWS" | "COLUMNS", start: number, count: number): void {
    if (dimension === "ROWS") {
      tab.rowCount -= count;
      tab.rows.splice(start, count);
      tab.layout?.meta.splice(start, count);
    } else {
      tab.columnCount -= count;
      for (const row of [...tab.rows, ...(tab.layout?.meta ?? [])]) row?.splice(start, count);
    }
  }

  sort(range: GridRangeIn, specs: { dimensionIndex?: number; sortOrder?: string }[]): void {
    const tab = this.tabById(range.sheetId);
    const startRow = range.startRowIndex ?? 0;
    const endRow = Math.min(range.endRowIndex ?? tab.rowCount, tab.rowCount);
    const startCol = range.startColumnIndex ?? 0;
    const endCol = Math.min(range.endColumnIndex ?? tab.columnCount, tab.columnCount);
    const block: (Cell | undefined)[][] = [];
    for (let r = startRow; r < endRow; r++) block.push((tab.rows[r] ?? []).slice(startCol, endCol));
    const order = specs.length > 0 ? specs : [{ dimensionIndex: startCol, sortOrder: "ASCENDING" }];
    const indexed = block.map((row, i) => ({ row, i }));
    indexed.sort((a, b) => {
      for (const spec of order) {
        const col = (spec.dimensionIndex ?? startCol) - startCol;
        const [ka, va] = sortKey(a.row[col]);
        const [kb, vb] = sortKey(b.row[col]);
        // Empty cells stay at the bottom whatever the direction, as in Sheets.
        if (ka !== kb) return ka === 3 || kb === 3 ? ka - kb : (ka - kb) * dir(spec.sortOrder);
        if (va < vb) return -1 * dir(spec.sortOrder);
        if (va > vb) return dir(spec.sortOrder);
      }
      return a.i - b.i;
    });
    indexed.forEach(({ row }, k) => {
      const target = tab.rows[startRow + k] ?? [];
      tab.rows[startRow + k] = target;
      for (let c = startCol; c < endCol; c++) target[c] = row[c - startCol];
    });
  }

  sheetProperties(tab: Tab): Record<string, unknown> {
    return {
      sheetId: tab.sheetId,
      title: tab.title,
      index: this.tabs.indexOf(tab),
      sheetType: "GRID",
      gridProperties: { rowCount: tab.rowCount, columnCount: tab.columnCount, ...frozenCounts(tab) },
    };
  }

  /** Cells of a rectangle as `spreadsheets.get?includeGridData=true` shows them. */
  gridData(rect: Rect): Record<string, unknown> {
    const rowData = [];
    for (let r = rect.startRow; r < rect.endRow; r++) {
      const values = [];
      for (let c = rect.startCol; c < rect.endCol; c++) {
        const cell = rect.tab.rows[r]?.[c];
        const layout = cellLayoutFields(rect.tab, r, c);
        if (cell === undefined) {
          values.push(layout);
          continue;
        }
        const user =
          cell.t === "s"
            ? { stringValue: cell.v }
            : cell.t === "n"
              ? { numberValue: cell.v }
              : cell.t === "b"
                ? { boolValue: cell.v }
                : { formulaValue: cell.f };
        values.push({
          userEnteredValue: user,
          formattedValue: renderCell(cell, "FORMATTED_VALUE", "SERIAL_NUMBER"),
          ...layout,
        });
      }
      rowData.push({ values });
    }
    return { startRow: rect.startRow, startColumn: rect.startCol, rowData };
  }

  /** The whole tab as a clipped rectangle (for grid data). */
  rectOf(range: string): Rect {
    const { tab, parsed } = this.resolve(range);
    return this.clip(tab, parsed, range);
  }
}

function dir(order: string | undefined): number {
  return order === "DESCENDING" ? -1 : 1;
}
