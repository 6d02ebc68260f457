/**
 * Delivery per channel: a refused message (4xx) is not sent again, a failing receiver (5xx) is retried
 * with backoff then given up, a full queue drops its oldest message, and `cron` stopping drains the queues
 * within their deadline even when a receiver hangs. Logs name the channel, never its URL.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { type AlertChannel, webhookChannel } from "../../src/alerts/channels.ts";
import { buildMessage } from "../../src/alerts/message.ts";
import { DeliveryQueue } from "../../src/alerts/queue.ts";
import { runCronCommand } from "../../src/cli/cron-run.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import { startHttpReceiver } from "./receivers.ts";

const dir = mkdtempSync(path.join(tmpdir(), "tps-alert-delivery-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logSink() {
  const lines: Array<Record<string, unknown>> = [];
  let text = "";
  const stream = new Writable({
    write(chunk, _e, done) {
      text += String(chunk);
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { stream, lines, text: () => text, logger: createServiceLogger({ destination: stream }) };
}

const message = () =>
  buildMessage(
    "acme",
    new Date().toISOString(),
    null,
    [{ key: "run_failed", code: "run_failed", since: "", params: { error: "x" } }],
    [],
  ) as NonNullable<ReturnType<typeof buildMessage>>;

const events = (lines: Array<Record<string, unknown>>, event: string) =>
  lines.filter((l) => l.event === event);

describe("alert delivery", () => {
  it("a 4xx is not retried; a 5xx is retried, then given up; the log names the channel only", async () => {
    const refused = await startHttpReceiver(410);
    const failing = await startHttpReceiver(503);
    const log = logSink();
    const opts = { retries: 2, minDelayMs: 5, maxDelayMs: 10 };
    const q410 = new DeliveryQueue(
      webhookChannel({ name: "gone", url: `${refused.url}/t/secretPath1`, timeoutMs: 2000, secret: null }),
      log.logger,
      opts,
    );
    const q503 = new DeliveryQueue(
      webhookChannel({ name: "down", url: `${failing.url}/t/secretPath2`, timeoutMs: 2000, secret: null }),
      log.logger,
      opts,
    );
    q410.push(message());
    q503.push(message());
    await q410.drain(5000);
    await q503.drain(5000);
    expect(refused.received.length).toBe(1);
    expect(failing.received.length).toBe(3);
    expect(events(log.lines, "alert_failed").map((l) => [l.channel, l.reason])).toEqual(
      expect.arrayContaining([
        ["gone", "HTTP 410"],
        ["down", "HTTP 503"],
      ]),
    );
    expect(log.text()).not.toContain("secretPath");
    expect(log.text()).not.toContain("127.0.0.1");
    await refused.close();
    await failing.close();
  });

  it("a full queue drops its oldest message, and pushing never waits", async () => {
    const log = logSink();
    let attempts = 0;
    const stuck: AlertChannel = {
      name: "stuck",
      send: (_m, signal) =>
        new Promise((_, reject) => {
          attempts++;
          signal.addEventListener("abort", () => reject(new Error("stopped")), { once: true });
        }),
    };
    const q = new DeliveryQueue(stuck, log.logger, { maxQueued: 3 });
    for (let i = 0; i < 6; i++) q.push(message());
    // One in flight, three waiting: two dropped.
    expect(q.stats()).toMatchObject({ queued: 3, dropped: 2, sent: 0 });
    expect(events(log.lines, "alert_dropped").length).toBe(2);
    const end = await q.drain(50);
    expect(end).toMatchObject({ abandoned: 4, sent: 0 });
    expect(attempts).toBe(1);
  });

  it("cron stopping drains the alert queues within their deadline while a receiver hangs", async () => {
    const hang = await startHttpReceiver("hang");
    const file = path.join(dir, "acme.json");
    writeFileSync(
      file,
      JSON.stringify({
        tokportal: { base_url: "sandbox" },
        // No such sheet: every run fails, so the first opens run_failed.
        source: { type: "csv", videos: "missing.csv" },
        schedule: "* * * * * *",
        alerts: { channels: [{ type: "webhook", name: "ops", url_env: "HOOK_URL" }] },
      }),
    );
    const log = logSink();
    let stop: (s: string) => void = () => undefined;
    const stopSignal = new Promise<string>((r) => {
      stop = r;
    });
    const done = runCronCommand(
      { config: file, healthHost: "127.0.0.1" },
      {
        stderr: new Writable({ write: (_c, _e, cb) => cb() }),
        env: { HOOK_URL: `${hang.url}/hook/secretPath3` },
        logger: log.logger,
        stopSignal,
        alerts: { drainMs: 300, attemptTimeoutMs: 60_000 },
      },
    );
    const until = Date.now() + 10_000;
    while (hang.held() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(hang.held()).toBe(1);
    stop("SIGTERM");
    const outcome = await Promise.race([
      done,
      new Promise((r) => setTimeout(() => r("still waiting"), 8000)),
    ]);
    expect(outcome).toBe(0);
    expect(events(log.lines, "alerts_undelivered").map((l) => l.messages)).toEqual([1]);
    expect(events(log.lines, "alert_failed").map((l) => l.channel)).toEqual(["ops"]);
    expect(log.text()).not.toContain("secretPath3");
    await hang.close();
  }, 20_000);
});
