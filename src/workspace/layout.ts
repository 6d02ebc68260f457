/**
 * The layout `init` gives a spreadsheet, as the `spreadsheets.batchUpdate` requests that bring what a read
 * saw (sheet-view.ts) up to it. Pure and additive: a tab, a column, a note, a validation, a shade, a
 * protection, a status colour or a frozen pane is added only when missing, so a second `init` on the same
 * sheet yields no request. Nothing existing is moved, renamed, cleared or recoloured: missing columns go
 * after the last used one, a note or a validation someone already put on a column stays, frozen panes a
 * person chose stay.
 *
 * Per tab, in this order: addSheet, appendDimension (room for new columns), updateCells (new header cells
 * with their notes, then notes on known headers that lack one), setDataValidation, repeatCell (output
 * shade), addProtectedRange (warning only), addConditionalFormatRule (row colour by sync_status),
 * updateSheetProperties (frozen header row and ref column); then the requests of extra layout builders.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { columnLetters } from "../sources/a1.ts";
import { inputColumns, knownColumns, outputColumns, type TableMode } from "../sources/columns.ts";
import { SourceError } from "../sources/errors.ts";
import { normalizeHeader, resolveHeader } from "../sources/table.ts";
import type { TableName } from "../sources/types.ts";
import {
  type GuideContext,
  headerNote,
  OUTPUT_SHADE,
  PROTECTION_DESCRIPTION,
  STATUS_COLOURS,
  SYNC_STATUSES,
  validationRule,
} from "./guides.ts";
import { type SpreadsheetView, type TabView, textGrid } from "./sheet-view.ts";

export type SheetsRequest = sheets_v4.Schema$Request;

/** A new tab's grid (Google's default for a new sheet). */
export const NEW_TAB_ROWS = 1000;
export const NEW_TAB_COLUMNS = 26;
/** The ref column is frozen only when it is among the first columns (freezing ten columns helps nobody). */
const MAX_FROZEN_COLUMNS = 3;

export interface LayoutTable {
  table: TableName;
  title: string;
  mode: TableMode;
  /** The config's `columns` for this table: a header as the user wrote it → canonical name. */
  aliases?: Record<string, string>;
}

/**
 * Something more `init` lays out (the dashboard, say): the tabs it needs to see, and its requests given
 * what was read. It must be additive and idempotent like the rest: no request when its part is there.
 */
export interface ExtraLayout {
  /** Tabs this builder reads (they are read with the campaign tabs, in the same request). */
  tabs: readonly string[];
  build(view: SpreadsheetView, ids: SheetIds): SheetsRequest[];
}

export interface LayoutInput {
  view: SpreadsheetView;
  tables: readonly LayoutTable[];
  guides: GuideContext;
  extra?: readonly ExtraLayout[];
}

/** What was added to one tab (for the command's summary). */
export interface TabChanges {
  title: string;
  created: boolean;
  columns: string[];
  notes: number;
  validations: number;
  shaded: number;
  protections: number;
  statusRules: number;
  frozen: boolean;
}

/** What extra layout builders added to one tab (read back from their requests, for the summary). */
export interface ExtraTabChanges {
  title: string;
  created: boolean;
  /** Header cells written. */
  header: number;
  pivots: number;
  charts: number;
}

export interface LayoutPlan {
  requests: SheetsRequest[];
  tabs: TabChanges[];
  extraTabs: ExtraTabChanges[];
}

/** A tab whose header cannot be laid out without changing a person's columns. */
export class LayoutError extends SourceError {}

/**
 * Sheet ids by tab title: an existing tab's own, else one handed out for a tab added in this batch (stable
 * per title, never one in use), so a later request of the same batch (a chart reading that tab) can name it.
 */
export class SheetIds {
  private readonly used: Set<number>;
  private readonly given = new Map<string, number>();

  constructor(private readonly view: SpreadsheetView) {
    this.used = new Set(view.sheetIds);
  }

  forTitle(title: string): number {
    const known = this.view.tabs.get(title)?.sheetId ?? this.given.get(title);
    if (known !== undefined) return known;
    let h = 0;
    for (const ch of title) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 900_000_000;
    let id = 100_000_000 + h;
    while (this.used.has(id)) id++;
    this.used.add(id);
    this.given.set(title, id);
    return id;
  }
}

function emptyTab(sheetId: number, title: string, columns: number): TabView {
  return {
    sheetId,
    title,
    rowCount: NEW_TAB_ROWS,
    columnCount: Math.max(NEW_TAB_COLUMNS, columns),
    frozenRows: 0,
    frozenColumns: 0,
    cells: [],
    protectedRanges: [],
    conditionalFormulas: new Set(),
    chartTitles: [],
  };
}

/** Contiguous runs of column indexes, as [start, end) pairs. */
function runs(columns: readonly number[]): [number, number][] {
  const sorted = [...columns].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const c of sorted) {
    const last = out.at(-1);
    if (last && last[1] === c) last[1] = c + 1;
    else out.push([c, c + 1]);
  }
  return out;
}

/** The header cell of a known column that a second header cell also names: laying it out would need a choice. */
function duplicatedColumn(header: readonly string[], t: LayoutTable): string | null {
  const aliases = new Map(
    Object.entries(t.aliases ?? {}).map(([from, to]) => [normalizeHeader(from), normalizeHeader(to)]),
  );
  const known = new Set(knownColumns(t.mode));
  const seen = new Set<string>();
  for (const raw of header) {
    const norm = normalizeHeader(raw);
    const name = aliases.get(norm) ?? norm;
    if (!known.has(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

function layoutTab(
  t: LayoutTable,
  existing: TabView | undefined,
  guides: GuideContext,
  ids: SheetIds,
  out: SheetsRequest[],
): TabChanges {
  const known = knownColumns(t.mode);
  const tab = existing ?? emptyTab(ids.forTitle(t.title), t.title, known.length);
  const changes: TabChanges = {
    title: t.title,
    created: !existing,
    columns: [],
    notes: 0,
    validations: 0,
    shaded: 0,
    protections: 0,
    statusRules: 0,
    frozen: false,
  };
  if (!existing) {
    out.push({
      addSheet: {
        properties: {
          sheetId: tab.sheetId,
          title: t.title,
          gridProperties: { rowCount: tab.rowCount, columnCount: tab.columnCount },
        },
      },
    });
  }
  const sheetId = tab.sheetId;
  const grid = textGrid(tab);
  const { layout } = resolveHeader(grid, { ...t.mode, ...(t.aliases ? { aliases: t.aliases } : {}) });
  const headerIndex = layout?.headerIndex ?? 0;
  const dup = duplicatedColumn(grid[headerIndex] ?? [], t);
  if (dup) {
    throw new LayoutError(
      `Tab "${t.title}" has two ${dup} columns in its header row (row ${headerIndex + 1}); rename or delete all but one, then run init again.`,
    );
  }
  const at = new Map<string, number>(layout?.columns ?? []);
  const missing = known.filter((name) => !at.has(name));
  const width = layout?.width ?? 0;
  missing.forEach((name, i) => {
    at.set(name, width + i);
  });
  const totalWidth = width + missing.length;
  if (totalWidth > tab.columnCount) {
    out.push({
      appendDimension: { sheetId, dimension: "COLUMNS", length: totalWidth - tab.columnCount },
    });
  }
  const specs = new Map(inputColumns(t.mode).map((s) => [s.name, s]));
  const note = (name: string) => headerNote(t.mode, specs.get(name), name);
  if (missing.length > 0) {
    out.push({
      updateCells: {
        start: { sheetId, rowIndex: headerIndex, columnIndex: width },
        rows: [
          { values: missing.map((name) => ({ userEnteredValue: { stringValue: name }, note: note(name) })) },
        ],
        fields: "userEnteredValue,note",
      },
    });
    changes.columns = missing;
    changes.notes += missing.length;
  }
  const cell = (row: number, col: number) => tab.cells[row]?.[col];
  for (const name of known) {
    const col = at.get(name) as number;
    if (missing.includes(name) || (cell(headerIndex, col)?.note ?? "") !== "") continue;
    out.push({
      updateCells: {
        start: { sheetId, rowIndex: headerIndex, columnIndex: col },
        rows: [{ values: [{ note: note(name) }] }],
        fields: "note",
      },
    });
    changes.notes++;
  }

  const dataRow = headerIndex + 1;
  const column = (col: number, fromRow: number): sheets_v4.Schema$GridRange => ({
    sheetId,
    startRowIndex: fromRow,
    endRowIndex: tab.rowCount,
    startColumnIndex: col,
    endColumnIndex: col + 1,
  });
  for (const spec of inputColumns(t.mode)) {
    const col = at.get(spec.name) as number;
    if (cell(dataRow, col)?.validated) continue;
    const rule = validationRule(spec, guides);
    if (!rule) continue;
    out.push({ setDataValidation: { range: column(col, dataRow), rule } });
    changes.validations++;
  }

  const inputs = new Set(inputColumns(t.mode).map((s) => s.name));
  const outputOnly = outputColumns(t.mode)
    .filter((name) => !inputs.has(name))
    .map((name) => at.get(name) as number);
  for (const [start, end] of runs(outputOnly.filter((col) => !cell(headerIndex, col)?.shaded))) {
    out.push({
      repeatCell: {
        range: { ...column(start, headerIndex), endColumnIndex: end },
        cell: { userEnteredFormat: { backgroundColor: OUTPUT_SHADE } },
        fields: "userEnteredFormat.backgroundColor",
      },
    });
    changes.shaded += end - start;
  }
  const ours = tab.protectedRanges.filter((p) => p.description === PROTECTION_DESCRIPTION);
  const covered = (col: number) =>
    ours.some(
      (p) =>
        (p.range?.sheetId ?? 0) === sheetId &&
        (p.range?.startColumnIndex ?? 0) <= col &&
        col < (p.range?.endColumnIndex ?? Number.POSITIVE_INFINITY),
    );
  for (const [start, end] of runs(outputOnly.filter((col) => !covered(col)))) {
    out.push({
      addProtectedRange: {
        protectedRange: {
          range: { sheetId, startColumnIndex: start, endColumnIndex: end },
          description: PROTECTION_DESCRIPTION,
          warningOnly: true,
        },
      },
    });
    changes.protections++;
  }

  const statusCol = at.get("sync_status") as number;
  for (const status of SYNC_STATUSES) {
    const formula = `=$${columnLetters(statusCol)}${dataRow + 1}="${status}"`;
    if (tab.conditionalFormulas.has(formula)) continue;
    out.push({
      addConditionalFormatRule: {
        index: 0,
        rule: {
          ranges: [
            {
              sheetId,
              startRowIndex: dataRow,
              endRowIndex: tab.rowCount,
              startColumnIndex: 0,
              endColumnIndex: Math.max(totalWidth, tab.columnCount),
            },
          ],
          booleanRule: {
            condition: { type: "CUSTOM_FORMULA", values: [{ userEnteredValue: formula }] },
            format: { backgroundColor: STATUS_COLOURS[status] },
          },
        },
      },
    });
    changes.statusRules++;
  }

  const refCol = at.get(t.table === "bundles" ? "bundle_ref" : "video_ref") as number;
  const grid2: sheets_v4.Schema$GridProperties = {};
  if (tab.frozenRows === 0) grid2.frozenRowCount = headerIndex + 1;
  if (tab.frozenColumns === 0 && refCol < MAX_FROZEN_COLUMNS) grid2.frozenColumnCount = refCol + 1;
  const fields = Object.keys(grid2).map((k) => `gridProperties.${k}`);
  if (fields.length > 0) {
    out.push({
      updateSheetProperties: { properties: { sheetId, gridProperties: grid2 }, fields: fields.join(",") },
    });
    changes.frozen = true;
  }
  return changes;
}

export function planLayout(input: LayoutInput): LayoutPlan {
  const ids = new SheetIds(input.view);
  const requests: SheetsRequest[] = [];
  const tabs = input.tables.map((t) =>
    layoutTab(t, input.view.tabs.get(t.title), input.guides, ids, requests),
  );
  const extra = (input.extra ?? []).flatMap((e) => e.build(input.view, ids));
  requests.push(...extra);
  return { requests, tabs, extraTabs: extraChanges(extra, input.view) };
}

/** Per tab, what extra requests add: new tabs, header cells, pivot tables, charts. */
export function extraChanges(requests: readonly SheetsRequest[], view: SpreadsheetView): ExtraTabChanges[] {
  const titles = new Map([...view.tabs.values()].map((t) => [t.sheetId, t.title]));
  const byTitle = new Map<string, ExtraTabChanges>();
  const at = (sheetId: number | null | undefined): ExtraTabChanges => {
    const title = titles.get(sheetId ?? 0) ?? String(sheetId ?? 0);
    const known = byTitle.get(title);
    if (known) return known;
    const fresh = { title, created: false, header: 0, pivots: 0, charts: 0 };
    byTitle.set(title, fresh);
    return fresh;
  };
  for (const r of requests) {
    const added = r.addSheet?.properties;
    if (added?.title) {
      titles.set(added.sheetId ?? 0, added.title);
      at(added.sheetId).created = true;
    }
    if (r.updateCells) {
      const cells = (r.updateCells.rows ?? []).flatMap((row) => row.values ?? []);
      const tab = at(r.updateCells.start?.sheetId ?? r.updateCells.range?.sheetId);
      tab.pivots += cells.filter((c) => c.pivotTable).length;
      tab.header += cells.filter((c) => c.userEnteredValue).length;
    }
    const anchor = r.addChart?.chart?.position?.overlayPosition?.anchorCell?.sheetId;
    if (r.addChart) at(anchor ?? r.addChart.chart?.position?.sheetId).charts++;
  }
  return [...byTitle.values()];
}

/** Every tab `init` reads: the campaign's and those the extra builders ask for. */
export function tabsToRead(tables: readonly LayoutTable[], extra: readonly ExtraLayout[] = []): string[] {
  return [...new Set([...tables.map((t) => t.title), ...extra.flatMap((e) => e.tabs)])];
}
