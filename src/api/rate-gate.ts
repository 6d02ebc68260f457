/**
 * One token bucket shared by every call of a client, mirroring the one TokPortal keeps per API key
 * (capacity 120, about 2 tokens/s: docs/tokportal-api.md §4), so that a run waits here instead of
 * collecting 429s.
 *
 * It starts from the documented bucket and then follows the server: each response's `X-RateLimit-*`
 * headers correct the token count (the server's figure bounds ours from above, and, less whatever it
 * may not have counted yet, from below) and give a lower bound on the refill rate:
 * `(limit - remaining - 1) / (reset - sentAt)`. The `-1` covers `remaining` being rounded down and
 * `sentAt` precedes the server's clock reading, so each sample can only under-estimate; the rate used is
 * the best of the recent samples. A 429 pauses every caller until its `Retry-After`. No caller is held longer
 * than the gate's ceiling (`maxWaitMs`): while a pause would outlast it, or the bucket as the headers
 * describe it would give a caller its token only after it, that caller is refused at once with a
 * `TokPortalWaitTooLongError`, so one long Retry-After (or a bucket that refills by the hour) cannot
 * stall every bundle.
 */
import {
  type RateLimitSnapshot,
  serverSentence,
  type TokPortalError,
  TokPortalWaitTooLongError,
} from "./errors.ts";

/** Wall-clock milliseconds (the headers speak unix seconds) and a timer; injectable for tests. */
export interface GateClock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: GateClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export interface RateGateOptions {
  capacity?: number;
  refillPerSecond?: number;
  clock?: GateClock;
  /**
   * How far back (ms) rate samples count. `reset` is in whole seconds, so one sample can be up to a second
   * pessimistic; over a window of several seconds some sample always lands close to the true rate.
   */
  sampleWindowMs?: number;
  /**
   * The longest a 429's pause may hold a caller. A pause that lasts longer refuses callers at once (their
   * call fails with `TokPortalWaitTooLongError`) until it is within reach. Default: no ceiling.
   */
  maxWaitMs?: number;
}

interface Waiter {
  operationId: string;
  resolve(grantedAt: number): void;
  reject(error: unknown): void;
  /** Stops listening to the caller's abort signal once the token is granted. */
  detach(): void;
}

/** setTimeout's ceiling: a longer delay fires at once, which would turn a long wait into a busy loop. */
const MAX_TIMER_MS = 2_147_483_647;

export class RateGate {
  private capacity: number;
  private readonly initialRate: number;
  /** Tokens per millisecond. */
  private rate: number;
  private tokens: number;
  private at: number;
  /** The count has been set from a server's answer (until then it is the documented full bucket). */
  private followsServer = false;
  /**
   * Grants and returns are numbered in the order they happen (a millisecond holds several), so that an
   * answer knows which requests came back after its own went out.
   */
  private events = 0;
  /** Each request in flight: when it was granted (what `release` names it by) and its event number. */
  private readonly outstanding: Array<{ at: number; event: number }> = [];
  private get inFlight(): number {
    return this.outstanding.length;
  }
  /** The event numbers of requests that came back while an older one was still out. */
  private returned: number[] = [];
  private pausedUntil = 0;
  /** The refusal behind the pause, to say what TokPortal asked when a caller is refused. */
  private pauseCause: TokPortalError | null = null;
  private readonly maxWaitMs: number;
  /**
   * The recent rate samples that can still be the best: each one is newer and slower than the one before
   * it (a sample beaten by a newer, faster one never matters again), so the best is the first. Asking for
   * the best is then constant time, where a scan of every sample in the window made each answer cost as
   * much as the calls before it.
   */
  private samples: Array<{ at: number; rate: number }> = [];
  private readonly waiters: Waiter[] = [];
  private cancelTimer: (() => void) | null = null;
  private readonly clock: GateClock;
  private readonly sampleWindowMs: number;

  constructor(options: RateGateOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.capacity = options.capacity ?? 120;
    const perSecond = options.refillPerSecond ?? 2;
    if (!(this.capacity >= 1) || !(perSecond > 0))
      throw new RangeError("RateGate needs capacity >= 1 and refillPerSecond > 0");
    this.initialRate = perSecond / 1000;
    this.rate = this.initialRate;
    this.tokens = this.capacity;
    this.at = this.clock.now();
    this.sampleWindowMs = options.sampleWindowMs ?? 10_000;
    this.maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Waits for a token; resolves with the time it was granted (pass it back to `release`). Rejects with a
   * `TokPortalWaitTooLongError` for `operationId` while a 429's pause lasts longer than the ceiling.
   */
  acquire(signal?: AbortSignal, operationId = "request"): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.clock.now();
    const refused = this.refusal(operationId, now);
    if (refused) return Promise.reject(refused);
    // A token at hand and nobody ahead: granted without queueing (or listening to the signal) at all.
    this.refill(now);
    if (this.waiters.length === 0 && now >= this.pausedUntil && this.tokens >= 1) {
      this.tokens -= 1;
      this.outstanding.push({ at: now, event: ++this.events });
      return Promise.resolve(now);
    }
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        // Nobody left to wake: a pending timer would only keep the process alive.
        if (this.waiters.length === 0) this.stopTimer();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        operationId,
        resolve,
        reject,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /**
   * A granted request is over. `snapshot` is what its response said (null when no response came);
   * `retryAfterSeconds` is set when the bucket refused it (429 RATE_LIMIT_EXCEEDED); `cause` is that
   * refusal, so callers refused during a long pause learn what TokPortal asked.
   */
  release(
    grantedAt: number,
    snapshot: RateLimitSnapshot | null,
    retryAfterSeconds: number | null = null,
    cause: TokPortalError | null = null,
  ): void {
    const now = this.clock.now();
    this.refill(now);
    // Requests granted in the same millisecond look alike: each answer among them counts the returns since
    // the first of them went out, and ends the last. A time never granted still ends one request, as a
    // count would.
    const first = this.outstanding.findIndex((o) => o.at === grantedAt);
    const sentAs = first >= 0 ? this.outstanding[first]!.event : 0;
    const last = this.outstanding.findLastIndex((o) => o.at === grantedAt);
    this.outstanding.splice(Math.max(last, 0), 1);
    if (snapshot) this.observe(grantedAt, now, snapshot, retryAfterSeconds !== null, sentAs);
    this.noteReturned();
    if (retryAfterSeconds !== null) {
      const until = now + retryAfterSeconds * 1000;
      if (until >= this.pausedUntil) this.pauseCause = cause;
      this.pausedUntil = Math.max(this.pausedUntil, until);
      this.tokens = Math.min(this.tokens, -this.inFlight);
    }
    this.pump();
  }

  /** The gate's current beliefs, for logs, tests and the benchmark. */
  state(): { tokens: number; refillPerSecond: number; capacity: number; inFlight: number; waiting: number } {
    this.refill(this.clock.now());
    return {
      tokens: this.tokens,
      refillPerSecond: this.rate * 1000,
      capacity: this.capacity,
      inFlight: this.inFlight,
      waiting: this.waiters.length,
    };
  }

  /** `sentAs`: the event number of the request answered (see `events`). */
  private observe(
    grantedAt: number,
    now: number,
    s: RateLimitSnapshot,
    refused: boolean,
    sentAs: number,
  ): void {
    if (s.limit !== null && s.limit > 0) {
      this.capacity = s.limit;
      this.tokens = Math.min(this.tokens, this.capacity);
    }
    if (s.remaining !== null) {
      // The server's figure is a ceiling (ours may not exceed it beyond its rounding down, counting our
      // requests in flight as not yet spent) and, less everything it may not have counted yet, a floor:
      // the requests in flight and those that came back since this one went out (the server may have
      // counted them after it read this figure: a long answer can come back after a later request's). The
      // first answer sets the count however close; after that, lowering a count within the rounding to
      // the rounded figure on every answer would leave a token idle for the rest of the run (ours can only
      // lag: it refills at a rate that under-estimates the server's).
      if (!this.followsServer || this.tokens > s.remaining + 1 - this.inFlight)
        this.tokens = Math.min(this.tokens, s.remaining - this.inFlight);
      const atLeast = s.remaining - this.inFlight - this.returnedSince(sentAs);
      this.tokens = Math.max(this.tokens, Math.min(this.capacity, atLeast));
      this.followsServer = true;
    }
    if (refused) this.samples = [];
    if (s.limit !== null && s.remaining !== null && s.reset !== null) {
      const deficit = s.limit - s.remaining - 1;
      const span = s.reset * 1000 - grantedAt;
      if (deficit >= 1 && span > 0) {
        const rate = deficit / span;
        while (this.samples.length > 0 && this.samples[this.samples.length - 1]!.rate <= rate)
          this.samples.pop();
        this.samples.push({ at: now, rate });
      }
    }
    // Samples older than the window go, except the newest, which still says more than the documented rate.
    const since = now - this.sampleWindowMs;
    while (this.samples.length > 1 && this.samples[0]!.at < since) this.samples.shift();
    this.rate = this.samples[0]?.rate ?? this.initialRate;
  }

  /** Requests that came back after event `sent` (the server may have counted any of them after it). */
  private returnedSince(sent: number): number {
    let n = 0;
    for (const event of this.returned) if (event > sent) n++;
    return n;
  }

  /** Keeps what a request still out may need to know of the ones that came back before it. */
  private noteReturned(): void {
    this.events += 1;
    const oldest = this.outstanding[0];
    if (oldest === undefined) this.returned = [];
    else this.returned.push(this.events);
    if (this.returned.length > 64) this.returned = this.returned.filter((e) => e > (oldest?.event ?? 0));
  }

  private refill(now: number): void {
    if (now > this.at) this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.rate);
    this.at = Math.max(this.at, now);
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** The error for a caller while the pause lasts longer than the ceiling, else null. */
  private refusal(operationId: string, now: number): TokPortalWaitTooLongError | null {
    const waitMs = this.pausedUntil - now;
    if (!(waitMs > this.maxWaitMs)) return null;
    const cause = this.pauseCause;
    return this.tooLong(operationId, now, waitMs, {
      status: cause?.status ?? 429,
      code: cause?.code ?? "RATE_LIMIT_EXCEEDED",
      message: cause ? serverSentence(cause) : "rate limit exceeded",
    });
  }

  private tooLong(
    operationId: string,
    now: number,
    waitMs: number,
    asked: { status: number | null; code: string; message: string },
  ): TokPortalWaitTooLongError {
    return new TokPortalWaitTooLongError({
      operationId,
      asked: { ...asked, retryAfterSeconds: Math.ceil(waitMs / 1000) },
      ceilingSeconds: Math.round(this.maxWaitMs / 1000),
      now,
    });
  }

  /**
   * Refuses the waiters whose token the bucket (as TokPortal's headers describe it) would only have after
   * the ceiling. Waiter `i` is served when `i + 1` tokens have come, so the refused ones are a tail.
   */
  private refuseBeyondCeiling(now: number): void {
    const waitFor = (i: number) => Math.ceil((i + 1 - this.tokens) / this.rate);
    const first = this.waiters.findIndex((_, i) => waitFor(i) > this.maxWaitMs);
    if (first < 0) return;
    const refused = this.waiters.splice(first);
    refused.forEach((w, k) => {
      const waitMs = waitFor(first + k);
      w.detach();
      w.reject(
        this.tooLong(w.operationId, now, waitMs, {
          status: null,
          code: "RATE_LIMIT",
          message: `TokPortal's X-RateLimit headers leave no request for ${Math.ceil(waitMs / 1000)} s`,
        }),
      );
    });
  }

  private pump(): void {
    this.stopTimer();
    const now = this.clock.now();
    this.refill(now);
    // A pause past the ceiling holds nobody: everyone waiting is refused, and so is every newcomer.
    if (this.waiters.length > 0 && this.refusal("request", now)) {
      for (const w of this.waiters.splice(0)) {
        w.detach();
        w.reject(this.refusal(w.operationId, now));
      }
      return;
    }
    while (this.waiters.length > 0 && now >= this.pausedUntil && this.tokens >= 1) {
      const w = this.waiters.shift()!;
      w.detach();
      this.tokens -= 1;
      this.outstanding.push({ at: now, event: ++this.events });
      w.resolve(now);
    }
    if (this.waiters.length > 0 && now >= this.pausedUntil) this.refuseBeyondCeiling(now);
    if (this.waiters.length === 0) return;
    const wait = now < this.pausedUntil ? this.pausedUntil - now : Math.ceil((1 - this.tokens) / this.rate);
    this.cancelTimer = this.clock.setTimer(
      () => {
        this.cancelTimer = null;
        this.pump();
      },
      Math.min(MAX_TIMER_MS, Math.max(1, wait)),
    );
  }
}
