/**
 * TokPortal's webhooks end to end, in-process: the sandbox on a port signs its deliveries to the running
 * `cron` service. A campaign is synced once (bundles ordered and published), `webhooks register`
 * subscribes the service's URL and prints the secret, the service starts with that secret and a schedule
 * that never ticks during the test, then the sandbox's clock moves past the posting dates: its managers
 * deliver the accounts and post the videos, a burst of signed events reaches the service, and exactly one
 * refresh runs and writes every post URL into the CSV. A bad signature and an old timestamp are refused
 * (401, 400) and logged without the body; a replayed event (TokPortal's own retry of a delivery, same
 * event id) is answered and starts no run.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCronCommand } from "../../src/cli/cron-run.ts";
import { runSyncCommand } from "../../src/cli/sync-run.ts";
import { runWebhooksRegister, runWebhooksStatus } from "../../src/cli/webhooks-run.ts";
import { signWebhook } from "../../src/emulator/webhook-dispatcher.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import { readCsvRows, writeCampaign } from "../support/campaign.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { textIO } from "../support/streams.ts";

const KEY = `sk_${"5e".repeat(32)}`;
const NEVER = "0 0 1 1 *";
const MARKER = "BODY-MARKER-7f3c";

type Line = Record<string, unknown>;

function logSink() {
  const lines: Line[] = [];
  let text = "";
  const waiters: Array<() => void> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Line);
      for (const w of waiters.splice(0)) w();
      done();
    },
  });
  const waitFor = (pred: (l: Line) => boolean, timeoutMs = 20_000) =>
    new Promise<Line>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no such line; saw ${lines.map((l) => l.event).join(", ")}`)),
        timeoutMs,
      );
      const check = () => {
        const hit = lines.find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else waiters.push(check);
      };
      check();
    });
  return { stream, lines, text: () => text, waitFor };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = "";
let emu: TestEmulator;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-webhooks-"));
  emu = await startTestEmulator({ apiKey: KEY, credits: 100_000 });
});
afterAll(async () => {
  await emu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("TokPortal webhooks to the cron service", () => {
  it("a burst of signed sandbox events refreshes the campaign once; forged, late and replayed deliveries do nothing", async () => {
    const files = writeCampaign(dir, {
      bundles: 2,
      videosPerBundle: 2,
      prefix: "wh",
      startDate: "2026-09-10",
    });
    const config = path.join(dir, "tokportal-sync.json");
    writeFileSync(
      config,
      JSON.stringify({
        tokportal: { base_url: emu.url },
        source: {
          type: "csv",
          bundles: path.basename(files.bundlesPath),
          videos: path.basename(files.videosPath),
        },
        ref_prefix: "hook-",
        defaults: { publish: true },
        max_credits: 10_000,
        schedule: NEVER,
        analytics: false,
      }),
    );
    const env: Record<string, string | undefined> = { TOKPORTAL_API_KEY: KEY };

    // The campaign's first sync: bundles ordered and published, nothing posted yet.
    const first = textIO(env);
    expect(await runSyncCommand({ config, yes: true, json: true }, first.io)).toBe(0);
    expect(readCsvRows(files.videosPath).every((r) => !r.platform_url)).toBe(true);

    // Register the service's URL; the secret is printed once, with its variable.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/webhooks/tokportal`;
    const reg = textIO(env);
    expect(await runWebhooksRegister({ config, url }, reg.io)).toBe(0);
    const secret = /export TOKPORTAL_WEBHOOK_SECRET=(whsec_[0-9a-f]+)/.exec(reg.out.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(reg.out.stdout).not.toContain(KEY);
    const again = textIO(env);
    expect(await runWebhooksRegister({ config, url }, again.io)).toBe(0);
    expect(again.out.stdout).toContain("Already subscribed");
    expect(again.out.stdout).not.toContain(secret);

    // The service, with the secret; its schedule never ticks during the test: every run is a refresh.
    const log = logSink();
    let stop: (s: string) => void = () => undefined;
    const stopSignal = new Promise<string>((r) => {
      stop = r;
    });
    const serviceEnv = { ...env, TOKPORTAL_WEBHOOK_SECRET: secret };
    const running = runCronCommand(
      { config, healthPort: port, healthHost: "127.0.0.1" },
      {
        stderr: textIO(env).io.stderr,
        env: serviceEnv,
        logger: createServiceLogger({ destination: log.stream, apiKeys: [KEY, secret as string] }),
        stopSignal,
        webhooks: { debounceMs: 1_500 },
      },
    );
    const ready = await log.waitFor((l) => l.event === "webhooks_ready");
    expect(ready.url).toBe(url);
    const runs = () => log.lines.filter((l) => l.event === "run_started");

    try {
      // The managers deliver the accounts and post the videos: a burst of events, one refresh.
      await emu.admin("POST", "/advance", { seconds: 20 * 86_400 });
      const state = (await emu.admin("GET", "/state")).body as {
        bundles: Record<
          string,
          { external_ref: string; videos: Array<{ external_ref: string; platform_url: string | null }> }
        >;
      };
      const posted = new Map<string, string>();
      for (const b of Object.values(state.bundles)) {
        for (const v of b.videos)
          if (v.platform_url) posted.set(`${b.external_ref}/${v.external_ref}`, v.platform_url);
      }
      expect(posted.size).toBe(4);
      await log.waitFor((l) => l.event === "run_finished");
      await sleep(2_500);
      const received = log.lines.filter((l) => l.event === "webhook_received").length;
      // 2 accounts delivered and finalized, 4 videos posted and finalized: 12 events, one run of 5 calls
      // (the bundle listing, then each bundle's account and videos).
      expect(received).toBe(12);
      expect(log.lines.find((l) => l.event === "run_finished")?.calls).toBe(5);
      expect(runs()).toHaveLength(1);
      expect(runs()[0]?.trigger).toBe("webhook");
      const refreshed = log.lines.filter((l) => l.event === "webhook_refresh");
      expect(refreshed).toHaveLength(1);
      expect(refreshed[0]).toMatchObject({ campaign: "tokportal-sync", result: "started" });
      for (const row of readCsvRows(files.videosPath)) {
        expect(row.platform_url).toBe(posted.get(`hook-${row.bundle_ref}/${row.video_ref}`));
      }
      const history = (await (await fetch(`http://127.0.0.1:${port}/runs`)).json()) as { runs: Line[] };
      expect(history.runs.map((r) => r.trigger)).toEqual(["webhook"]);

      // A forged signature and a genuine but late one are refused, logged by code, never with the body.
      const body = JSON.stringify({ id: "evt_forged_1", type: "video.finalized", data: { note: MARKER } });
      const now = Math.floor(Date.now() / 1000);
      const post = (sig: string, b = body) =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "tokportal-signature": sig },
          body: b,
        });
      expect((await post(signWebhook("whsec_wrong", body, now))).status).toBe(401);
      expect((await post(signWebhook(secret as string, body, now - 600))).status).toBe(400);
      expect((await post("garbage")).status).toBe(400);
      expect((await fetch(url, { method: "POST", body })).status).toBe(401);
      const refused = log.lines.filter((l) => l.event === "webhook_refused").map((l) => l.reason);
      expect(refused).toEqual([
        "signature_mismatch",
        "timestamp_outside_tolerance",
        "signature_malformed",
        "signature_missing",
      ]);
      expect(log.text()).not.toContain(MARKER);
      expect(log.text()).not.toContain(secret);
      expect(log.text()).not.toContain(KEY);

      // A replay: TokPortal's retry of a delivered event (fresh signature, same event id), and the same
      // body re-signed by hand: both answered, neither starts a run.
      const endpoint = (await emu.api("GET", "/webhooks")).body.data[0] as { id: string };
      const deliveries = (await emu.api("GET", `/webhooks/${endpoint.id}/deliveries`)).body.data as Array<{
        id: string;
        event_type: string;
        success: boolean;
      }>;
      const done = deliveries.find((d) => d.success && d.event_type === "video.finalized") ?? deliveries[0];
      const retry = await emu.api("POST", `/webhooks/${endpoint.id}/deliveries/${done?.id}/retry`);
      expect(retry.body.data).toMatchObject({ success: true, response_status: 200 });
      const sent = emu.state().deliveries.find((d) => d.id === done?.id);
      const replay = await post(signWebhook(secret as string, sent?.payload as string, now), sent?.payload);
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ received: true, duplicate: true });
      await sleep(2_500);
      expect(log.lines.filter((l) => l.event === "webhook_duplicate")).toHaveLength(2);
      expect(runs()).toHaveLength(1);

      // `webhooks status` shows the subscription and its deliveries.
      const status = textIO(serviceEnv);
      expect(await runWebhooksStatus({ config, json: true }, status.io)).toBe(0);
      const shown = JSON.parse(status.out.stdout) as {
        subscriptions: Array<{
          secretSet: boolean;
          endpoints: Array<{ url: string; deliveries: unknown[] }>;
        }>;
      };
      expect(shown.subscriptions[0]?.secretSet).toBe(true);
      expect(shown.subscriptions[0]?.endpoints[0]?.url).toBe(url);
      expect(shown.subscriptions[0]?.endpoints[0]?.deliveries.length).toBeGreaterThan(0);
      expect(status.out.stdout).not.toContain(KEY);
    } finally {
      stop("SIGTERM");
      expect(await running).toBe(0);
    }
  }, 60_000);
});
