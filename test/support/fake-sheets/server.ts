/**
 * A stateful fake of the Google Sheets v4 REST API over real HTTP on 127.0.0.1 (port 0), for pointing the
 * real `@googleapis/sheets` client at (`rootUrl`). It implements what tokportal-sync uses:
 *
 *   GET  /v4/spreadsheets/{id}                      spreadsheets.get (fields, ranges, includeGridData)
 *   POST /v4/spreadsheets/{id}:batchUpdate          addSheet, appendDimension, insertDimension,
 *                                                   deleteDimension, sortRange, deleteSheet, and the
 *                                                   layout requests of layout.ts (atomic); a field name
 *                                                   the API does not know is a 400 (schema.ts)
 *   GET  /v4/spreadsheets/{id}/values/{range}       values.get
 *   PUT  /v4/spreadsheets/{id}/values/{range}       values.update
 *   GET  /v4/spreadsheets/{id}/values:batchGet      values.batchGet
 *   POST /v4/spreadsheets/{id}/values:batchUpdate   values.batchUpdate (atomic)
 *   POST /v4/spreadsheets/{id}/values:batchClear    values.batchClear
 *   GET  /v4/spreadsheets/{id}/developerMetadata/{n} developerMetadata.get
 *   POST /v4/spreadsheets/{id}/developerMetadata:search developerMetadata.search
 *   (create/update/deleteDeveloperMetadata are batchUpdate requests: developer-metadata.ts)
 *
 * plus Google's error shape, the per-minute quotas (quota.ts, injectable clock), auth checks (API keys,
 * bearer tokens, sharing), injected faults and latency, a request log, and direct helpers for tests.
 * Cells, render and input options: cells.ts. A1 ranges: a1.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { columnIndex } from "./a1.ts";
import {
  type Cell,
  type CellValue,
  type DateTimeRenderOption,
  seedCell,
  type ValueInputOption,
  type ValueRenderOption,
} from "./cells.ts";
import { selectFields } from "./field-mask.ts";
import { sheetLayoutFields } from "./layout.ts";
import { DEFAULT_LIMITS, type QuotaBucket, type QuotaLimits, QuotaTracker } from "./quota.ts";
import { checkFieldNames } from "./schema.ts";
import {
  badRequest,
  type MajorDimension,
  type ReadOptions,
  SheetsError,
  type Tab,
  type UpdateResult,
  Workbook,
} from "./workbook.ts";

export interface LogEntry {
  method: string;
  /** e.g. `values.batchGet`, `spreadsheets.batchUpdate`; `unknown` for unrouted paths. */
  op: string;
  /** The path without the query (no API key in it). */
  path: string;
  spreadsheetId: string | null;
  /** Ranges named by the request (query `ranges`, the path's range, or the body's `data[].range`). */
  ranges: string[];
  /** Structural request kinds of a `spreadsheets.batchUpdate`. */
  requests: string[];
  bucket: QuotaBucket | null;
  /** How the caller authenticated (the credential itself is never logged). */
  auth: "key" | "bearer" | "none";
  bodyBytes: number;
  status: number;
  /** Why it failed, when it did: an injected fault, the quota, or the error message. */
  error?: string;
  at: number;
}

export interface Fault {
  /**
   * HTTP status to answer (429 answers the quota error body), `reset` to drop the connection, or `delay`
   * to answer normally after `delayMs`.
   */
  kind: number | "reset" | "delay";
  /** How many matching requests it applies to. */
  count: number;
  /** Only requests for which this returns true (default: all). */
  match?: (entry: LogEntry) => boolean;
  /** Extra delay in ms before answering (real time; keep small). */
  delayMs?: number;
}

export interface SpreadsheetSeed {
  id?: string;
  title?: string;
  tabs: TabSeed[];
  /** Principals (API keys or bearer tokens) allowed; absent = anyone who authenticates. */
  sharedWith?: string[];
}

export interface TabSeed {
  title: string;
  rows?: (CellValue | null)[][];
  rowCount?: number;
  columnCount?: number;
  /** How the seed's strings are taken: RAW (default, typed JS values) or USER_ENTERED (typed as text). */
  input?: ValueInputOption;
}

export interface FakeSheetsOptions {
  /** Clock for the quota windows and log timestamps (ms). Default Date.now. */
  now?: () => number;
  limits?: Partial<QuotaLimits>;
  /** When set, only these API keys are valid (others: 400 API_KEY_INVALID). */
  apiKeys?: string[];
  /** When set, only these bearer tokens are valid (others: 401 UNAUTHENTICATED). */
  tokens?: string[];
  /** Delay every answer by this many ms (real time). */
  latencyMs?: number;
  /** Largest accepted request body; Google's observed limit is 10,485,760 bytes. */
  maxBodyBytes?: number;
}

interface Route {
  op: string;
  bucket: QuotaBucket;
  spreadsheetId: string | null;
  range?: string;
  /** `developerMetadata.get`'s id, as written in the path. */
  metadataId?: string;
}

const OPS_BY_SUFFIX: Record<string, { method: string; op: string; bucket: QuotaBucket }> = {
  "": { method: "GET", op: "spreadsheets.get", bucket: "read" },
  ":batchUpdate": { method: "POST", op: "spreadsheets.batchUpdate", bucket: "write" },
  "/values:batchGet": { method: "GET", op: "values.batchGet", bucket: "read" },
  "/values:batchUpdate": { method: "POST", op: "values.batchUpdate", bucket: "write" },
  "/values:batchClear": { method: "POST", op: "values.batchClear", bucket: "write" },
  "/developerMetadata:search": { method: "POST", op: "developerMetadata.search", bucket: "read" },
};

function route(method: string, path: string): Route | null {
  const prefix = "/v4/spreadsheets/";
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length);
  const m = /^([^/:]+)(.*)$/.exec(rest);
  if (!m) return null;
  const spreadsheetId = decodeURIComponent(m[1] as string);
  const tail = m[2] as string;
  const fixed = OPS_BY_SUFFIX[tail];
  if (fixed) return fixed.method === method ? { op: fixed.op, bucket: fixed.bucket, spreadsheetId } : null;
  const meta = /^\/developerMetadata\/([^/:]+)$/.exec(tail);
  if (meta && method === "GET") {
    return { op: "developerMetadata.get", bucket: "read", spreadsheetId, metadataId: meta[1] as string };
  }
  const values = /^\/values\/([^:]+)$/.exec(tail);
  if (values) {
    const range = decodeURIComponent(values[1] as string);
    if (method === "GET") return { op: "values.get", bucket: "read", spreadsheetId, range };
    if (method === "PUT") return { op: "values.update", bucket: "write", spreadsheetId, range };
  }
  return null;
}

function quotaError(quotaLimit: string, limit: number): SheetsError {
  const write = quotaLimit.startsWith("Write");
  const metric = write ? "Write requests" : "Read requests";
  const scope = quotaLimit.endsWith("PerUser") ? "per minute per user" : "per minute";
  return new SheetsError(
    429,
    "RESOURCE_EXHAUSTED",
    `Quota exceeded for quota metric '${metric}' and limit '${metric} ${scope}' of service 'sheets.googleapis.com' for consumer 'project_number:0'.`,
    [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "RATE_LIMIT_EXCEEDED",
        domain: "googleapis.com",
        metadata: {
          quota_limit: quotaLimit,
          quota_metric: `sheets.googleapis.com/${write ? "write" : "read"}_requests`,
          quota_limit_value: String(limit),
          consumer: "projects/0",
          service: "sheets.googleapis.com",
          quota_location: "global",
        },
      },
      {
        "@type": "type.googleapis.com/google.rpc.Help",
        links: [
          {
            description: "Request a higher quota limit.",
            url: "https://cloud.google.com/docs/quota#requesting_higher_quota",
          },
        ],
      },
    ],
  );
}

function enumParam<T extends string>(
  value: string | null,
  allowed: readonly T[],
  fallback: T,
  name: string,
): T {
  if (value === null) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw badRequest(`Invalid value at '${name}' (${allowed.join(", ")}), "${value}"`);
}

const RENDER = ["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"] as const;
const DATES = ["SERIAL_NUMBER", "FORMATTED_STRING"] as const;
const MAJOR = ["ROWS", "COLUMNS"] as const;
const INPUT = ["RAW", "USER_ENTERED"] as const;

function readOptions(q: URLSearchParams, prefix = ""): ReadOptions {
  return {
    valueRenderOption: enumParam<ValueRenderOption>(
      q.get(`${prefix}valueRenderOption`),
      RENDER,
      "FORMATTED_VALUE",
      "value_render_option",
    ),
    dateTimeRenderOption: enumParam<DateTimeRenderOption>(
      q.get(`${prefix}dateTimeRenderOption`),
      DATES,
      "SERIAL_NUMBER",
      "date_time_render_option",
    ),
    majorDimension: enumParam<MajorDimension>(q.get("majorDimension"), MAJOR, "ROWS", "major_dimension"),
  };
}

interface Principal {
  kind: "key" | "bearer" | "none";
  id: string;
}

export class FakeSheets {
  readonly log: LogEntry[] = [];
  readonly quota: QuotaTracker;
  private readonly books = new Map<string, { book: Workbook; sharedWith?: string[] }>();
  private faults: Fault[] = [];
  private server: Server | null = null;
  private readonly now: () => number;
  private nextId = 1;
  /** Called after a request is routed and authorized, before it is handled: lets a test edit the sheet "meanwhile". */
  beforeHandle: ((entry: LogEntry) => void) | null = null;
  latencyMs: number;

  constructor(private readonly options: FakeSheetsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.quota = new QuotaTracker({ ...DEFAULT_LIMITS, ...options.limits }, this.now);
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** Starts listening on 127.0.0.1 with an OS-chosen port. */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: { code: 500, message: String(err), status: "INTERNAL" } }));
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    return this;
  }

  /** The `rootUrl` to give the client, e.g. `http://127.0.0.1:54321/`. */
  get rootUrl(): string {
    if (!this.server) throw new Error("FakeSheets is not started");
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ---- test helpers -------------------------------------------------------------------------------

  createSpreadsheet(seed: SpreadsheetSeed): Workbook {
    const id = seed.id ?? `fake-spreadsheet-${this.nextId++}`;
    const book = new Workbook(id, seed.title ?? "Campaign");
    this.books.set(id, seed.sharedWith ? { book, sharedWith: seed.sharedWith } : { book });
    for (const t of seed.tabs) {
      const width = Math.max(0, ...(t.rows ?? []).map((r) => r.length));
      book.addTab(
        t.title,
        t.rowCount ?? Math.max(1000, t.rows?.length ?? 0),
        t.columnCount ?? Math.max(26, width),
      );
      if (t.rows) this.seed(id, t.title, t.rows, t.input);
    }
    return book;
  }

  book(spreadsheetId: string): Workbook {
    const entry = this.books.get(spreadsheetId);
    if (!entry) throw new Error(`no fake spreadsheet ${spreadsheetId}`);
    return entry.book;
  }

  tab(spreadsheetId: string, title: string): Tab {
    return this.book(spreadsheetId).tab(title);
  }

  /** Replaces a tab's cells with `rows` (row 1 first), growing the grid if needed. */
  seed(
    spreadsheetId: string,
    title: string,
    rows: (CellValue | null)[][],
    input: ValueInputOption = "RAW",
  ): void {
    const tab = this.tab(spreadsheetId, title);
    tab.rowCount = Math.max(tab.rowCount, rows.length);
    tab.columnCount = Math.max(tab.columnCount, ...rows.map((r) => r.length));
    tab.rows = rows.map((row) => row.map((v) => seedCell(v, input) ?? undefined));
  }

  /** The tab's values as a reader would get them (trailing blanks trimmed); UNFORMATTED_VALUE by default. */
  values(
    spreadsheetId: string,
    title: string,
    render: ValueRenderOption = "UNFORMATTED_VALUE",
    dates: DateTimeRenderOption = "SERIAL_NUMBER",
  ): CellValue[][] {
    const book = this.book(spreadsheetId);
    return (
      book.read(quoted(title), {
        valueRenderOption: render,
        dateTimeRenderOption: dates,
        majorDimension: "ROWS",
      }).values ?? []
    );
  }

  /** The stored, typed cell at a 1-based row and a column letter. */
  cell(spreadsheetId: string, title: string, row: number, column: string): Cell | undefined {
    return this.tab(spreadsheetId, title).rows[row - 1]?.[columnIndex(column)];
  }

  /** Inserts `count` rows before 1-based `beforeRow`, optionally filled with `rows`. */
  insertRows(spreadsheetId: string, title: string, beforeRow: number, rows: (CellValue | null)[][]): void {
    const book = this.book(spreadsheetId);
    const tab = book.tab(title);
    book.insert(tab, "ROWS", beforeRow - 1, rows.length);
    rows.forEach((row, i) => {
      tab.rows[beforeRow - 1 + i] = row.map((v) => seedCell(v, "RAW") ?? undefined);
    });
  }

  /** Deletes `count` rows starting at 1-based `row`. */
  deleteRows(spreadsheetId: string, title: string, row: number, count = 1): void {
    const book = this.book(spreadsheetId);
    book.remove(book.tab(title), "ROWS", row - 1, count);
  }

  /** Inserts empty columns before `column` (a letter). */
  insertColumns(spreadsheetId: string, title: string, column: string, count = 1): void {
    const book = this.book(spreadsheetId);
    book.insert(book.tab(title), "COLUMNS", columnIndex(column), count);
  }

  /** Sorts the rows below the header by one column, as a user would with "Sort sheet". */
  sortRows(
    spreadsheetId: string,
    title: string,
    column: string,
    order: "asc" | "desc" = "asc",
    headerRows = 1,
  ) {
    const book = this.book(spreadsheetId);
    const tab = book.tab(title);
    book.sort({ sheetId: tab.sheetId, startRowIndex: headerRows }, [
      { dimensionIndex: columnIndex(column), sortOrder: order === "asc" ? "ASCENDING" : "DESCENDING" },
    ]);
  }

  /** Makes the next matching requests fail (429 with the quota body, another status, or a reset). */
  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  clearLog(): void {
    this.log.length = 0;
  }

  /** Log entries of one operation, e.g. `values.batchUpdate`. */
  requests(op?: string): LogEntry[] {
    return op === undefined ? [...this.log] : this.log.filter((e) => e.op === op);
  }

  // ---- HTTP -----------------------------------------------------------------------------------------

  private principal(req: IncomingMessage, query: URLSearchParams): Principal {
    const key = query.get("key");
    if (key) return { kind: "key", id: key };
    const header = req.headers.authorization;
    if (header?.startsWith("Bearer ")) return { kind: "bearer", id: header.slice(7) };
    return { kind: "none", id: "" };
  }

  private authorize(p: Principal, spreadsheetId: string | null): void {
    if (p.kind === "none") {
      throw new SheetsError(403, "PERMISSION_DENIED", "The request is missing a valid API key.");
    }
    if (p.kind === "key" && this.options.apiKeys && !this.options.apiKeys.includes(p.id)) {
      throw new SheetsError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "API_KEY_INVALID",
          domain: "googleapis.com",
        },
      ]);
    }
    if (p.kind === "bearer" && this.options.tokens && !this.options.tokens.includes(p.id)) {
      throw new SheetsError(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
      );
    }
    if (spreadsheetId === null) return;
    const entry = this.books.get(spreadsheetId);
    if (!entry) throw new SheetsError(404, "NOT_FOUND", "Requested entity was not found.");
    if (entry.sharedWith && !entry.sharedWith.includes(p.id)) {
      throw new SheetsError(403, "PERMISSION_DENIED", "The caller does not have permission");
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const r = route(method, url.pathname);
    const entry: LogEntry = {
      method,
      op: r?.op ?? "unknown",
      path: url.pathname,
      spreadsheetId: r?.spreadsheetId ?? null,
      ranges: [...url.searchParams.getAll("ranges"), ...(r?.range ? [r.range] : [])],
      requests: [],
      bucket: r?.bucket ?? null,
      auth: "none",
      bodyBytes: raw.length,
      status: 0,
      at: this.now(),
    };
    this.log.push(entry);
    let body: unknown;
    const answer = (status: number, payload: unknown) => {
      entry.status = status;
      res.statusCode = status;
      res.setHeader("content-type", "application/json; charset=UTF-8");
      res.end(JSON.stringify(payload));
    };
    try {
      if (raw.length > (this.options.maxBodyBytes ?? 10_485_760)) {
        throw badRequest(
          `Request payload size exceeds the limit: ${this.options.maxBodyBytes ?? 10_485_760} bytes.`,
        );
      }
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          throw badRequest("Invalid JSON payload received.");
        }
      }
      noteBody(entry, body);
      const principal = this.principal(req, url.searchParams);
      entry.auth = principal.kind;
      const fault = this.takeFault(entry);
      if (fault?.delayMs || this.latencyMs) await delay((fault?.delayMs ?? 0) + this.latencyMs);
      if (fault && fault.kind !== "delay") {
        if (fault.kind === "reset") {
          entry.status = -1;
          entry.error = "injected reset";
          req.socket.destroy();
          return;
        }
        entry.error = `injected ${fault.kind}`;
        if (fault.kind === 429) {
          const limit =
            entry.bucket === "write" ? "WriteRequestsPerMinutePerUser" : "ReadRequestsPerMinutePerUser";
          throw quotaError(limit, 60);
        }
        throw new SheetsError(
          fault.kind,
          fault.kind === 503 ? "UNAVAILABLE" : fault.kind >= 500 ? "INTERNAL" : "FAILED_PRECONDITION",
          fault.kind === 503 ? "The service is currently unavailable." : "Internal error encountered.",
        );
      }
      if (!r)
        throw new SheetsError(404, "NOT_FOUND", `The fake Sheets server has no ${method} ${url.pathname}`);
      this.authorize(principal, r.spreadsheetId);
      const refusal = this.quota.take(principal.id, r.bucket);
      if (refusal) {
        entry.error = `quota ${refusal.quotaLimit}`;
        throw quotaError(refusal.quotaLimit, refusal.limit);
      }
      this.beforeHandle?.(entry);
      answer(200, this.dispatch(r, url.searchParams, body));
    } catch (err) {
      if (err instanceof SheetsError) {
        entry.error ??= err.message;
        answer(err.code, err.toJSON());
        return;
      }
      throw err;
    }
  }

  private takeFault(entry: LogEntry): Fault | null {
    const fault = this.faults.find((f) => f.count > 0 && (f.match ? f.match(entry) : true));
    if (!fault) return null;
    fault.count--;
    this.faults = this.faults.filter((f) => f.count > 0);
    return fault;
  }

  private dispatch(r: Route, q: URLSearchParams, body: unknown): unknown {
    const book = this.book(r.spreadsheetId as string);
    const fields = q.get("fields") ?? undefined;
    const b = (body ?? {}) as Record<string, unknown>;
    switch (r.op) {
      case "spreadsheets.get":
        return selectFields(this.spreadsheetResource(book, q), fields);
      case "values.get":
        return selectFields(book.read(r.range as string, readOptions(q)), fields);
      case "values.batchGet": {
        const ranges = q.getAll("ranges");
        const opts = readOptions(q);
        return selectFields(
          { spreadsheetId: book.spreadsheetId, valueRanges: ranges.map((range) => book.read(range, opts)) },
          fields,
        );
      }
      case "values.update": {
        const input = requiredInput(q.get("valueInputOption"));
        const major = enumParam<MajorDimension>(
          (b.majorDimension as string | undefined) ?? null,
          MAJOR,
          "ROWS",
          "major_dimension",
        );
        if (typeof b.range === "string" && b.range !== r.range) {
          throw badRequest(
            `Requested writing within range [${r.range}], but the request body has range [${b.range}]`,
          );
        }
        const result = atomically(book, () => book.write(r.range as string, b.values ?? [], major, input));
        return selectFields({ spreadsheetId: book.spreadsheetId, ...result }, fields);
      }
      case "values.batchUpdate": {
        checkFieldNames(body, "BatchUpdateValuesRequest");
        const input = requiredInput((b.valueInputOption as string | undefined) ?? null);
        const data = (b.data ?? []) as { range?: string; majorDimension?: string; values?: unknown }[];
        const results = atomically(book, () =>
          data.map((d, i) => {
            if (typeof d.range !== "string") throw badRequest(`Invalid data[${i}]: range is required`);
            const major = enumParam<MajorDimension>(
              d.majorDimension ?? null,
              MAJOR,
              "ROWS",
              "major_dimension",
            );
            return book.write(d.range, d.values ?? [], major, input);
          }),
        );
        return selectFields(batchSummary(book.spreadsheetId, results), fields);
      }
      case "values.batchClear": {
        const ranges = (b.ranges ?? []) as string[];
        atomically(book, () => {
          for (const range of ranges) {
            const rect = book.rectOf(range);
            for (let row = rect.startRow; row < rect.endRow; row++) {
              const cells = rect.tab.rows[row];
              if (cells) for (let c = rect.startCol; c < rect.endCol; c++) cells[c] = undefined;
            }
          }
        });
        return { spreadsheetId: book.spreadsheetId, clearedRanges: ranges };
      }
      case "developerMetadata.get": {
        const id = Number(r.metadataId);
        if (!Number.isInteger(id)) {
          throw badRequest(`Invalid value at 'metadata_id' (TYPE_INT32), "${r.metadataId}"`);
        }
        return selectFields(book.metadata.get(id), fields);
      }
      case "developerMetadata.search": {
        checkFieldNames(body, "SearchDeveloperMetadataRequest");
        return selectFields(book.metadata.search(b.dataFilters), fields);
      }
      case "spreadsheets.batchUpdate": {
        checkFieldNames(body, "BatchUpdateSpreadsheetRequest");
        const requests = b.requests;
        if (!Array.isArray(requests) || requests.length === 0) {
          throw badRequest("Must specify at least one request.");
        }
        const replies = book.batchUpdate(requests);
        return selectFields({ spreadsheetId: book.spreadsheetId, replies }, fields);
      }
      default:
        throw new SheetsError(404, "NOT_FOUND", `not implemented: ${r.op}`);
    }
  }

  private spreadsheetResource(book: Workbook, q: URLSearchParams): unknown {
    const ranges = q.getAll("ranges");
    const withData = q.get("includeGridData") === "true";
    const resolved = ranges.map((range) => book.rectOf(range));
    const tabs = ranges.length > 0 ? book.tabs.filter((t) => resolved.some((x) => x.tab === t)) : book.tabs;
    return {
      spreadsheetId: book.spreadsheetId,
      properties: { title: book.title, locale: "en_US", autoRecalc: "ON_CHANGE", timeZone: "Etc/GMT" },
      sheets: tabs.map((tab) => {
        const sheet: Record<string, unknown> = {
          properties: book.sheetProperties(tab),
          ...sheetLayoutFields(tab),
        };
        if (withData) {
          const rects =
            ranges.length > 0 ? resolved.filter((x) => x.tab === tab) : [book.rectOf(quoted(tab.title))];
          sheet.data = rects.map((rect) => book.gridData(rect));
        }
        return sheet;
      }),
      spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${book.spreadsheetId}/edit`,
    };
  }
}

function quoted(title: string): string {
  return `'${title.replaceAll("'", "''")}'`;
}

function requiredInput(value: string | null): ValueInputOption {
  if (value === null) throw badRequest("'valueInputOption' is required but not specified");
  return enumParam<ValueInputOption>(value, INPUT, "RAW", "value_input_option");
}

/** Runs a multi-range write all-or-nothing, as Sheets does. */
function atomically<T>(book: Workbook, fn: () => T): T {
  const saved = book.tabs.map((t) => ({ tab: t, rows: t.rows.map((row) => (row ? [...row] : row)) }));
  try {
    return fn();
  } catch (err) {
    for (const s of saved) s.tab.rows = s.rows;
    throw err;
  }
}

function batchSummary(spreadsheetId: string, results: UpdateResult[]): unknown {
  return {
    spreadsheetId,
    totalUpdatedRows: results.reduce((n, r) => n + r.updatedRows, 0),
    totalUpdatedColumns: results.reduce((n, r) => n + r.updatedColumns, 0),
    totalUpdatedCells: results.reduce((n, r) => n + r.updatedCells, 0),
    totalUpdatedSheets: new Set(results.map((r) => r.updatedRange.split("!")[0])).size,
    responses: results.map((r) => ({ spreadsheetId, ...r })),
  };
}

function noteBody(entry: LogEntry, body: unknown): void {
  if (body === null || typeof body !== "object") return;
  const b = body as { data?: { range?: unknown }[]; requests?: object[]; ranges?: unknown[] };
  if (Array.isArray(b.data)) {
    for (const d of b.data) if (typeof d?.range === "string") entry.ranges.push(d.range);
  }
  if (Array.isArray(b.ranges)) for (const x of b.ranges) if (typeof x === "string") entry.ranges.push(x);
  if (Array.isArray(b.requests)) {
    for (const req of b.requests)
      if (req && typeof req === "object") entry.requests.push(...Object.keys(req));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts a fake on 127.0.0.1:0. */
export async function startFakeSheets(options: FakeSheetsOptions = {}): Promise<FakeSheets> {
  return new FakeSheets(options).start();
}
