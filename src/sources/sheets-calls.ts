/**
 * Every request to Google Sheets goes through `SheetsCalls.run`: the process limiter, our own bounded
 * retries (the client's are turned off: gaxios never retries POSTs, so `values.batchUpdate` would get none,
 * and retries we do not see cannot be counted), request counters, and errors turned into one line a user
 * can act on. Google's error objects carry the request config, URL and API key, so they never escape.
 */
import { SourceError } from "./errors.ts";
import { realClock, type SheetsClock, type SheetsRateLimiter } from "./sheets-limiter.ts";

export type SheetsBucket = "read" | "write";

export interface SheetsCounters {
  /** Read requests sent (spreadsheets.get, values.get/batchGet), retries included. */
  reads: number;
  /** Write requests sent (values.update/batchUpdate, spreadsheets.batchUpdate), retries included. */
  writes: number;
  /** Requests sent again after a retryable failure. */
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
}

export interface RetryOptions {
  /**
   * Retries after the first attempt. Default 7: with 1 s doubling to the 32 s cap that is about 95 s of
   * waiting, enough to outlast one per-minute quota window.
   */
  maxRetries?: number;
  /** First backoff, doubled each retry. Default 1000 ms (Google's recipe: 2^n s + up to 1 s jitter). */
  baseDelayMs?: number;
  /** Truncation of the backoff. Default 32 s. */
  maxDelayMs?: number;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
}

/** A failed Sheets request, as one line; `status`/`reason` for callers that branch on them. */
export class SheetsSourceError extends SourceError {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly reason: string | null = null,
  ) {
    super(message);
  }
}

interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: { reason?: string; metadata?: Record<string, string> }[];
}

export interface ParsedFailure {
  /** HTTP status, or null when no answer came (connection reset, refused, timeout). */
  status: number | null;
  /** Google's `error.status` (e.g. RESOURCE_EXHAUSTED) or the network error code. */
  code: string;
  message: string;
  reason: string | null;
}

/** Redacts credentials that may appear in messages (API keys in URLs, tokens). */
export function redact(text: string): string {
  return text
    .replace(/([?&]key=)[^&\s"']+/g, "$1[redacted]")
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer [redacted]")
    .replace(/sk_[0-9a-fA-F]{8,}/g, "sk_[redacted]")
    .replace(/\s+/g, " ")
    .trim();
}

export function parseFailure(err: unknown): ParsedFailure {
  const e = err as {
    status?: unknown;
    code?: unknown;
    message?: unknown;
    response?: { status?: number; data?: unknown };
  };
  const status = typeof e?.response?.status === "number" ? e.response.status : null;
  const data = e?.response?.data as { error?: GoogleErrorBody } | string | undefined;
  const body = typeof data === "object" && data !== null ? data.error : undefined;
  const reason = body?.details?.find((d) => typeof d?.reason === "string")?.reason ?? null;
  const message =
    body?.message ??
    (typeof data === "string" && data !== "" ? data : String(e?.message ?? err ?? "unknown error"));
  const code =
    body?.status ?? (typeof e?.code === "string" ? e.code : status === null ? "NETWORK" : String(status));
  return { status, code, message: redact(message), reason };
}

/** 429, 5xx, a 403 about quota or rate, or no answer at all: worth another try. */
export function isRetryable(f: ParsedFailure): boolean {
  if (f.status === null) return true;
  if (f.status === 429 || f.status >= 500) return true;
  if (f.status === 403) {
    return /quota|rate ?limit/i.test(f.message) || /RATE_LIMIT|rateLimitExceeded/i.test(f.reason ?? "");
  }
  return false;
}

export interface SheetsCallsOptions {
  limiter: SheetsRateLimiter;
  clock?: SheetsClock;
  retry?: RetryOptions;
  /** Spreadsheet and principal for error messages. */
  spreadsheetId: string;
  principal?: string | null;
  /** What the credentials are called and the fixes that fit them (google-credentials.ts). */
  credentials?: { used: string; share: string; renew: string; scope: string };
  /**
   * Turns a failure to get an access token (the token endpoint, STS, IAM Credentials or the metadata
   * server refused) into the error to throw, not retried; null for any other failure.
   */
  tokenFailure?: (err: unknown, what: string) => Error | null;
}

export class SheetsCalls {
  readonly counters: SheetsCounters = { reads: 0, writes: 0, retries: 0, rateLimited: 0 };
  private readonly clock: SheetsClock;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(private readonly options: SheetsCallsOptions) {
    this.clock = options.clock ?? realClock;
    this.maxRetries = options.retry?.maxRetries ?? 7;
    this.baseDelayMs = options.retry?.baseDelayMs ?? 1000;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 32_000;
    this.random = options.retry?.random ?? Math.random;
  }

  /** The wait before retry number `attempt` (0-based): min(base·2^n + jitter(≤1 s), max). */
  backoff(attempt: number): number {
    return Math.min(this.baseDelayMs * 2 ** attempt + Math.floor(this.random() * 1000), this.maxDelayMs);
  }

  async run<T>(bucket: SheetsBucket, what: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.options.limiter.acquire();
      if (bucket === "read") this.counters.reads++;
      else this.counters.writes++;
      try {
        return await send();
      } catch (err) {
        const refused = this.options.tokenFailure?.(err, what);
        if (refused) throw refused;
        const failure = parseFailure(err);
        if (failure.status === 429) this.counters.rateLimited++;
        if (!isRetryable(failure)) throw this.explain(failure, what);
        if (attempt >= this.maxRetries) throw this.explain(failure, what, attempt + 1);
        this.counters.retries++;
        await this.clock.sleep(this.backoff(attempt));
      }
    }
  }

  /** One line naming what failed, Google's words, and the fix. */
  explain(f: ParsedFailure, what: string, attempts?: number): SheetsSourceError {
    const id = this.options.spreadsheetId;
    const google = `${f.status ?? "no answer"} ${f.code}: ${f.message}`;
    let fix: string;
    if (attempts !== undefined) {
      fix = `gave up after ${attempts} attempts; the sheet was left as it was, run again later`;
    } else if (f.status === 403 && /SCOPE_INSUFFICIENT/.test(f.reason ?? "") && this.options.credentials) {
      fix = `${this.options.credentials.used} lacks the spreadsheets scope: ${this.options.credentials.scope}`;
    } else if (f.status === 403 && this.options.credentials) {
      fix = `share the spreadsheet with ${this.options.credentials.share} as an Editor (credentials used: ${this.options.credentials.used})`;
    } else if (f.status === 403) {
      const who = this.options.principal
        ? `the service account ${this.options.principal}`
        : "the account whose credentials are used (the service account's client_email)";
      fix = `share the spreadsheet with ${who} as an Editor`;
    } else if (f.status === 404) {
      fix = "check spreadsheet_id in the config (the long id in the sheet's URL)";
    } else if ((f.status === 401 || f.reason === "API_KEY_INVALID") && this.options.credentials) {
      fix = `Google refused ${this.options.credentials.used}: ${this.options.credentials.renew}`;
    } else if (f.status === 401 || f.reason === "API_KEY_INVALID") {
      fix =
        "check the credentials (GOOGLE_APPLICATION_CREDENTIALS or credentials: in the config; an access token from GOOGLE_OAUTH_ACCESS_TOKEN expires after an hour)";
    } else {
      fix = "this is not retried";
    }
    return new SheetsSourceError(
      `Google Sheets ${what} for spreadsheet ${id} failed (${google}); ${fix}.`,
      f.status,
      f.reason ?? f.code,
    );
  }
}
