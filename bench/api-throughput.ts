/**
 * How close the client's rate gate runs to TokPortal's bucket without being refused.
 *
 *   npx tsx bench/api-throughput.ts [N=600] [refillPerSecond=20] [concurrency=16]
 *
 * N calls through the client against the emulator (bucket capacity 120, refill sped up so the run takes
 * ~25 s; the client is not told the rate, it reads it from the headers). The floor is what the bucket
 * allows: the first 120 calls at once, the rest at the refill rate, `(N − 120) / refill` seconds. Target:
 * wall time ≤ 1.10 × the floor, and no 429 received. Writes the `api-throughput` section of BENCHMARKS.md.
 */
import { TokPortalClient } from "../src/api/client.ts";
import { startEmulator } from "../src/emulator/index.ts";
import { machineLines, report } from "./report.ts";

const N = Number(process.argv[2] ?? 600);
const REFILL = Number(process.argv[3] ?? 20);
const CONCURRENCY = Number(process.argv[4] ?? 16);
const CAPACITY = 120;

const emu = await startEmulator({
  port: 0,
  quiet: true,
  seed: 1,
  bucket: { capacity: CAPACITY, refillPerSecond: REFILL },
});
const client = new TokPortalClient({ baseUrl: emu.url, apiKey: emu.apiKey, concurrency: CONCURRENCY });

const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      const i = next++;
      // The reads a sync run starts with.
      if (i % 3 === 0) await client.credits.balance();
      else if (i % 3 === 1) await client.call("getCurrentUser");
      else await client.call("listBundles", { query: { per_page: 1 } });
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const floor = (N - CAPACITY) / REFILL;
const ratio = seconds / floor;
const stats = client.stats();
const log = emu.requests().filter((e) => e.operationId !== null);
const refused = log.filter((e) => e.status === 429).length;
const learned = client.gate.state().refillPerSecond;
await client.close();
await emu.stop();

report("api-throughput", [
  "## API client throughput",
  "",
  `\`npx tsx bench/api-throughput.ts ${N} ${REFILL} ${CONCURRENCY}\`: ${N} calls (credits balance, /me, a one-item`,
  `bundle page) at concurrency ${CONCURRENCY} through \`TokPortalClient\` against the in-process emulator, bucket capacity`,
  `${CAPACITY} refilling ${REFILL}/s (the real API refills 2/s; only the ratio matters). The client starts from the`,
  "documented bucket (120, 2/s) and learns the refill from the `X-RateLimit-*` headers. Floor = the bucket's",
  `own limit, (N − ${CAPACITY}) / refill. Target: ratio ≤ 1.10, 429s = 0.`,
  "",
  ...machineLines(),
  "",
  "| calls | wall s | floor s | ratio | 429s received | 429s in emulator log | refill learned /s | retries |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|",
  `| ${N} | ${seconds.toFixed(2)} | ${floor.toFixed(2)} | ${ratio.toFixed(3)} | ${stats.rateLimited} | ${refused} | ${learned.toFixed(2)} | ${stats.retries} |`,
]);
