/**
 * The service's parts in-process: the logger's key guards, the scheduler's stop (abort, then wait), and
 * the health server's answers. The end-to-end proofs through a child process are in cron*.test.ts.
 */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { type HealthServer, startHealthServer } from "../../src/service/health.ts";
import { createServiceLogger, scrubKey } from "../../src/service/logger.ts";
import { SyncScheduler } from "../../src/service/scheduler.ts";
import type { Plan, RunReport, RunReportOf } from "../../src/sync/types.ts";

const KEY = `sk_${"0123456789abcdef".repeat(4)}`;

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: createServiceLogger({ destination: stream, apiKey: KEY }) };
}

function report(): RunReportOf<"apply"> {
  return {
    mode: "apply",
    source: "videos.csv",
    startedAt: new Date(0).toISOString(),
    durationMs: 5,
    plan: {
      totals: { deferred: { bundles: [], cost: 0 } },
    } as unknown as Plan,
    apply: { rows: [], creditsCharged: 3, ops: {} },
    rows: [],
    counts: { synced: 1, pending: 0, locked: 0, error: 0, skipped: 0 },
    creditsCharged: 3,
    calls: { listBundles: 1, createBundle: 1 },
    rateLimited: 2,
    write: { cellsWritten: 4, requests: 1, rowsNotFound: 0 },
    warnings: [],
    analytics: null,
  };
}

describe("service logger", () => {
  it("never writes the key: redacted fields, scrubbed messages, key-shaped text anywhere", () => {
    const { lines, logger } = capture();
    logger.info({ apiKey: KEY, nested: { key: KEY, headers: { "x-api-key": KEY } } }, "object");
    logger.error({ error: `request failed with ${KEY}` }, `message with ${KEY}`);
    logger.warn({ other: `sk_${"f".repeat(64)}` }, "someone else's key");
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain(KEY);
      expect(line).not.toMatch(/sk_[0-9a-f]{64}/);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(typeof parsed.level).toBe("string");
      expect(Date.parse(String(parsed.time))).not.toBeNaN();
    }
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      apiKey: "[Redacted]",
      nested: { key: "[Redacted]", headers: { "x-api-key": "[Redacted]" } },
    });
    expect(scrubKey(`a ${KEY} b`, KEY)).toBe("a [Redacted] b");
  });
});

describe("SyncScheduler", () => {
  it("stop() aborts the running run's signal and waits for it to end; the summary says it was stopped", async () => {
    const { lines, logger } = capture();
    let signalSeen: AbortSignal | null = null;
    let finish: () => void = () => undefined;
    const scheduler = new SyncScheduler({
      schedule: "0 0 1 1 *",
      logger,
      runOnce: (signal) => {
        signalSeen = signal;
        return new Promise<RunReport>((resolve) => {
          finish = () => resolve(report());
          signal.addEventListener("abort", () => setTimeout(finish, 10));
        });
      },
      isLocked: () => false,
      describeError: (e) => String(e),
    });
    const tick = scheduler.tick();
    expect(scheduler.running).toBe(true);
    // A second tick while one runs does not start another run.
    void scheduler.tick();
    const stopped = scheduler.stop();
    expect((signalSeen as AbortSignal | null)?.aborted).toBe(true);
    await stopped;
    await tick;
    expect(scheduler.running).toBe(false);
    const done = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === "run_finished");
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({
      stopped: true,
      run: 1,
      calls: 2,
      rateLimited: 2,
      creditsCharged: 3,
      nextRunAt: null,
    });
    expect(lines.filter((l) => l.includes('"run_started"'))).toHaveLength(1);
  });

  it("rejects a schedule croner cannot read", () => {
    const { logger } = capture();
    const make = () =>
      new SyncScheduler({
        schedule: "61 * * * *",
        logger,
        runOnce: async () => report(),
        isLocked: () => false,
        describeError: String,
      });
    expect(make).toThrow(/invalid schedule "61 \* \* \* \*"/);
  });
});

describe("health server", () => {
  let server: HealthServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it("answers 200 while runs succeed, 503 after a run failed entirely, 404/405 elsewhere", async () => {
    let failing = false;
    const source = {
      health: () => ({
        running: false,
        lastRunAt: "2026-01-01T00:00:00.000Z",
        nextRunAt: "2026-01-01T00:15:00.000Z",
        failing,
        lastError: failing ? "TokPortal refused the API key" : null,
      }),
      lastRun: null,
    };
    server = await startHealthServer(source, { host: "127.0.0.1", port: 0 });
    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      status: "ok",
      running: false,
      lastRunAt: "2026-01-01T00:00:00.000Z",
      nextRunAt: "2026-01-01T00:15:00.000Z",
    });
    failing = true;
    const bad = await fetch(`${server.url}/healthz`);
    expect(bad.status).toBe(503);
    expect(await bad.json()).toMatchObject({ status: "failing", error: "TokPortal refused the API key" });
    expect((await fetch(`${server.url}/last-run`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${server.url}/`)).status).toBe(404);
  });
});
