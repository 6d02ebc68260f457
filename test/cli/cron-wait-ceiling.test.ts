/** A service tick never waits for TokPortal past the next tick: that tick takes the work over. */
import { describe, expect, it } from "vitest";
import { cronWaitCeilingMs } from "../../src/cli/cron-run.ts";

describe("cronWaitCeilingMs", () => {
  const now = Date.parse("2026-09-01T12:00:00Z");

  it("is the configured ceiling when the next tick is further away", () => {
    expect(cronWaitCeilingMs(300_000, "2026-09-01T12:15:00.000Z", now)).toBe(300_000);
  });

  it("stops at the next tick when it comes sooner", () => {
    expect(cronWaitCeilingMs(300_000, "2026-09-01T12:01:00.000Z", now)).toBe(60_000);
    expect(cronWaitCeilingMs(300_000, "2026-09-01T11:59:00.000Z", now)).toBe(0);
  });

  it("is the configured ceiling when there is no next tick", () => {
    expect(cronWaitCeilingMs(120_000, null, now)).toBe(120_000);
  });
});
