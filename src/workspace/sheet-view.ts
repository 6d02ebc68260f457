/**
 * What `init` needs to know of a spreadsheet, read from one `spreadsheets.get` answer: per tab its id,
 * grid size, frozen counts, protected ranges, conditional format formulas, and the first rows' cells with
 * their notes, validation and background. Pure: the answer in, a view out.
 */
import type { sheets_v4 } from "@googleapis/sheets";

/** How many rows from the top `init` reads: the header must be among them (the reader takes the first non-blank row). */
export const HEADER_SCAN_ROWS = 50;

/** The fields `init` asks for: everything below, nothing of the data further down. */
export const VIEW_FIELDS = [
  "sheets.properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount,frozenColumnCount))",
  "sheets.data(startRow,startColumn,rowData.values(formattedValue,note,dataValidation.condition.type,userEnteredFormat.backgroundColor))",
  "sheets.protectedRanges(protectedRangeId,range,description,warningOnly)",
  "sheets.conditionalFormats(ranges,booleanRule.condition)",
  "sheets.charts(chartId,spec.title)",
].join(",");

export interface CellView {
  text: string;
  note: string;
  validated: boolean;
  shaded: boolean;
}

export interface TabView {
  sheetId: number;
  title: string;
  rowCount: number;
  columnCount: number;
  frozenRows: number;
  frozenColumns: number;
  /** cells[r][c] of the first rows read (row 0 = the sheet's row 1). */
  cells: CellView[][];
  protectedRanges: sheets_v4.Schema$ProtectedRange[];
  /** The first value of every conditional format rule's condition (a custom formula, for ours). */
  conditionalFormulas: Set<string>;
  /** Chart titles on the tab (for extra layout builders that add charts). */
  chartTitles: string[];
}

export interface SpreadsheetView {
  /** Every tab of the spreadsheet by title (those not read have no cells). */
  tabs: Map<string, TabView>;
  /** Sheet ids in use (a new tab needs one of its own in the same request). */
  sheetIds: Set<number>;
}

const EMPTY: CellView = { text: "", note: "", validated: false, shaded: false };

function cellView(c: sheets_v4.Schema$CellData | undefined): CellView {
  if (!c) return EMPTY;
  return {
    text: c.formattedValue ?? "",
    note: c.note ?? "",
    validated: c.dataValidation?.condition?.type != null,
    shaded: c.userEnteredFormat?.backgroundColor != null,
  };
}

function tabView(sheet: sheets_v4.Schema$Sheet): TabView | null {
  const p = sheet.properties;
  if (!p?.title) return null;
  // A zero is a default JSON may leave out: the first tab's id is 0.
  const sheetId = p.sheetId ?? 0;
  const cells: CellView[][] = [];
  for (const data of sheet.data ?? []) {
    const row0 = data.startRow ?? 0;
    const col0 = data.startColumn ?? 0;
    (data.rowData ?? []).forEach((rd, i) => {
      const row = cells[row0 + i] ?? [];
      cells[row0 + i] = row;
      (rd.values ?? []).forEach((c, j) => {
        row[col0 + j] = cellView(c);
      });
    });
  }
  for (let r = 0; r < cells.length; r++) {
    const row = cells[r] ?? [];
    cells[r] = Array.from({ length: row.length }, (_, c) => row[c] ?? EMPTY);
  }
  const formulas = new Set<string>();
  for (const rule of sheet.conditionalFormats ?? []) {
    const v = rule.booleanRule?.condition?.values?.[0]?.userEnteredValue;
    if (v) formulas.add(v);
  }
  return {
    sheetId,
    title: p.title,
    rowCount: p.gridProperties?.rowCount ?? 1000,
    columnCount: p.gridProperties?.columnCount ?? 26,
    frozenRows: p.gridProperties?.frozenRowCount ?? 0,
    frozenColumns: p.gridProperties?.frozenColumnCount ?? 0,
    cells,
    protectedRanges: sheet.protectedRanges ?? [],
    conditionalFormulas: formulas,
    chartTitles: (sheet.charts ?? []).map((c) => c.spec?.title ?? "").filter((t) => t !== ""),
  };
}

export function spreadsheetView(answer: sheets_v4.Schema$Spreadsheet): SpreadsheetView {
  const tabs = new Map<string, TabView>();
  const sheetIds = new Set<number>();
  for (const sheet of answer.sheets ?? []) {
    const view = tabView(sheet);
    if (!view) continue;
    tabs.set(view.title, view);
    sheetIds.add(view.sheetId);
  }
  return { tabs, sheetIds };
}

/** The first rows as text, as the table reader takes them. */
export function textGrid(tab: TabView): string[][] {
  return tab.cells.map((row) => row.map((c) => c.text));
}
