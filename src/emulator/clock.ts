/**
 * The simulated clock: a fixed or real start time, real elapsed time scaled by `speed`, plus whatever
 * POST /__emulator/advance added (kept in the state, so a restarted emulator stays "in the future").
 */
import type { EmulatorClock } from "./context.ts";

export interface SimulatedClock extends EmulatorClock {
  readonly speed: number;
}

export function simulatedClock(opts: {
  startMs: number;
  speed: number;
  offsetMs: () => number;
  realNow?: () => number;
}): SimulatedClock {
  const realNow = opts.realNow ?? Date.now;
  const realStart = realNow();
  const now = () => Math.floor(opts.startMs + (realNow() - realStart) * opts.speed + opts.offsetMs());
  return { speed: opts.speed, now, iso: () => new Date(now()).toISOString() };
}

/** `now` as given on the command line or in options: an ISO string, or ms since the epoch. */
export function parseStartTime(now: string | number | undefined, realNow: () => number = Date.now): number {
  if (now === undefined) return realNow();
  const ms = typeof now === "number" ? now : /^\d+$/.test(now) ? Number(now) : Date.parse(now);
  if (!Number.isFinite(ms)) throw new Error(`Invalid start time "${now}": use an ISO date or ms since epoch`);
  return ms;
}
