/**
 * The first read of a run: one `values.batchGet` of every configured tab (whole-tab ranges,
 * UNFORMATTED_VALUE + SERIAL_NUMBER), turned into rows and, per usable tab, what a later write needs of it
 * (`SheetsTab`). The echoed ranges give each tab's grid size. Only when a tab is missing, one
 * `spreadsheets.get` names the tabs that exist.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { echoedExtent, quoteTitle } from "./a1.ts";
import { inputColumns } from "./columns.ts";
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
}

export async function readTabs(ctx: SheetsContext, specs: readonly TabSpec[]): Promise<SheetsRead> {
  const hasBundles = specs.some((t) => t.table === "bundles");
  let ranges: sheets_v4.Schema$ValueRange[];
  try {
    const res = await ctx.calls.run("read", "read (values.batchGet)", () =>
      ctx.api.spreadsheets.values.batchGet(
        {
          spreadsheetId: ctx.spreadsheetId,
          ranges: specs.map((t) => quoteTitle(t.title)),
          valueRenderOption: "UNFORMATTED_VALUE",
          dateTimeRenderOption: "SERIAL_NUMBER",
          majorDimension: "ROWS",
        },
        PER_CALL,
      ),
    );
    ranges = res.data.valueRanges ?? [];
  } catch (err) {
    if (
      err instanceof SheetsSourceError &&
      err.status === 400 &&
      /Unable to parse range/i.test(err.message)
    ) {
      const problems = await missingTabs(ctx, specs);
      return { tables: { bundles: hasBundles ? [] : null, videos: [], problems }, tabs: new Map() };
    }
    throw err;
  }

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
  return { tables, tabs };
}

/** A configured tab does not exist: say which tabs do, as a fatal problem of that table. */
async function missingTabs(ctx: SheetsContext, specs: readonly TabSpec[]): Promise<SourceProblem[]> {
  const res = await ctx.calls.run("read", "listing tabs (spreadsheets.get)", () =>
    ctx.api.spreadsheets.get(
      { spreadsheetId: ctx.spreadsheetId, fields: "sheets.properties.title" },
      PER_CALL,
    ),
  );
  const titles = (res.data.sheets ?? []).map((s) => s.properties?.title ?? "").filter((t) => t !== "");
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
