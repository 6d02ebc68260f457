/**
 * The sync against TokPortal's rate limit: how many calls each scenario makes against the fewest it needs,
 * and how long it takes against the lower bound the token bucket allows for those calls.
 *
 *   npx tsx bench/sync-scenarios.ts [bundles=100] [videosPerBundle=10] [refillPerSecond=50] [latencyMs=20] [no-naive]
 *
 * Emulator in a child process on 127.0.0.1 with `latencyMs` added to every request and a bucket of 120 refilling
 * `refillPerSecond` (the real API refills 2/s, which makes the cold run ~2.5 minutes; 50/s keeps the whole
 * benchmark short, and the ratios are what count). Scenarios, in order on one emulator, the way a campaign
 * is run (prepared and reviewed with publish = no, then released):
 *   cold       the campaign on an empty workspace: bundles created, accounts and videos configured
 *   rerun      the same sheet again, nothing changed
 *   edit-5%    5% of the video rows get a new description (spread over the bundles)
 *   publish    every row's publish cell set to yes: each bundle published
 *   analytics  the clock moves past the target dates (videos get posted), then an analytics-only run
 * and, on a fresh emulator, a naive row-by-row baseline of the cold scenario (what a no-code flow does:
 * per video row, sequentially: look the bundle up, create it and configure its account if missing,
 * configure the one video, read the video's analytics).
 * Bound for a run = max(0, calls − 120) / refill (seconds): below the bucket's capacity the rate limit
 * costs nothing and only latency counts. `no-naive` leaves the baseline out (at the real 2/s it alone takes
 * half an hour). Writes the `sync-scenarios-<refill>` section of BENCHMARKS.md, so both variants stand.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TokPortalClient } from "../src/api/client.ts";
import { idempotencyKey } from "../src/api/idempotency.ts";
import type { RequestLogEntry } from "../src/emulator/request-log.ts";
import type { RunReport } from "../src/sync/types.ts";
import { campaignRows, editCsv, syncCsv, writeCampaign } from "../test/support/campaign.ts";
import { type EmulatorChild, startEmulatorChild } from "./emulator-child.ts";
import { machineLines, report } from "./report.ts";

const BUNDLES = Number(process.argv[2] ?? 100);
const VIDEOS = Number(process.argv[3] ?? 10);
const REFILL = Number(process.argv[4] ?? 50);
const LATENCY = Number(process.argv[5] ?? 20);
const WITH_NAIVE = process.argv[6] !== "no-naive";
const CAPACITY = 120;
const NOW = "2026-09-01T12:00:00.000Z";
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

interface Row {
  scenario: string;
  calls: number;
  minimum: number;
  writes: number;
  rateLimited: number;
  seconds: number;
  byOperation: Record<string, number>;
  note: string;
}

/** In a child process, as TokPortal is a service of its own (bench/emulator-child.ts says why). */
function emulator(): Promise<EmulatorChild> {
  return startEmulatorChild({
    seed: 1,
    speed: 0,
    now: NOW,
    credits: 1_000_000,
    bucket: { capacity: CAPACITY, refillPerSecond: REFILL },
    faults: { latencyMs: LATENCY },
  });
}

function apiCalls(log: RequestLogEntry[]): RequestLogEntry[] {
  return log.filter((e) => e.operationId !== null);
}

function byOperation(log: RequestLogEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of log) out[e.operationId!] = (out[e.operationId!] ?? 0) + 1;
  return out;
}

/** How far each emulator's request log has been read. */
const logged = new Map<EmulatorChild, number>();

/** Runs one scenario and reads what TokPortal saw from the emulator's request log. */
async function measure(
  emu: EmulatorChild,
  scenario: string,
  minimum: number,
  run: () => Promise<RunReport | undefined>,
  note = "",
): Promise<Row> {
  // Each scenario starts with a full bucket, as the bound assumes (the previous one may have emptied it).
  await new Promise((resolve) => setTimeout(resolve, (CAPACITY / REFILL) * 1000 + 250));
  const from = (await emu.requests(logged.get(emu) ?? 0)).next;
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const { entries, next } = await emu.requests(from);
  logged.set(emu, next);
  const log = apiCalls(entries);
  return {
    scenario,
    calls: log.length,
    minimum,
    writes: log.filter((e) => WRITES.has(e.method)).length,
    rateLimited: log.filter((e) => e.status === 429).length,
    seconds,
    byOperation: byOperation(log),
    note: note || (result ? `rows: ${result.counts.synced} synced, ${result.counts.error} error` : ""),
  };
}

const bound = (calls: number): number => Math.max(0, calls - CAPACITY) / REFILL;

// ——— our sync ———

const dir = mkdtempSync(path.join(tmpdir(), "tps-bench-"));
const files = writeCampaign(dir, { bundles: BUNDLES, videosPerBundle: VIDEOS, publish: false });
const emu = await emulator();
const target = { url: emu.url, apiKey: emu.apiKey };
const rows: Row[] = [];
const pages = Math.max(1, Math.ceil(BUNDLES / 100));

// The countries read checks that new accounts can be ordered in their country before anything is paid.
rows.push(await measure(emu, "cold", 1 + 3 + 3 * BUNDLES, () => syncCsv(target, files)));
rows.push(await measure(emu, "rerun, no change", pages + BUNDLES, () => syncCsv(target, files)));

const editEvery = 20; // 5% of the video rows
const touched = new Set<string>();
editCsv(files.videosPath, (all) =>
  all.map((r, i) => {
    if (i % editEvery !== 0) return r;
    touched.add(r["bundle_ref"]!);
    return { ...r, description: `${r["description"]} (edited)` };
  }),
);
rows.push(
  await measure(emu, "rerun, 5% of video rows edited", pages + BUNDLES + touched.size, () =>
    syncCsv(target, files),
  ),
);

const publishAll = (all: Record<string, string>[]) => all.map((r) => ({ ...r, publish: "yes" }));
editCsv(files.bundlesPath, publishAll);
editCsv(files.videosPath, publishAll);
rows.push(
  await measure(emu, "publish (publish set to yes)", pages + 2 * BUNDLES, () => syncCsv(target, files)),
);

// Posts go live on their target dates (17:00 UTC); give the managers a day past the last one.
await emu.advance((VIDEOS + 10) * 86_400);
rows.push(
  await measure(emu, "analytics only (after the posts)", 1, () =>
    syncCsv(target, files, { mode: "analytics" }),
  ),
);
await emu.stop();

// ——— the naive row-by-row baseline ———

async function runNaive(): Promise<Row> {
  const naiveEmu = await emulator();
  const client = new TokPortalClient({ baseUrl: naiveEmu.url, apiKey: naiveEmu.apiKey, concurrency: 1 });
  const { bundles, videos } = campaignRows({ bundles: BUNDLES, videosPerBundle: VIDEOS });
  const key = (ref: string, operation: string) =>
    idempotencyKey({ prefix: "naive", ref, operation, fingerprint: "v1" });
  const row = await measure(
    naiveEmu,
    "naive row by row (cold)",
    1 + 2 + 3 * BUNDLES,
    async () => {
      const position = new Map<string, number>();
      for (const v of videos) {
        const ref = v["bundle_ref"]!;
        const b = bundles.find((x) => x["bundle_ref"] === ref)!;
        let found: string | null = null;
        for await (const x of client.bundles.list({ external_ref: `naive-${ref}` })) found = x.id;
        if (found === null) {
          const created = await client.bundles.create(
            {
              bundle_type: "account_and_videos",
              platform: "tiktok",
              country: b["country"]!,
              videos_quantity: VIDEOS,
              external_ref: `naive-${ref}`,
            },
            { idempotencyKey: key(ref, "create") },
          );
          found = created.data.id;
          await client.account.configure(
            found,
            {
              username: b["username"]!,
              visible_name: b["visible_name"]!,
              biography: b["biography"]!,
              profile_picture_url: b["profile_picture"]!,
            },
            { idempotencyKey: key(ref, "account") },
          );
        }
        const pos = (position.get(ref) ?? 0) + 1;
        position.set(ref, pos);
        const video = await client.videos.configure(
          found,
          pos,
          {
            video_type: "video",
            description: v["description"]!,
            target_publish_date: v["target_publish_date"]!,
            video_url: v["video_url"]!,
            external_ref: v["video_ref"]!,
          },
          { idempotencyKey: key(`${ref}/${pos}`, "configure") },
        );
        try {
          await client.analytics.video(video.data.id ?? "");
        } catch {
          // Not posted yet: the flow reads it anyway, and gets a 404.
        }
      }
      return undefined;
    },
    `${videos.length} rows, one at a time`,
  );
  await client.close();
  await naiveEmu.stop();
  return row;
}
const naive = WITH_NAIVE ? await runNaive() : null;
rmSync(dir, { recursive: true, force: true });

// ——— report ———

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const all = naive ? [...rows, naive] : rows;
const table = all.map((r) => {
  const b = bound(r.calls);
  const timeRatio = b > 0 ? fmt(r.seconds / b) : "n/a (under capacity)";
  return `| ${r.scenario} | ${r.calls} | ${r.minimum} | ${fmt(r.calls / r.minimum)} | ${r.writes} | ${r.rateLimited} | ${fmt(r.seconds)} | ${fmt(b)} | ${timeRatio} |`;
});
const ops = all.map(
  (r) =>
    `- ${r.scenario}: ${Object.entries(r.byOperation)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, n]) => `${op} ${n}`)
      .join(", ")}${r.note ? ` (${r.note})` : ""}`,
);
const cold = rows[0]!;
report(`sync-scenarios-${REFILL}`, [
  `## Sync scenarios against the rate-limit bound (refill ${REFILL}/s)`,
  "",
  `\`npx tsx bench/sync-scenarios.ts ${BUNDLES} ${VIDEOS} ${REFILL} ${LATENCY}${WITH_NAIVE ? "" : " no-naive"}\`: a campaign of ${BUNDLES} bundles × ${VIDEOS} videos`,
  `synced through CSV files against the emulator (in a child process: bench/emulator-child.ts) on 127.0.0.1 with ${LATENCY} ms added to every request and a bucket of`,
  `${CAPACITY} refilling ${REFILL}/s (${REFILL === 2 ? "TokPortal's own rate" : "the real API: 2/s; the ratios are what count"}). Minimum = the fewest calls the scenario`,
  `needs: cold = 1 bundle page + prices + balance + countries + 3 per bundle (create, account, one batch); a rerun = 1 page +`,
  `1 video list per bundle (+ 1 batch per edited bundle, + 1 publish per bundle); analytics = 1 export. The campaign`,
  "is prepared with publish = no, edited, then released, as an agency reviews before paying managers' time.",
  `Bound = max(0, calls − ${CAPACITY}) /`,
  `${REFILL} s. Targets: calls ≤ 1.05 × minimum, wall ≤ 1.15 × bound, 0 429s, the rerun writes nothing, ≥ 4× faster than`,
  "the naive baseline on the cold scenario.",
  "",
  ...machineLines(),
  "",
  "| scenario | calls | minimum | calls / min | writes | 429s | wall s | bound s | wall / bound |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...table,
  "",
  ...(naive
    ? [
        `Cold sync vs the naive baseline: ${fmt(naive.seconds / cold.seconds, 1)}× faster, ${fmt(naive.calls / cold.calls, 1)}× fewer calls.`,
        "",
      ]
    : []),
  "Calls by operation:",
  ...ops,
]);
