/**
 * The config file `init` writes when there is none: the campaign's source, a ref prefix, the defaults of
 * the example config, TokPortal's production URL and no `max_credits` (so nothing is spent unattended
 * until the user sets a budget). The API key is never written: it comes from TOKPORTAL_API_KEY.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { PRODUCTION_BASE_URL } from "../api/client.ts";
import type { CsvSourceConfig, GoogleSheetsSourceConfig } from "../sources/index.ts";
import { CSV_FILES } from "./csv-init.ts";

/** A new campaign keeps its run log and analytics history (the tabs `init` lays out, the dashboard reads). */
const KEEP_HISTORY = { run_log: true, analytics_history: true } as const;

export interface ConfigChoices {
  /** Where `config.schema.json` is, relative to the config file (for editors' completion); absent: none. */
  schema?: string;
  refPrefix: string;
}

function configOf(
  source: CsvSourceConfig | GoogleSheetsSourceConfig,
  c: ConfigChoices,
): Record<string, unknown> {
  return {
    ...(c.schema ? { $schema: c.schema } : {}),
    tokportal: { base_url: PRODUCTION_BASE_URL },
    source,
    ref_prefix: c.refPrefix,
    defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: false },
  };
}

export function sheetsConfig(
  spreadsheetId: string,
  tabs: { bundles: string | null; videos: string },
  c: ConfigChoices,
): Record<string, unknown> {
  const source: GoogleSheetsSourceConfig = {
    type: "google_sheets",
    spreadsheet_id: spreadsheetId,
    ...(tabs.bundles ? { bundles_tab: tabs.bundles } : {}),
    videos_tab: tabs.videos,
    ...KEEP_HISTORY,
  };
  return configOf(source, c);
}

/** `dir` relative to the config file's folder, with forward slashes. */
export function csvConfig(
  configFile: string,
  dir: string,
  singleTable: boolean,
  c: ConfigChoices,
): Record<string, unknown> {
  const rel = path
    .relative(path.dirname(path.resolve(configFile)), path.resolve(dir))
    .split(path.sep)
    .join("/");
  const at = (name: string) => (rel === "" ? name : `${rel}/${name}`);
  const source: CsvSourceConfig = {
    type: "csv",
    ...(singleTable ? {} : { bundles: at(CSV_FILES.bundles) }),
    videos: at(CSV_FILES.videos),
    ...KEEP_HISTORY,
  };
  return configOf(source, c);
}

/** Writes the config unless the file exists; whether it wrote it. */
export async function writeConfigIfMissing(file: string, config: Record<string, unknown>): Promise<boolean> {
  if (existsSync(file)) return false;
  await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
  return true;
}
