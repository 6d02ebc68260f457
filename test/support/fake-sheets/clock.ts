/**
 * A clock tests move by hand, shared by the fake server (quota windows) and the source (limiter and
 * backoff): `sleep` advances time instantly, so a test that waits "two minutes" takes microseconds.
 */
export class ManualClock {
  /** Total time slept through this clock, in ms. */
  slept = 0;
  sleeps: number[] = [];

  constructor(private t = Date.UTC(2026, 10, 28, 12, 0, 0)) {}

  now(): number {
    return this.t;
  }

  async sleep(ms: number): Promise<void> {
    this.t += ms;
    this.slept += ms;
    this.sleeps.push(ms);
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
