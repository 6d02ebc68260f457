/**
 * The simulated day of test/service/simulated-day.test.ts at full size: 12 CSV campaigns of 10 accounts ×
 * 5 videos on 4 keys, 96 ticks (a day every 15 minutes) against sandboxes with TokPortal's bucket, a
 * second service instance for part of the day, two sheets gone for part of it and one refused key. How
 * time is driven is said in test/support/service-day.ts.
 *
 *   npx tsx bench/service-day.ts [ticks=96] [tickSeconds=2] [bundles=10] [videosPerBundle=5]
 */
import {
  HEALTHY,
  REFUSED,
  REPLICA,
  runServiceDay,
  SHEETS_GONE,
  TICK_TO_LOCK_MS,
} from "../test/support/service-day.ts";
import { machineLines, report } from "./report.ts";

const [ticks = 96, tickSeconds = 2, bundles = 10, videosPerBundle = 5] = process.argv
  .slice(2)
  .map((a) => Number.parseInt(a, 10));

const day = await runServiceDay({ ticks, tickSeconds, bundles, videosPerBundle });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const healthy = day.ticks.filter((t) => HEALTHY.includes(t.campaign));
for (const pair of day.overlapping) console.log(`overlap:\n  ${pair.join("\n  ")}`);
const runsOf = (c: string) => day.records.filter((r) => r.campaign === c).length;
const pct = (f: number) => `${Math.round(f * 100)}%`;

report("service-day", [
  "## A simulated day of the service: 12 campaigns on 4 keys",
  "",
  `\`npx tsx bench/service-day.ts ${ticks} ${tickSeconds} ${bundles} ${videosPerBundle}\`: \`cron\` with 12 CSV campaigns of ${bundles} accounts × ${videosPerBundle} videos (${day.rows} rows) on 4 keys (3 per key, each key a sandbox workspace with TokPortal's bucket: 120, 2/s), ${ticks} ticks of ${tickSeconds} s real time, the sandboxes' clock at the speed that makes them one day. The bucket stays on the real clock, so each key is asked for far more per second than in a real day. Two campaigns' videos files are gone from ${pct(SHEETS_GONE[0])} to ${pct(SHEETS_GONE[1])} of the day; campaign ${REFUSED}'s key is refused all day; a second service instance over the same 12 campaigns runs from ${pct(REPLICA[0])} to ${pct(REPLICA[1])}.`,
  "",
  ...machineLines(),
  "",
  "| key | calls, one service | 429s | worst window over the bound | calls with the replica | 429s with the replica |",
  "|---|---|---|---|---|---|",
  ...day.perKey.alone.map((k, i) => {
    const r = day.perKey.withReplica[i];
    return `| ${k.key} | ${k.calls} | ${k.rateLimited} | ${k.worstExcess.toFixed(1)} | ${r?.calls} | ${r?.rateLimited} |`;
  }),
  "",
  `Runs: ${day.records.length} in ${(day.wallMs / 1000).toFixed(0)} s (${day.records.filter((r) => r.status === "failed").length} failed: the missing sheets, the refused key, waits refused while the replica shared the keys). Healthy campaigns: ${sum(healthy.map((t) => t.runs))} runs, ${sum(healthy.map((t) => t.idleTicks))} ticks at which they were free, ${sum(healthy.map((t) => t.missed))} of them missed, latest start ${Math.max(...healthy.map((t) => t.worstLateMs))} ms after its tick. ${REFUSED}: ${runsOf(REFUSED)} runs, all refused. Overlapping runs of one campaign across the two instances: ${day.overlapping.length} (and ${day.tickToLock} record pairs within ${TICK_TO_LOCK_MS} ms: a tick stamped just before the other instance released the lock).`,
  "",
  `Rows not synced by the last whole run after the sheets came back and the replica left: ${sum(
    Object.entries(day.unsynced)
      .filter(([c]) => c !== REFUSED)
      .map(([, n]) => n),
  )} of ${day.rows - day.rows / 12}; rows in error at the end: ${sum(Object.values(day.failedRows))}. A worst window at or below 0 is within the bucket's bound (capacity + 2/s × the window).`,
]);
