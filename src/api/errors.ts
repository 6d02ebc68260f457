/**
 * The one error type of the TokPortal client.
 *
 * Every failure a caller can see (an API error, a network failure, a timeout, a body we cannot read, a
 * request refused locally) is a `TokPortalError`, so the sync can turn any of them into a row message.
 * Subclasses only narrow the meaning: `RequestValidationError` (our bug, caught before sending),
 * `CapacityCooldownError` (the workspace create/publish window stayed closed after waiting) and
 * `TokPortalWaitTooLongError` (TokPortal asked for a wait longer than the run's ceiling).
 *
 * These errors are logged, serialized and shown to users, so they are built to never carry the API key:
 * no headers are kept, the `cause` is a fresh sanitized error (undici errors can hold request headers),
 * and every text that came from elsewhere goes through `scrubSecrets`.
 */
import { inspect } from "node:util";
import type { ValidationIssue } from "./spec.ts";

/** What the server said about its token bucket on the response (`X-RateLimit-*`). */
export interface RateLimitSnapshot {
  limit: number | null;
  remaining: number | null;
  /** Unix seconds when the bucket is full again. */
  reset: number | null;
}

/** Where the failure happened: the server answered with an error, the wire failed, or the body was bad. */
export type ErrorKind = "http" | "network" | "timeout" | "response" | "local";

export interface TokPortalErrorInit {
  kind: ErrorKind;
  status: number | null;
  code: string;
  message: string;
  operationId: string;
  details?: Record<string, unknown>;
  requestId?: string | null;
  retryAfterSeconds?: number | null;
  rateLimit?: RateLimitSnapshot | null;
  retryable?: boolean;
  /** Attempts made before giving up (1 when it failed the first time and was not retried). */
  attempts?: number;
  /** A short, scrubbed excerpt of a body we could not read (HTML from a proxy, truncated JSON). */
  bodySnippet?: string;
  /** The answer came from a stored Idempotency-Key (`Idempotent-Replayed: true` on an error answer). */
  replayed?: boolean;
  cause?: unknown;
}

/** Statuses worth another attempt: timeouts, rate limits and server-side failures (docs/tokportal-api.md §11). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * A 409 that says "the same Idempotency-Key is still being processed": transient by nature (our earlier
 * attempt timed out while the server worked on it), so asking again soon gets the stored answer.
 */
const TRANSIENT_CODES = ["IDEMPOTENCY_KEY_IN_FLIGHT"];

/**
 * Whether two error codes are the same code. TokPortal writes most codes in upper case and
 * `capacity_cooldown` in lower case; nothing promises either, so codes are always compared this way.
 */
export function sameCode(a: string | null | undefined, b: string): boolean {
  return typeof a === "string" && a.toUpperCase() === b.toUpperCase();
}

/** Whether `code` is one of `codes`, compared as `sameCode` does. */
export function codeIn(code: string | null | undefined, codes: Iterable<string>): boolean {
  for (const c of codes) if (sameCode(code, c)) return true;
  return false;
}

export class TokPortalError extends Error {
  readonly kind: ErrorKind;
  /** HTTP status, or null when no response was received. */
  readonly status: number | null;
  /** TokPortal's `error.code`, or a client code: NETWORK_ERROR, TIMEOUT, UNREADABLE_RESPONSE, HTTP_<status>. */
  readonly code: string;
  readonly details: Record<string, unknown>;
  /** The server's X-TokPortal-Request-ID, else the X-Request-ID we sent. */
  readonly requestId: string | null;
  readonly retryAfterSeconds: number | null;
  readonly rateLimit: RateLimitSnapshot | null;
  readonly operationId: string;
  readonly retryable: boolean;
  attempts: number;
  readonly bodySnippet: string | undefined;
  /**
   * TokPortal answered this refusal from a stored Idempotency-Key: the refusal is an earlier request's, and
   * nothing ran for this one (set by the client after the error is built, like `attempts`).
   */
  replayed: boolean;

  constructor(init: TokPortalErrorInit) {
    super(
      scrubSecrets(init.message),
      init.cause === undefined ? undefined : { cause: sanitizeCause(init.cause) },
    );
    this.name = "TokPortalError";
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.details = scrubValue(init.details ?? {}) as Record<string, unknown>;
    this.requestId = init.requestId ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
    this.rateLimit = init.rateLimit ?? null;
    this.operationId = init.operationId;
    this.attempts = init.attempts ?? 1;
    this.replayed = init.replayed ?? false;
    this.bodySnippet = init.bodySnippet === undefined ? undefined : scrubSecrets(init.bodySnippet);
    this.retryable =
      init.retryable ??
      (init.kind === "network" ||
        init.kind === "timeout" ||
        (init.status !== null && isRetryableStatus(init.status)) ||
        codeIn(init.code, TRANSIENT_CODES));
  }

  /** Rate-limited by the token bucket (as opposed to the workspace capacity window). */
  get isRateLimit(): boolean {
    return this.status === 429 && !sameCode(this.code, CAPACITY_COOLDOWN);
  }

  get isCapacityCooldown(): boolean {
    return this.status === 429 && sameCode(this.code, CAPACITY_COOLDOWN);
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      status: this.status,
      code: this.code,
      message: this.message,
      details: this.details,
      requestId: this.requestId,
      retryAfterSeconds: this.retryAfterSeconds,
      rateLimit: this.rateLimit,
      operationId: this.operationId,
      retryable: this.retryable,
      attempts: this.attempts,
      replayed: this.replayed,
      ...(this.bodySnippet === undefined ? {} : { bodySnippet: this.bodySnippet }),
    };
  }

  [inspect.custom](): string {
    return `${this.stack ?? `${this.name}: ${this.message}`}\n${inspect(this.toJSON(), { depth: 4 })}`;
  }
}

/** A request body or query that does not fit the spec: a bug on our side, refused before sending. */
export class RequestValidationError extends TokPortalError {
  readonly issues: ValidationIssue[];

  constructor(operationId: string, issues: ValidationIssue[], what = "request") {
    const fields = [...new Set(issues.map((i) => i.field))].join(", ");
    super({
      kind: "local",
      status: null,
      code: "REQUEST_VALIDATION",
      message: `${operationId}: invalid ${what} (${fields}): ${issues.map((i) => i.message).join("; ")}`,
      operationId,
      details: { issues },
      retryable: false,
    });
    this.name = "RequestValidationError";
    this.issues = issues;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

export const CAPACITY_COOLDOWN = "capacity_cooldown";

/**
 * The workspace's rolling create/publish window stayed full after the configured waits. Retryable in the
 * sense of "try again in a later run": the sync reports such rows as pending, not as errors.
 */
export class CapacityCooldownError extends TokPortalError {
  /** TokPortal's own sentence about the cooldown. */
  readonly said: string;
  /** When TokPortal said it would take the call again (ms since the epoch), or null if it did not say. */
  readonly retryAt: number | null;

  constructor(last: TokPortalError, waits: number, now: number = Date.now()) {
    super({
      kind: "http",
      status: 429,
      code: CAPACITY_COOLDOWN,
      message: `${last.operationId}: TokPortal's workspace capacity is still cooling down after ${waits} wait(s): ${last.message}`,
      operationId: last.operationId,
      details: last.details,
      requestId: last.requestId,
      retryAfterSeconds: last.retryAfterSeconds,
      rateLimit: last.rateLimit,
      retryable: true,
      attempts: last.attempts,
    });
    this.name = "CapacityCooldownError";
    this.said = serverSentence(last);
    this.retryAt = last.retryAfterSeconds === null ? null : now + last.retryAfterSeconds * 1000;
  }
}

export const WAIT_EXCEEDS_CEILING = "WAIT_EXCEEDS_CEILING";

/** What TokPortal asked for when it told us to wait. */
export interface WaitAsked {
  status: number | null;
  code: string;
  /** TokPortal's own sentence. */
  message: string;
  /** How long TokPortal asked us to wait, in seconds (null when it did not say). */
  retryAfterSeconds: number | null;
}

/**
 * TokPortal asked for a wait longer than the run's ceiling (`tokportal.max_wait_seconds`), so the call
 * was not waited out: the work is left for a later run instead of holding this one (and the shared rate
 * gate) for an hour. Not retryable within the run; the sync reports the rows as pending, saying what
 * TokPortal asked and when progress can be expected (`retryAt`).
 */
export class TokPortalWaitTooLongError extends TokPortalError {
  readonly asked: WaitAsked;
  /** The ceiling in force, in seconds. */
  readonly ceilingSeconds: number;
  /** When TokPortal said it would take the call again (ms since the epoch), or null if it did not say. */
  readonly retryAt: number | null;

  constructor(init: {
    operationId: string;
    asked: WaitAsked;
    ceilingSeconds: number;
    now?: number;
    requestId?: string | null;
    rateLimit?: RateLimitSnapshot | null;
    attempts?: number;
  }) {
    const { asked } = init;
    const wait = asked.retryAfterSeconds === null ? "a wait" : `a wait of ${asked.retryAfterSeconds} s`;
    super({
      kind: "http",
      status: asked.status,
      code: WAIT_EXCEEDS_CEILING,
      message: `${init.operationId}: TokPortal asked for ${wait} (${asked.code}: ${asked.message}), longer than the ${init.ceilingSeconds} s this run waits at most`,
      operationId: init.operationId,
      details: { asked, ceiling_seconds: init.ceilingSeconds },
      requestId: init.requestId ?? null,
      retryAfterSeconds: asked.retryAfterSeconds,
      rateLimit: init.rateLimit ?? null,
      retryable: false,
      attempts: init.attempts ?? 1,
    });
    this.name = "TokPortalWaitTooLongError";
    this.asked = { ...asked, message: scrubSecrets(asked.message) };
    this.ceilingSeconds = init.ceilingSeconds;
    this.retryAt =
      asked.retryAfterSeconds === null ? null : (init.now ?? Date.now()) + asked.retryAfterSeconds * 1000;
  }

  /** Already the decision not to wait: no retry policy may read it as a 429 to wait for again. */
  override get isRateLimit(): boolean {
    return false;
  }

  override get isCapacityCooldown(): boolean {
    return false;
  }

  /** Built from the refusal that asked for the wait. */
  static from(error: TokPortalError, ceilingMs: number, waitMs: number | null): TokPortalWaitTooLongError {
    return new TokPortalWaitTooLongError({
      operationId: error.operationId,
      asked: {
        status: error.status,
        code: error.code,
        message: serverSentence(error),
        retryAfterSeconds: waitMs === null ? error.retryAfterSeconds : Math.ceil(waitMs / 1000),
      },
      ceilingSeconds: Math.round(ceilingMs / 1000),
      requestId: error.requestId,
      rateLimit: error.rateLimit,
      attempts: error.attempts,
    });
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      asked: this.asked,
      ceilingSeconds: this.ceilingSeconds,
      retryAt: this.retryAt,
    };
  }
}

/** An error's own sentence, without the client's `operationId:` prefix and `[CODE, HTTP …]` suffix. */
export function serverSentence(error: TokPortalError): string {
  let text = error.message;
  const prefix = `${error.operationId}: `;
  if (text.startsWith(prefix)) text = text.slice(prefix.length);
  return text.replace(/\s*\[[^\]]*\]\s*$/, "").trim();
}

// ---------------------------------------------------------------------------------------------------------
// Secret scrubbing

const registeredSecrets = new Set<string>();
/** TokPortal keys (`sk_` + 64 hex) and older `tok_live_` keys, wherever they appear in text. */
const KEY_PATTERN = /\b(sk_|tok_live_)[A-Za-z0-9]{16,}\b/g;

/** Makes a secret known to the scrubber, so it is removed even if it does not look like a key. */
export function registerSecret(secret: string): void {
  if (secret.length >= 8) registeredSecrets.add(secret);
}

export function scrubSecrets(text: string): string {
  let out = text.replace(KEY_PATTERN, "$1***");
  for (const s of registeredSecrets) if (out.includes(s)) out = out.split(s).join("***");
  return out;
}

function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubSecrets(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Header bags have no place in an error: they are where a key would hide.
    if (/^headers?$/i.test(k) || /api[-_]?key/i.test(k)) continue;
    out[k] = scrubValue(v, depth + 1);
  }
  return out;
}

/**
 * Rebuilds a thrown value as a plain Error holding only its name, code and scrubbed message, following
 * the cause chain a few levels. Undici's errors may reference the request (and its headers); nothing of
 * the original object survives.
 */
export function sanitizeCause(cause: unknown, depth = 0): Error {
  if (cause instanceof TokPortalError) return cause;
  const src = (typeof cause === "object" && cause !== null ? cause : {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  const message = typeof src.message === "string" ? src.message : String(cause);
  const inner = depth < 3 && src.cause !== undefined ? sanitizeCause(src.cause, depth + 1) : undefined;
  const err = new Error(scrubSecrets(message), inner ? { cause: inner } : undefined);
  err.name = typeof src.name === "string" ? src.name : "Error";
  if (typeof src.code === "string") (err as Error & { code?: string }).code = src.code;
  // The stack would point into undici; ours says where the client wrapped it.
  err.stack = `${err.name}: ${err.message}`;
  return err;
}
