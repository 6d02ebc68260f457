/**
 * `init --csv DIR`: the campaign files with every column of the catalogue (src/sources/columns.ts) in its
 * order and one example row each, commented out (its first cell starts with `#`, and the CSV reader
 * leaves such rows out): delete the `#` and the row is a real one. An existing file is never touched.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import writeFileAtomic from "write-file-atomic";
import { knownColumns, type TableMode } from "../sources/columns.ts";
import type { TableName } from "../sources/types.ts";

export const CSV_FILES: Readonly<Record<TableName, string>> = {
  bundles: "bundles.csv",
  videos: "videos.csv",
};

const addDays = (date: Date, days: number): string =>
  new Date(date.getTime() + days * 86_400_000).toISOString().slice(0, 10);

/** An account and its first video, as a person would fill them in. */
export function exampleRow(mode: TableMode, today: Date): Record<string, string> {
  const bundle = {
    bundle_ref: "spring-us-1",
    bundle_type: "account_and_videos",
    platform: "tiktok",
    country: "USA",
    title: "Spring launch US",
    username: "spring.daily.us",
    visible_name: "Spring Daily",
    biography: "Fresh looks every morning",
    profile_picture: "https://example.com/media/spring-us-avatar.jpg",
  };
  if (mode.table === "bundles") return { ...bundle, publish: "yes" };
  const video = {
    video_ref: "us-v1",
    bundle_ref: bundle.bundle_ref,
    video_type: "video",
    description: "Morning routine in 30 seconds #spring",
    // A week ahead: beyond the lead time TokPortal asks of a new account (docs/tokportal-api.md).
    target_publish_date: addDays(today, 7),
    video_url: "https://example.com/media/us-v1.mp4",
    publish: "yes",
  };
  if (!mode.singleTable) return video;
  const { bundle_ref: _ref, ...settings } = bundle;
  return { ...video, ...settings, publish_bundle: "yes" };
}

/** The file's text: the header and the example row, its first cell commented out. */
export function csvTemplate(mode: TableMode, today: Date): string {
  const header = [...knownColumns(mode)];
  const example = exampleRow(mode, today);
  const row = header.map((h) => example[h] ?? "");
  row[0] = `#${row[0] ?? ""}`;
  return `${Papa.unparse({ fields: header, data: [row] }, { newline: "\n" })}\n`;
}

export interface CsvInitResult {
  /** Files written (absolute). */
  written: string[];
  /** Files that were there already and were left as they are. */
  kept: string[];
}

export async function initCsv(dir: string, singleTable: boolean, today: Date): Promise<CsvInitResult> {
  mkdirSync(dir, { recursive: true });
  const result: CsvInitResult = { written: [], kept: [] };
  const tables: TableName[] = singleTable ? ["videos"] : ["bundles", "videos"];
  for (const table of tables) {
    const file = path.join(dir, CSV_FILES[table]);
    if (existsSync(file)) {
      result.kept.push(file);
      continue;
    }
    await writeFileAtomic(file, csvTemplate({ table, singleTable }, today));
    result.written.push(file);
  }
  return result;
}
