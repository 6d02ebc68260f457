/** A campaign's sheet as the pages read it: its rows and analytics history (reads only), and row links. */
import type { SourceConfig } from "../sources/index.ts";
import type { Source } from "../sources/types.ts";
import type { CampaignInput } from "./model.ts";

export interface SheetData {
  tables: CampaignInput["tables"];
  history: { rows: string[][] } | null;
  runLog: { rows: string[][] } | null;
  error: string | null;
}

export async function sheetOf(source: Source): Promise<SheetData> {
  try {
    const snap = await source.read();
    return {
      tables: { bundles: snap.bundles, videos: snap.videos },
      history: snap.extras?.get("analytics_history") ?? null,
      runLog: snap.extras?.get("sync_runs") ?? null,
      error: null,
    };
  } catch (err) {
    return {
      tables: null,
      history: null,
      runLog: null,
      error: `the sheet cannot be read: ${(err as Error).message.split("\n")[0] ?? ""}`,
    };
  }
}

/** A link to a row of a Google Sheet's tab (none for CSV files: the row number says where). */
export function rowLinkOf(source: SourceConfig): CampaignInput["rowLink"] {
  if (source.type !== "google_sheets") return () => null;
  const id = encodeURIComponent(source.spreadsheet_id);
  const tabs: Record<string, string> = {
    bundles: source.bundles_tab ?? "bundles",
    videos: source.videos_tab ?? "videos",
  };
  return (table, row) =>
    `https://docs.google.com/spreadsheets/d/${id}/edit#range=${encodeURIComponent(`'${tabs[table] ?? table}'!A${row}`)}`;
}
