/**
 * The quick start's working folder: a copy of the example campaign and a config that runs it on the
 * in-process sandbox. Created when absent and kept when present, so the user's edits survive a rerun;
 * the tracked files it copies from are only ever read.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import writeFileAtomic from "write-file-atomic";
import type { SandboxClock } from "./runtime.ts";

/** The repository (package) root, found from this file, so the default folder does not depend on cwd. */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const DEFAULT_WORKING_DIR = path.join(PACKAGE_ROOT, ".sandbox");
export const EXAMPLE_CAMPAIGN_DIR = path.join(PACKAGE_ROOT, "fixtures", "campaign");
export const CONFIG_NAME = "tokportal-sync.json";
export const CAMPAIGN_DIR = "campaign";

/**
 * A fresh sandbox's clock: a fixed start before the example campaign's dates (2027-03-01…05), so they are
 * always far enough ahead, standing still (only the quick start moves it), with a fixed seed: two fresh
 * quick starts give the same ids, dates and analytics.
 */
export const QUICKSTART_CLOCK: SandboxClock = { start: "2027-02-20T09:00:00.000Z", speed: 0, seed: 2027 };

export interface WorkingFolder {
  dir: string;
  configFile: string;
  /** Files this call wrote (absolute paths); empty when everything was already there. */
  created: string[];
}

/** The config the quick start writes: the sandbox, the copied CSVs, a prefix of its own, a budget. */
export function quickstartConfig(dir: string): Record<string, unknown> {
  const schema = path.relative(dir, path.join(PACKAGE_ROOT, "config.schema.json")).split(path.sep).join("/");
  return {
    $schema: schema,
    tokportal: { base_url: "sandbox" },
    source: {
      type: "csv",
      bundles: `${CAMPAIGN_DIR}/bundles.csv`,
      videos: `${CAMPAIGN_DIR}/videos.csv`,
      run_log: true,
      analytics_history: true,
    },
    ref_prefix: "quickstart-",
    defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: true },
    max_credits: 1000,
  };
}

/** Makes sure `dir` holds the campaign CSVs and the config; writes only what is missing. */
export async function prepareWorkingFolder(
  dir: string,
  exampleDir: string = EXAMPLE_CAMPAIGN_DIR,
): Promise<WorkingFolder> {
  const created: string[] = [];
  const campaign = path.join(dir, CAMPAIGN_DIR);
  mkdirSync(campaign, { recursive: true });
  const csvs = readdirSync(exampleDir).filter((f) => f.endsWith(".csv"));
  if (csvs.length === 0) throw new Error(`No example campaign CSV in ${exampleDir}.`);
  for (const name of csvs.sort()) {
    const target = path.join(campaign, name);
    if (existsSync(target)) continue;
    copyFileSync(path.join(exampleDir, name), target);
    created.push(target);
  }
  const configFile = path.join(dir, CONFIG_NAME);
  if (!existsSync(configFile)) {
    await writeFileAtomic(configFile, `${JSON.stringify(quickstartConfig(dir), null, 2)}\n`);
    created.push(configFile);
  }
  return { dir, configFile, created };
}
