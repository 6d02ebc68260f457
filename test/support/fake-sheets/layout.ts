/**
 * The presentation side of a fake spreadsheet: per-cell notes, data validation, formats and pivot tables,
 * protected ranges, conditional format rules, charts and frozen rows/columns, as the
 * `spreadsheets.batchUpdate` requests that set them (updateCells, repeatCell, setDataValidation,
 * addProtectedRange, addConditionalFormatRule, addChart, updateSheetProperties) and as `spreadsheets.get`
 * returns them, so a second read sees what the first write stored. A pivot's source and a chart's ranges
 * must name tabs that exist (earlier in the same batch counts), as Google checks.
 *
 * Like the API, validation is not enforced on values written through the API (values.update and
 * friends); it only guides people in the UI.
 */
import { type Cell, seedCell } from "./cells.ts";
import { badRequest } from "./errors.ts";
import type { Tab, Workbook } from "./workbook.ts";

export interface CellMeta {
  note?: string;
  dataValidation?: unknown;
  userEnteredFormat?: Record<string, unknown>;
  pivotTable?: Record<string, unknown>;
}

/** What a tab holds besides its values (kept on the Tab, so batch rollbacks restore it too). */
export interface TabLayout {
  meta: (CellMeta | undefined)[][];
  protectedRanges: Record<string, unknown>[];
  conditionalFormats: Record<string, unknown>[];
  charts: Record<string, unknown>[];
  frozenRowCount: number;
  frozenColumnCount: number;
}

let nextId = 1;

export function layoutOf(tab: Tab): TabLayout {
  tab.layout ??= {
    meta: [],
    protectedRanges: [],
    conditionalFormats: [],
    charts: [],
    frozenRowCount: 0,
    frozenColumnCount: 0,
  };
  return tab.layout;
}

/** A GridRange as a request gives it (every field optional, as JSON leaves defaults out). */
export interface GridRangeIn {
  sheetId?: number;
  startRowIndex?: number;
  endRowIndex?: number;
  startColumnIndex?: number;
  endColumnIndex?: number;
}

/** The cells of a grid range, clipped to the grid (an open end runs to the grid's edge). */
function cellsOf(tab: Tab, r: GridRangeIn, where: string): [number, number][] {
  const startRow = r.startRowIndex ?? 0;
  const startCol = r.startColumnIndex ?? 0;
  const endRow = r.endRowIndex ?? tab.rowCount;
  const endCol = r.endColumnIndex ?? tab.columnCount;
  if (endRow > tab.rowCount || endCol > tab.columnCount || startRow < 0 || startCol < 0) {
    throw badRequest(
      `Invalid ${where}: range exceeds grid limits. Max rows: ${tab.rowCount}, max columns: ${tab.columnCount}`,
    );
  }
  const out: [number, number][] = [];
  for (let row = startRow; row < endRow; row++)
    for (let col = startCol; col < endCol; col++) out.push([row, col]);
  return out;
}

function metaAt(tab: Tab, row: number, col: number): CellMeta {
  const grid = layoutOf(tab).meta;
  const cells = grid[row] ?? [];
  grid[row] = cells;
  cells[col] ??= {};
  return cells[col] as CellMeta;
}

function valueCell(v: Record<string, unknown> | undefined): Cell | undefined {
  if (!v) return undefined;
  if (typeof v.formulaValue === "string") return { t: "f", f: v.formulaValue };
  const raw = v.stringValue ?? v.numberValue ?? v.boolValue;
  return seedCell(raw as string | number | boolean | undefined, "RAW") ?? undefined;
}

/** Applies the `fields` of a CellData to one cell, as updateCells and repeatCell do. */
function applyCell(
  tab: Tab,
  row: number,
  col: number,
  data: Record<string, unknown>,
  fields: string[],
): void {
  const all = fields.includes("*");
  const has = (name: string) => all || fields.some((f) => f === name || f.startsWith(`${name}.`));
  if (has("userEnteredValue")) {
    const cells = tab.rows[row] ?? [];
    tab.rows[row] = cells;
    cells[col] = valueCell(data.userEnteredValue as Record<string, unknown> | undefined);
  }
  const meta = metaAt(tab, row, col);
  if (has("note")) {
    if (typeof data.note === "string" && data.note !== "") meta.note = data.note;
    else delete meta.note;
  }
  if (has("dataValidation")) {
    if (data.dataValidation) meta.dataValidation = data.dataValidation;
    else delete meta.dataValidation;
  }
  if (has("pivotTable")) {
    if (data.pivotTable) meta.pivotTable = data.pivotTable as Record<string, unknown>;
    else delete meta.pivotTable;
  }
  if (has("userEnteredFormat")) {
    const given = (data.userEnteredFormat ?? {}) as Record<string, unknown>;
    const whole = all || fields.includes("userEnteredFormat");
    const format = whole ? {} : { ...(meta.userEnteredFormat ?? {}) };
    for (const f of fields) {
      const sub = f.startsWith("userEnteredFormat.") ? f.slice("userEnteredFormat.".length) : null;
      if (sub) format[sub] = given[sub];
    }
    if (whole) Object.assign(format, given);
    for (const k of Object.keys(format)) if (format[k] === undefined) delete format[k];
    if (Object.keys(format).length > 0) meta.userEnteredFormat = format;
    else delete meta.userEnteredFormat;
  }
}

function fieldList(fields: unknown, where: string): string[] {
  if (typeof fields !== "string" || fields.trim() === "") {
    throw badRequest(`Invalid ${where}: 'fields' is required`);
  }
  return fields.split(",").map((f) => f.trim());
}

function applyGridProperties(tab: Tab, gp: Record<string, unknown> | undefined, fields: string[]): void {
  const layout = layoutOf(tab);
  const has = (name: string) =>
    fields.includes("*") || fields.includes("gridProperties") || fields.includes(`gridProperties.${name}`);
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  if (has("frozenRowCount")) layout.frozenRowCount = num(gp?.frozenRowCount);
  if (has("frozenColumnCount")) layout.frozenColumnCount = num(gp?.frozenColumnCount);
  if (has("rowCount") && typeof gp?.rowCount === "number") tab.rowCount = gp.rowCount;
  if (has("columnCount") && typeof gp?.columnCount === "number") tab.columnCount = gp.columnCount;
}

/** A new tab's frozen counts from addSheet's properties. */
export function applyNewSheetProperties(tab: Tab, gp: Record<string, unknown> | undefined): void {
  applyGridProperties(tab, gp, ["gridProperties.frozenRowCount", "gridProperties.frozenColumnCount"]);
}

/**
 * Handles one layout request of a batch; `undefined` when `kind` is not one of them (the workbook then
 * answers that it is not implemented).
 */
export function layoutRequest(
  book: Workbook,
  kind: string,
  body: Record<string, unknown>,
  i: number,
): unknown {
  const where = `requests[${i}].${kind}`;
  switch (kind) {
    case "updateCells": {
      const fields = fieldList(body.fields, where);
      const rows = (body.rows ?? []) as { values?: Record<string, unknown>[] }[];
      const start = body.start as { sheetId?: number; rowIndex?: number; columnIndex?: number } | undefined;
      const range = body.range as GridRangeIn | undefined;
      if ((start === undefined) === (range === undefined)) {
        throw badRequest(`Invalid ${where}: exactly one of start and range is required`);
      }
      const tab = book.tabById(start?.sheetId ?? range?.sheetId);
      for (const rd of rows) {
        for (const data of rd.values ?? []) {
          const pivot = data.pivotTable as { source?: GridRangeIn } | undefined;
          if (pivot) book.tabById(pivot.source?.sheetId);
        }
      }
      const row0 = start?.rowIndex ?? range?.startRowIndex ?? 0;
      const col0 = start?.columnIndex ?? range?.startColumnIndex ?? 0;
      rows.forEach((rd, r) => {
        (rd.values ?? []).forEach((data, c) => {
          if (row0 + r >= tab.rowCount || col0 + c >= tab.columnCount) {
            throw badRequest(
              `Invalid ${where}: range exceeds grid limits. Max rows: ${tab.rowCount}, max columns: ${tab.columnCount}`,
            );
          }
          applyCell(tab, row0 + r, col0 + c, data, fields);
        });
      });
      return {};
    }
    case "repeatCell": {
      const fields = fieldList(body.fields, where);
      const range = (body.range ?? {}) as GridRangeIn;
      const tab = book.tabById(range.sheetId);
      const data = (body.cell ?? {}) as Record<string, unknown>;
      for (const [row, col] of cellsOf(tab, range, where)) applyCell(tab, row, col, data, fields);
      return {};
    }
    case "setDataValidation": {
      const range = (body.range ?? {}) as GridRangeIn;
      const tab = book.tabById(range.sheetId);
      const rule = body.rule as { condition?: { type?: string } } | undefined;
      if (rule && !rule.condition?.type)
        throw badRequest(`Invalid ${where}: rule.condition.type is required`);
      for (const [row, col] of cellsOf(tab, range, where)) {
        const meta = metaAt(tab, row, col);
        if (rule) meta.dataValidation = rule;
        else delete meta.dataValidation;
      }
      return {};
    }
    case "addProtectedRange": {
      const pr = { ...((body.protectedRange ?? {}) as Record<string, unknown>) };
      const range = (pr.range ?? {}) as GridRangeIn;
      const tab = book.tabById(range.sheetId);
      if (pr.warningOnly === true && pr.editors) {
        throw badRequest(`Invalid ${where}: editors cannot be set on a warning-only protected range`);
      }
      pr.protectedRangeId = nextId++;
      layoutOf(tab).protectedRanges.push(pr);
      return { addProtectedRange: { protectedRange: pr } };
    }
    case "addConditionalFormatRule": {
      const rule = (body.rule ?? {}) as { ranges?: GridRangeIn[] };
      const first = rule.ranges?.[0];
      if (!first) throw badRequest(`Invalid ${where}: rule.ranges is required`);
      const list = layoutOf(book.tabById(first.sheetId)).conditionalFormats;
      const index = typeof body.index === "number" ? Math.min(body.index, list.length) : list.length;
      list.splice(index, 0, rule as Record<string, unknown>);
      return {};
    }
    case "updateSheetProperties": {
      const fields = fieldList(body.fields, where);
      const props = (body.properties ?? {}) as {
        sheetId?: number;
        title?: string;
        gridProperties?: Record<string, unknown>;
      };
      const tab = book.tabById(props.sheetId);
      if ((fields.includes("title") || fields.includes("*")) && typeof props.title === "string")
        tab.title = props.title;
      applyGridProperties(tab, props.gridProperties, fields);
      return {};
    }
    case "addChart": {
      const chart = { ...((body.chart ?? {}) as Record<string, unknown>) };
      const position = (chart.position ?? {}) as {
        sheetId?: number;
        overlayPosition?: { anchorCell?: { sheetId?: number } };
      };
      const sheetId = position.overlayPosition?.anchorCell?.sheetId ?? position.sheetId;
      if (sheetId === undefined) throw badRequest(`Invalid ${where}: chart.position names no sheet`);
      for (const range of chartRanges(chart.spec)) book.tabById(range.sheetId);
      chart.chartId = nextId++;
      layoutOf(book.tabById(sheetId)).charts.push(chart);
      return { addChart: { chart } };
    }
    default:
      return undefined;
  }
}

/** Every grid range a chart's spec reads (domains and series of a basic chart). */
function chartRanges(spec: unknown): GridRangeIn[] {
  const basic = (spec as { basicChart?: Record<string, unknown> } | undefined)?.basicChart;
  const parts = [
    ...((basic?.domains ?? []) as { domain?: { sourceRange?: { sources?: GridRangeIn[] } } }[]).map(
      (d) => d.domain,
    ),
    ...((basic?.series ?? []) as { series?: { sourceRange?: { sources?: GridRangeIn[] } } }[]).map(
      (x) => x.series,
    ),
  ];
  return parts.flatMap((p) => p?.sourceRange?.sources ?? []);
}

/** The layout fields of a tab in a `spreadsheets.get` answer (Google leaves out what is empty or zero). */
export function sheetLayoutFields(tab: Tab): Record<string, unknown> {
  const layout = tab.layout;
  if (!layout) return {};
  const out: Record<string, unknown> = {};
  if (layout.protectedRanges.length > 0) out.protectedRanges = layout.protectedRanges;
  if (layout.conditionalFormats.length > 0) out.conditionalFormats = layout.conditionalFormats;
  if (layout.charts.length > 0) out.charts = layout.charts;
  return out;
}

export function frozenCounts(tab: Tab): Record<string, number> {
  const out: Record<string, number> = {};
  if (tab.layout?.frozenRowCount) out.frozenRowCount = tab.layout.frozenRowCount;
  if (tab.layout?.frozenColumnCount) out.frozenColumnCount = tab.layout.frozenColumnCount;
  return out;
}

/** A cell's notes, validation and format as grid data shows them. */
export function cellLayoutFields(tab: Tab, row: number, col: number): Record<string, unknown> {
  const meta = tab.layout?.meta[row]?.[col];
  if (!meta) return {};
  return {
    ...(meta.note !== undefined ? { note: meta.note } : {}),
    ...(meta.dataValidation !== undefined ? { dataValidation: meta.dataValidation } : {}),
    ...(meta.userEnteredFormat !== undefined ? { userEnteredFormat: meta.userEnteredFormat } : {}),
    ...(meta.pivotTable !== undefined ? { pivotTable: meta.pivotTable } : {}),
  };
}
