/**
 * When to try a failed call again, and how long to wait first (docs/tokportal-api.md, errors and rate
 * limits).
 *
 * - Network errors, timeouts, 408 and 5xx: exponential backoff with jitter, within `maxRetries`.
 * - 429 from the token bucket: wait `Retry-After` (the rate gate is paused too, so every caller waits);
 *   these waits have their own bound and do not spend the retry budget.
 * - 429 `capacity_cooldown` (the workspace's create/publish window): wait minutes, a few times, then give
 *   up with a `CapacityCooldownError` the sync reports as "pending" (at once when the server's Retry-After
 *   is longer than `maxCooldownWaitMs`).
 * - Any other 4xx is terminal: asking again gets the same answer.
 * - No call waits longer than `maxWaitMs` in all (the run's ceiling): a wait TokPortal asks for that would
 *   go past it is not waited out. A bucket 429 then fails with `TokPortalWaitTooLongError`, a cooldown with
 *   `CapacityCooldownError`; either way the sync leaves the rows pending for a later run.
 *
 * A write is only retried after an ambiguous failure (timeout, dropped connection, 5xx) when it carries an
 * Idempotency-Key, since only then can a second attempt not apply twice. The decision is a pure function
 * (`decideRetry`); `withRetries` runs it on p-retry with an injectable sleep.
 */
import pRetry from "p-retry";
import { CapacityCooldownError, TokPortalError, TokPortalWaitTooLongError } from "./errors.ts";

export interface RetryOptions {
  /** Retries after network errors, timeouts, 408 and 5xx. */
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Waits on 429 RATE_LIMIT_EXCEEDED; they do not count against `maxRetries`. */
  maxRateLimitWaits?: number;
  /** Used when a 429 carries no Retry-After. */
  defaultRetryAfterSeconds?: number;
  /** Wait after 429 capacity_cooldown (at least the server's Retry-After). */
  cooldownMs?: number;
  maxCooldownWaits?: number;
  /** A cooldown the server says lasts longer than this is not waited out: the call fails at once. */
  maxCooldownWaitMs?: number;
  /**
   * The ceiling: the most one call waits in all for 429s (bucket or cooldown) and backoffs. A wait that
   * would go past it fails the call at once instead; the rate gate's pauses are bounded by it too.
   */
  maxWaitMs?: number;
}

/** The ceiling of a one-shot `sync` unless the config says otherwise (`tokportal.max_wait_seconds`). */
export const DEFAULT_MAX_WAIT_MS = 300_000;

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
  maxRateLimitWaits: 30,
  defaultRetryAfterSeconds: 1,
  cooldownMs: 120_000,
  maxCooldownWaits: 2,
  maxCooldownWaitMs: 600_000,
  maxWaitMs: DEFAULT_MAX_WAIT_MS,
};

export interface RetryCounters {
  retries: number;
  rateLimitWaits: number;
  cooldownWaits: number;
  /** Milliseconds this call has waited so far (absent counts as 0). */
  waitedMs?: number;
}

export type RetryReason = "backoff" | "rate_limit" | "cooldown";

export type RetryDecision =
  | { retry: true; delayMs: number; reason: RetryReason }
  | { retry: false; error: unknown };

/** Network failures where the request certainly never reached the server. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * @param safeToRepeat false for a write without an Idempotency-Key: then only failures that prove the
 *   request was not acted on (bucket 429, connection refused) are retried.
 * @param random a number in [0, 1) for the jitter.
 */
export function decideRetry(
  error: unknown,
  counters: RetryCounters,
  options: Required<RetryOptions>,
  safeToRepeat: boolean,
  random: number,
): RetryDecision {
  if (!(error instanceof TokPortalError)) return { retry: false, error };
  // What the ceiling still allows this call to wait.
  const left = Math.max(0, options.maxWaitMs - (counters.waitedMs ?? 0));
  if (error.isCapacityCooldown) {
    if (counters.cooldownWaits >= options.maxCooldownWaits)
      return { retry: false, error: new CapacityCooldownError(error, counters.cooldownWaits) };
    const delayMs = Math.max((error.retryAfterSeconds ?? 0) * 1000, options.cooldownMs);
    // Waiting an hour inside one run helps nobody: the row stays pending and a later run picks it up.
    if (delayMs > options.maxCooldownWaitMs || delayMs > left)
      return { retry: false, error: new CapacityCooldownError(error, counters.cooldownWaits) };
    return { retry: true, delayMs, reason: "cooldown" };
  }
  if (error.isRateLimit) {
    if (counters.rateLimitWaits >= options.maxRateLimitWaits) return { retry: false, error };
    const seconds = error.retryAfterSeconds ?? options.defaultRetryAfterSeconds;
    const delayMs = Math.max(0, seconds * 1000);
    if (delayMs > left)
      return { retry: false, error: TokPortalWaitTooLongError.from(error, options.maxWaitMs, delayMs) };
    return { retry: true, delayMs, reason: "rate_limit" };
  }
  if (!error.retryable) return { retry: false, error };
  if (!safeToRepeat && !(error.kind === "network" && NOT_SENT_CODES.has(networkCode(error))))
    return { retry: false, error };
  if (counters.retries >= options.maxRetries) return { retry: false, error };
  // A backoff is short; past the ceiling the call simply stops retrying (the failure is TokPortal's own).
  const delayMs = backoffDelay(counters.retries, options, random);
  if (delayMs > left) return { retry: false, error };
  return { retry: true, delayMs, reason: "backoff" };
}

/** "Equal jitter": half of the exponential step is fixed, half random, so retries spread out. */
export function backoffDelay(retriesSoFar: number, options: Required<RetryOptions>, random: number): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retriesSoFar);
  return Math.round(step / 2 + (step / 2) * random);
}

function networkCode(error: TokPortalError): string {
  const cause = error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === "string" ? cause.code : "";
}

export interface RetryRun {
  options: Required<RetryOptions>;
  safeToRepeat: boolean;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  signal?: AbortSignal;
  /** Called before each wait, e.g. to count and log retries. */
  onRetry?(info: { error: TokPortalError; attempt: number; delayMs: number; reason: RetryReason }): void;
}

/** Runs `attempt` until it succeeds or `decideRetry` says stop; the final error carries the attempt count. */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, run: RetryRun): Promise<T> {
  const counters: RetryCounters = { retries: 0, rateLimitWaits: 0, cooldownWaits: 0, waitedMs: 0 };
  let decision: RetryDecision | undefined;
  try {
    return await pRetry(attempt, {
      // The budget and the delays are ours (decideRetry); p-retry provides the loop and abort handling.
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 0,
      maxTimeout: 0,
      ...(run.signal ? { signal: run.signal } : {}),
      onFailedAttempt: async ({ error, attemptNumber }) => {
        if (error instanceof TokPortalError) error.attempts = attemptNumber;
        decision = decideRetry(error, counters, run.options, run.safeToRepeat, run.random());
        if (!decision.retry) return;
        if (decision.reason === "backoff") counters.retries++;
        else if (decision.reason === "rate_limit") counters.rateLimitWaits++;
        else counters.cooldownWaits++;
        counters.waitedMs = (counters.waitedMs ?? 0) + decision.delayMs;
        run.onRetry?.({
          error: error as TokPortalError,
          attempt: attemptNumber,
          delayMs: decision.delayMs,
          reason: decision.reason,
        });
        if (decision.delayMs > 0) await run.sleep(decision.delayMs, run.signal);
      },
      // p-retry repeats a non-consuming TypeError without asking shouldRetry: only a retry is free.
      shouldConsumeRetry: () => decision?.retry !== true,
      shouldRetry: () => decision?.retry === true,
    });
  } catch (error) {
    // decideRetry may have replaced the error (capacity cooldown, a wait past the ceiling); surface its version.
    if (decision && !decision.retry && decision.error !== error && error instanceof TokPortalError)
      throw decision.error;
    throw error;
  }
}
