/** A campaign's sheet as the pages read it: its rows and analytics history (reads only), and row links. */
import type { SourceConfig } from "../sources/index.ts";
import { PER_CALL, type SheetsContext } from "../sources/sheets-read.ts";
import type { Source } from "../sources/types.ts";
import type { CampaignInput } from "./model.ts";

export interface SheetData {
  tables: CampaignInput["tables"];
  history: { rows: string[][] } | null;
  runLog: { rows: string[][] } | null;
  error: string | null;
  /** A Google Sheet's tab ids by title (what a link to a row needs); null for CSV files or when unread. */
  tabIds: Map<string, number> | null;
}

export async function sheetOf(source: Source): Promise<SheetData> {
  try {
    const snap = await source.read();
    return {
      tables: { bundles: snap.bundles, videos: snap.videos },
      history: snap.extras?.get("analytics_history") ?? null,
      runLog: snap.extras?.get("sync_runs") ?? null,
      error: null,
      tabIds: await tabIdsOf(source),
    };
  } catch (err) {
    return {
      tables: null,
      history: null,
      runLog: null,
      tabIds: null,
      error: `the sheet cannot be read: ${(err as Error).message.split("\n")[0] ?? ""}`,
    };
  }
}

/**
 * A Google Sheet's tab ids, in one `spreadsheets.get` of the tabs' properties (the values read does not give
 * them). A failure only leaves the links pointing at the tab by name.
 */
async function tabIdsOf(source: Source): Promise<Map<string, number> | null> {
  const connected = source as Source & { connection?: () => Promise<SheetsContext> };
  if (typeof connected.connection !== "function") return null;
  try {
    const ctx = await connected.connection();
    const res = await ctx.calls.run("read", "tab ids (spreadsheets.get)", () =>
      ctx.api.spreadsheets.get(
        { spreadsheetId: ctx.spreadsheetId, fields: "sheets.properties(sheetId,title)" },
        PER_CALL,
      ),
    );
    const ids = new Map<string, number>();
    for (const s of res.data.sheets ?? []) {
      const p = s.properties;
      if (p?.title && typeof p.sheetId === "number") ids.set(p.title, p.sheetId);
    }
    return ids;
  } catch {
    return null;
  }
}

/**
 * A link to a row of a Google Sheet's tab (none for CSV files: the row number says where): `#gid=` opens
 * the tab and `range=` selects the row's first cell; without the tab's id, the range names the tab.
 */
export function rowLinkOf(
  source: SourceConfig,
  tabIds: ReadonlyMap<string, number> | null = null,
): CampaignInput["rowLink"] {
  if (source.type !== "google_sheets") return () => null;
  const base = `https://docs.google.com/spreadsheets/d/${encodeURIComponent(source.spreadsheet_id)}/edit`;
  const tabs: Record<string, string> = {
    bundles: source.bundles_tab ?? "bundles",
    videos: source.videos_tab ?? "videos",
  };
  return (table, row) => {
    const title = tabs[table] ?? table;
    const gid = tabIds?.get(title);
    return gid === undefined
      ? `${base}#range=${encodeURIComponent(`'${title}'!A${row}`)}`
      : `${base}#gid=${gid}&range=A${row}`;
  };
}
