/**
 * The measured process of bench/sync-offline.ts: reads, types, validates and plans the campaign in the
 * folder it is given, as the first `plan` of a large campaign would, and prints one JSON `Measure`.
 * The parent runs it bundled (bench/compiled.ts); `npx tsx bench/sync-offline-child.ts <dir>` runs it from
 * the sources.
 */
import { CREDIT_COSTS } from "../src/emulator/prices.ts";
import { coerceCampaign } from "../src/sources/coerce.ts";
import { createSource } from "../src/sources/index.ts";
import { buildDesired } from "../src/sync/desired.ts";
import { planSync } from "../src/sync/plan.ts";
import type { Measure, Stage } from "./sync-offline-measure.ts";

async function measure(dir: string): Promise<Measure> {
  const seconds = {} as Record<Stage, number>;
  const cpuStart = process.cpuUsage();
  const startedAll = performance.now();
  let t = startedAll;
  const lap = (stage: Stage) => {
    const now = performance.now();
    seconds[stage] = (now - t) / 1000;
    t = now;
  };
  const source = createSource(
    { type: "csv", bundles: "bundles.csv", videos: "videos.csv" },
    { baseDir: dir },
  );
  const tables = await source.read();
  lap("read");
  const campaign = coerceCampaign(tables);
  lap("type");
  const desired = buildDesired(campaign, {
    prefix: "acme-",
    defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: true },
    baseDir: dir,
  });
  lap("validate");
  const plan = planSync(
    desired,
    { byExternalRef: new Map(), orphanBundles: [], today: "2027-02-01" },
    {
      prune: false,
      costs: { ...CREDIT_COSTS },
      balance: null,
      maxCredits: null,
      now: new Date().toISOString(),
    },
  );
  lap("plan");
  const cpu = process.cpuUsage(cpuStart);
  return {
    rows: campaign.videos.length,
    seconds,
    total: (performance.now() - startedAll) / 1000,
    cpu: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ops: plan.ops.length,
    issues: desired.issues.length,
  };
}

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write("usage: sync-offline-child <campaign folder>\n");
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await measure(dir))}\n`);
