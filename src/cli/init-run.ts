/**
 * What `tokportal-sync init` does: find the target (the flags' spreadsheet or CSV folder, else the
 * config's source), lay it out (src/workspace/), write a config when there is none, and say what was added.
 * For a Google Sheet, the `country` dropdown lists TokPortal's `/countries` when a key is at hand, else the
 * catalogue's countries.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { TokPortalClient } from "../api/client.ts";
import { tokportalCountryCodes } from "../api/countries.ts";
import { type LoadedConfig, loadConfig } from "../config/load.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { aliasesPerTable } from "../sources/index.ts";
import type { TableName } from "../sources/types.ts";
import { HISTORY_HEADER } from "../sync/history.ts";
import { RUN_LOG_HEADER } from "../sync/run-log.ts";
import { csvConfig, sheetsConfig, writeConfigIfMissing } from "../workspace/config-file.ts";
import { CSV_FILES, csvTemplate, initCsv } from "../workspace/csv-init.ts";
import { countriesFromAnswer } from "../workspace/guides.ts";
import type { ExtraLayout, ExtraTabChanges, LayoutTable, TabChanges } from "../workspace/layout.ts";
import { initSpreadsheet, type SheetsInitOptions } from "../workspace/sheets-init.ts";
import { syncTabsLayout } from "../workspace/sync-tabs-layout.ts";
import { errorText } from "./command.ts";
import { type CommandIO, write } from "./io.ts";
import { exitCodeForError, UsageError } from "./outcome.ts";
import { redact } from "./output.ts";
import { PACKAGE_ROOT } from "./quickstart-setup.ts";

export interface InitFlags {
  config: string;
  spreadsheet?: string;
  csv?: string;
  bundlesTab: string;
  videosTab: string;
  singleTable?: boolean;
  refPrefix: string;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * More for `init` to lay out on a Google Sheet beside the campaign tabs (e.g. a dashboard tab with charts):
 * each builder's requests go into the same batchUpdate, and must be idempotent like the rest.
 */
export const EXTRA_LAYOUT: ExtraLayout[] = [
  syncTabsLayout({ sync_runs: RUN_LOG_HEADER, analytics_history: HISTORY_HEADER }),
];

export interface InitDeps {
  /** Sheets client options (tests point `rootUrl` at the fake server). */
  sheets?: Partial<SheetsInitOptions>;
  /** Today, for the example row's date (CSV). */
  today?: Date;
}

/** The `--json` document of `init`. */
export interface InitResult {
  source: "google_sheets" | "csv";
  dryRun: boolean;
  config: { file: string; written: boolean };
  /** Google Sheets: what was added per tab, the requests in the batch, and whether it was sent. */
  tabs?: TabChanges[];
  /** The sync's own tabs and the dashboard (`EXTRA_LAYOUT`): what was added to each. */
  extraTabs?: ExtraTabChanges[];
  requests?: number;
  sent?: boolean;
  googleRequests?: { reads: number; writes: number };
  countries?: "tokportal" | "catalogue";
  /** CSV: files written and files left as they were. */
  files?: { written: string[]; kept: string[] };
}

interface SheetsTarget {
  kind: "sheets";
  spreadsheetId: string;
  tabs: { bundles: string | null; videos: string };
  credentials?: string;
  /** The service account the credentials act as (config `impersonate`). */
  impersonate?: string;
  aliases: Partial<Record<TableName, Record<string, string>>>;
}

interface CsvTarget {
  kind: "csv";
  files: { table: TableName; file: string; singleTable: boolean }[];
}

/** The id, or the id in a pasted URL (`…/spreadsheets/d/ID/edit…`), checked as the config checks it. */
function spreadsheetIdOf(given: string): string {
  const id = /\/d\/([^/?#]+)/.exec(given)?.[1] ?? given.trim();
  if (!/^[A-Za-z0-9_-]{10,}$/.test(id)) {
    throw new UsageError(
      `--spreadsheet must be the spreadsheet's id, the part of its URL between /d/ and /edit (or the URL itself), got ${JSON.stringify(given)}.`,
    );
  }
  return id;
}

function targetOf(flags: InitFlags, loaded: LoadedConfig | null): SheetsTarget | CsvTarget {
  const single = !!flags.singleTable;
  if (flags.spreadsheet !== undefined) {
    return {
      kind: "sheets",
      spreadsheetId: spreadsheetIdOf(flags.spreadsheet),
      tabs: { bundles: single ? null : flags.bundlesTab, videos: flags.videosTab },
      aliases: {},
    };
  }
  if (flags.csv !== undefined) {
    const tables: TableName[] = single ? ["videos"] : ["bundles", "videos"];
    return {
      kind: "csv",
      files: tables.map((table) => ({
        table,
        file: path.resolve(flags.csv as string, CSV_FILES[table]),
        singleTable: single,
      })),
    };
  }
  if (!loaded) throw new UsageError("no config to read.");
  const s = loaded.source;
  if (s.type === "google_sheets") {
    return {
      kind: "sheets",
      spreadsheetId: s.spreadsheet_id,
      tabs: { bundles: s.bundles_tab ?? null, videos: s.videos_tab },
      ...(s.credentials ? { credentials: path.resolve(loaded.baseDir, s.credentials) } : {}),
      ...(s.impersonate ? { impersonate: s.impersonate } : {}),
      aliases: aliasesPerTable(s.columns, !s.bundles_tab),
    };
  }
  const files: CsvTarget["files"] = [];
  if (s.bundles)
    files.push({ table: "bundles", file: path.resolve(loaded.baseDir, s.bundles), singleTable: false });
  files.push({ table: "videos", file: path.resolve(loaded.baseDir, s.videos), singleTable: !s.bundles });
  return { kind: "csv", files };
}

/** TokPortal's countries when a key is at hand (never the sandbox's: it would start an emulator); else null. */
async function tokportalCountries(io: CommandIO, loaded: LoadedConfig | null): Promise<string[] | null> {
  const apiKey = loaded?.apiKey ?? io.env.TOKPORTAL_API_KEY?.trim();
  const baseUrl = loaded?.baseUrl ?? io.env.TOKPORTAL_BASE_URL?.trim() ?? "https://app.tokportal.com/api/ext";
  if (!apiKey || baseUrl === "sandbox") return null;
  const client = new TokPortalClient({ baseUrl, apiKey, retry: { maxRetries: 1 } });
  try {
    return countriesFromAnswer((await client.call("listCountries")).body);
  } catch {
    // A guide, not a requirement: without TokPortal the catalogue's list serves.
    return null;
  } finally {
    await client.close();
  }
}

function sheetsTables(t: SheetsTarget): LayoutTable[] {
  const tables: LayoutTable[] = [];
  if (t.tabs.bundles) {
    tables.push({
      table: "bundles",
      title: t.tabs.bundles,
      mode: { table: "bundles" },
      ...(t.aliases.bundles ? { aliases: t.aliases.bundles } : {}),
    });
  }
  tables.push({
    table: "videos",
    title: t.tabs.videos,
    mode: { table: "videos", singleTable: !t.tabs.bundles },
    ...(t.aliases.videos ? { aliases: t.aliases.videos } : {}),
  });
  return tables;
}

function schemaPath(configFile: string): string {
  return path
    .relative(path.dirname(path.resolve(configFile)), path.join(PACKAGE_ROOT, "config.schema.json"))
    .split(path.sep)
    .join("/");
}

async function init(flags: InitFlags, io: CommandIO, deps: InitDeps): Promise<InitResult> {
  if (flags.spreadsheet !== undefined && flags.csv !== undefined) {
    throw new UsageError("give --spreadsheet or --csv, not both.");
  }
  const explicit = flags.spreadsheet !== undefined || flags.csv !== undefined;
  if (!explicit && !existsSync(flags.config)) {
    throw new UsageError(
      `no config file ${flags.config} to lay out: pass --spreadsheet ID or --csv DIR (init then writes ${flags.config}), or -c FILE.`,
    );
  }
  const loaded = explicit ? null : loadConfig(flags.config, io.env, { requireApiKey: false });
  const target = targetOf(flags, loaded);
  const choices = { schema: schemaPath(flags.config), refPrefix: flags.refPrefix };
  const dryRun = !!flags.dryRun;
  const result: InitResult = {
    source: target.kind === "sheets" ? "google_sheets" : "csv",
    dryRun,
    config: { file: flags.config, written: false },
  };

  if (target.kind === "sheets") {
    const countries = await tokportalCountries(io, loaded);
    const done = await initSpreadsheet({
      spreadsheetId: target.spreadsheetId,
      tables: sheetsTables(target),
      guides: { countries: countries ?? tokportalCountryCodes() },
      extra: EXTRA_LAYOUT,
      auth: {
        ...(target.credentials ? { credentials: target.credentials } : {}),
        ...(target.impersonate ? { impersonate: target.impersonate } : {}),
        env: io.env,
      },
      dryRun,
      ...deps.sheets,
    });
    Object.assign(result, {
      tabs: done.plan.tabs,
      extraTabs: done.plan.extraTabs,
      requests: done.plan.requests.length,
      sent: done.sent,
      googleRequests: { reads: done.counters.reads, writes: done.counters.writes },
      countries: countries ? "tokportal" : "catalogue",
    });
    if (explicit && !dryRun) {
      result.config.written = await writeConfigIfMissing(
        flags.config,
        sheetsConfig(target.spreadsheetId, target.tabs, choices),
      );
    }
    return result;
  }

  const today = deps.today ?? new Date();
  const files = { written: [] as string[], kept: [] as string[] };
  if (flags.csv !== undefined) {
    if (!dryRun) Object.assign(files, await initCsv(path.resolve(flags.csv), !!flags.singleTable, today));
    if (!dryRun) {
      result.config.written = await writeConfigIfMissing(
        flags.config,
        csvConfig(flags.config, flags.csv, !!flags.singleTable, choices),
      );
    }
  } else if (!dryRun) {
    // The config's own files: each one written only when it does not exist yet.
    for (const f of target.files) {
      if (existsSync(f.file)) {
        files.kept.push(f.file);
        continue;
      }
      mkdirSync(path.dirname(f.file), { recursive: true });
      await writeFileAtomic(f.file, csvTemplate({ table: f.table, singleTable: f.singleTable }, today));
      files.written.push(f.file);
    }
  }
  result.files = files;
  return result;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function tabLine(t: TabChanges): string {
  const parts: string[] = [];
  if (t.created) parts.push("new tab");
  if (t.columns.length > 0)
    parts.push(`${plural(t.columns.length, "column")} added (${t.columns.join(", ")})`);
  if (t.notes > 0) parts.push(plural(t.notes, "header note"));
  if (t.validations > 0) parts.push(`${t.validations} guided column${t.validations === 1 ? "" : "s"}`);
  if (t.shaded > 0) parts.push(`${plural(t.shaded, "output column")} shaded`);
  if (t.protections > 0) parts.push(`${plural(t.protections, "protected range")} (warning only)`);
  if (t.statusRules > 0) parts.push(plural(t.statusRules, "status colour"));
  if (t.frozen) parts.push("frozen header");
  return `  ${t.title}: ${parts.length > 0 ? parts.join("; ") : "nothing missing"}`;
}

function extraTabLine(t: ExtraTabChanges): string {
  const parts: string[] = [];
  if (t.created) parts.push("new tab");
  if (t.header > 0) parts.push(`header (${plural(t.header, "column")})`);
  if (t.pivots > 0) parts.push(plural(t.pivots, "pivot table"));
  if (t.charts > 0) parts.push(plural(t.charts, "chart"));
  return `  ${t.title}: ${parts.join("; ")}`;
}

export function formatInit(r: InitResult): string {
  const lines: string[] = [];
  if (r.source === "google_sheets") {
    const g = r.googleRequests ?? { reads: 0, writes: 0 };
    const calls = `${plural(g.reads, "read")}, ${plural(g.writes, "write")}`;
    if ((r.requests ?? 0) === 0) {
      lines.push(`The sheet is laid out already: nothing to add (${calls}).`);
    } else {
      const verb = r.dryRun ? "Would add" : "Added";
      lines.push(`${verb}, in one batchUpdate of ${plural(r.requests ?? 0, "request")} (${calls}):`);
      for (const t of r.tabs ?? []) lines.push(tabLine(t));
      for (const t of r.extraTabs ?? []) lines.push(extraTabLine(t));
      lines.push(
        `Country dropdown: ${r.countries === "tokportal" ? "TokPortal's countries" : "the built-in country list (set TOKPORTAL_API_KEY to use TokPortal's)"}.`,
      );
    }
  } else {
    for (const f of r.files?.written ?? []) lines.push(`Wrote ${f} (header and a commented example row).`);
    for (const f of r.files?.kept ?? []) lines.push(`Kept ${f} as it is.`);
    if (r.dryRun) lines.push("Dry run: nothing written.");
  }
  if (r.config.written) {
    lines.push(`Wrote ${r.config.file}: set max_credits, then run tokportal-sync validate.`);
  }
  return `${lines.join("\n")}\n`;
}

/** Runs the command and returns its exit code; prints everything itself, throws nothing. */
export async function runInitCommand(
  flags: InitFlags,
  io: CommandIO,
  deps: InitDeps = {},
): Promise<ExitCode> {
  const apiKey = io.env.TOKPORTAL_API_KEY?.trim() || null;
  try {
    const result = await init(flags, io, deps);
    const out = flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatInit(result);
    await write(io.stdout, redact(out, apiKey));
    return EXIT.ok;
  } catch (err) {
    await write(io.stderr, redact(errorText(err, io.env), apiKey));
    return exitCodeForError(err);
  }
}
