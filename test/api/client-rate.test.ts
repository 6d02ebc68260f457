/**
 * The rate gate against the emulator's real token bucket, over HTTP: many calls at once, and not one 429
 * as counted by the emulator's own request log.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

let emu: TestEmulator | undefined;
let client: TokPortalClient | undefined;

afterEach(async () => {
  await client?.close();
  await emu?.stop();
  client = undefined;
  emu = undefined;
});

/** Runs `n` calls with `concurrency` workers; returns the elapsed milliseconds. */
async function burst(c: TokPortalClient, n: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      // A mix of reads, as a sync run does before it writes.
      if (i % 3 === 0) await c.credits.balance();
      else if (i % 3 === 1) await c.call("getCurrentUser");
      else await c.call("listBundles", { query: { per_page: 1 } });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - started;
}

describe("one rate gate for every concurrent call", () => {
  it("500 calls at concurrency 16 against a 120-token bucket refilling 100/s: zero 429s", async () => {
    // The default refill (2/s) would make this take 190 s; the client is not told the faster rate, it
    // learns it from the X-RateLimit-* headers.
    emu = await startTestEmulator({ bucket: { capacity: 120, refillPerSecond: 100 } });
    client = new TokPortalClient({ baseUrl: emu.url, apiKey: emu.apiKey, concurrency: 16 });
    // Sixteen calls waiting at once must not look like a listener leak to Node.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    const elapsed = await burst(client, 500, 16).finally(() => process.off("warning", onWarning));
    expect(warnings).toEqual([]);
    const log = emu.requestLog().filter((e) => e.operationId !== null);
    expect(log).toHaveLength(500);
    expect(log.filter((e) => e.status === 429)).toHaveLength(0);
    expect(client.stats()).toMatchObject({ rateLimited: 0, retries: 0, attempts: 500 });
    const learned = client.gate.state().refillPerSecond;
    expect(learned).toBeGreaterThan(80);
    expect(learned).toBeLessThanOrEqual(100);
    // (500 − 120) / 100 = 3.8 s is the bucket's floor; the gate should not be far above it.
    expect(elapsed).toBeGreaterThan(3500);
  });

  it("130 calls at concurrency 16 against the default bucket (120, 2/s): zero 429s", async () => {
    // The documented bucket, unchanged: 10 calls beyond the capacity cost 5 s of refill.
    emu = await startTestEmulator();
    client = new TokPortalClient({ baseUrl: emu.url, apiKey: emu.apiKey, concurrency: 16 });
    await burst(client, 130, 16);
    const log = emu.requestLog().filter((e) => e.operationId !== null);
    expect(log).toHaveLength(130);
    expect(log.filter((e) => e.status === 429)).toHaveLength(0);
    expect(client.stats().rateLimited).toBe(0);
  }, 25_000);

  it("a 429 from a storm pauses the whole client and costs no retry budget", async () => {
    emu = await startTestEmulator({
      bucket: { capacity: 120, refillPerSecond: 100 },
      faults: { storm: { everyRequests: 20, length: 2 } },
    });
    client = new TokPortalClient({
      baseUrl: emu.url,
      apiKey: emu.apiKey,
      concurrency: 4,
      retry: { maxRetries: 0 },
    });
    await burst(client, 60, 4);
    const log = emu.requestLog().filter((e) => e.operationId !== null);
    const storms = log.filter((e) => e.status === 429);
    expect(storms.length).toBeGreaterThan(0);
    expect(client.stats().rateLimited).toBe(storms.length);
    expect(log.filter((e) => e.status === 200)).toHaveLength(60);
  });

  it("a caller's abort ends a call waiting for a token, without sending it", async () => {
    emu = await startTestEmulator({ bucket: { capacity: 2, refillPerSecond: 0.01 } });
    client = new TokPortalClient({ baseUrl: emu.url, apiKey: emu.apiKey });
    await client.credits.balance();
    await client.credits.balance();
    const controller = new AbortController();
    const waiting = client.credits.balance({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("run cancelled")), 50);
    await expect(waiting).rejects.toThrow("run cancelled");
    expect(emu.requestLog().filter((e) => e.operationId !== null)).toHaveLength(2);
    expect(client.gate.state()).toMatchObject({ waiting: 0, inFlight: 0 });
  });
});
