/**
 * HTTP for the client: one undici `Pool` per origin with keep-alive, so a run reuses a handful of
 * connections (about as many as its concurrency) instead of opening one per call.
 *
 * The transport knows nothing of TokPortal: it sends what it is given and returns the status, headers and
 * the whole body as bytes. Turning failures into `TokPortalError`s is the client's job, which knows the
 * operation; `describeNetworkError` helps it without keeping the undici error (which may hold headers).
 */
import type { Readable } from "node:stream";
import { FormData, Pool } from "undici";

export interface TransportOptions {
  /** Connections per origin; about the number of calls you run at once. */
  connections?: number;
  connectTimeoutMs?: number;
  /** Time allowed for the response headers to arrive once the request is sent. */
  headersTimeoutMs?: number;
  /** Time allowed between two chunks of the response body. */
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

export const DEFAULT_TIMEOUTS = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  keepAliveTimeoutMs: 30_000,
};

export interface HttpRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  /** A stream is sent as it is read (its Content-Length set by the caller) and cannot be sent twice. */
  body?: string | Uint8Array | FormData | Readable;
  signal?: AbortSignal;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
}

export class Transport {
  private readonly pools = new Map<string, Pool>();
  private readonly options: Required<TransportOptions>;
  private closed = false;

  constructor(options: TransportOptions = {}) {
    this.options = { connections: 16, ...DEFAULT_TIMEOUTS, ...options };
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.pool(req.url.origin).request({
      path: `${req.url.pathname}${req.url.search}`,
      method: req.method as "GET",
      headers: req.headers,
      body: req.body ?? null,
      signal: req.signal,
      headersTimeout: req.headersTimeoutMs ?? this.options.headersTimeoutMs,
      bodyTimeout: req.bodyTimeoutMs ?? this.options.bodyTimeoutMs,
    });
    const body = new Uint8Array(await res.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    return { status: res.statusCode, headers, body };
  }

  /** Closes every pool; calls in flight finish first. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private pool(origin: string): Pool {
    if (this.closed) throw new Error("The TokPortal client was closed");
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections,
        connectTimeout: this.options.connectTimeoutMs,
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        headersTimeout: this.options.headersTimeoutMs,
        bodyTimeout: this.options.bodyTimeoutMs,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

export type NetworkFailure = { timeout: boolean; code: string; message: string };

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** The parts of a thrown transport error worth reporting: never the error object itself. */
export function describeNetworkError(error: unknown): NetworkFailure {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  const code =
    typeof e.code === "string"
      ? e.code
      : typeof e.cause?.code === "string"
        ? e.cause.code
        : typeof e.name === "string"
          ? e.name
          : "UNKNOWN";
  const timeout = TIMEOUT_CODES.has(code) || e.name === "TimeoutError";
  const message = typeof e.message === "string" && e.message ? e.message : String(error);
  return { timeout, code, message };
}

export { FormData };
