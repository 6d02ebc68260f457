/**
 * A wait TokPortal asks for that is longer than the run's ceiling is not waited out: the call fails at once
 * with what TokPortal asked, the shared rate gate does not hold the other calls for the hour either, and an
 * upper-case `CAPACITY_COOLDOWN` is read as the cooldown it is. Against the sandbox, whose fault rule
 * answers `Retry-After: 3600`, on the real clock: "at once" means well under a second, not an hour.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import {
  CapacityCooldownError,
  TokPortalError,
  TokPortalWaitTooLongError,
  WAIT_EXCEEDS_CEILING,
} from "../../src/api/errors.ts";
import { RateGate } from "../../src/api/rate-gate.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { FakeClock, flush } from "./client-support.ts";

const emu = sharedEmulator();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  emu.setFaults({});
});

/**
 * The sandbox answers `/credits/balance` with a 429 of `code` asking for an hour (`Retry-After: 3600`), and
 * everything else as usual; `hits()` is every request it has seen since.
 */
function refusingSandbox(code: string) {
  emu.setFaults({
    rules: [
      {
        operationId: "getCreditBalance",
        action: "respond",
        always: true,
        response: {
          status: 429,
          headers: { "retry-after": "3600" },
          json: { error: { code, message: "Come back in an hour" } },
        },
      },
    ],
  });
  const start = (emu.requestLog().at(-1)?.index ?? -1) + 1;
  return { url: emu.url, hits: () => emu.requestLog(start) };
}

function clientOf(url: string, maxWaitMs?: number): TokPortalClient {
  const c = new TokPortalClient({
    baseUrl: url,
    apiKey: emu.apiKey,
    ...(maxWaitMs === undefined ? {} : { retry: { maxWaitMs } }),
  });
  closers.push(() => c.close());
  return c;
}

async function failure(fn: () => Promise<unknown>): Promise<TokPortalError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TokPortalError);
    return error as TokPortalError;
  }
  throw new Error("expected a failure");
}

describe("a Retry-After past the ceiling", () => {
  it("fails a bucket 429 at once with what TokPortal asked, under the default ceiling", async () => {
    const server = refusingSandbox("RATE_LIMIT_EXCEEDED");
    const c = clientOf(server.url);
    const started = Date.now();
    const error = await failure(() => c.credits.balance());
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(TokPortalWaitTooLongError);
    const e = error as TokPortalWaitTooLongError;
    expect(e).toMatchObject({ code: WAIT_EXCEEDS_CEILING, status: 429, retryable: false, attempts: 1 });
    expect(e.asked).toEqual({
      status: 429,
      code: "RATE_LIMIT_EXCEEDED",
      message: "Come back in an hour",
      retryAfterSeconds: 3600,
    });
    expect(e.ceilingSeconds).toBe(300);
    expect(e.retryAt).toBeGreaterThanOrEqual(started + 3600_000);
    expect(e.retryAt).toBeLessThan(Date.now() + 3601_000);
    expect(server.hits()).toHaveLength(1);
  });

  it("does not hold the other calls on the shared gate for the hour: they are refused at once too", async () => {
    const server = refusingSandbox("RATE_LIMIT_EXCEEDED");
    const c = clientOf(server.url, 60_000);
    await failure(() => c.credits.balance());
    const started = Date.now();
    // The gate is paused for the hour TokPortal asked: a call of another bundle is not sent, and not held.
    const other = await failure(() => c.credits.costs());
    expect(Date.now() - started).toBeLessThan(1000);
    expect(other).toBeInstanceOf(TokPortalWaitTooLongError);
    expect((other as TokPortalWaitTooLongError).asked).toMatchObject({
      code: "RATE_LIMIT_EXCEEDED",
      message: "Come back in an hour",
    });
    expect(other.operationId).toBe("getCreditCosts");
    expect(server.hits()).toHaveLength(1);
  });

  it("reads an upper-case CAPACITY_COOLDOWN as the cooldown, not as an hour of rate-limit waits", async () => {
    const server = refusingSandbox("CAPACITY_COOLDOWN");
    const c = clientOf(server.url);
    const started = Date.now();
    const error = await failure(() => c.credits.balance());
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(CapacityCooldownError);
    expect(error.isCapacityCooldown).toBe(true);
    expect(error.isRateLimit).toBe(false);
    expect(error.retryAfterSeconds).toBe(3600);
    expect(server.hits()).toHaveLength(1);
    // A cooldown is the workspace's create/publish window, not the bucket: other calls go on.
    await expect(c.credits.costs()).resolves.toBeDefined();
  });
});

describe("the rate gate's ceiling", () => {
  const refusal = new TokPortalError({
    kind: "http",
    status: 429,
    code: "rate_limit_exceeded",
    message: "getCreditBalance: Slow down [rate_limit_exceeded, HTTP 429]",
    operationId: "getCreditBalance",
    retryAfterSeconds: 3600,
  });

  it("refuses waiting and new callers while a pause outlasts it, and takes callers again once within it", async () => {
    const clock = new FakeClock();
    // One token, refilled slowly: the second caller waits in the queue when the pause comes.
    const gate = new RateGate({ clock, capacity: 1, refillPerSecond: 0.1, maxWaitMs: 60_000 });
    const granted = await gate.acquire();
    const waiting = gate.acquire(undefined, "createBundle").then(
      () => "granted",
      (e: unknown) => e,
    );
    gate.release(granted, null, 3600, refusal);
    await flush();
    const refused = await waiting;
    expect(refused).toBeInstanceOf(TokPortalWaitTooLongError);
    expect(refused).toMatchObject({
      operationId: "createBundle",
      asked: { code: "rate_limit_exceeded", message: "Slow down", retryAfterSeconds: 3600 },
    });
    await expect(gate.acquire(undefined, "listBundles")).rejects.toBeInstanceOf(TokPortalWaitTooLongError);
    expect(clock.pendingTimers).toBe(0);
    // With the pause's end within the ceiling, a caller waits for it as usual.
    await clock.advance(3600_000 - 30_000);
    let done = false;
    const later = gate.acquire().then(() => {
      done = true;
    });
    await clock.advance(29_000);
    expect(done).toBe(false);
    await clock.advance(1_000);
    await later;
    expect(done).toBe(true);
  });

  it("refuses a caller whose token the bucket would only give after the ceiling", async () => {
    const clock = new FakeClock();
    // One token an hour, as X-RateLimit headers could describe it.
    const gate = new RateGate({ clock, capacity: 2, refillPerSecond: 1 / 3600, maxWaitMs: 60_000 });
    await gate.acquire();
    await gate.acquire();
    const third = await gate.acquire(undefined, "listBundles").catch((e: unknown) => e);
    expect(third).toBeInstanceOf(TokPortalWaitTooLongError);
    expect((third as TokPortalWaitTooLongError).asked).toMatchObject({ code: "RATE_LIMIT", status: null });
    expect((third as TokPortalWaitTooLongError).asked.retryAfterSeconds).toBeGreaterThan(3000);
    expect(clock.pendingTimers).toBe(0);
  });

  it("without a ceiling, waits the pause out as before", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock });
    gate.release(await gate.acquire(), null, 3600, refusal);
    let done = false;
    const p = gate.acquire().then(() => {
      done = true;
    });
    await clock.advance(3599_000);
    expect(done).toBe(false);
    await clock.advance(1_000);
    await p;
    expect(done).toBe(true);
  });
});
