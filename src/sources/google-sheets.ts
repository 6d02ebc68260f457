/**
 * The campaign in a Google Sheet, reached only through the real `@googleapis/sheets` client.
 *
 * Requests per run (all through the process limiter and our retries, see sheets-calls.ts):
 *   read():            1 read: one `values.batchGet` of both tabs (+1 `spreadsheets.get` only when a tab
 *                      is missing, to name the tabs that exist); see sheets-read.ts.
 *   snapshot.write():  0 requests when no cell changes; otherwise 1 read (the ref re-read, to place every
 *                      patch by its ref right before writing) and 1 write per 2 MB of changes; see
 *                      sheets-snapshot.ts.
 *   extra tabs:        read in the same `values.batchGet`, written in the same `values.batchUpdate`
 *                      (see sheets-snapshot.ts for the rare extra requests).
 *   probe():           1 read (`spreadsheets.get` of the title and tab names), for `doctor`.
 *   tabIds():          1 read (`spreadsheets.get` of the tabs' ids), for links to rows on the pages.
 */
import { inspect } from "node:util";
import type { DateFormat } from "./cell-parsers.ts";
import type { TableMode } from "./columns.ts";
import { EXTRA_TABS, type ExtraTabsOption } from "./extra-tabs.ts";
import type { CredentialsInfo } from "./google-credentials.ts";
import { type SheetsCounters, SheetsSourceError } from "./sheets-calls.ts";
import { openSheets, type SheetsConnectionOptions } from "./sheets-connection.ts";
import { PER_CALL, readTabs, type SheetsContext, tabIds } from "./sheets-read.ts";
import { SheetsSnapshot } from "./sheets-snapshot.ts";
import type { TableOptions } from "./table.ts";
import type { Source, TableName } from "./types.ts";

/** The connection (credentials, client, pacing: src/sources/sheets-connection.ts) and the campaign tabs. */
export interface GoogleSheetsSourceOptions extends SheetsConnectionOptions {
  /** The bundles tab; absent or null = single-table mode (the videos tab carries the bundle columns). */
  bundlesTab?: string | null;
  videosTab: string;
  /** Per table: a header as the user wrote it → canonical column name (the config's `columns`). */
  aliases?: Partial<Record<TableName, Record<string, string>>>;
  dateFormat?: DateFormat;
  /** Largest `values.batchUpdate` body. Default 2,000,000 bytes (Google's recommendation). */
  maxBodyBytes?: number;
  /** The run log and analytics history tabs the sync keeps (tabs `sync_runs`, `analytics_history`). */
  extras?: ExtraTabsOption;
}

export class GoogleSheetsSource implements Source {
  private ctx: SheetsContext | null = null;
  private info: CredentialsInfo | null = null;

  constructor(private readonly options: GoogleSheetsSourceOptions) {
    if (!options.spreadsheetId) throw new SheetsSourceError("spreadsheet_id is empty: set it in the config.");
    if (!options.videosTab) throw new SheetsSourceError("videos_tab is empty: set it in the config.");
  }

  describe(): string {
    const id = this.options.spreadsheetId;
    const short = id.length > 12 ? `${id.slice(0, 10)}…` : id;
    const tabs = this.options.bundlesTab
      ? `tabs ${this.options.bundlesTab}, ${this.options.videosTab}`
      : `tab ${this.options.videosTab}`;
    return `Google Sheet ${short} (${tabs})`;
  }

  /** What logs and JSON show of this source: never the credentials it holds. */
  toJSON(): Record<string, unknown> {
    return {
      type: "google_sheets",
      spreadsheetId: this.options.spreadsheetId,
      bundlesTab: this.options.bundlesTab ?? null,
      videosTab: this.options.videosTab,
    };
  }

  [inspect.custom](): string {
    return `GoogleSheetsSource(${this.describe()})`;
  }

  /** Requests sent so far by this source (retries included), for tests and benchmarks. */
  get counters(): SheetsCounters {
    return this.ctx ? { ...this.ctx.calls.counters } : { reads: 0, writes: 0, retries: 0, rateLimited: 0 };
  }

  /** Which Google credentials were found and used (null before the first request, or with a given client). */
  get credentials(): CredentialsInfo | null {
    return this.info;
  }

  /** The opened connection (credentials, client, paced calls), for the run lease (sheet-lease.ts). */
  connection(): Promise<SheetsContext> {
    return this.ready();
  }

  /** The tabs' ids by title (what a link to a row needs): 1 read. */
  async tabIds(): Promise<Map<string, number>> {
    return tabIds(await this.ready(), "tab ids");
  }

  private async ready(): Promise<SheetsContext> {
    if (this.ctx) return this.ctx;
    const { info, ...ctx } = await openSheets(this.options);
    this.info = info;
    this.ctx = ctx;
    return ctx;
  }

  private tableOptions(table: TableName): TableOptions {
    const mode: TableMode = { table, singleTable: table === "videos" && !this.options.bundlesTab };
    return {
      ...mode,
      extraCells: "unnamed-column",
      ...(this.options.aliases?.[table] ? { aliases: this.options.aliases[table] } : {}),
      ...(this.options.dateFormat ? { dateFormat: this.options.dateFormat } : {}),
    };
  }

  private tabTitles(): { table: TableName; title: string }[] {
    const list: { table: TableName; title: string }[] = [];
    if (this.options.bundlesTab) list.push({ table: "bundles", title: this.options.bundlesTab });
    list.push({ table: "videos", title: this.options.videosTab });
    return list;
  }

  /**
   * Whether the spreadsheet opens with the credentials found: one `spreadsheets.get` of its title and tab
   * names, through the same credentials, limiter and errors as a run (a refused token is a
   * `SheetsAuthError`, a refused read a `SheetsSourceError` with Google's status and reason).
   */
  async probe(): Promise<{ title: string; tabs: string[]; wanted: string[] }> {
    const ctx = await this.ready();
    const res = await ctx.calls.run("read", "read of the title and tabs (spreadsheets.get)", () =>
      ctx.api.spreadsheets.get(
        { spreadsheetId: ctx.spreadsheetId, fields: "properties.title,sheets.properties.title" },
        PER_CALL,
      ),
    );
    const tabs = (res.data.sheets ?? []).map((s) => s.properties?.title ?? "").filter((t) => t !== "");
    return { title: res.data.properties?.title ?? "", tabs, wanted: this.tabTitles().map((t) => t.title) };
  }

  async read(): Promise<SheetsSnapshot> {
    const ctx = await this.ready();
    const specs = this.tabTitles().map((t) => ({ ...t, options: this.tableOptions(t.table) }));
    const extras = EXTRA_TABS.filter((tab) => this.options.extras?.[tab]).map((tab) => ({ tab, title: tab }));
    const read = await readTabs(ctx, specs, extras);
    const cap = this.options.extras?.runLogMaxRows;
    return new SheetsSnapshot(read, ctx, this.options.maxBodyBytes ?? 2_000_000, extras, cap);
  }
}
