/**
 * Planning at scale, offline: read, validate and plan a campaign of 100,000 video rows (10,000 bundles × 10
 * videos by default) against an empty TokPortal workspace, as the first `plan` of a large campaign would.
 * No network: the actual state is empty, so every bundle is a create and every video a configure.
 *
 *   npx tsx bench/sync-offline.ts [bundles=10000] [videosPerBundle=10]
 *
 * Times each stage (CSV read, typing, desired state, plan) and the peak RSS of the process. Target:
 * ≤ 5 s and ≤ 600 MB for 100,000 rows. Writes the `sync-offline` section of BENCHMARKS.md.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CREDIT_COSTS } from "../src/emulator/prices.ts";
import { coerceCampaign } from "../src/sources/coerce.ts";
import { createSource } from "../src/sources/index.ts";
import { buildDesired } from "../src/sync/desired.ts";
import { planSync } from "../src/sync/plan.ts";
import type { ActualState } from "../src/sync/types.ts";
import { writeCampaign } from "../test/support/campaign.ts";
import { machineLines, report } from "./report.ts";

const BUNDLES = Number(process.argv[2] ?? 10_000);
const VIDEOS = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(path.join(tmpdir(), "tps-offline-"));
const files = writeCampaign(dir, { bundles: BUNDLES, videosPerBundle: VIDEOS, startDate: "2027-03-01" });
const sizeMb = (statSync(files.bundlesPath).size + statSync(files.videosPath).size) / 1024 / 1024;
const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

const stages: Array<[string, number]> = [];
const startedAll = performance.now();
let t = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  stages.push([name, (now - t) / 1000]);
  t = now;
};

const source = createSource({ type: "csv", bundles: "bundles.csv", videos: "videos.csv" }, { baseDir: dir });
const tables = await source.read();
lap("read (CSV, both tables)");
const campaign = coerceCampaign(tables);
lap("type the cells");
const desired = buildDesired(campaign, {
  prefix: "acme-",
  defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: true },
  baseDir: dir,
});
lap("validate (desired state)");
const actual: ActualState = { byExternalRef: new Map(), orphanBundles: [], today: "2027-02-01" };
const plan = planSync(desired, actual, {
  prune: false,
  costs: { ...CREDIT_COSTS },
  balance: null,
  maxCredits: null,
  now: new Date().toISOString(),
});
lap("plan");
const total = (performance.now() - startedAll) / 1000;
const rss = peakRssMb();
rmSync(dir, { recursive: true, force: true });

const rows = campaign.videos.length;
const issues = desired.issues.length;
report("sync-offline", [
  "## Read, validate and plan 100,000 rows (offline)",
  "",
  `\`npx tsx bench/sync-offline.ts ${BUNDLES} ${VIDEOS}\`: ${BUNDLES.toLocaleString("en")} bundles × ${VIDEOS} videos = ${rows.toLocaleString("en")} video rows`,
  `(${sizeMb.toFixed(1)} MB of CSV) read through the CSV source, typed, validated into the desired state and planned against`,
  "an empty workspace (every bundle a create, every video a configure), in one process. Target: ≤ 5 s and ≤ 600 MB",
  "peak RSS.",
  "",
  ...machineLines(),
  "",
  "| stage | seconds |",
  "|---|---:|",
  ...stages.map(([name, s]) => `| ${name} | ${s.toFixed(2)} |`),
  `| **total** | **${total.toFixed(2)}** |`,
  "",
  `Peak RSS ${rss.toFixed(0)} MB. Plan: ${plan.ops.length.toLocaleString("en")} operations, ${plan.totals.cost.toLocaleString("en")} credits, ${plan.rows.length.toLocaleString("en")} rows, ${issues} row issues.`,
]);
