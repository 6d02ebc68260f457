/**
 * The campaign in a Google Sheet, reached only through the real `@googleapis/sheets` client.
 *
 * Requests per run (all through the process limiter and our retries, see sheets-calls.ts):
 *   read():  1 read   — one `values.batchGet` of both tabs (whole-tab ranges, UNFORMATTED_VALUE +
 *                       SERIAL_NUMBER). The echoed ranges give each tab's grid size. (+1 `spreadsheets.get`
 *                       only when a tab is missing, to name the tabs that exist.)
 *   write(): 0 requests when no cell changes; otherwise 1 read (one `values.batchGet` of each patched tab's
 *            header row and ref columns, to place every patch by its ref right before writing) and 1 write
 *            (`values.batchUpdate`, RAW) per 2 MB of changes. Rarely more: +1 read when a ref column moved
 *            meanwhile, and +1 read (`spreadsheets.get` for the tab's sheetId) +1 write (`appendDimension`)
 *            when a new output column does not fit in the grid.
 */
import { inspect } from "node:util";
import { sheets, type sheets_v4 } from "@googleapis/sheets";
import { columnLetters, echoedExtent, quoteTitle } from "./a1.ts";
import type { DateFormat } from "./coerce.ts";
import { inputColumns, outputColumns, type TableMode } from "./columns.ts";
import { resolveSheetsAuth, type SheetsAuthOptions } from "./sheets-auth.ts";
import { type RetryOptions, SheetsCalls, type SheetsCounters, SheetsSourceError } from "./sheets-calls.ts";
import { cellText, patchText } from "./sheets-cells.ts";
import { processSheetsLimiter, type SheetsClock, type SheetsRateLimiter } from "./sheets-limiter.ts";
import { type CellWrite, chunkWrites, rectangles } from "./sheets-write-plan.ts";
import {
  gridToRows,
  type HeaderLayout,
  RowLocator,
  resolveHeader,
  sameCells,
  type TableOptions,
} from "./table.ts";
import type {
  CampaignTables,
  CellPatch,
  RowKey,
  Source,
  SourceProblem,
  TableName,
  WriteReport,
} from "./types.ts";

export interface GoogleSheetsSourceOptions {
  spreadsheetId: string;
  /** The bundles tab; absent or null = single-table mode (the videos tab carries the bundle columns). */
  bundlesTab?: string | null;
  videosTab: string;
  /** Per table: a header as the user wrote it → canonical column name (the config's `columns`). */
  aliases?: Partial<Record<TableName, Record<string, string>>>;
  dateFormat?: DateFormat;
  /** Credentials (service-account file, access token, API key; see sheets-auth.ts). */
  auth?: SheetsAuthOptions;
  /** A ready client (tests, or callers with their own auth). Its own retries are disabled per call. */
  client?: sheets_v4.Sheets;
  /** Where the API lives (tests point it at the fake server). */
  rootUrl?: string;
  /** Default: the limiter shared by the whole process. */
  limiter?: SheetsRateLimiter;
  clock?: SheetsClock;
  retry?: RetryOptions;
  /** Largest `values.batchUpdate` body. Default 2,000,000 bytes (Google's recommendation). */
  maxBodyBytes?: number;
  /** Per-request timeout in ms. Default 60 s. */
  timeoutMs?: number;
}

type RawCell = string | number | boolean | null | undefined;

/** What `read()` saw of one tab, kept to plan the write-back. */
interface TabState {
  table: TableName;
  title: string;
  options: TableOptions;
  layout: HeaderLayout;
  /** The tab as text, as read. */
  grid: string[][];
  locator: RowLocator;
  /** Grid size echoed by the read. */
  columnCount: number;
}

/** One output cell to set on every fresh row its key designates. */
interface Change {
  key: RowKey;
  column: string;
  value: string | number;
  text: string;
}

const PER_CALL = { retry: false } as const;

export class GoogleSheetsSource implements Source {
  private client: sheets_v4.Sheets | null;
  private calls: SheetsCalls | null = null;
  private readonly tabs = new Map<TableName, TabState>();

  constructor(private readonly options: GoogleSheetsSourceOptions) {
    this.client = options.client ?? null;
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
    return this.calls ? { ...this.calls.counters } : { reads: 0, writes: 0, retries: 0, rateLimited: 0 };
  }

  private async ready(): Promise<{ api: sheets_v4.Sheets; calls: SheetsCalls }> {
    if (!this.client || !this.calls) {
      let principal: string | null = null;
      if (!this.client) {
        const resolved = await resolveSheetsAuth(this.options.auth);
        principal = resolved.principal;
        this.client = sheets({
          version: "v4",
          auth: resolved.auth,
          retry: false,
          timeout: this.options.timeoutMs ?? 60_000,
          ...(this.options.rootUrl ? { rootUrl: this.options.rootUrl } : {}),
        });
      }
      this.calls = new SheetsCalls({
        limiter: this.options.limiter ?? processSheetsLimiter(),
        spreadsheetId: this.options.spreadsheetId,
        principal,
        ...(this.options.clock ? { clock: this.options.clock } : {}),
        ...(this.options.retry ? { retry: this.options.retry } : {}),
      });
    }
    return { api: this.client, calls: this.calls };
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

  async read(): Promise<CampaignTables> {
    const { api, calls } = await this.ready();
    const tabs = this.tabTitles();
    const spreadsheetId = this.options.spreadsheetId;
    let ranges: sheets_v4.Schema$ValueRange[];
    try {
      const res = await calls.run("read", "read (values.batchGet)", () =>
        api.spreadsheets.values.batchGet(
          {
            spreadsheetId,
            ranges: tabs.map((t) => quoteTitle(t.title)),
            valueRenderOption: "UNFORMATTED_VALUE",
            dateTimeRenderOption: "SERIAL_NUMBER",
            majorDimension: "ROWS",
          },
          PER_CALL,
        ),
      );
      ranges = res.data.valueRanges ?? [];
    } catch (err) {
      if (
        err instanceof SheetsSourceError &&
        err.status === 400 &&
        /Unable to parse range/i.test(err.message)
      ) {
        return this.missingTabs(tabs);
      }
      throw err;
    }

    this.tabs.clear();
    const problems: SourceProblem[] = [];
    const result: CampaignTables = { bundles: this.options.bundlesTab ? [] : null, videos: [], problems };
    tabs.forEach((t, i) => {
      const vr = ranges[i];
      const raw = (vr?.values ?? []) as RawCell[][];
      const opts = this.tableOptions(t.table);
      const grid = toTextGrid(raw, opts);
      const { rows, problems: found, layout } = gridToRows(grid, opts);
      problems.push(...found);
      if (t.table === "bundles") result.bundles = rows;
      else result.videos = rows;
      if (layout && !found.some((p) => p.fatal)) {
        const extent = echoedExtent(vr?.range);
        this.tabs.set(t.table, {
          table: t.table,
          title: t.title,
          options: opts,
          layout,
          grid,
          locator: new RowLocator(grid, layout, t.table),
          columnCount: extent?.columns ?? Math.max(layout.width, 26),
        });
      }
    });
    return result;
  }

  /** A configured tab does not exist: say which tabs do, as a fatal problem of that table. */
  private async missingTabs(tabs: { table: TableName; title: string }[]): Promise<CampaignTables> {
    const { api, calls } = await this.ready();
    const res = await calls.run("read", "listing tabs (spreadsheets.get)", () =>
      api.spreadsheets.get(
        { spreadsheetId: this.options.spreadsheetId, fields: "sheets.properties.title" },
        PER_CALL,
      ),
    );
    const titles = (res.data.sheets ?? []).map((s) => s.properties?.title ?? "").filter((t) => t !== "");
    const problems: SourceProblem[] = tabs
      .filter((t) => !titles.includes(t.title))
      .map((t) => ({
        table: t.table,
        message: `The spreadsheet has no tab named "${t.title}" (it has ${titles.map((x) => `"${x}"`).join(", ") || "no tabs"}); set ${t.table}_tab in the config to the tab's exact name.`,
        fatal: true,
      }));
    this.tabs.clear();
    return { bundles: this.options.bundlesTab ? [] : null, videos: [], problems };
  }

  async write(patches: CellPatch[]): Promise<WriteReport> {
    const report: WriteReport = { cellsWritten: 0, rowsNotFound: [], requests: 0 };
    // The last patch for a cell wins; then only cells that differ from what was read are kept.
    const latest = new Map<
      string,
      { state: TabState; key: RowKey; column: string; value: string | number | null }
    >();
    for (const patch of patches) {
      const state = this.tabs.get(patch.key.table);
      if (!state) {
        report.rowsNotFound.push(patch.key);
        continue;
      }
      const outputs = outputColumns(state.options);
      for (const [column, value] of Object.entries(patch.values)) {
        if (!outputs.includes(column)) {
          throw new Error(`write-back: "${column}" is not an output column of the ${state.table} table`);
        }
        latest.set(`${JSON.stringify(patch.key)}|${column}`, { state, key: patch.key, column, value });
      }
    }
    const changes = new Map<TableName, Change[]>();
    for (const { state, key, column, value } of latest.values()) {
      const text = patchText(value);
      if (!this.differs(state, key, column, text)) continue;
      const list = changes.get(state.table) ?? [];
      list.push({ key, column, value: value === null ? "" : value, text });
      changes.set(state.table, list);
    }
    if (changes.size === 0) return report;

    const { api, calls } = await this.ready();
    const before = { ...calls.counters };
    const fresh = await this.freshLayouts(changes);
    const writes: CellWrite[] = [];
    const grow: { state: TabState; columns: number }[] = [];
    const written: { state: TabState; key: RowKey; column: string; text: string }[] = [];

    for (const [table, list] of changes) {
      const state = this.tabs.get(table) as TabState;
      const f = fresh.get(table) as FreshTab;
      const located: { change: Change; rows: number[] }[] = [];
      const notFound = new Set<string>();
      for (const change of list) {
        const rows = this.locateFresh(state, f, change.key);
        if (rows.length > 0) {
          located.push({ change, rows });
          continue;
        }
        const id = JSON.stringify(change.key);
        if (!notFound.has(id)) {
          notFound.add(id);
          report.rowsNotFound.push(change.key);
        }
      }
      // Missing output columns that will hold a value get a header after the last used column, in
      // canonical order; a column that would only be cleared is not created.
      const colOf = new Map(f.layout.columns);
      let next = f.width;
      for (const column of outputColumns(state.options)) {
        if (colOf.has(column) || !located.some((l) => l.change.column === column && l.change.text !== ""))
          continue;
        colOf.set(column, next);
        writes.push({ tab: state.title, row: f.layout.headerIndex + 1, col: next, value: column });
        next++;
      }
      if (next > f.columnCount) grow.push({ state, columns: next - f.columnCount });
      for (const { change, rows } of located) {
        const col = colOf.get(change.column);
        if (col === undefined) continue;
        for (const rowIndex of rows)
          writes.push({ tab: state.title, row: rowIndex + 1, col, value: change.value });
        report.cellsWritten += rows.length;
        written.push({ state, key: change.key, column: change.column, text: change.text });
      }
    }

    if (report.cellsWritten > 0) {
      for (const g of grow) await this.growColumns(g.state, g.columns);
      const chunks = chunkWrites(rectangles(writes), this.options.maxBodyBytes ?? 2_000_000);
      for (const chunk of chunks) {
        await calls.run("write", "write-back (values.batchUpdate)", () =>
          api.spreadsheets.values.batchUpdate(
            {
              spreadsheetId: this.options.spreadsheetId,
              requestBody: { valueInputOption: "RAW", data: chunk.data },
            },
            PER_CALL,
          ),
        );
      }
      for (const w of written) this.remember(w.state, w.key, w.column, w.text);
    }
    report.requests = calls.counters.reads - before.reads + (calls.counters.writes - before.writes);
    return report;
  }

  /** Whether `key`'s row(s), as read, hold something else than `text` in `column`. */
  private differs(state: TabState, key: RowKey, column: string, text: string): boolean {
    const rows = state.locator.find(key);
    if (rows.length === 0) return true; // unknown here: let the fresh lookup decide (and report it)
    const col = state.layout.columns.get(column);
    return rows.some((i) => (col === undefined ? "" : (state.grid[i]?.[col] ?? "")) !== text);
  }

  /** After a successful write, what was read now holds the new value, so the same patch is a no-op. */
  private remember(state: TabState, key: RowKey, column: string, text: string): void {
    let col = state.layout.columns.get(column);
    if (col === undefined) {
      col = Math.max(state.layout.width, ...state.layout.columns.values()) + 1;
      while ([...state.layout.columns.values()].includes(col)) col++;
      state.layout.columns.set(column, col);
      state.layout.names.set(col, column);
    }
    for (const i of state.locator.find(key)) {
      const row = state.grid[i] ?? [];
      state.grid[i] = row;
      while (row.length <= col) row.push("");
      row[col] = text;
    }
  }

  private locateFresh(state: TabState, f: FreshTab, key: RowKey): number[] {
    if (!("rowNumber" in key)) return f.locator.find(key);
    // A row that had no ref is written only while the same row number still holds the same row: its
    // (empty) refs alone would also match a blank row or another row without refs moved there meanwhile.
    const i = key.rowNumber - 1;
    const then = state.grid[i];
    if (i <= f.layout.headerIndex || !then || state.locator.find(key).length === 0) return [];
    const same = refColumns(state.table).every((name) => {
      const before = then[state.layout.columns.get(name) as number] ?? "";
      const now = f.grid[i]?.[f.layout.columns.get(name) as number] ?? "";
      return before === now;
    });
    const now = f.rows.get(i);
    return same && now !== undefined && sameCells(then, now) ? [i] : [];
  }

  /**
   * Re-reads each tab's header row and ref columns in one `values.batchGet`, and builds a grid of just
   * those cells, so rows are located by ref where they are now, and columns where they are now.
   */
  private async freshLayouts(changes: Map<TableName, Change[]>): Promise<Map<TableName, FreshTab>> {
    const { api, calls } = await this.ready();
    const wanted = [...changes].map(([table, list]) => {
      const state = this.tabs.get(table) as TabState;
      const refs = refColumns(table).map((name) => ({ name, col: state.layout.columns.get(name) as number }));
      // Rows without a ref are read whole, to tell whether the same row is still at that number.
      const rows = [...new Set(list.flatMap((c) => ("rowNumber" in c.key ? [c.key.rowNumber - 1] : [])))];
      return { state, refs, rows };
    });
    const fetch = async (plan: typeof wanted) => {
      const ranges: string[] = [];
      for (const { state, refs, rows } of plan) {
        const h = state.layout.headerIndex + 1;
        ranges.push(`${quoteTitle(state.title)}!${h}:${h}`);
        for (const r of refs)
          ranges.push(`${quoteTitle(state.title)}!${columnLetters(r.col)}:${columnLetters(r.col)}`);
        const span = rowSpan(rows);
        if (span) ranges.push(`${quoteTitle(state.title)}!${span.first + 1}:${span.last + 1}`);
        else for (const i of rows) ranges.push(`${quoteTitle(state.title)}!${i + 1}:${i + 1}`);
      }
      const res = await calls.run("read", "re-read of the ref columns (values.batchGet)", () =>
        api.spreadsheets.values.batchGet(
          {
            spreadsheetId: this.options.spreadsheetId,
            ranges,
            valueRenderOption: "UNFORMATTED_VALUE",
            dateTimeRenderOption: "SERIAL_NUMBER",
            majorDimension: "ROWS",
          },
          PER_CALL,
        ),
      );
      return res.data.valueRanges ?? [];
    };

    let ranges = await fetch(wanted);
    let moved = false;
    const out = new Map<TableName, FreshTab>();
    const build = () => {
      let k = 0;
      moved = false;
      for (const w of wanted) {
        const headerRange = ranges[k++];
        const header = ((headerRange?.values?.[0] ?? []) as RawCell[]).map((v) => cellText(v, false));
        const columns = new Map<string, { col: number; cells: RawCell[] }>();
        for (const r of w.refs) {
          const vr = ranges[k++];
          columns.set(r.name, { col: r.col, cells: (vr?.values ?? []).map((row) => (row as RawCell[])[0]) });
        }
        const fresh = freshTab(w.state, header, columns, echoedExtent(headerRange?.range)?.columns);
        const dates = dateColumnIndexes(fresh.layout, w.state.options);
        const span = rowSpan(w.rows);
        const spanned = span ? (ranges[k++]?.values ?? []) : [];
        for (const i of w.rows) {
          const raw = (span ? spanned[i - span.first] : ranges[k++]?.values?.[0]) ?? [];
          fresh.rows.set(
            i,
            raw.map((v, c) => cellText(v, dates.has(c))),
          );
        }
        if (fresh.movedRefs.length > 0) {
          moved = true;
          w.refs = w.refs.map((r) => fresh.movedRefs.find((m) => m.name === r.name) ?? r);
        }
        out.set(w.state.table, fresh);
      }
    };
    build();
    if (moved) {
      // A column was inserted or deleted before a ref column meanwhile: read the refs where they are now.
      ranges = await fetch(wanted);
      build();
      if (moved) {
        throw new SheetsSourceError(
          `The columns of spreadsheet ${this.options.spreadsheetId} kept moving while the sync was writing; nothing was written, run again.`,
        );
      }
    }
    return out;
  }

  /** Adds columns at the right of a tab (`appendDimension`), which needs the tab's sheetId. */
  private async growColumns(state: TabState, columns: number): Promise<void> {
    const { api, calls } = await this.ready();
    const res = await calls.run("read", "looking up the tab id (spreadsheets.get)", () =>
      api.spreadsheets.get(
        { spreadsheetId: this.options.spreadsheetId, fields: "sheets.properties(sheetId,title)" },
        PER_CALL,
      ),
    );
    const sheet = (res.data.sheets ?? []).find((s) => s.properties?.title === state.title);
    const sheetId = sheet?.properties?.sheetId;
    if (sheetId === undefined || sheetId === null) {
      throw new SheetsSourceError(
        `The tab "${state.title}" disappeared from spreadsheet ${this.options.spreadsheetId} while the sync was writing; nothing was written, run again.`,
      );
    }
    await calls.run("write", "adding output columns (spreadsheets.batchUpdate)", () =>
      api.spreadsheets.batchUpdate(
        {
          spreadsheetId: this.options.spreadsheetId,
          requestBody: {
            requests: [{ appendDimension: { sheetId, dimension: "COLUMNS", length: columns } }],
          },
        },
        PER_CALL,
      ),
    );
    state.columnCount += columns;
  }
}

interface FreshTab {
  layout: HeaderLayout;
  /** The header row and ref columns as they are now; other cells empty. */
  grid: string[][];
  locator: RowLocator;
  /** Where new output columns start. */
  width: number;
  columnCount: number;
  /** Ref columns whose header is now elsewhere (with their new index); empty when nothing moved. */
  movedRefs: { name: string; col: number }[];
  /** Rows re-read whole (those of patches keyed by row number), as text, by grid index. */
  rows: Map<number, string[]>;
}

/** Grid indexes of the date columns (read as YYYY-MM-DD, as the first read did). */
function dateColumnIndexes(layout: HeaderLayout, opts: TableOptions): Set<number> {
  const out = new Set<number>();
  for (const c of inputColumns(opts)) {
    const col = c.type.kind === "date" ? layout.columns.get(c.name) : undefined;
    if (col !== undefined) out.add(col);
  }
  return out;
}

/**
 * Past a few dozen ref-less rows, one range from the first to the last replaces a range per row: each
 * range lengthens the batchGet URL, and a pasted block of hundreds of rows without refs would push it past
 * what Google accepts, failing the whole write-back. Null when a range per row is fine.
 */
const MAX_ROW_RANGES = 50;
function rowSpan(rows: readonly number[]): { first: number; last: number } | null {
  if (rows.length <= MAX_ROW_RANGES) return null;
  return { first: Math.min(...rows), last: Math.max(...rows) };
}

function refColumns(table: TableName): string[] {
  return table === "bundles" ? ["bundle_ref"] : ["bundle_ref", "video_ref"];
}

/**
 * A grid holding only the fresh header row and the fresh ref columns, enough for D1's header resolution
 * and row location. Also says whether the refs read are really under the ref headers.
 */
function freshTab(
  state: TabState,
  header: string[],
  refs: Map<string, { col: number; cells: RawCell[] }>,
  echoedColumns: number | undefined,
): FreshTab {
  const h = state.layout.headerIndex;
  const headerOnly: string[][] = [];
  headerOnly[h] = header;
  for (let i = 0; i < h; i++) headerOnly[i] = [];
  const { layout, problems } = resolveHeader(headerOnly, state.options);
  const fatal = problems.filter((p) => p.fatal);
  if (!layout || fatal.length > 0) {
    throw new SheetsSourceError(
      `The ${state.table} tab "${state.title}" changed while the sync was running, so nothing was written back: ${fatal.map((p) => p.message).join(" ")}`,
    );
  }
  const movedRefs: { name: string; col: number }[] = [];
  for (const [name, fetched] of refs) {
    const now = layout.columns.get(name) as number;
    if (fetched.col !== now) movedRefs.push({ name, col: now });
  }
  const height = Math.max(h + 1, ...[...refs.values()].map((c) => c.cells.length));
  const grid: string[][] = [];
  for (let i = 0; i < height; i++) grid.push(i === h ? header : []);
  for (const [name, { cells }] of refs) {
    const col = layout.columns.get(name) as number;
    cells.forEach((v, i) => {
      if (i <= h) return;
      const row = grid[i] as string[];
      while (row.length <= col) row.push("");
      row[col] = cellText(v, false);
    });
  }
  // New columns go after everything the tab held: what the read saw, shifted by columns inserted since.
  const shift = Math.max(0, header.length - (state.grid[h]?.length ?? 0));
  const width = Math.max(header.length, state.layout.width + shift);
  return {
    layout,
    grid,
    locator: new RowLocator(grid, layout, state.table),
    width,
    columnCount: echoedColumns ?? Math.max(state.columnCount, width),
    movedRefs,
    rows: new Map(),
  };
}

/** Cells → text; numbers in date columns are serial dates and become YYYY-MM-DD. */
function toTextGrid(raw: RawCell[][], opts: TableOptions): string[][] {
  const grid = raw.map((row) => row.map((v) => cellText(v, false)));
  const { layout } = resolveHeader(grid, opts);
  if (!layout) return grid;
  const dates = new Set(
    inputColumns(opts)
      .filter((c) => c.type.kind === "date")
      .map((c) => c.name),
  );
  for (const [name, col] of layout.columns) {
    if (!dates.has(name)) continue;
    for (let i = layout.headerIndex + 1; i < raw.length; i++) {
      const row = grid[i] as string[];
      if (col < row.length) row[col] = cellText(raw[i]?.[col], true);
    }
  }
  return grid;
}
