import { describe, expect, it } from "vitest";
import type { RateLimitSnapshot } from "../../src/api/errors.ts";
import { RateGate } from "../../src/api/rate-gate.ts";
import { FakeClock, flush } from "./client-support.ts";

/** Acquires `n` tokens without waiting for them; returns how many were granted so far via `granted()`. */
function requestMany(gate: RateGate, n: number) {
  const times: number[] = [];
  const all = Array.from({ length: n }, () => gate.acquire().then((t) => times.push(t)));
  return { times, all };
}

/**
 * A model of TokPortal's bucket (docs/tokportal-api.md §4), on the fake clock: continuous refill, `remaining` rounded
 * down, `reset` the unix second (rounded up) when the bucket is full again.
 */
class ServerBucket {
  tokens: number;
  at: number;
  refused = 0;
  served = 0;
  constructor(
    private readonly clock: FakeClock,
    readonly capacity: number,
    readonly perSecond: number,
  ) {
    this.tokens = capacity;
    this.at = clock.now();
  }
  take(): { ok: boolean; snapshot: RateLimitSnapshot; retryAfter: number } {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    const ok = this.tokens >= 1;
    if (ok) {
      this.tokens -= 1;
      this.served++;
    } else this.refused++;
    const toFull = (this.capacity - this.tokens) / this.perSecond;
    return {
      ok,
      snapshot: {
        limit: this.capacity,
        remaining: Math.floor(this.tokens),
        reset: Math.ceil(now / 1000 + toFull),
      },
      retryAfter: ok ? 0 : Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond)),
    };
  }
}

/** Runs `n` requests through `gate` at `concurrency`, each taking `latencyMs` each way, until all succeed. */
async function simulate(opts: {
  clock: FakeClock;
  gate: RateGate;
  server: ServerBucket;
  n: number;
  concurrency: number;
  latencyMs: number;
}): Promise<number> {
  const { clock, gate, server } = opts;
  const start = clock.now();
  const wait = (ms: number) => new Promise<void>((r) => clock.setTimer(r, ms));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < opts.n) {
      next++;
      for (;;) {
        const grantedAt = await gate.acquire();
        await wait(opts.latencyMs);
        const answer = server.take();
        await wait(opts.latencyMs);
        gate.release(grantedAt, answer.snapshot, answer.ok ? null : answer.retryAfter);
        if (answer.ok) break;
      }
      done++;
    }
  };
  const workers = Array.from({ length: opts.concurrency }, worker);
  while (done < opts.n) await clock.advance(1000);
  await Promise.all(workers);
  return clock.now() - start;
}

describe("RateGate", () => {
  it("hands out the documented bucket at once, then one token per refill interval", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock });
    const { times } = requestMany(gate, 122);
    await flush();
    expect(times).toHaveLength(120);
    await clock.advance(499);
    expect(times).toHaveLength(120);
    await clock.advance(1);
    expect(times).toHaveLength(121);
    await clock.advance(500);
    expect(times).toHaveLength(122);
    expect(times[121]! - times[0]!).toBe(1000);
  });

  it("believes the server when it has fewer tokens than we think", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock });
    const first = await gate.acquire();
    // Another process spent most of the bucket: only 3 tokens left, full again in 59 s.
    gate.release(first, { limit: 120, remaining: 3, reset: Math.ceil(clock.now() / 1000) + 59 });
    const { times } = requestMany(gate, 5);
    await flush();
    expect(times).toHaveLength(3);
    expect(gate.state().tokens).toBe(0);
  });

  it("counts requests still in flight as spent when it corrects from a response", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock, capacity: 10 });
    const granted = await Promise.all(Array.from({ length: 5 }, () => gate.acquire()));
    expect(gate.state().tokens).toBe(5);
    // The first answer says 7 left after it; four others are still out and may not be counted yet.
    gate.release(granted[0]!, { limit: 10, remaining: 7, reset: null });
    expect(gate.state().tokens).toBe(3);
    expect(gate.state().inFlight).toBe(4);
  });

  it("keeps a count the server's rounded-down figure agrees with, and takes one clearly lower", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock, capacity: 10 });
    const [a, b, c, d] = await Promise.all(Array.from({ length: 4 }, () => gate.acquire()));
    // The first answer sets the count, however close: 8 after it, and 3 others out → 5.
    gate.release(a!, { limit: 10, remaining: 8, reset: null });
    expect(gate.state().tokens).toBe(5);
    // 6 left after b (6.x, rounded down) with 2 out: the server may hold up to 5 for us, so 5 agrees with
    // it; lowering to 4 would idle a token.
    gate.release(b!, { limit: 10, remaining: 6, reset: null });
    expect(gate.state().tokens).toBe(5);
    // 3 left after c with 1 out: at most 3 for us, clearly fewer than 5 (someone else spends from the key).
    gate.release(c!, { limit: 10, remaining: 3, reset: null });
    expect(gate.state().tokens).toBe(2);
    gate.release(d!, { limit: 10, remaining: 2, reset: null });
    expect(gate.state().tokens).toBe(2);
  });

  it("uses the best rate sample of the window, and forgets it once it is older", async () => {
    const second = 1_800_000_000_000;
    const clock = new FakeClock(second);
    const gate = new RateGate({ clock, sampleWindowMs: 1000 });
    const answer = async (remaining: number, reset: number) => {
      const t = await gate.acquire();
      gate.release(t, { limit: 120, remaining, reset: second / 1000 + reset });
      return gate.state().refillPerSecond;
    };
    expect(await answer(0, 2)).toBeCloseTo(59.5); // 119 tokens in 2 s
    await clock.advance(600);
    expect(await answer(100, 1)).toBeCloseTo(59.5); // 19 in 0.4 s = 47.5/s: not better
    await clock.advance(500);
    expect(await answer(110, 3)).toBeCloseTo(47.5); // the 59.5 is 1.1 s old; 9 in 1.9 s is worse
    await clock.advance(600);
    expect(await answer(110, 3)).toBeCloseTo(9 / 1.3); // the 47.5 is 1.1 s old; this one beats the rest
  });

  it("adopts the server's count when nothing else is in flight, upward too", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock, capacity: 120 });
    const granted = await Promise.all(Array.from({ length: 100 }, () => gate.acquire()));
    for (const g of granted) gate.release(g, null);
    await clock.advance(1);
    const last = await gate.acquire();
    gate.release(last, { limit: 120, remaining: 60, reset: null });
    expect(gate.state().tokens).toBe(60);
  });

  it("takes an answer that came back last upward only less the ones back since it went out", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock, capacity: 10 });
    const listing = await gate.acquire();
    await clock.advance(1);
    const quick = await gate.acquire();
    // The server counted the listing first (7 left) and the quick one after it (6 left), but the quick
    // answer comes back first, and the listing's long one last, with nothing else out.
    gate.release(quick, { limit: 10, remaining: 6, reset: null });
    expect(gate.state().tokens).toBe(5);
    gate.release(listing, { limit: 10, remaining: 7, reset: null });
    expect(gate.state().tokens).toBe(6);
  });

  it("takes the server's figure less only what it may not have counted, told apart within a millisecond", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock, capacity: 10, refillPerSecond: 0.001 });
    await gate.acquire(); // a long one, out all along
    const p = await gate.acquire();
    await clock.advance(5);
    gate.release(p, { limit: 10, remaining: 3, reset: null });
    expect(gate.state().tokens).toBeCloseTo(2);
    // r goes out in the millisecond p came back: p was counted before r, whatever the clock says.
    const r = await gate.acquire();
    await clock.advance(1);
    await gate.acquire();
    expect(gate.state().tokens).toBeCloseTo(0);
    await clock.advance(20);
    // 3 left after r, two requests still out (the long one, and one sent after r): at least 1 is ours.
    gate.release(r, { limit: 10, remaining: 3, reset: null });
    expect(gate.state().tokens).toBeCloseTo(1);
  });

  it("learns a faster refill from X-RateLimit-Reset, never over-estimating it", async () => {
    const clock = new FakeClock(1_800_000_000_800);
    const gate = new RateGate({ clock });
    expect(gate.state().refillPerSecond).toBe(2);
    const t = await gate.acquire();
    // A bucket refilling 100/s, empty: full in 1.2 s, i.e. at unix second ceil(…0.8 + 1.2) = …2.
    gate.release(t, { limit: 120, remaining: 0, reset: 1_800_000_002 });
    const learned = gate.state().refillPerSecond;
    expect(learned).toBeGreaterThan(95);
    expect(learned).toBeLessThanOrEqual(100);
    const { times } = requestMany(gate, 1);
    await clock.advance(10);
    expect(times).toHaveLength(0);
    await clock.advance(1);
    expect(times).toHaveLength(1);
  });

  it("pauses every caller for Retry-After after a 429, then resumes", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock, capacity: 120 });
    const t = await gate.acquire();
    gate.release(t, { limit: 120, remaining: 0, reset: Math.ceil(clock.now() / 1000) + 60 }, 3);
    const { times } = requestMany(gate, 2);
    await clock.advance(2999);
    expect(times).toHaveLength(0);
    await clock.advance(1);
    // 3 s at the learned rate (≈2/s) refill about 6 tokens, so both go once the pause ends.
    expect(times).toHaveLength(2);
    expect(times[0]).toBe(t + 3000);
  });

  it("drops a waiter whose signal aborts, without granting it a token", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ clock, capacity: 1 });
    await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(gate.state().waiting).toBe(0);
    expect(gate.state().inFlight).toBe(1);
  });

  it.each([
    { perSecond: 20, n: 600, concurrency: 16, latencyMs: 5 },
    { perSecond: 2, n: 200, concurrency: 16, latencyMs: 40 },
    { perSecond: 100, n: 500, concurrency: 16, latencyMs: 2 },
    { perSecond: 50, n: 400, concurrency: 4, latencyMs: 20 },
  ])(
    "meets a $perSecond/s server bucket without a 429, close to its limit ($n calls at $concurrency)",
    async (c) => {
      const clock = new FakeClock(1_800_000_000_123);
      const gate = new RateGate({ clock });
      const server = new ServerBucket(clock, 120, c.perSecond);
      const elapsed = await simulate({ clock, gate, server, ...c });
      expect(server.refused).toBe(0);
      expect(server.served).toBe(c.n);
      const lowerBound = ((c.n - 120) / c.perSecond) * 1000;
      expect(elapsed).toBeGreaterThanOrEqual(lowerBound);
      // The simulation advances in whole seconds, so allow one second on top of the 10% target.
      expect(elapsed).toBeLessThanOrEqual(lowerBound * 1.1 + 1000);
    },
  );

  it("recovers from a bucket it did not know was shared, with a bounded number of 429s", async () => {
    const clock = new FakeClock(1_800_000_000_000);
    const gate = new RateGate({ clock });
    const server = new ServerBucket(clock, 120, 20);
    server.tokens = 5; // someone else used the key just before us
    const elapsed = await simulate({ clock, gate, server, n: 300, concurrency: 8, latencyMs: 5 });
    expect(server.served).toBe(300);
    // The first wave goes out believing in 120 tokens; after that the headers steer it.
    expect(server.refused).toBeLessThanOrEqual(8);
    expect(elapsed).toBeLessThanOrEqual(((300 - 5) / 20) * 1000 * 1.1 + 2000);
  });
});

describe("the gate's timers", () => {
  it("never asks for a timer beyond setTimeout's ceiling, which would fire at once and spin", async () => {
    const clock = new FakeClock();
    const asked: number[] = [];
    const recording = {
      now: () => clock.now(),
      setTimer: (fn: () => void, ms: number) => {
        asked.push(ms);
        return clock.setTimer(fn, ms);
      },
    };
    const gate = new RateGate({ capacity: 1, refillPerSecond: 1e-9, clock: recording });
    await gate.acquire();
    const waiting = gate.acquire();
    await flush();
    expect(asked).toEqual([2_147_483_647]);
    gate.release(clock.now(), null, 1e9);
    expect(asked.at(-1)).toBe(2_147_483_647);
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    await expect(gate.acquire(controller.signal)).rejects.toThrow("gone");
    await clock.advance(1_000_000_001_000);
    await expect(waiting).resolves.toBeGreaterThan(0);
  });

  it("cancels its timer when the last waiter gives up", async () => {
    const clock = new FakeClock();
    const gate = new RateGate({ capacity: 1, refillPerSecond: 1, clock });
    await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    expect(clock.pendingTimers).toBe(1);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(gate.state().waiting).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it("refuses a bucket that could never grant a token", () => {
    expect(() => new RateGate({ refillPerSecond: 0 })).toThrow(RangeError);
    expect(() => new RateGate({ capacity: 0 })).toThrow(RangeError);
  });
});
