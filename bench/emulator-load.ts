/**
 * Load on the emulator: N authenticated GET /credits/balance at a fixed concurrency through an undici Pool,
 * with the token bucket raised out of the way. The emulator runs in a child process (as `tokportal-sync
 * emulator` would), so client and server each get a core of this 2-core machine.
 *
 *   npx tsx bench/emulator-load.ts [--requests 20000] [--concurrency 64]
 *
 * Writes the `emulator-load` section of BENCHMARKS.md.
 */
import { Pool } from "undici";
import { startEmulatorChild } from "./emulator-child.ts";
import { machineLines, report } from "./report.ts";

const SECTION = "emulator-load";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

await main();

async function main(): Promise<void> {
  const requests = arg("requests", 20_000);
  const concurrency = arg("concurrency", 64);
  const warmup = Math.min(1_000, requests);
  const server = await startEmulatorChild({ seed: 1, bucket: { capacity: 1e9, refillPerSecond: 1e9 } });
  try {
    const { url, apiKey } = server;
    const base = new URL(url);
    const pool = new Pool(base.origin, { connections: concurrency, pipelining: 1 });
    const path = `${base.pathname}/credits/balance`;
    let failures = 0;
    const one = async (): Promise<number> => {
      const t0 = performance.now();
      const res = await pool.request({ method: "GET", path, headers: { "x-api-key": apiKey } });
      await res.body.text();
      if (res.statusCode !== 200) failures++;
      return performance.now() - t0;
    };
    const run = async (n: number): Promise<{ latencies: number[]; seconds: number }> => {
      const latencies: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) {
            next++;
            latencies.push(await one());
          }
        }),
      );
      return { latencies, seconds: (performance.now() - t0) / 1000 };
    };
    await run(warmup);
    failures = 0;
    const { latencies, seconds } = await run(requests);
    await pool.close();
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const result = {
      requests,
      concurrency,
      failures,
      seconds,
      rps: requests / seconds,
      p50: pct(50),
      p99: pct(99),
      max: latencies[latencies.length - 1] ?? 0,
    };
    reportResult(result);
  } finally {
    await server.stop();
  }
}

function reportResult(r: {
  requests: number;
  concurrency: number;
  failures: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
}): void {
  report(SECTION, [
    "## Emulator load",
    "",
    `\`npx tsx bench/emulator-load.ts --requests ${r.requests} --concurrency ${r.concurrency}\` (the defaults). Authenticated`,
    "`GET /api/ext/credits/balance` through an undici Pool against the emulator in a child process, token",
    "bucket raised out of the way; 1,000 warm-up requests are not counted.",
    "",
    ...machineLines(),
    "",
    "| requests | concurrency | non-200 | seconds | req/s | p50 ms | p99 ms | max ms |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${r.requests} | ${r.concurrency} | ${r.failures} | ${r.seconds.toFixed(2)} | ${Math.round(r.rps)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} |`,
  ]);
}
