/**
 * One connection to a spreadsheet: the credentials resolved (src/sources/sheets-auth.ts), the client with
 * its own retries off, and the calls wrapper that paces, retries and words errors naming those credentials
 * (a refused token becomes one line saying what to do). The sync's source and `init` both open it here.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { tokenFailure } from "./google-auth-failure.ts";
import { type CredentialsInfo, credentialsWords } from "./google-credentials.ts";
import type { SheetsAuthOptions } from "./sheets-auth.ts";
import { type RetryOptions, SheetsCalls } from "./sheets-calls.ts";
import { processSheetsLimiter, type SheetsClock, type SheetsRateLimiter } from "./sheets-limiter.ts";
import type { SheetsContext } from "./sheets-read.ts";

export interface SheetsConnectionOptions {
  spreadsheetId: string;
  auth?: SheetsAuthOptions;
  /** A ready client (tests, or callers with their own auth); else one is built from `auth`. */
  client?: sheets_v4.Sheets;
  /** Where the API lives (tests point it at the fake server). */
  rootUrl?: string;
  /** Default: the limiter shared by the whole process. */
  limiter?: SheetsRateLimiter;
  clock?: SheetsClock;
  retry?: RetryOptions;
  /** Per-request timeout in ms. Default 60 s. */
  timeoutMs?: number;
}

export interface SheetsConnection extends SheetsContext {
  /** Which credentials were found and used; null with a given client. */
  info: CredentialsInfo | null;
}

export async function openSheets(o: SheetsConnectionOptions): Promise<SheetsConnection> {
  let api = o.client;
  let principal: string | null = null;
  let info: CredentialsInfo | null = null;
  if (!api) {
    // Loaded on use: the Google client and auth libraries take about 0.1 s to load, which a command
    // on a CSV campaign would otherwise pay at every start (docs/architecture.md, "Start-up").
    const [{ sheets }, { resolveSheetsAuth }] = await Promise.all([
      import("@googleapis/sheets"),
      import("./sheets-auth.ts"),
    ]);
    const resolved = await resolveSheetsAuth(o.auth);
    principal = resolved.principal;
    info = resolved.info;
    api = sheets({
      version: "v4",
      auth: resolved.auth,
      retry: false,
      timeout: o.timeoutMs ?? 60_000,
      ...(o.rootUrl ? { rootUrl: o.rootUrl } : {}),
    });
  }
  const words = info ? credentialsWords(info) : null;
  const calls = new SheetsCalls({
    limiter: o.limiter ?? processSheetsLimiter(),
    spreadsheetId: o.spreadsheetId,
    principal,
    ...(words
      ? { credentials: words, tokenFailure: (err: unknown, what: string) => tokenFailure(err, what, words) }
      : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.retry ? { retry: o.retry } : {}),
  });
  return { api, calls, spreadsheetId: o.spreadsheetId, info };
}
