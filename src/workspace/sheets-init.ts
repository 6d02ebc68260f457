/**
 * `init` on a Google Sheet: read what is there, plan what is missing (layout.ts), send it in one
 * `spreadsheets.batchUpdate` (atomic: all of it or nothing). Through the same limiter, retries and error
 * words as the sync's requests (src/sources/sheets-calls.ts).
 *
 * Requests:
 *   every tab it lays out exists:  1 read (`spreadsheets.get` of the first rows of those tabs, with their
 *                                  notes, validation, shading, protected ranges, conditional formats,
 *                                  frozen counts), then 1 write when something is missing, else none.
 *   some tab is missing:           that read is refused (a range names a missing tab), then 1 read of the
 *                                  tab titles and, when some of the tabs exist, 1 read of those; then 1 write.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { quoteTitle } from "../sources/a1.ts";
import { type SheetsCounters, SheetsSourceError } from "../sources/sheets-calls.ts";
import { openSheets, type SheetsConnectionOptions } from "../sources/sheets-connection.ts";
import { PER_CALL, type SheetsContext } from "../sources/sheets-read.ts";
import type { GuideContext } from "./guides.ts";
import { type ExtraLayout, type LayoutPlan, type LayoutTable, planLayout, tabsToRead } from "./layout.ts";
import { HEADER_SCAN_ROWS, type SpreadsheetView, spreadsheetView, VIEW_FIELDS } from "./sheet-view.ts";

export interface SheetsInitOptions extends SheetsConnectionOptions {
  tables: readonly LayoutTable[];
  guides: GuideContext;
  extra?: readonly ExtraLayout[];
  /** Plan only: read, and return what would be sent without sending it. */
  dryRun?: boolean;
}

export interface SheetsInitResult {
  plan: LayoutPlan;
  /** Whether the batchUpdate was sent (false when nothing was missing, or on a dry run). */
  sent: boolean;
  counters: SheetsCounters;
}

async function readTabs(
  ctx: SheetsContext,
  titles: readonly string[],
): Promise<sheets_v4.Schema$Spreadsheet> {
  if (titles.length === 0) return { sheets: [] };
  const res = await ctx.calls.run("read", "reading the layout (spreadsheets.get)", () =>
    ctx.api.spreadsheets.get(
      {
        spreadsheetId: ctx.spreadsheetId,
        ranges: titles.map((t) => `${quoteTitle(t)}!1:${HEADER_SCAN_ROWS}`),
        includeGridData: true,
        fields: VIEW_FIELDS,
      },
      PER_CALL,
    ),
  );
  return res.data;
}

const missingTab = (err: unknown): boolean =>
  err instanceof SheetsSourceError && err.status === 400 && /Unable to parse range/i.test(err.message);

/** The view of the tabs `init` lays out, and the ids of every tab (a new one needs an id of its own). */
export async function readView(ctx: SheetsContext, wanted: readonly string[]): Promise<SpreadsheetView> {
  try {
    return spreadsheetView(await readTabs(ctx, wanted));
  } catch (err) {
    if (!missingTab(err)) throw err;
  }
  const res = await ctx.calls.run("read", "listing tabs (spreadsheets.get)", () =>
    ctx.api.spreadsheets.get(
      { spreadsheetId: ctx.spreadsheetId, fields: "sheets.properties(sheetId,title)" },
      PER_CALL,
    ),
  );
  const all = spreadsheetView(res.data);
  const present = wanted.filter((t) => all.tabs.has(t));
  const view = spreadsheetView(await readTabs(ctx, present));
  for (const id of all.sheetIds) view.sheetIds.add(id);
  return view;
}

export async function initSpreadsheet(o: SheetsInitOptions): Promise<SheetsInitResult> {
  const ctx = await openSheets(o);
  const view = await readView(ctx, tabsToRead(o.tables, o.extra));
  const plan = planLayout({
    view,
    tables: o.tables,
    guides: o.guides,
    ...(o.extra ? { extra: o.extra } : {}),
  });
  let sent = false;
  if (plan.requests.length > 0 && !o.dryRun) {
    await ctx.calls.run("write", "laying out the sheet (spreadsheets.batchUpdate)", () =>
      ctx.api.spreadsheets.batchUpdate(
        {
          spreadsheetId: ctx.spreadsheetId,
          fields: "spreadsheetId",
          requestBody: { requests: plan.requests },
        },
        PER_CALL,
      ),
    );
    sent = true;
  }
  return { plan, sent, counters: { ...ctx.calls.counters } };
}
