/** A campaign's sheet as the pages read it: its rows and analytics history (reads only), and row links. */
import { GoogleSheetsSource } from "../sources/google-sheets.ts";
import type { SourceConfig } from "../sources/index.ts";
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
    // The tab ids are read beside the values (a failure there only leaves links naming the tab).
    const [snap, tabIds] = await Promise.all([
      source.read(),
      source instanceof GoogleSheetsSource ? source.tabIds().catch(() => null) : null,
    ]);
    return {
      tables: { bundles: snap.bundles, videos: snap.videos },
      history: snap.extras?.get("analytics_history") ?? null,
      runLog: snap.extras?.get("sync_runs") ?? null,
      error: null,
      tabIds,
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
