import { describe, expect, it } from "vitest";
import {
  CapacityCooldownError,
  sameCode,
  TokPortalError,
  TokPortalWaitTooLongError,
} from "../../src/api/errors.ts";
import {
  backoffDelay,
  DEFAULT_RETRY,
  decideRetry,
  type RetryOptions,
  withRetries,
} from "../../src/api/retry.ts";

const options = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000, maxRetries: 3, cooldownMs: 60_000 };
const zero = { retries: 0, rateLimitWaits: 0, cooldownWaits: 0 };

function http(status: number, code: string, retryAfterSeconds: number | null = null): TokPortalError {
  return new TokPortalError({
    kind: "http",
    status,
    code,
    message: `test: ${code}`,
    operationId: "createBundle",
    retryAfterSeconds,
  });
}

function network(code: string): TokPortalError {
  return new TokPortalError({
    kind: "network",
    status: null,
    code: "NETWORK_ERROR",
    message: "test: network",
    operationId: "createBundle",
    cause: Object.assign(new Error("boom"), { code }),
  });
}

/** Runs withRetries over a scripted sequence of outcomes, recording the waits instead of sleeping. */
async function script(outcomes: Array<TokPortalError | Error | "ok">, opts: RetryOptions = {}, safe = true) {
  const sleeps: number[] = [];
  const reasons: string[] = [];
  let calls = 0;
  const run = withRetries(
    async () => {
      const o = outcomes[calls++];
      if (o === undefined) throw new Error("script exhausted");
      if (o !== "ok") throw o;
      return "done";
    },
    {
      options: { ...options, ...opts },
      safeToRepeat: safe,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      onRetry: (i) => reasons.push(i.reason),
    },
  );
  const result = await run.then(
    (v) => ({ ok: true as const, value: v }),
    (e: unknown) => ({ ok: false as const, error: e }),
  );
  return { result, sleeps, reasons, calls };
}

describe("the wait ceiling (maxWaitMs)", () => {
  const ceiling = { ...options, maxWaitMs: 60_000 };

  it("compares codes without regard to case: CAPACITY_COOLDOWN is the cooldown", () => {
    expect(sameCode("CAPACITY_COOLDOWN", "capacity_cooldown")).toBe(true);
    expect(sameCode("Idempotency_Key_In_Flight", "IDEMPOTENCY_KEY_IN_FLIGHT")).toBe(true);
    expect(sameCode(undefined, "X")).toBe(false);
    const upper = http(429, "CAPACITY_COOLDOWN", 3600);
    expect(upper.isCapacityCooldown).toBe(true);
    expect(upper.isRateLimit).toBe(false);
    const decision = decideRetry(upper, zero, ceiling, true, 0);
    expect((decision as { error: unknown }).error).toBeInstanceOf(CapacityCooldownError);
    expect(http(409, "idempotency_key_in_flight").retryable).toBe(true);
  });

  it("does not wait out a bucket 429 longer than the ceiling: a typed error saying what was asked", () => {
    const d = decideRetry(http(429, "RATE_LIMIT_EXCEEDED", 3600), zero, ceiling, true, 0);
    expect(d.retry).toBe(false);
    const error = (d as { error: TokPortalWaitTooLongError }).error;
    expect(error).toBeInstanceOf(TokPortalWaitTooLongError);
    expect(error).toMatchObject({ code: "WAIT_EXCEEDS_CEILING", retryable: false, ceilingSeconds: 60 });
    expect(error.asked).toMatchObject({ code: "RATE_LIMIT_EXCEEDED", retryAfterSeconds: 3600 });
    // The error is the decision: read again, it is not another 429 to wait for.
    expect(decideRetry(error, zero, ceiling, true, 0)).toEqual({ retry: false, error });
  });

  it("counts every wait of a call against the ceiling", async () => {
    const r = await script(
      Array.from({ length: 10 }, () => http(429, "RATE_LIMIT_EXCEEDED", 20)),
      { maxWaitMs: 60_000 },
    );
    expect(r.sleeps).toEqual([20_000, 20_000, 20_000]);
    expect((r.result as { error: unknown }).error).toBeInstanceOf(TokPortalWaitTooLongError);
    const cooling = await script(
      Array.from({ length: 5 }, () => http(429, "capacity_cooldown", 1)),
      { maxWaitMs: 100_000, maxCooldownWaits: 5 },
    );
    expect(cooling.sleeps).toEqual([60_000]);
    expect((cooling.result as { error: unknown }).error).toBeInstanceOf(CapacityCooldownError);
  });
});

describe("decideRetry", () => {
  it("backs off exponentially with jitter, within the bounds", () => {
    expect(backoffDelay(0, options, 0)).toBe(50);
    expect(backoffDelay(0, options, 0.999999)).toBe(100);
    expect(backoffDelay(2, options, 0)).toBe(200);
    expect(backoffDelay(2, options, 0.5)).toBe(300);
    expect(backoffDelay(10, options, 1)).toBe(1000);
    expect(backoffDelay(10, options, 0)).toBe(500);
  });

  it.each([
    [500, "INTERNAL_ERROR"],
    [502, "HTTP_502"],
    [503, "SERVICE_UNAVAILABLE"],
    [408, "REQUEST_TIMEOUT"],
  ])("retries %i %s with backoff", (status, code) => {
    expect(decideRetry(http(status, code), zero, options, true, 0)).toEqual({
      retry: true,
      delayMs: 50,
      reason: "backoff",
    });
  });

  it.each([
    [400, "VALIDATION_ERROR"],
    [401, "AUTH_INVALID_KEY"],
    [402, "INSUFFICIENT_CREDITS"],
    [403, "BUNDLE_NOT_OWNED"],
    [404, "BUNDLE_NOT_FOUND"],
    [409, "DUPLICATE_ACCOUNT_BUNDLE"],
    [409, "IDEMPOTENCY_KEY_REUSED"],
  ])("never retries %i %s", (status, code) => {
    const error = http(status, code);
    expect(decideRetry(error, zero, options, true, 0)).toEqual({ retry: false, error });
  });

  it("treats an Idempotency-Key still in flight as transient", () => {
    expect(decideRetry(http(409, "IDEMPOTENCY_KEY_IN_FLIGHT"), zero, options, true, 0)).toMatchObject({
      retry: true,
      reason: "backoff",
    });
  });

  it("waits exactly Retry-After on a bucket 429, without touching the retry budget", () => {
    const spent = { retries: 3, rateLimitWaits: 0, cooldownWaits: 0 };
    expect(decideRetry(http(429, "RATE_LIMIT_EXCEEDED", 7), spent, options, true, 0.3)).toEqual({
      retry: true,
      delayMs: 7000,
      reason: "rate_limit",
    });
    const noHeader = decideRetry(http(429, "RATE_LIMIT_EXCEEDED"), zero, options, true, 0.3);
    expect(noHeader).toMatchObject({ delayMs: 1000 });
  });

  it("backs off for minutes on capacity_cooldown, then gives a distinct retryable error", () => {
    expect(decideRetry(http(429, "capacity_cooldown", 30), zero, options, true, 0)).toEqual({
      retry: true,
      delayMs: 60_000,
      reason: "cooldown",
    });
    const patient = { ...options, maxWaitMs: 900_000 };
    expect(decideRetry(http(429, "capacity_cooldown", 600), zero, patient, true, 0)).toMatchObject({
      delayMs: 600_000,
    });
    // Under the default ceiling (5 minutes) ten minutes are not waited out.
    expect(decideRetry(http(429, "capacity_cooldown", 600), zero, options, true, 0)).toMatchObject({
      retry: false,
    });
    const last = decideRetry(
      http(429, "capacity_cooldown", 30),
      { ...zero, cooldownWaits: 2 },
      options,
      true,
      0,
    );
    expect(last.retry).toBe(false);
    const error = (last as { error: unknown }).error;
    expect(error).toBeInstanceOf(CapacityCooldownError);
    expect(error).toBeInstanceOf(TokPortalError);
    expect(error).toMatchObject({ retryable: true, code: "capacity_cooldown", status: 429 });
  });

  it("repeats a write without Idempotency-Key only when it cannot have been applied", () => {
    expect(decideRetry(http(503, "X"), zero, options, false, 0).retry).toBe(false);
    expect(decideRetry(network("ECONNRESET"), zero, options, false, 0).retry).toBe(false);
    expect(decideRetry(network("UND_ERR_SOCKET"), zero, options, false, 0).retry).toBe(false);
    expect(decideRetry(network("ECONNREFUSED"), zero, options, false, 0).retry).toBe(true);
    expect(decideRetry(http(429, "RATE_LIMIT_EXCEEDED", 1), zero, options, false, 0).retry).toBe(true);
  });

  it("does not retry what is not a TokPortalError (a bug)", () => {
    const bug = new TypeError("x is undefined");
    expect(decideRetry(bug, zero, options, true, 0)).toEqual({ retry: false, error: bug });
  });
});

describe("withRetries", () => {
  it("succeeds after transient failures, waiting the backoff between them", async () => {
    const r = await script([http(503, "X"), network("ECONNRESET"), "ok"]);
    expect(r.result).toEqual({ ok: true, value: "done" });
    expect(r.sleeps).toEqual([75, 150]);
    expect(r.calls).toBe(3);
  });

  it("stops after maxRetries and reports the attempts on the error", async () => {
    const r = await script([http(503, "A"), http(503, "B"), http(503, "C"), http(503, "D"), "ok"]);
    expect(r.result.ok).toBe(false);
    const error = (r.result as { error: TokPortalError }).error;
    expect(error.code).toBe("D");
    expect(error.attempts).toBe(4);
    expect(r.sleeps).toEqual([75, 150, 300]);
  });

  it("lets 429s through without spending the retry budget", async () => {
    const r = await script([
      http(503, "A"),
      http(429, "RATE_LIMIT_EXCEEDED", 2),
      http(503, "B"),
      http(429, "RATE_LIMIT_EXCEEDED", 1),
      http(429, "RATE_LIMIT_EXCEEDED", 1),
      http(503, "C"),
      "ok",
    ]);
    expect(r.result).toEqual({ ok: true, value: "done" });
    expect(r.reasons).toEqual(["backoff", "rate_limit", "backoff", "rate_limit", "rate_limit", "backoff"]);
    expect(r.sleeps).toEqual([75, 2000, 150, 1000, 1000, 300]);
  });

  it("bounds the 429 waits too, so a storm cannot keep a call forever", async () => {
    const storm = Array.from({ length: 10 }, () => http(429, "RATE_LIMIT_EXCEEDED", 1));
    const r = await script(storm, { maxRateLimitWaits: 4 });
    expect(r.result.ok).toBe(false);
    expect(r.calls).toBe(5);
  });

  it("fails a terminal error at once", async () => {
    const r = await script([http(404, "BUNDLE_NOT_FOUND"), "ok"]);
    expect(r.result.ok).toBe(false);
    expect(r.calls).toBe(1);
    expect(r.sleeps).toEqual([]);
  });

  it("turns a lasting capacity cooldown into CapacityCooldownError after the configured waits", async () => {
    const cooling = () => http(429, "capacity_cooldown", 10);
    const r = await script([cooling(), cooling(), cooling(), "ok"], { maxCooldownWaits: 2 });
    expect(r.sleeps).toEqual([60_000, 60_000]);
    expect((r.result as { error: unknown }).error).toBeInstanceOf(CapacityCooldownError);
    const ok = await script([cooling(), "ok"]);
    expect(ok.result).toEqual({ ok: true, value: "done" });
  });

  it("does not loop on a programming error", async () => {
    const r = await script([new TypeError("bug"), "ok"]);
    expect(r.calls).toBe(1);
    expect((r.result as { error: Error }).error.message).toBe("bug");
  });
});
