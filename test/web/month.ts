/**
 * A simulated month of a campaign on the sandbox: the example campaign (dates moved into the month),
 * one sync a day on the sandbox's clock, each run recorded in the run history as the service records
 * it. The month ends about now, so "today" and "this month" on the pages are the real ones.
 */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runOptionsOf } from "../../src/cli/command.ts";
import { exitCodeForReport } from "../../src/cli/outcome.ts";
import { openRuntime } from "../../src/cli/runtime.ts";
import { loadConfig } from "../../src/config/load.ts";
import { RunHistory } from "../../src/service/history.ts";
import { type RunRecord, runRecordOf } from "../../src/service/run-record.ts";
import { summarizeReport } from "../../src/service/run-summary.ts";
import { runSync } from "../../src/sync/run.ts";
import { root } from "../cli/cli-harness.ts";
import { editCsv } from "../support/campaign.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

export const KEY = `sk_${"d4".repeat(32)}`;
export const CAMPAIGN = "spring";
const DAY = 86_400_000;

export interface Month {
  emu: TestEmulator;
  dir: string;
  config: string;
  stateDir: string;
  videosCsv: string;
  bundlesCsv: string;
  records: RunRecord[];
  env: Record<string, string>;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function simulateMonth(dir: string, days = 30): Promise<Month> {
  const start = Date.parse(`${day(Date.now() - days * DAY)}T09:00:00.000Z`);
  const emu = await startTestEmulator({
    apiKey: KEY,
    credits: 100_000,
    now: start,
    bucket: { capacity: 1000, refillPerSecond: 500 },
  });
  const camp = path.join(dir, CAMPAIGN);
  mkdirSync(camp, { recursive: true });
  cpSync(path.join(root, "fixtures/campaign"), camp, { recursive: true });
  const videosCsv = path.join(camp, "videos.csv");
  // Posting dates spread over the month: two videos a day per bundle from day 8 on.
  editCsv(videosCsv, (rows) => {
    const seen = new Map<string, number>();
    for (const r of rows) {
      const n = seen.get(r["bundle_ref"] ?? "") ?? 0;
      seen.set(r["bundle_ref"] ?? "", n + 1);
      r["target_publish_date"] = day(start + (8 + Math.floor(n / 2) + n) * DAY);
    }
    return rows;
  });
  const config = path.join(camp, `${CAMPAIGN}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      tokportal: { base_url: emu.url, api_key_env: "WEB_KEY" },
      source: {
        type: "csv",
        bundles: "bundles.csv",
        videos: "videos.csv",
        run_log: true,
        analytics_history: true,
      },
      ref_prefix: "web-",
      defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: true },
      max_credits: 1000,
      schedule: "0 0 1 1 *",
    }),
  );
  const env = { WEB_KEY: KEY };
  const stateDir = path.join(dir, "state");
  const history = new RunHistory(stateDir);
  const loaded = loadConfig(config, env);
  const records: RunRecord[] = [];
  for (let i = 0; i < days; i++) {
    const runtime = await openRuntime(loaded);
    try {
      const at = new Date(emu.clock.now());
      const report = await runSync({
        ...runOptionsOf(loaded, runtime),
        maxCredits: 1000,
        prune: false,
        mode: "apply",
        confirm: async () => true,
        now: () => new Date(emu.clock.now()),
      });
      const summary = summarizeReport(report, {
        run: i + 1,
        startedAt: at,
        finishedAt: at,
        stopped: false,
        nextRunAt: null,
      });
      const record = runRecordOf(summary, report, {
        campaign: CAMPAIGN,
        trigger: "cron",
        exitCode: exitCodeForReport(report),
      });
      await history.append(record);
      records.push(record);
    } finally {
      await runtime.close();
    }
    await emu.advance(86_400);
  }
  return { emu, dir, config, stateDir, videosCsv, bundlesCsv: path.join(camp, "bundles.csv"), records, env };
}
