/**
 * Runs every benchmark in turn, each in its own process (so one's heap and sockets do not weigh on the
 * next), with sizes that finish in a few minutes together on 2 cores. Each one rewrites only its own
 * section of BENCHMARKS.md.
 *
 *   npm run bench                      every benchmark
 *   npm run bench -- api-throughput    only those named
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Name → arguments; the same as each file's defaults, spelled out so the reproducing command is plain. */
const BENCHES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["api-throughput", ["600", "20", "16"]],
  ["emulator-load", ["--requests", "20000", "--concurrency", "64"]],
  ["emulator-managers", ["2000,20000", "10"]],
  ["csv-read", ["100000"]],
  ["csv-writeback", ["100000"]],
  ["upload-stream", ["500"]],
  ["sheets-writeback", ["1000", "10000", "100000"]],
  ["sync-scenarios", ["100", "10", "50", "20"]],
  // TokPortal's own refill (2/s): the bound is minutes, so the baseline (half an hour at that rate) is left out.
  ["sync-scenarios", ["100", "10", "2", "20", "no-naive"]],
  ["sync-offline", []],
  ["startup", ["11"]],
  ["plan-command", []],
  ["service-memory", ["1000", "5", "50", "200"]],
  ["service-day", ["96", "2", "10", "5"]],
];

const only = process.argv.slice(2);
const unknown = only.filter((name) => !BENCHES.some(([n]) => n === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHES.map(([n]) => n).join(", ")}`);
  process.exit(2);
}

const failed: string[] = [];
for (const [name, args] of BENCHES) {
  if (only.length > 0 && !only.includes(name)) continue;
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  console.log(`\n=== ${name}: npx tsx bench/${name}.ts ${args.join(" ")}`);
  const started = performance.now();
  const run = spawnSync(process.execPath, ["--import", "tsx", file, ...args], { stdio: "inherit" });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (run.status === 0) console.log(`=== ${name}: done in ${seconds} s`);
  else {
    failed.push(name);
    console.error(`=== ${name}: failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`);
  }
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(", ")}`);
  process.exit(1);
}
