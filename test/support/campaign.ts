/**
 * Realistic campaign CSVs for tests: n bundles × m videos that a sync can take end to end.
 *
 *   const files = writeCampaign(dir, { bundles: 20, videosPerBundle: 5, startDate: "2026-09-10" });
 *   // files.bundlesPath, files.videosPath, files.bundleRefs, files.videoRefs
 *   const rows = readCsvRows(files.videosPath);   // [{ video_ref: "c01-v1", bundle_ref: "c01", … }, …]
 *
 * `writeSingleTableCampaign` writes the same campaign as one videos file carrying the bundle columns.
 *
 * Every bundle has a complete account (username, visible name, biography, a profile picture URL) so it
 * can publish; each bundle's videos are one per day from `startDate`, so the 3-per-day cap holds; refs are
 * unique across the campaign. A `notes` column (the user's, unknown to the tool) is on both files.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { TokPortalClient, type TokPortalClientOptions } from "../../src/api/client.ts";
import { knownColumns } from "../../src/sources/columns.ts";
import { createSource } from "../../src/sources/index.ts";
import type { Source } from "../../src/sources/types.ts";
import { type RunOptions, runSync } from "../../src/sync/run.ts";
import type { RowDefaults, RunMode, RunReportOf } from "../../src/sync/types.ts";
import type { CellValue } from "./fake-sheets/cells.ts";
import type { FakeSheets } from "./fake-sheets/server.ts";

export interface CampaignSpec {
  bundles: number;
  videosPerBundle: number;
  /** First target date (YYYY-MM-DD); default 2026-09-10 (9 days after the test emulator's clock). */
  startDate?: string;
  /** The `publish` cell of every bundle and video row; default true. */
  publish?: boolean;
  /** Stem of the bundle refs (`<prefix>01`, `<prefix>02`, …); default "c". */
  prefix?: string;
  platform?: "tiktok" | "instagram";
  /** Default "USA". */
  country?: string;
  /**
   * `"init"`: every column `init` lays out, in its files (the catalogue's input then output columns, the
   * unknown `notes` last), the cells the campaign does not fill left empty, as a real campaign's files are.
   * Default: only the columns the campaign fills.
   */
  columns?: "init";
}

export interface CampaignFiles {
  bundlesPath: string;
  videosPath: string;
  bundleRefs: string[];
  /** `bundle_ref/video_ref` of every videos row, in file order. */
  videoRefs: string[];
}

export const BUNDLE_HEADER = [
  "bundle_ref",
  "bundle_type",
  "platform",
  "country",
  "title",
  "username",
  "visible_name",
  "biography",
  "profile_picture",
  "link_in_bio",
  "auto_finalize_videos",
  "publish",
  "notes",
] as const;

export const VIDEO_HEADER = [
  "video_ref",
  "bundle_ref",
  "position",
  "video_type",
  "description",
  "target_publish_date",
  "video_url",
  "instagram_content_type",
  "publish",
  "notes",
] as const;

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const yesNo = (b: boolean): string => (b ? "yes" : "no");

export function campaignRows(spec: CampaignSpec): {
  bundles: Record<string, string>[];
  videos: Record<string, string>[];
} {
  const start = spec.startDate ?? "2026-09-10";
  const publish = yesNo(spec.publish ?? true);
  const platform = spec.platform ?? "tiktok";
  const width = Math.max(2, String(spec.bundles).length);
  const bundles: Record<string, string>[] = [];
  const videos: Record<string, string>[] = [];
  for (let b = 1; b <= spec.bundles; b++) {
    const ref = `${spec.prefix ?? "c"}${String(b).padStart(width, "0")}`;
    const handle = ref.toLowerCase().replace(/[^a-z0-9_]/g, "_");
    bundles.push({
      bundle_ref: ref,
      bundle_type: "account_and_videos",
      platform,
      country: spec.country ?? "USA",
      title: `Campaign account ${ref}`,
      username: `daily.${handle}`.slice(0, 24),
      visible_name: `Daily ${ref}`.slice(0, 30),
      biography: `Fresh looks every morning, account ${ref}`.slice(0, 80),
      profile_picture: `https://example.com/p/${ref}.jpg`,
      link_in_bio: platform === "instagram" ? `https://example.com/l/${ref}` : "",
      auto_finalize_videos: "no",
      publish,
      notes: `owner: team ${b % 3}`,
    });
    for (let v = 1; v <= spec.videosPerBundle; v++) {
      const videoRef = `${ref}-v${v}`;
      videos.push({
        video_ref: videoRef,
        bundle_ref: ref,
        position: "",
        video_type: "video",
        description: `Look ${v} of ${ref}, styled three ways #spring`,
        target_publish_date: addDays(start, v - 1),
        video_url: `https://example.com/v/${videoRef}.mp4`,
        instagram_content_type: platform === "instagram" ? "reel" : "",
        publish,
        notes: v === 1 ? "hero video" : "",
      });
    }
  }
  return { bundles, videos };
}

/** The header `writeCampaign` gives a table's file. */
export function campaignHeader(table: "bundles" | "videos", spec: CampaignSpec): readonly string[] {
  const header = table === "bundles" ? BUNDLE_HEADER : VIDEO_HEADER;
  if (spec.columns !== "init") return header;
  const all = knownColumns({ table, singleTable: false });
  return [...all, ...header.filter((h) => !all.includes(h))];
}

export function writeCsv(file: string, header: readonly string[], rows: Record<string, string>[]): void {
  const data = rows.map((r) => header.map((h) => r[h] ?? ""));
  writeFileSync(file, `${Papa.unparse({ fields: [...header], data }, { newline: "\n" })}\n`);
}

/** Writes `bundles.csv` and `videos.csv` into `dir`. */
export function writeCampaign(dir: string, spec: CampaignSpec): CampaignFiles {
  const { bundles, videos } = campaignRows(spec);
  const bundlesPath = path.join(dir, "bundles.csv");
  const videosPath = path.join(dir, "videos.csv");
  writeCsv(bundlesPath, campaignHeader("bundles", spec), bundles);
  writeCsv(videosPath, campaignHeader("videos", spec), videos);
  return {
    bundlesPath,
    videosPath,
    bundleRefs: bundles.map((b) => b["bundle_ref"]!),
    videoRefs: videos.map((v) => `${v["bundle_ref"]}/${v["video_ref"]}`),
  };
}

/**
 * Single-table mode: one `videos.csv` whose rows carry their bundle's columns (the bundle's publish cell is
 * `publish_bundle`). Every row states the bundle columns, as an export from one sheet tab would.
 */
export function writeSingleTableCampaign(
  dir: string,
  spec: CampaignSpec,
): Omit<CampaignFiles, "bundlesPath"> & { bundlesPath: null } {
  const { bundles, videos } = campaignRows(spec);
  const byRef = new Map(bundles.map((b) => [b["bundle_ref"]!, b]));
  const bundleColumns = BUNDLE_HEADER.filter((h) => h !== "bundle_ref" && h !== "publish" && h !== "notes");
  const header = [...VIDEO_HEADER, ...bundleColumns, "publish_bundle"];
  const rows = videos.map((v) => {
    const b = byRef.get(v["bundle_ref"]!)!;
    const row: Record<string, string> = { ...v, publish_bundle: b["publish"]! };
    for (const c of bundleColumns) row[c] = b[c]!;
    return row;
  });
  const videosPath = path.join(dir, "videos.csv");
  writeCsv(videosPath, header, rows);
  return {
    bundlesPath: null,
    videosPath,
    bundleRefs: bundles.map((b) => b["bundle_ref"]!),
    videoRefs: videos.map((v) => `${v["bundle_ref"]}/${v["video_ref"]}`),
  };
}

/** Every data row of a CSV file as header → cell text ("" for a cell a short row leaves out). */
export function readCsvRows(file: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(readFileSync(file, "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  const header = parsed.meta.fields ?? [];
  return parsed.data.map((r) => Object.fromEntries(header.map((h) => [h, r[h] ?? ""])));
}

/**
 * Rewrites one CSV file through `edit` (rows as header → text; columns the edit adds are appended to the
 * header, columns it removes from every row are dropped). What a user does in a spreadsheet between runs.
 */
export function editCsv(
  file: string,
  edit: (rows: Record<string, string>[]) => Record<string, string>[] | undefined,
): void {
  const parsed = Papa.parse<Record<string, string>>(readFileSync(file, "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  const rows = edit(parsed.data) ?? parsed.data;
  // A column the edit deleted from every row is gone from the header too.
  const kept = (parsed.meta.fields ?? []).filter((h) => rows.length === 0 || rows.some((r) => h in r));
  const header = [...kept];
  for (const r of rows) for (const k of Object.keys(r)) if (!header.includes(k)) header.push(k);
  writeCsv(file, header, rows);
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// One sync run on a CSV campaign, built the way the CLI builds it

/** What the CLI's config gives a run: prefix "t-", defaults tiktok / account_and_videos / publish yes. */
export const E2E_DEFAULTS: RowDefaults = {
  platform: "tiktok",
  bundle_type: "account_and_videos",
  publish: true,
};

export interface CsvRunOptions<M extends RunMode = RunMode>
  extends Partial<Omit<RunOptions, "source" | "client" | "mode">> {
  /** Default `apply`; the report's type follows it. */
  mode?: M;
  /** Client options on top of the target's url and key (e.g. `retry: { maxRetries: 0 }`). */
  client?: Partial<TokPortalClientOptions>;
}

/**
 * Runs `runSync` on the CSV files against a TokPortal (the test emulator), with a fresh source and client
 * as each CLI invocation has; the client is closed afterwards, whatever happened.
 */
export function syncCsv<M extends RunMode = "apply">(
  target: { url: string; apiKey: string },
  files: { bundlesPath: string | null; videosPath: string },
  o: CsvRunOptions<M> = {},
): Promise<RunReportOf<M>> {
  const dir = path.dirname(files.videosPath);
  const source = createSource(
    {
      type: "csv",
      ...(files.bundlesPath ? { bundles: path.basename(files.bundlesPath) } : {}),
      videos: path.basename(files.videosPath),
    },
    { baseDir: dir },
  );
  return syncSource(target, source, { baseDir: dir, ...o });
}

/** Runs `runSync` on any source the way the CLI does (prefix "t-", E2E_DEFAULTS), with a client of its own. */
export async function syncSource<M extends RunMode = "apply">(
  target: { url: string; apiKey: string },
  source: Source,
  o: CsvRunOptions<M> = {},
): Promise<RunReportOf<M>> {
  const { client: clientOptions, ...run } = o;
  const client = new TokPortalClient({ baseUrl: target.url, apiKey: target.apiKey, ...clientOptions });
  try {
    return (await runSync({
      source,
      client,
      prefix: "t-",
      defaults: E2E_DEFAULTS,
      maxCredits: null,
      prune: false,
      mode: "apply",
      baseDir: process.cwd(),
      ...run,
    })) as RunReportOf<M>;
  } finally {
    await client.close();
  }
}

/** A generated campaign as a spreadsheet on the fake Sheets server: a bundles and a videos tab, by header. */
export function seedCampaignSheet(
  fake: Pick<FakeSheets, "createSpreadsheet">,
  id: string,
  spec: CampaignSpec,
  bundleHeader: readonly string[] = BUNDLE_HEADER,
): void {
  const rows = campaignRows(spec);
  const grid = (header: readonly string[], data: Record<string, string>[]): CellValue[][] => [
    [...header],
    ...data.map((r) => header.map((h) => r[h] ?? "")),
  ];
  fake.createSpreadsheet({
    id,
    tabs: [
      { title: "bundles", rows: grid(bundleHeader, rows.bundles) },
      { title: "videos", rows: grid(VIDEO_HEADER, rows.videos) },
    ],
  });
}
