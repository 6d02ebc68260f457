/**
 * The sandboxes of the simulated day (test/support/service-day.ts), in a process of their own so the
 * service's event loop, whose ticks are measured, is not the one serving TokPortal's side. Started as
 * `node --import tsx service-day-sandbox.ts '<json options>'`: one emulator per key, TokPortal's bucket,
 * the given clock; prints `{"urls": {...}}` on one line, then serves until killed.
 */
import { DEFAULT_BUCKET } from "../../src/emulator/bucket.ts";
import { startEmulator } from "../../src/emulator/index.ts";

const { keys, now, speed } = JSON.parse(process.argv[2] ?? "{}") as {
  keys: Record<string, string>;
  now: string;
  speed: number;
};
const urls: Record<string, { url: string; origin: string }> = {};
for (const [name, apiKey] of Object.entries(keys)) {
  const emu = await startEmulator({
    port: 0,
    apiKey,
    credits: 1_000_000,
    now,
    speed,
    seed: 1,
    quiet: true,
    bucket: DEFAULT_BUCKET,
  });
  urls[name] = { url: emu.url, origin: emu.origin };
}
process.stdout.write(`${JSON.stringify({ urls })}\n`);
