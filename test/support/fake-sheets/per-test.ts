/**
 * A fresh fake Sheets server for each test, on a manual clock with a limiter of its own, and the options
 * that point the real client (a `GoogleSheetsSource`, `initSpreadsheet`) at it: the setup every test over
 * the fake repeats otherwise.
 */
import { afterEach, beforeEach } from "vitest";
import { SheetsRateLimiter } from "../../../src/sources/sheets-limiter.ts";
import { ManualClock } from "./clock.ts";
import { type FakeSheets, startFakeSheets } from "./server.ts";

export interface FakeSheetsClientOptions {
  rootUrl: string;
  auth: { apiKey: string };
  limiter: SheetsRateLimiter;
  clock: ManualClock;
  retry: { random: () => number };
}

export interface FakeSheetsPerTest {
  /** The current test's server (a stand-in that reaches it, only inside a test or hook). */
  fake: FakeSheets;
  /** The current test's clock. */
  clock(): ManualClock;
  /** Client options reaching this test's server, sharing its clock (backoff never really waits). */
  options(): FakeSheetsClientOptions;
}

export function fakeSheetsPerTest(): FakeSheetsPerTest {
  let current: { fake: FakeSheets; clock: ManualClock; limiter: SheetsRateLimiter } | undefined;
  beforeEach(async () => {
    const clock = new ManualClock();
    const fake = await startFakeSheets({ now: () => clock.now() });
    current = { fake, clock, limiter: new SheetsRateLimiter({ clock }) };
  });
  afterEach(async () => {
    await current?.fake.close();
    current = undefined;
  });
  const now = () => {
    if (!current) throw new Error("fakeSheetsPerTest() is only usable inside a test or hook");
    return current;
  };
  const fake = new Proxy({} as FakeSheets, {
    get(_target, prop) {
      const server = now().fake;
      const value = Reflect.get(server, prop);
      return typeof value === "function" ? value.bind(server) : value;
    },
  });
  return {
    fake,
    clock: () => now().clock,
    options: () => {
      const c = now();
      return {
        rootUrl: c.fake.rootUrl,
        auth: { apiKey: "test-key" },
        limiter: c.limiter,
        clock: c.clock,
        retry: { random: () => 0 },
      };
    },
  };
}
