/**
 * Reliability: chaos. The emulator injects, seeded, 10% 5xx, 2% dropped connections (half
 * before handling, half after: the work is done and the answer lost, which is what tests idempotency of
 * creates and charges), 429 storms and latency jitter. A campaign of 30 bundles × 5 videos is synced
 * twice through its CSV files, with the faults on both times:
 *   - run 1 converges for ≥ 99% of the rows, run 2 for all of them (report and CSV write-back);
 *   - no bundle is created twice (every bundle of the workspace counted per external_ref);
 *   - the credits charged (the workspace's balance delta) equal a clean plan's price of the campaign;
 *   - TokPortal ends up holding what the sheet says.
 *
 * Replay one seed: CHAOS_SEED=<seed> npx vitest run test/reliability/chaos.test.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FaultConfig } from "../../src/emulator/index.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { type CampaignFiles, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { emulatorPerTest } from "../support/emulator.ts";
import { recordFigures } from "./figures.ts";
import {
  cleanPlanPrice,
  duplicateBundles,
  remoteMismatches,
  rowsMissingWriteBack,
  spentCredits,
  workspaceBundles,
} from "./support.ts";

const BUNDLES = 30;
const VIDEOS = 5;
const ROWS = BUNDLES + BUNDLES * VIDEOS;
const OPENING = 100_000;
const PREFIX = "t-";
const SEEDS = process.env["CHAOS_SEED"] ? [Number(process.env["CHAOS_SEED"])] : [101, 202, 303];

const FAULTS: FaultConfig = {
  errorRate: 0.1,
  dropRate: 0.01,
  dropAfterRate: 0.01,
  // Three 429s in every 40 requests: calls in flight together all meet the same storm.
  storm: { everyRequests: 40, length: 3 },
  latencyMs: 4,
  jitterMs: 4,
  // 1% of a few hundred requests may miss the writes that charge: these make sure answers of charging
  // writes are lost every time (the first ones of each kind), on top of the seeded drops.
  rules: [
    { operationId: "createBundle", action: "drop_after", times: 2 },
    { operationId: "configureBundleAccount", action: "drop_after", times: 1 },
    { operationId: "publishBundle", action: "drop_after", times: 1 },
  ],
};

const emulators = emulatorPerTest({
  // The real bucket refills 2/s; 50/s keeps three seeds inside a minute, the 429s come from the storms.
  bucket: { capacity: 120, refillPerSecond: 50 },
});
let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const synced = (r: RunReport): number => r.counts.synced;
const csvSynced = (files: CampaignFiles): number =>
  [...readCsvRows(files.bundlesPath), ...readCsvRows(files.videosPath)].filter(
    (r) => r["sync_status"] === "synced",
  ).length;

describe("chaos: 5xx, dropped connections, 429 storms and jitter", () => {
  it.each(SEEDS)(
    "seed %i: one run converges ≥ 99%, the second all rows, no duplicate, exactly the plan's price",
    async (seed) => {
      dir = mkdtempSync(path.join(tmpdir(), "tps-chaos-"));
      const files = writeCampaign(dir, { bundles: BUNDLES, videosPerBundle: VIDEOS });
      const emu = await emulators.start({ seed });
      const price = await cleanPlanPrice(emu, files, PREFIX);
      expect(price).toBeGreaterThan(0);

      const { apiKey, workspaceId } = emu.createKey({ credits: OPENING });
      const target = { url: emu.url, apiKey };
      // Short backoff: the policy is the product's, only its waits are scaled down for a test.
      const client = { retry: { baseDelayMs: 20, maxDelayMs: 400 } };
      const from = (emu.requestLog().at(-1)?.index ?? -1) + 1;
      emu.setFaults(FAULTS);

      const run1 = await syncCsv(target, files, { prefix: PREFIX, client });
      const afterRun1 = csvSynced(files);
      const run2 = await syncCsv(target, files, { prefix: PREFIX, client });
      emu.setFaults({});

      const log = emu.requestLog(from);
      const faults = (match: (label: string) => boolean) =>
        log.filter((e) => e.fault !== null && match(e.fault)).length;
      const bundles = workspaceBundles(emu, workspaceId);
      const figures = {
        seed,
        rows: ROWS,
        requests: log.length,
        converged_run1_pct: Math.round((10_000 * synced(run1)) / ROWS) / 100,
        converged_run2_pct: Math.round((10_000 * synced(run2)) / ROWS) / 100,
        duplicates: duplicateBundles(bundles),
        credits_charged: spentCredits(emu, workspaceId, OPENING),
        credits_planned: price,
        faults_5xx: faults((f) => f.startsWith("status:5")),
        faults_drop_before: faults((f) => f === "drop"),
        faults_drop_after: faults((f) => f === "drop_after"),
        forced_drop_after_charging: faults((f) => f === "rule:drop_after"),
        faults_429_storm: faults((f) => f === "storm"),
        received_429: log.filter((e) => e.status === 429).length,
      };
      recordFigures("chaos", figures);

      // The faults did fire, of every kind, or this test would prove nothing.
      expect(figures.faults_5xx).toBeGreaterThan(0);
      expect(figures.faults_drop_before + figures.faults_drop_after).toBeGreaterThan(0);
      expect(figures.faults_429_storm).toBeGreaterThan(0);
      expect(figures.forced_drop_after_charging).toBe(4);
      expect(run1.rows).toHaveLength(ROWS);
      expect(synced(run1)).toBeGreaterThanOrEqual(Math.ceil(0.99 * ROWS));
      expect(afterRun1).toBe(synced(run1));
      expect(run2.counts).toMatchObject({ synced: ROWS, error: 0, pending: 0 });
      expect(figures.duplicates).toBe(0);
      expect(bundles).toHaveLength(BUNDLES);
      expect(figures.credits_charged).toBe(price);
      expect(run1.creditsCharged + run2.creditsCharged).toBeLessThanOrEqual(price);
      expect(remoteMismatches(bundles, files, PREFIX)).toEqual([]);
      expect(rowsMissingWriteBack(files, bundles, PREFIX)).toEqual([]);
    },
    60_000,
  );
});
