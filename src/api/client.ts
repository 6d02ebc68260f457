/**
 * The one way the project talks to TokPortal.
 *
 * Every call goes: validate against the spec (a bug in our code fails here, naming the field) → wait for a
 * slot and a token of the shared rate gate → send over the pooled transport → read the answer tolerantly →
 * on failure, let the retry policy decide. Writes carry the caller's Idempotency-Key, so a retried write
 * replays instead of applying twice. The API key travels only in the `X-API-Key` header and never appears
 * in an error, an event or a URL.
 *
 * `call(operationId, …)` reaches any operation of the spec; the typed groups (`bundles`, `account`,
 * `videos`, `uploads`, `credits`, `analytics`, `webhooks`, in src/api/operations.ts) cover what the sync
 * uses. A typed read returns its parsed value; a typed write returns `Answered`: the parsed `data` with the
 * credits charged, whether TokPortal replayed it and the request id (what stripe-node calls
 * `lastResponse`).
 */
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { Readable } from "node:stream";
import pLimit, { type LimitFunction } from "p-limit";
import { registerSecret, scrubSecrets, TokPortalError } from "./errors.ts";
import { type TypedOperations, typedOperations } from "./operations.ts";
import { type GateClock, RateGate, type RateGateOptions, systemClock } from "./rate-gate.ts";
import { attemptSignal, type Prepared, prepareRequest } from "./request.ts";
import { decodeSuccess, httpError, readRateLimit } from "./response.ts";
import { DEFAULT_RETRY, type RetryOptions, type RetryReason, withRetries } from "./retry.ts";
import { loadSpec, type OperationSpec, type TokPortalSpec } from "./spec.ts";
import { describeNetworkError, type HttpResponse, Transport, type TransportOptions } from "./transport.ts";
import type {
  ApiResponse,
  CallInput,
  CallOptions,
  ClientEvent,
  ClientStats,
  OperationId,
  PresignedFile,
  StreamedBytes,
} from "./types.ts";

export { CLIENT_NAME, CLIENT_VERSION } from "./request.ts";
export type * from "./types.ts";
export const PRODUCTION_BASE_URL = "https://app.tokportal.com/api/ext";

export interface TokPortalClientOptions {
  /** e.g. `https://app.tokportal.com/api/ext` (the CLI reads TOKPORTAL_BASE_URL). */
  baseUrl?: string;
  /** `sk_…` (the CLI reads TOKPORTAL_API_KEY). */
  apiKey: string;
  /** Calls in flight at once; also the pool's connections per origin. */
  concurrency?: number;
  transport?: Omit<TransportOptions, "connections">;
  retry?: RetryOptions;
  /** A gate to share between clients of the same key, or options for this client's own. */
  gate?: RateGate | RateGateOptions;
  /** Used by the gate and the retry waits; injectable for tests. */
  clock?: GateClock;
  random?: () => number;
  onEvent?: (event: ClientEvent) => void;
  spec?: TokPortalSpec;
}

// ---------------------------------------------------------------------------------------------------------
// The client

export class TokPortalClient {
  readonly baseUrl: string;
  readonly gate: RateGate;
  private readonly apiKey: string;
  private readonly base: URL;
  private readonly spec: TokPortalSpec;
  private readonly transport: Transport;
  private readonly limit: LimitFunction;
  private readonly retry: Required<RetryOptions>;
  private readonly clock: GateClock;
  private readonly random: () => number;
  private readonly onEvent: ((event: ClientEvent) => void) | undefined;
  private serverClockOffsetMs: number | null = null;
  /** Aborted by `close()`: calls waiting for a token or a retry stop instead of outliving the client. */
  private readonly closing = new AbortController();
  private readonly counters: ClientStats = {
    calls: {},
    attempts: 0,
    retries: 0,
    rateLimited: 0,
    cooldowns: 0,
    replayed: 0,
    failures: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };

  constructor(options: TokPortalClientOptions) {
    if (!options.apiKey) throw new Error("TokPortal API key missing (set TOKPORTAL_API_KEY)");
    this.apiKey = options.apiKey;
    registerSecret(options.apiKey);
    this.base = parseBaseUrl(options.baseUrl ?? PRODUCTION_BASE_URL);
    this.baseUrl = this.base.href.replace(/\/$/, "");
    this.spec = options.spec ?? loadSpec();
    const concurrency = options.concurrency ?? 16;
    this.transport = new Transport({ ...options.transport, connections: concurrency });
    this.limit = pLimit(concurrency);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.onEvent = options.onEvent;
    // Every call waiting for a token or a retry listens here: hundreds at once are expected, not a leak.
    setMaxListeners(0, this.closing.signal);
    this.gate =
      options.gate instanceof RateGate
        ? options.gate
        : new RateGate({ clock: this.clock, maxWaitMs: this.retry.maxWaitMs, ...options.gate });
  }

  /**
   * TokPortal's clock (ms), from the `Date` header of the latest answer, or null before any answer. Lead
   * time is counted in TokPortal's UTC days, and a sandbox's clock is simulated, so the sync asks this
   * rather than the local clock.
   */
  serverNow(): number | null {
    return this.serverClockOffsetMs === null ? null : Date.now() + this.serverClockOffsetMs;
  }

  /** Counters since the client was made (a copy). */
  stats(): ClientStats {
    return { ...this.counters, calls: { ...this.counters.calls } };
  }

  /**
   * Closes the connection pools. Requests already sent finish (a write's answer is worth having); calls
   * still waiting for a token or a retry, and any later call, fail with CLIENT_CLOSED, leaving no timer.
   */
  close(): Promise<void> {
    if (!this.closing.signal.aborted) this.closing.abort();
    return this.transport.close();
  }

  /**
   * Any operation of the spec, by operationId (checked against the generated spec types at compile time);
   * method and path come from the spec.
   */
  call(operationId: OperationId, input: CallInput = {}, options: CallOptions = {}): Promise<ApiResponse> {
    return this.execute(this.spec.operation(operationId), input, options);
  }

  // -------------------------------------------------------------------------------------------------------
  // Typed operations (src/api/operations.ts): a read returns its value, a write `Answered`.

  private readonly typed: TypedOperations = typedOperations({
    call: (operationId, input, options) => this.call(operationId, input, options),
    putBytes: (operationId, uploadUrl, file, contentType, options) =>
      this.putBytes(operationId, uploadUrl, file, contentType, options),
  });
  readonly bundles = this.typed.bundles;
  readonly account = this.typed.account;
  readonly videos = this.typed.videos;
  readonly uploads = this.typed.uploads;
  readonly credits = this.typed.credits;
  readonly analytics = this.typed.analytics;
  readonly webhooks = this.typed.webhooks;

  // -------------------------------------------------------------------------------------------------------
  // Helpers

  /** PUT of raw bytes to a presigned URL: another service, so no API key, no rate gate. */
  private async putBytes(
    operationId: string,
    uploadUrl: string,
    file: PresignedFile,
    contentType: string,
    options: CallOptions,
  ): Promise<void> {
    let url: URL;
    try {
      url = new URL(uploadUrl);
    } catch {
      throw new TokPortalError({
        kind: "response",
        status: null,
        code: "UNREADABLE_RESPONSE",
        message: `${operationId}: upload_url is not a URL`,
        operationId,
      });
    }
    const data = file.data;
    let streamed: StreamedBytes | null = null;
    let bytes: Uint8Array | null = null;
    if (isStreamed(data)) streamed = data;
    else bytes = data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data;
    const size = streamed ? streamed.size : bytes!.byteLength;
    const putId = `${operationId}:put`;
    await withRetries(
      async (attempt) => {
        this.counters.attempts++;
        this.counters.bytesSent += size;
        let res: HttpResponse;
        // A stream is used up by an attempt: each attempt reads the file again from its start.
        const body = streamed ? streamed.open() : bytes!;
        try {
          res = await this.limit(() =>
            this.transport.send({
              url,
              method: "PUT",
              headers: streamed
                ? { "content-type": contentType, "content-length": String(size) }
                : { "content-type": contentType },
              body,
              ...attemptSignal(options),
            }),
          );
        } catch (error) {
          throw this.networkError(putId, error, null, options);
        } finally {
          if (body instanceof Readable) body.destroy();
        }
        this.counters.bytesReceived += res.body.byteLength;
        const serverDate = Date.parse(res.headers["date"] ?? "");
        if (Number.isFinite(serverDate)) this.serverClockOffsetMs = serverDate - Date.now();
        // A retried PUT refused as "already used" means an earlier attempt landed and only its answer was lost.
        if (attempt > 1 && res.status === 409) return;
        if (res.status >= 300) throw httpError(putId, res, null, readRateLimit(res.headers));
      },
      {
        options: this.retry,
        safeToRepeat: true,
        sleep: (ms) => this.sleep(putId, ms, options.signal),
        random: this.random,
        ...(options.signal ? { signal: options.signal } : {}),
        onRetry: (info) => this.noteRetry(putId, info),
      },
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // The request pipeline

  private async execute(op: OperationSpec, input: CallInput, options: CallOptions): Promise<ApiResponse> {
    if (this.closing.signal.aborted) throw closedError(op.operationId);
    const prepared = prepareRequest(
      { spec: this.spec, base: this.base, apiKey: this.apiKey },
      op,
      input,
      options,
    );
    const id = op.operationId;
    this.counters.calls[id] = (this.counters.calls[id] ?? 0) + 1;
    const callId = `tps-${randomBytes(8).toString("hex")}`;
    try {
      return await withRetries(
        (attempt) => this.limit(() => this.attempt(prepared, callId, attempt, options)),
        {
          options: this.retry,
          safeToRepeat: prepared.safeToRepeat,
          sleep: (ms) => this.sleep(id, ms, options.signal),
          random: this.random,
          ...(options.signal ? { signal: options.signal } : {}),
          onRetry: (info) => this.noteRetry(id, info),
        },
      );
    } catch (error) {
      if (error instanceof TokPortalError) {
        this.counters.failures++;
        this.emit({
          type: "failure",
          operationId: id,
          status: error.status,
          code: error.code,
          message: error.message,
        });
      }
      throw error;
    }
  }

  private async attempt(
    p: Prepared,
    callId: string,
    attempt: number,
    options: CallOptions,
  ): Promise<ApiResponse> {
    const operationId = p.op.operationId;
    const requestId = `${callId}-${attempt}`;
    const grantedAt = await this.untilClosed(operationId, options.signal, (signal) =>
      this.gate.acquire(signal, operationId),
    );
    this.counters.attempts++;
    this.counters.bytesSent += p.bytes;
    this.emit({ type: "request", operationId, method: p.op.method, path: p.op.path, requestId, attempt });
    const started = performance.now();
    let res: HttpResponse;
    try {
      const body = p.body();
      res = await this.transport.send({
        url: p.url,
        method: p.op.method,
        headers: { ...p.headers, "x-request-id": requestId },
        ...(body === undefined ? {} : { body }),
        ...attemptSignal(options),
      });
    } catch (error) {
      this.gate.release(grantedAt, null);
      throw this.networkError(operationId, error, requestId, options);
    }
    this.counters.bytesReceived += res.body.byteLength;
    const serverDate = Date.parse(res.headers["date"] ?? "");
    if (Number.isFinite(serverDate)) this.serverClockOffsetMs = serverDate - Date.now();
    const serverRequestId = res.headers["x-tokportal-request-id"] ?? requestId;
    const rateLimit = readRateLimit(res.headers);
    const replayed = res.headers["idempotent-replayed"] === "true";
    this.emit({
      type: "response",
      operationId,
      requestId: serverRequestId,
      attempt,
      status: res.status,
      durationMs: Math.round(performance.now() - started),
      replayed,
    });
    // Redirects are not followed (the key would go wherever they point): like any non-2xx, an error.
    if (res.status >= 300) {
      const error = httpError(operationId, res, serverRequestId, rateLimit);
      // A stored refusal replayed: nothing ran for this request (apply may retry it under a new key).
      if (replayed) error.replayed = true;
      if (error.isRateLimit) this.counters.rateLimited++;
      if (error.isCapacityCooldown) this.counters.cooldowns++;
      const pause = error.isRateLimit
        ? (error.retryAfterSeconds ?? this.retry.defaultRetryAfterSeconds)
        : null;
      this.gate.release(grantedAt, rateLimit, pause, error);
      throw error;
    }
    this.gate.release(grantedAt, rateLimit);
    if (replayed) this.counters.replayed++;
    const { body, contentType } = decodeSuccess(operationId, res, serverRequestId);
    return {
      status: res.status,
      body,
      contentType,
      requestId: serverRequestId,
      replayed,
      rateLimit,
      attempt,
    };
  }

  private sleep(operationId: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return this.untilClosed(operationId, signal, (s) => sleepOn(this.clock, ms, s));
  }

  /** Runs a wait that the caller's signal or `close()` cuts short (the latter as CLIENT_CLOSED). */
  private async untilClosed<T>(
    operationId: string,
    signal: AbortSignal | undefined,
    wait: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const closing = this.closing.signal;
    try {
      return await wait(signal ? AbortSignal.any([signal, closing]) : closing);
    } catch (error) {
      if (closing.aborted && !signal?.aborted) throw closedError(operationId);
      throw error;
    }
  }

  private networkError(operationId: string, error: unknown, requestId: string | null, options: CallOptions) {
    // The caller's own abort is not a TokPortal failure: pass it through untouched by the retry policy.
    if (options.signal?.aborted) return options.signal.reason;
    const failure = describeNetworkError(error);
    return new TokPortalError({
      kind: failure.timeout ? "timeout" : "network",
      status: null,
      code: failure.timeout ? "TIMEOUT" : "NETWORK_ERROR",
      message: `${operationId}: ${failure.timeout ? "timed out" : "network error"} (${failure.code}): ${failure.message}`,
      operationId,
      requestId,
      cause: error,
    });
  }

  private noteRetry(
    operationId: string,
    info: { error: TokPortalError; attempt: number; delayMs: number; reason: RetryReason },
  ): void {
    this.counters.retries++;
    this.emit({
      type: "retry",
      operationId,
      attempt: info.attempt,
      reason: info.reason,
      delayMs: info.delayMs,
      status: info.error.status,
      code: info.error.code,
    });
  }

  private emit(event: ClientEvent): void {
    if (!this.onEvent) return;
    try {
      this.onEvent(event);
    } catch {
      // A logging hook must never break a call.
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Pure helpers

/**
 * Base URL and key from the environment, as the CLI reads them: `TOKPORTAL_BASE_URL` (default production)
 * and `TOKPORTAL_API_KEY` (required). The error for a missing key names the variable, never a value.
 */
export function clientOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Pick<TokPortalClientOptions, "baseUrl" | "apiKey"> {
  const apiKey = env.TOKPORTAL_API_KEY?.trim();
  if (!apiKey) throw new Error("TOKPORTAL_API_KEY is not set: the TokPortal API key is required");
  return { baseUrl: env.TOKPORTAL_BASE_URL?.trim() || PRODUCTION_BASE_URL, apiKey };
}

function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`TokPortal base URL is not a URL: ${scrubSecrets(raw)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error(`TokPortal base URL must be http(s): ${scrubSecrets(raw)}`);
  // Credentials or a query in the base URL would end up in logs; the key belongs in X-API-Key only.
  if (url.username || url.password || url.search)
    throw new Error("TokPortal base URL must not carry credentials or a query string");
  return url;
}

function closedError(operationId: string): TokPortalError {
  return new TokPortalError({
    kind: "local",
    status: null,
    code: "CLIENT_CLOSED",
    message: `${operationId}: the TokPortal client was closed`,
    operationId,
    retryable: false,
  });
}

function sleepOn(clock: GateClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimer(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function isStreamed(data: PresignedFile["data"]): data is StreamedBytes {
  return !(data instanceof Uint8Array) && !(data instanceof Blob);
}
