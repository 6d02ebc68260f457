/**
 * Sources: where the campaign lives. The engine asks `createSource(config)` for a `Source` and knows
 * nothing else about CSV files or Google Sheets.
 */

import path from "node:path";
import { DATE_FORMATS, type DateFormat } from "./cell-parsers.ts";
import { knownColumns } from "./columns.ts";
import { CsvSource } from "./csv.ts";
import { parseDelimiterOption } from "./csv-file.ts";
import { SourceError } from "./errors.ts";
import type { ExtraTabsOption } from "./extra-tabs.ts";
import { GoogleSheetsSource, type GoogleSheetsSourceOptions } from "./google-sheets.ts";
import { normalizeHeader } from "./table.ts";
import type { Source, TableName } from "./types.ts";

export * from "./cell-parsers.ts";
export * from "./coerce.ts";
export * from "./columns.ts";
export { CsvSource, CsvSourceError, type CsvSourceOptions, lockPathFor } from "./csv.ts";
export { isSourceError, SourceError } from "./errors.ts";
export { encodeCsvValue, escapeFormula, looksLikeFormula } from "./formula.ts";
export { GoogleSheetsSource, type GoogleSheetsSourceOptions } from "./google-sheets.ts";
export { SheetsAuthError } from "./sheets-auth-error.ts";
export { SheetsSourceError } from "./sheets-calls.ts";
export * from "./table.ts";
export type * from "./types.ts";

/**
 * Column aliases (`columns` in the config): one map for both tables (`{"Account name": "visible_name"}`)
 * or one per table (`{bundles: {...}, videos: {...}}`).
 */
export type ColumnAliases =
  | Record<string, string>
  | { bundles?: Record<string, string>; videos?: Record<string, string> };

export interface CsvSourceConfig {
  type: "csv";
  /** Absent: single-table mode (the videos file carries the bundle columns). */
  bundles?: string;
  videos: string;
  /** `,` `;` `|` or `tab`; default detected per file. */
  delimiter?: string;
  date_format?: DateFormat;
  /** Write-back goes to these files instead of the inputs. */
  output?: { bundles?: string; videos?: string };
  columns?: ColumnAliases;
}

export interface GoogleSheetsSourceConfig {
  type: "google_sheets";
  spreadsheet_id: string;
  bundles_tab?: string;
  videos_tab: string;
  /** Path to a service-account JSON key file (else `GOOGLE_APPLICATION_CREDENTIALS`). */
  credentials?: string;
  /** A service account e-mail: the credentials found mint short-lived tokens for it. */
  impersonate?: string;
  date_format?: DateFormat;
  columns?: ColumnAliases;
}

/** The run log and analytics history (see extra-tabs.ts); both off unless set. */
export interface ExtraTabsConfig {
  run_log?: boolean | { max_rows: number };
  analytics_history?: boolean;
}

export type SourceConfig = (CsvSourceConfig | GoogleSheetsSourceConfig) & ExtraTabsConfig;

function extrasOf(config: ExtraTabsConfig): ExtraTabsOption | undefined {
  const runLog = config.run_log;
  if (!runLog && !config.analytics_history) return undefined;
  return {
    ...(runLog ? { sync_runs: true } : {}),
    ...(config.analytics_history ? { analytics_history: true } : {}),
    ...(typeof runLog === "object" ? { runLogMaxRows: runLog.max_rows } : {}),
  };
}

export interface CreateSourceOptions {
  /** Relative paths in the config are resolved against this directory (the config file's). Default: cwd. */
  baseDir?: string;
  /** Google Sheets only: extra client options (tests point `rootUrl` at the fake server, or pass a client). */
  sheets?: Partial<Omit<GoogleSheetsSourceOptions, "spreadsheetId" | "bundlesTab" | "videosTab">>;
  /** CSV only: how long to wait for another process's file lock (default 0: fail at once). */
  lockWaitMs?: number;
}

export class SourceConfigError extends SourceError {}

/** Splits the config's aliases per table; a one-map alias goes to every table that has its target column. */
export function aliasesPerTable(
  columns: ColumnAliases | undefined,
  singleTable: boolean,
): Partial<Record<TableName, Record<string, string>>> {
  if (!columns) return {};
  const perTable = columns as { bundles?: unknown; videos?: unknown };
  const isPerTable =
    Object.keys(columns).length > 0 &&
    Object.keys(columns).every((k) => k === "bundles" || k === "videos") &&
    Object.values(perTable).every((v) => typeof v === "object" && v !== null);
  if (isPerTable) {
    const c = columns as { bundles?: Record<string, string>; videos?: Record<string, string> };
    return { ...(c.bundles ? { bundles: c.bundles } : {}), ...(c.videos ? { videos: c.videos } : {}) };
  }
  const flat = columns as Record<string, string>;
  const bundlesKnown = new Set(knownColumns({ table: "bundles" }));
  const videosKnown = new Set(knownColumns({ table: "videos", singleTable }));
  const out: Record<TableName, Record<string, string>> = { bundles: {}, videos: {} };
  for (const [from, to] of Object.entries(flat)) {
    const target = normalizeHeader(String(to));
    const inBundles = !singleTable && bundlesKnown.has(target);
    const inVideos = videosKnown.has(target);
    if (inBundles) out.bundles[from] = to;
    // Unknown everywhere: give it to videos so the mistake is reported.
    if (inVideos || !inBundles) out.videos[from] = to;
  }
  return out;
}

function dateFormatOf(value: unknown): DateFormat | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (DATE_FORMATS.includes(value as DateFormat)) return value as DateFormat;
  throw new SourceConfigError(
    `date_format must be one of ${DATE_FORMATS.join(", ")} (got ${JSON.stringify(value)}).`,
  );
}

export function createSource(config: SourceConfig, options: CreateSourceOptions = {}): Source {
  const base = options.baseDir ?? process.cwd();
  const resolve = (p: string): string => path.resolve(base, p);
  const extras = extrasOf(config);
  if (config.type === "csv") {
    if (!config.videos) throw new SourceConfigError("source.videos is empty: set it to the videos CSV file.");
    let delimiter: ReturnType<typeof parseDelimiterOption>;
    try {
      delimiter = parseDelimiterOption(config.delimiter);
    } catch (err) {
      throw new SourceConfigError((err as Error).message);
    }
    const dateFormat = dateFormatOf(config.date_format);
    const output: { bundles?: string; videos?: string } = {};
    if (config.output?.bundles) output.bundles = resolve(config.output.bundles);
    if (config.output?.videos) output.videos = resolve(config.output.videos);
    return new CsvSource({
      bundlesPath: config.bundles ? resolve(config.bundles) : null,
      videosPath: resolve(config.videos),
      ...(delimiter ? { delimiter } : {}),
      ...(dateFormat ? { dateFormat } : {}),
      aliases: aliasesPerTable(config.columns, !config.bundles),
      output,
      displayBase: base,
      ...(options.lockWaitMs ? { lockWaitMs: options.lockWaitMs } : {}),
      ...(extras ? { extras } : {}),
    });
  }
  if (config.type === "google_sheets") {
    const dateFormat = dateFormatOf(config.date_format);
    const sheetsOptions: GoogleSheetsSourceOptions = {
      ...options.sheets,
      spreadsheetId: config.spreadsheet_id,
      bundlesTab: config.bundles_tab ?? null,
      videosTab: config.videos_tab,
      aliases: aliasesPerTable(config.columns, !config.bundles_tab),
      ...(dateFormat ? { dateFormat } : {}),
      ...(extras ? { extras } : {}),
    };
    if (config.credentials) {
      sheetsOptions.auth = { ...sheetsOptions.auth, credentials: resolve(config.credentials) };
    }
    if (config.impersonate) sheetsOptions.auth = { ...sheetsOptions.auth, impersonate: config.impersonate };
    return new GoogleSheetsSource(sheetsOptions);
  }
  throw new SourceConfigError(
    `source.type must be "csv" or "google_sheets" (got ${JSON.stringify((config as { type?: unknown }).type)}).`,
  );
}
