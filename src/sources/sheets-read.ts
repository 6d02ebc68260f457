/**
 * The first read of a run: one `values.batchGet` of every configured tab (whole-tab ranges,
 * UNFORMATTED_VALUE + SERIAL_NUMBER), turned into rows and, per usable tab, what a later write needs of it
 * (`SheetsTab`). The echoed ranges give each tab's grid size. Only when a tab is missing, one
 * `spreadsheets.get` names the tabs that exist.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { echoedExtent, quoteTitle } from "./a1.ts";
import { inputColumns } from "./columns.ts";
import { type ExtraReads, type ExtraTabName, extraReadsOf } from "./extra-tabs.ts";
import { type SheetsCalls, SheetsSourceError } from "./sheets-calls.ts";
import { cellText } from "./sheets-cells.ts";
import { gridToRows, resolveHeader, type TableOptions } from "./table.ts";
import type { CampaignTables, SourceProblem, TableName } from "./types.ts";
import { type ReadTable, readTable } from "./write-plan.ts";

/** What every request of one source needs. */
export interface SheetsContext {
  api: sheets_v4.Sheets;
  calls: SheetsCalls;
  spreadsheetId: string;
}

/** Our own retries only (see sheets-calls.ts). */
export const PER_CALL = { retry: false } as const;

export type RawCell = string | number | boolean | null | undefined;

/** A configured tab. */
export interface TabSpec {
  table: TableName;
  title: string;
  options: TableOptions;
}

/** What the read saw of one tab, kept by the snapshot to plan its writes. */
export interface SheetsTab extends ReadTable {
  title: string;
  /** Grid size echoed by the read (grown when columns are appended). */
  columnCount: number;
}

export interface SheetsRead {
  tables: CampaignTables;
  tabs: Map<TableName, SheetsTab>;
  /** The extra tabs asked for, as read (null: the tab does not exist yet). */
  extras: ExtraReads;
  /** Grid rows of each extra tab read, by title (from the echoed range). */
  extraRows?: Map<string, number>;
}

/** An extra tab the source keeps (run log, analytics history) and its title. */
export interface ExtraTabSpec {
  tab: ExtraTabName;
  title: string;
}

function batchGet(ctx: SheetsContext, titles: readonly string[]) {
  return ctx.calls.run("read", "read (values.batchGet)", () =>
    ctx.api.spreadsheets.values.batchGet(
      {
        spreadsheetId: ctx.spreadsheetId,
        ranges: titles.map(quoteTitle),
        valueRenderOption: "UNFORMATTED_VALUE",
        dateTimeRenderOption: "SERIAL_NUMBER",
        majorDimension: "ROWS",
      },
      PER_CALL,
    ),
  );
}

const isMissingRange = (err: unknown): boolean =>
  err instanceof SheetsSourceError && err.status === 400 && /Unable to parse range/i.test(err.message);

/**
 * One `values.batchGet` of the campaign tabs and the extra tabs together. Only while an extra tab does not
 * exist yet (the runs before its first write), that read fails and costs 2 more reads: the tab list and
 * the read again without it.
 */
export async function readTabs(
  ctx: SheetsContext,
  specs: readonly TabSpec[],
  extraSpecs: readonly ExtraTabSpec[] = [],
): Promise<SheetsRead> {
  const hasBundles = specs.some((t) => t.table === "bundles");
  const option = Object.fromEntries(extraSpecs.map((e) => [e.tab, true]));
  let ranges: sheets_v4.Schema$ValueRange[];
  let extrasRead = extraSpecs;
  try {
    const res = await batchGet(ctx, [...specs.map((t) => t.title), ...extraSpecs.map((e) => e.title)]);
    ranges = res.data.valueRanges ?? [];
  } catch (err) {
    if (!isMissingRange(err)) throw err;
    const titles = await tabTitles(ctx);
    const problems = missingTabs(titles, specs);
    if (problems.length > 0 || extraSpecs.length === 0)
      return {
        tables: { bundles: hasBundles ? [] : null, videos: [], problems },
        tabs: new Map(),
        extras: extraReadsOf(option, new Map()),
      };
    extrasRead = extraSpecs.filter((e) => titles.includes(e.title));
    const res = await batchGet(ctx, [...specs.map((t) => t.title), ...extrasRead.map((e) => e.title)]);
    ranges = res.data.valueRanges ?? [];
  }
  const found = new Map<ExtraTabName, string[][]>();
  const extraRows = new Map<string, number>();
  extrasRead.forEach((e, i) => {
    const vr = ranges[specs.length + i];
    extraRows.set(e.title, echoedExtent(vr?.range)?.rows ?? 1000);
    const raw = (vr?.values ?? []) as RawCell[][];
    found.set(
      e.tab,
      raw.map((row) => row.map((v) => cellText(v, false))),
    );
  });
  const extras = extraReadsOf(option, found);

  const tabs = new Map<TableName, SheetsTab>();
  const problems: SourceProblem[] = [];
  const tables: CampaignTables = { bundles: hasBundles ? [] : null, videos: [], problems };
  specs.forEach((t, i) => {
    const vr = ranges[i];
    const grid = toTextGrid((vr?.values ?? []) as RawCell[][], t.options);
    const { rows, problems: found, layout } = gridToRows(grid, t.options);
    problems.push(...found);
    if (t.table === "bundles") tables.bundles = rows;
    else tables.videos = rows;
    if (layout && !found.some((p) => p.fatal)) {
      const extent = echoedExtent(vr?.range);
      tabs.set(t.table, {
        ...readTable(grid, layout, t.options),
        title: t.title,
        columnCount: extent?.columns ?? Math.max(layout.width, 26),
      });
    }
  });
  return { tables, tabs, extras, extraRows };
}

/** The tabs' ids by title, in one `spreadsheets.get` of their properties (a values read does not give them). */
export async function tabIds(ctx: SheetsContext, what: string): Promise<Map<string, number>> {
  const res = await ctx.calls.run("read", `${what} (spreadsheets.get)`, () =>
    ctx.api.spreadsheets.get(
      { spreadsheetId: ctx.spreadsheetId, fields: "sheets.properties(sheetId,title)" },
      PER_CALL,
    ),
  );
  const ids = new Map<string, number>();
  for (const s of res.data.sheets ?? []) {
    const p = s.properties;
    // A zero is a default JSON may leave out: the first tab's id is 0 (as src/workspace/sheet-view.ts reads).
    if (p?.title) ids.set(p.title, p.sheetId ?? 0);
  }
  return ids;
}

async function tabTitles(ctx: SheetsContext): Promise<string[]> {
  const res = await ctx.calls.run("read", "listing tabs (spreadsheets.get)", () =>
    ctx.api.spreadsheets.get(
      { spreadsheetId: ctx.spreadsheetId, fields: "sheets.properties.title" },
      PER_CALL,
    ),
  );
  return (res.data.sheets ?? []).map((s) => s.properties?.title ?? "").filter((t) => t !== "");
}

/** A configured tab does not exist: say which tabs do, as a fatal problem of that table. */
function missingTabs(titles: readonly string[], specs: readonly TabSpec[]): SourceProblem[] {
  return specs
    .filter((t) => !titles.includes(t.title))
    .map((t) => ({
      table: t.table,
      message: `The spreadsheet has no tab named "${t.title}" (it has ${titles.map((x) => `"${x}"`).join(", ") || "no tabs"}); set ${t.table}_tab in the config to the tab's exact name.`,
      fatal: true,
    }));
}

/** Cells → text; numbers in date columns are serial dates and become YYYY-MM-DD. */
function toTextGrid(raw: RawCell[][], opts: TableOptions): string[][] {
  const grid = raw.map((row) => row.map((v) => cellText(v, false)));
  const { layout } = resolveHeader(grid, opts);
  if (!layout) return grid;
  const dates = new Set(
    inputColumns(opts)
      .filter((c) => c.type.kind === "date")
      .map((c) => c.name),
  );
  for (const [name, col] of layout.columns) {
    if (!dates.has(name)) continue;
    for (let i = layout.headerIndex + 1; i < raw.length; i++) {
      const row = grid[i] as string[];
      if (col < row.length) row[col] = cellText(raw[i]?.[col], true);
    }
  }
  return grid;
}
