/**
 * The run log: quiet runs counted on the last row, changed runs appended, the cap kept (pure), and 100
 * cron-like ticks on a CSV campaign against the sandbox add no row.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Papa from "papaparse";
import { describe, expect, it } from "vitest";
import { createSource } from "../../src/sources/index.ts";
import { nextHistory } from "../../src/sync/history.ts";
import { nextRunLog, RUN_LOG_HEADER, type RunLogEntry } from "../../src/sync/run-log.ts";
import { syncSource, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";

const counts = { synced: 2, pending: 0, locked: 0, error: 0, skipped: 0 };
const entry = (i: number, changed: boolean): RunLogEntry => ({
  startedAt: `t${i}`,
  endedAt: `t${i}e`,
  mode: "apply",
  counts,
  creditsCharged: changed ? 32 : 0,
  calls: 3,
  rateLimited: 0,
  errors: "",
  exitCode: 0,
  changed,
});
const table = (rows: (string | number)[][]) => ({ rows: rows.map((r) => r.map(String)) });
const col = (name: (typeof RUN_LOG_HEADER)[number]) => RUN_LOG_HEADER.indexOf(name);

describe("the run log (pure)", () => {
  it("counts quiet runs on the last row and appends a run that changed something", () => {
    let log = nextRunLog(null, entry(0, true), 1000);
    for (let i = 1; i <= 100; i++) log = nextRunLog(table(log), entry(i, false), 1000);
    expect(log).toHaveLength(2);
    expect(log[1]![col("quiet_runs")]).toBe(100);
    expect(log[1]![col("last_quiet_at")]).toBe("t100e");
    log = nextRunLog(table(log), entry(101, true), 1000);
    expect(log).toHaveLength(3);
    // A run that ends differently (an error appeared) is logged even though it changed nothing.
    log = nextRunLog(table(log), { ...entry(102, false), exitCode: 1, errors: "ROW_X videos!3" }, 1000);
    expect(log).toHaveLength(4);
  });

  it("stays under its cap, dropping the oldest tenth at once", () => {
    let log = nextRunLog(null, entry(0, true), 50);
    for (let i = 1; i < 500; i++) {
      log = nextRunLog(table(log), entry(i, true), 50);
      expect(log.length - 1).toBeLessThanOrEqual(50);
    }
    expect(log.at(-1)![col("started_at")]).toBe("t499");
  });
});

describe("the analytics history (pure)", () => {
  it("keeps one row per video per day across three runs of a day", () => {
    const day = (views: number) => ({
      videos: [{ date: "2026-09-20", videoRef: "v1", bundleRef: "b1", metrics: { views } }],
      accounts: [{ date: "2026-09-20", bundleRef: "b1", account: "acc", followers: views / 10 }],
    });
    let h = nextHistory(null, day(100));
    h = nextHistory(table(h), day(150));
    h = nextHistory(table(h), day(180));
    expect(h).toHaveLength(3);
    expect(h[1]).toContain(180);
    // A series day never overwrites what the sync measured; a missing day is filled.
    h = nextHistory(table(h), { videos: [], accounts: [] }, [
      { date: "2026-09-20", bundleRef: "b1", account: "acc", followers: 1 },
      { date: "2026-09-19", bundleRef: "b1", account: "acc", followers: 9 },
    ]);
    expect(h.map((r) => r[0])).toEqual(["date", "2026-09-19", "2026-09-20", "2026-09-20"]);
    expect(h[3]).toContain("18");
  });
});

// A bucket out of the way: 100 runs of a few calls each would otherwise wait for TokPortal's refill (2/s),
// which the client honours (no 429) and which is not what this test is about.
const emu = sharedEmulator({ bucket: { capacity: 10_000, refillPerSecond: 1_000 } });

function csvRows(file: string): string[][] {
  return Papa.parse<string[]>(readFileSync(file, "utf8"), { skipEmptyLines: true }).data;
}

describe("the run log beside a CSV campaign", () => {
  it("100 cron-like ticks with no change add no row; the counter grows", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "runlog-"));
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1 });
    const source = createSource(
      { type: "csv", bundles: "bundles.csv", videos: "videos.csv", run_log: { max_rows: 20 } },
      { baseDir: dir },
    );
    expect(path.basename(files.bundlesPath)).toBe("bundles.csv");
    const run = () => syncSource(emu, source, { baseDir: dir });
    await run();
    await run();
    const log = path.join(dir, "sync-runs.csv");
    const settled = csvRows(log);
    expect(settled[0]).toEqual([...RUN_LOG_HEADER]);
    expect(Number(settled[1]![col("credits_charged")])).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) await run();
    const after = csvRows(log);
    expect(after).toHaveLength(settled.length);
    expect(Number(after.at(-1)![col("quiet_runs")])).toBe(Number(settled.at(-1)![col("quiet_runs")]) + 100);
  }, 120_000);
});
