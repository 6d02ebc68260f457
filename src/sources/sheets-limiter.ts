/**
 * Keeps this process under Google Sheets' per-user quota (60 read and 60 write requests per minute,
 * docs/google-sheets.md, "What a run costs in Google requests") by allowing at most `limit` requests, reads and writes together, in any sliding
 * window of `windowMs`. A token bucket refilling 1/s would allow 60 at once and then 1 a second, i.e.
 * up to 119 in one minute — which a strict per-minute quota refuses — hence a sliding window.
 * The clock is injected so tests never wait.
 */

export interface SheetsClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: SheetsClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface LimiterOptions {
  /** Requests allowed per window. Default 60. */
  limit?: number;
  /** Default 61 s: a second of slack for the time a request spends in flight before Google counts it. */
  windowMs?: number;
  clock?: SheetsClock;
}

export class SheetsRateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly clock: SheetsClock;
  private readonly sent: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  /** Total time spent waiting for a slot, in (clock) ms. */
  waitedMs = 0;

  constructor(options: LimiterOptions = {}) {
    this.limit = options.limit ?? 60;
    this.windowMs = options.windowMs ?? 61_000;
    this.clock = options.clock ?? realClock;
    if (!Number.isInteger(this.limit) || this.limit < 1)
      throw new RangeError("limit must be a positive integer");
  }

  /** Resolves when one more request may be sent, and counts it as sent. Callers are served in order. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    // A failed turn must not block later callers.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.sent.length > 0 && (this.sent[0] as number) <= now - this.windowMs) this.sent.shift();
      if (this.sent.length < this.limit) {
        this.sent.push(now);
        return;
      }
      const wait = (this.sent[0] as number) + this.windowMs - now;
      this.waitedMs += wait;
      await this.clock.sleep(wait);
    }
  }
}

let shared: SheetsRateLimiter | null = null;

/** The one limiter every Sheets source of this process shares (the quota is per user, not per source). */
export function processSheetsLimiter(): SheetsRateLimiter {
  shared ??= new SheetsRateLimiter();
  return shared;
}
