/**
 * Shared pieces of the API client's tests: a fake clock for the rate gate and the retry waits, and helpers
 * to look for the API key in everything an error exposes.
 */
import { inspect } from "node:util";
import type { GateClock } from "../../src/api/rate-gate.ts";

/** A clock that only moves when told to; timers fire in time order as it passes them. */
export class FakeClock implements GateClock {
  private t: number;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];

  constructor(start = 1_800_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order (and letting promises settle between them). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await flush();
  }
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

/** Every way an error can be shown or logged; none may contain `secret`. */
export function exposedForms(error: unknown): string[] {
  const forms = [String(error), JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })];
  let cause = (error as { cause?: unknown })?.cause;
  for (let i = 0; cause !== undefined && i < 5; i++) {
    forms.push(inspect(cause, { depth: 10, showHidden: true }), JSON.stringify(cause) ?? "");
    cause = (cause as { cause?: unknown }).cause;
  }
  if (error instanceof Error) forms.push(error.message, error.stack ?? "");
  return forms;
}
