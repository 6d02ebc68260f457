/**
 * The service's memory over many runs: `cron` (in this process, as `tokportal-sync cron` runs it) with a
 * few CSV campaigns on two keys, ticking every second, against a sandbox in a child process (so its
 * request log, idempotency store and world do not count as the service's memory). Every `every` runs it
 * collects garbage and samples the heap used and the RSS; the growth after warm-up is the last sample
 * over the first one after it. The target: within 10%.
 *
 *   npx tsx bench/service-memory.ts [runs=1000] [campaigns=5] [every=50] [warmup=200]
 *
 * The sandbox's clock runs an hour per second, so over the bench the campaigns' videos are posted and
 * later runs read analytics too: runs of every kind a day brings, not one repeated.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { writeHeapSnapshot } from "node:v8";
import { runCronCommand } from "../src/cli/cron-run.ts";
import { startEmulator } from "../src/emulator/index.ts";
import { createServiceLogger } from "../src/service/logger.ts";
import { writeCampaign } from "../test/support/campaign.ts";
import { firstJsonLine } from "../test/support/streams.ts";
import { machineLines, report } from "./report.ts";

/** A bucket the campaigns never meet: this bench measures memory, not waiting. */
const BUCKET = { capacity: 100_000, refillPerSecond: 100_000 };
const SELF = fileURLToPath(import.meta.url);

// The sandbox, as a child: prints its URL and two keys on one line, then serves until killed.
if (process.argv[2] === "sandbox") {
  const emu = await startEmulator({
    port: 0,
    credits: 10_000_000,
    now: "2026-09-01T00:00:00Z",
    speed: 3600,
    seed: 1,
    quiet: true,
    bucket: BUCKET,
  });
  const second = await emu.createKey({ credits: 10_000_000 });
  process.stdout.write(`${JSON.stringify({ url: emu.url, keys: [emu.apiKey, second.apiKey] })}\n`);
  await new Promise(() => undefined);
}

// Samples after a full collection: re-run with --expose-gc when it is not on.
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const run = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", SELF, ...process.argv.slice(2)],
    {
      stdio: "inherit",
    },
  );
  process.exit(run.status ?? 1);
}

const [runs = 1000, campaignCount = 5, every = 50, warmup = 200] = process.argv
  .slice(2)
  .map((a) => Number.parseInt(a, 10));

function startSandbox(): Promise<{ child: ChildProcess; url: string; keys: [string, string] }> {
  const child = spawn(process.execPath, ["--import", "tsx", SELF, "sandbox"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return firstJsonLine<{ url: string; keys: [string, string] }>(child, "the sandbox").then((line) => ({
    child,
    ...line,
  }));
}

interface Sample {
  runs: number;
  heapMb: number;
  rssMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

const sandbox = await startSandbox();
const dir = mkdtempSync(path.join(tmpdir(), "tps-memory-"));
try {
  const names = Array.from({ length: campaignCount }, (_, i) => `m${i + 1}`);
  const campaigns = names.map((name, i) => {
    mkdirSync(path.join(dir, name));
    writeCampaign(path.join(dir, name), { bundles: 3, videosPerBundle: 3, startDate: "2026-09-05" });
    return {
      name,
      // Most campaigns share the first key (and its gate); the others the second.
      tokportal: { base_url: sandbox.url, api_key_env: i < Math.ceil(campaignCount / 2) ? "KEY_1" : "KEY_2" },
      source: { type: "csv", bundles: `${name}/bundles.csv`, videos: `${name}/videos.csv` },
      ref_prefix: `${name}-`,
      defaults: { publish: true },
      max_credits: 10_000,
      schedule: "* * * * * *",
      timezone: "UTC",
    };
  });
  const file = path.join(dir, "service.json");
  writeFileSync(file, JSON.stringify({ campaigns }));

  let ended = 0;
  let failed = 0;
  const samples: Sample[] = [];
  let next = 0;
  let stop: (s: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => {
    stop = resolve;
  });
  // SERVICE_MEMORY_SNAPSHOTS=DIR: a heap snapshot after warm-up and at the end, to compare when it grows.
  const snapshots = process.env.SERVICE_MEMORY_SNAPSHOTS;
  let snapped = false;
  const sample = () => {
    gc?.();
    if (snapshots && ((!snapped && ended >= warmup) || ended >= runs)) {
      snapped = true;
      console.log(
        `heap snapshot: ${writeHeapSnapshot(path.join(snapshots, `service-${ended}.heapsnapshot`))}`,
      );
    }
    const m = process.memoryUsage();
    samples.push({ runs: ended, heapMb: mb(m.heapUsed), rssMb: mb(m.rss) });
    console.log(`runs ${ended}: heap ${mb(m.heapUsed)} MB, rss ${mb(m.rss)} MB`);
  };
  const logs = new Writable({
    write(chunk, _enc, done) {
      for (const m of String(chunk).matchAll(/"event":"(run_finished|run_failed)"/g)) {
        ended++;
        if (m[1] === "run_failed") failed++;
      }
      if (ended >= next) {
        next += every;
        // Outside the logger's write: sampling collects garbage, which must not run inside a log call.
        setImmediate(sample);
      }
      if (ended >= runs) stop("SIGTERM");
      done();
    },
  });
  const started = performance.now();
  const code = await runCronCommand(
    { config: file, stateDir: path.join(dir, "state"), healthHost: "127.0.0.1" },
    {
      stderr: process.stderr,
      env: { KEY_1: sandbox.keys[0], KEY_2: sandbox.keys[1] },
      logger: createServiceLogger({ destination: logs, apiKeys: sandbox.keys }),
      stopSignal,
      gate: BUCKET,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`cron exited ${code}`);
  await new Promise((r) => setImmediate(r));
  gc?.();
  const stoppedHeapMb = mb(process.memoryUsage().heapUsed);

  const after = samples.filter((s) => s.runs >= warmup);
  const base = after[0] as Sample;
  // The last sample while the service ran: after the stop its runs' garbage is gone, which would flatter it.
  const last = samples.at(-1) as Sample;
  const growth = (pick: (s: Sample) => number) => ((pick(last) - pick(base)) / pick(base)) * 100;
  const peak = (pick: (s: Sample) => number) => Math.max(...after.map(pick));
  const pct = (n: number) => `${n >= 0 ? "+" : ""}${n.toFixed(1)}%`;
  const heapGrowth = growth((s) => s.heapMb);
  const rssGrowth = growth((s) => s.rssMb);
  report("service-memory", [
    "## The service's memory over many runs",
    "",
    `\`npx tsx bench/service-memory.ts ${runs} ${campaignCount} ${every} ${warmup}\`: \`cron\` in process with ${campaignCount} CSV campaigns (3 bundles × 3 videos) on 2 keys, ticking every second, against a sandbox in a child process (its clock an hour per second, so videos post and later runs read analytics). Heap used after a full GC and RSS, every ${every} runs; growth is the last sample over the first after ${warmup} runs of warm-up. Target: within 10%.`,
    "",
    ...machineLines(),
    "",
    "| | after warm-up | at the end | peak after warm-up | growth |",
    "|---|---|---|---|---|",
    `| heap used (MB) | ${base.heapMb} (${base.runs} runs) | ${last.heapMb} (${last.runs} runs) | ${peak((s) => s.heapMb)} | ${pct(heapGrowth)} |`,
    `| RSS (MB) | ${base.rssMb} | ${last.rssMb} | ${peak((s) => s.rssMb)} | ${pct(rssGrowth)} |`,
    "",
    `${ended} runs (${failed} failed) in ${seconds.toFixed(0)} s; heap ${stoppedHeapMb} MB once the service stopped. Heap by runs: ${samples.map((s) => `${s.runs}: ${s.heapMb}`).join(", ")}.`,
    "",
    Math.abs(heapGrowth) <= 10 && Math.abs(rssGrowth) <= 10 ? "Within the target." : "**Over the target.**",
  ]);
} finally {
  sandbox.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
