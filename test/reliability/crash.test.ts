/**
 * Reliability: crash. `tokportal-sync sync --yes` runs as a child process against the emulator
 * over HTTP and is SIGKILLed at 20 seeded points during apply, then run again to completion on the same
 * CSV files. The kill point is the k-th write the child sends (k drawn over [1, writes of a clean run]),
 * either before TokPortal sees it or after TokPortal handled it but before the answer reached the child
 * (see startKillProxy). The CSV source writes back at the end of a run, so a killed run leaves the sheet
 * as it was: the rerun must find what was already done by external_ref instead of doing it again.
 *
 * After each trial: no bundle twice, no credit charged twice (spent == the clean plan's price), TokPortal
 * holds what the sheet says, and every row's results are in the CSV files.
 *
 * Replay: CRASH_SEED=<seed> [CRASH_TRIALS=<n>] npx vitest run test/reliability/crash.test.ts
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CampaignFiles, readCsvRows, writeCampaign } from "../support/campaign.ts";
import { cliEntry } from "../support/cli-entry.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { recordFigures } from "./figures.ts";
import {
  cleanPlanPrice,
  duplicateBundles,
  type KillPoint,
  type KillProxy,
  prng,
  remoteMismatches,
  rowsMissingWriteBack,
  spentCredits,
  startKillProxy,
  workspaceBundles,
} from "./support.ts";

const SEED = Number(process.env["CRASH_SEED"] ?? 8);
const TRIALS = Number(process.env["CRASH_TRIALS"] ?? 20);
const CAMPAIGN = { bundles: 4, videosPerBundle: 3 };
const PREFIX = "crash-";
const OPENING = 10_000;

let emu: TestEmulator;
let proxy: KillProxy;
const dirs: string[] = [];

beforeAll(async () => {
  emu = await startTestEmulator({ seed: SEED });
  proxy = await startKillProxy(emu.origin);
});
afterAll(async () => {
  await proxy?.stop();
  await emu?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Sheet {
  dir: string;
  config: string;
  files: CampaignFiles;
}

/** A fresh campaign folder with its CSV files and a config, as a user would have. */
function newSheet(): Sheet {
  const dir = mkdtempSync(path.join(tmpdir(), "tps-crash-"));
  dirs.push(dir);
  const files = writeCampaign(dir, CAMPAIGN);
  const config = path.join(dir, "tokportal-sync.json");
  writeFileSync(
    config,
    JSON.stringify({
      tokportal: { base_url: "https://tokportal.invalid/api/ext" },
      source: { type: "csv", bundles: "bundles.csv", videos: "videos.csv" },
      ref_prefix: PREFIX,
      defaults: { publish: true },
    }),
  );
  return { dir, config, files };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** One `sync --yes` child through the proxy, watched for `at` (null: run to its end). */
function runSync(sheet: Sheet, apiKey: string, at: KillPoint | null): Promise<Exit> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env["DEBUG"];
  delete env["FORCE_COLOR"];
  env["TOKPORTAL_BASE_URL"] = proxy.url;
  env["TOKPORTAL_API_KEY"] = apiKey;
  const child: ChildProcess = spawn(
    process.execPath,
    [cliEntry(), "sync", "--yes", "--json", "-c", sheet.config],
    {
      cwd: sheet.dir,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  // Armed before the child can have booted, let alone sent anything.
  proxy.arm(child, at);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

/**
 * A SIGKILLed run leaves its locks behind. They are taken over once stale (30 s); age them rather than
 * wait, which is what the clock would do, and exercises the take-over the next run relies on.
 */
function ageLocks(dir: string): number {
  const old = new Date(Date.now() - 120_000);
  let n = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".lock")) continue;
    utimesSync(path.join(dir, name), old, old);
    n += 1;
  }
  return n;
}

const syncedRows = (files: CampaignFiles): number =>
  [...readCsvRows(files.bundlesPath), ...readCsvRows(files.videosPath)].filter(
    (r) => r["sync_status"] === "synced",
  ).length;

interface Trial {
  at: KillPoint;
  killed: boolean;
  /** Bundles TokPortal held when the child died: what the rerun had to find rather than create. */
  bundlesAtKill: number;
  /** Rows the killed run wrote back (0: it died before its write-back, so the rerun must recover them). */
  writtenBackAtKill: number;
  rerunCode: number | null;
  rerunStderr: string;
  duplicates: number;
  overcharge: number;
  mismatches: string[];
  missingWriteBack: string[];
}

describe("crash: SIGKILL during apply, then a rerun", () => {
  it(`${TRIALS} seeded kill points (seed ${SEED}): no duplicate, no double charge, sheet and TokPortal agree`, async () => {
    // The clean run: how many writes the campaign takes, and what it costs.
    const price = await cleanPlanPrice(emu, newSheet().files, PREFIX);
    expect(price).toBeGreaterThan(0);
    const clean = newSheet();
    const cleanKey = emu.createKey({ credits: OPENING });
    const cleanExit = await runSync(clean, cleanKey.apiKey, null);
    expect(cleanExit.stderr).toBe("");
    expect(cleanExit.code).toBe(0);
    const totalWrites = proxy.status().writes;
    expect(totalWrites).toBeGreaterThan(0);
    expect(spentCredits(emu, cleanKey.workspaceId, OPENING)).toBe(price);

    const random = prng(SEED);
    const trials: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const at: KillPoint = {
        write: 1 + Math.floor(random() * totalWrites),
        when: random() < 0.5 ? "before" : "after",
      };
      const sheet = newSheet();
      const { apiKey, workspaceId } = emu.createKey({ credits: OPENING });
      const first = await runSync(sheet, apiKey, at);
      const killed = proxy.status().killed && first.signal === "SIGKILL";
      const bundlesAtKill = workspaceBundles(emu, workspaceId).length;
      const writtenBackAtKill = syncedRows(sheet.files);
      ageLocks(sheet.dir);
      const rerun = await runSync(sheet, apiKey, null);
      const bundles = workspaceBundles(emu, workspaceId);
      trials.push({
        at,
        killed,
        bundlesAtKill,
        writtenBackAtKill,
        rerunCode: rerun.code,
        rerunStderr: rerun.stderr,
        duplicates: duplicateBundles(bundles),
        overcharge: spentCredits(emu, workspaceId, OPENING) - price,
        mismatches: remoteMismatches(bundles, sheet.files, PREFIX),
        missingWriteBack: rowsMissingWriteBack(sheet.files, bundles, PREFIX),
      });
    }

    recordFigures("crash", {
      seed: SEED,
      trials: trials.length,
      killed: trials.filter((t) => t.killed).length,
      bundles_existing_at_kill: trials.reduce((n, t) => n + t.bundlesAtKill, 0),
      writes_per_clean_run: totalWrites,
      kill_points: trials.map((t) => `${t.at.write}${t.at.when === "before" ? "b" : "a"}`).join(" "),
      duplicates: trials.reduce((n, t) => n + t.duplicates, 0),
      double_charges: trials.filter((t) => t.overcharge > 0).length,
      remote_mismatches: trials.reduce((n, t) => n + t.mismatches.length, 0),
      rows_missing_writeback: trials.reduce((n, t) => n + t.missingWriteBack.length, 0),
    });

    // Per trial, so a failure names its kill point (replay it with the seed).
    const summary = trials.map((t) => ({
      at: `${t.at.write} (${t.at.when})`,
      killed: t.killed,
      writtenBackAtKill: t.writtenBackAtKill,
      rerunCode: t.rerunCode,
      rerunStderr: t.rerunStderr,
      duplicates: t.duplicates,
      overcharge: t.overcharge,
      mismatches: t.mismatches,
      missingWriteBack: t.missingWriteBack,
    }));
    const expected = summary.map((s) => ({
      ...s,
      killed: true,
      writtenBackAtKill: 0,
      rerunCode: 0,
      rerunStderr: "",
      duplicates: 0,
      overcharge: 0,
      mismatches: [],
      missingWriteBack: [],
    }));
    expect(summary).toEqual(expected);
    // Some kills left work done on TokPortal for the rerun to adopt (a kill before the first create leaves none).
    expect(trials.some((t) => t.bundlesAtKill > 0)).toBe(true);
  }, 240_000);
});
