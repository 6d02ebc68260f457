/**
 * The receiver on the service's HTTP server, in-process: its route leaves the health endpoints as they
 * were, refuses what is not a signed POST of an event (by code: 405, 413), answers a verified event once
 * and a replay as a duplicate; and the refresh's debounce turns a burst of events into one runNow per
 * campaign, while events the sheet does not depend on start nothing.
 */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { signWebhook } from "../../src/emulator/webhook-dispatcher.ts";
import { type HealthServer, startHealthServer } from "../../src/service/health.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import type { RunNowReason } from "../../src/service/scheduler.ts";
import { WEBHOOK_PATH, webhookReceiver } from "../../src/service/webhook-receiver.ts";
import { WebhookRefresh } from "../../src/service/webhook-refresh.ts";
import type { WebhookEvent } from "../../src/service/webhook-verify.ts";

const SECRET = `whsec_${"12".repeat(32)}`;

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createServiceLogger({
    destination: new Writable({
      write(chunk, _e, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    }),
  });
  return { lines, logger };
}

let server: HealthServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const event = (id: string, type = "video.in_review", data: Record<string, unknown> = {}) =>
  JSON.stringify({ id, type, api_version: "2026-05-25", created_at: "2026-09-01T00:00:00Z", data });

describe("webhook receiver route", () => {
  it("answers its path only; refuses other methods and oversized bodies; takes an event once", async () => {
    const { lines, logger } = capture();
    const taken: WebhookEvent[] = [];
    const route = webhookReceiver({
      secrets: [SECRET],
      logger,
      onEvent: (e) => taken.push(e),
      maxBodyBytes: 1024,
    });
    server = await startHealthServer(
      {
        health: () => ({ running: false, lastRunAt: null, nextRunAt: null, failing: false, lastError: null }),
        lastRun: null,
      },
      { host: "127.0.0.1", port: 0, routes: [route] },
    );
    const url = `${server.url}${WEBHOOK_PATH}`;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");

    const big = event("evt_big", "video.in_review", { pad: "x".repeat(2048) });
    const sig = (body: string) => signWebhook(SECRET, body, Math.floor(Date.now() / 1000));
    expect(
      (await fetch(url, { method: "POST", body: big, headers: { "tokportal-signature": sig(big) } })).status,
    ).toBe(413);

    const body = event("evt_one");
    const first = await fetch(url, { method: "POST", body, headers: { "tokportal-signature": sig(body) } });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true });
    const again = await fetch(url, { method: "POST", body, headers: { "tokportal-signature": sig(body) } });
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(taken.map((e) => e.id)).toEqual(["evt_one"]);

    // Signed but not an event: refused, and nothing remembered or taken.
    const notEvent = JSON.stringify({ hello: "world" });
    const bad = await fetch(url, {
      method: "POST",
      body: notEvent,
      headers: { "tokportal-signature": sig(notEvent) },
    });
    expect(bad.status).toBe(400);
    expect(lines.filter((l) => l.event === "webhook_refused").map((l) => l.reason)).toEqual([
      "method_not_allowed",
      "body_too_large",
      "body_unreadable",
    ]);
    expect(JSON.stringify(lines)).not.toContain("hello");
    expect(taken).toHaveLength(1);
  });
});

describe("WebhookRefresh", () => {
  it("a burst gives one runNow per campaign concerned; events the sheet does not use start nothing", async () => {
    const { lines, logger } = capture();
    const calls: Array<[string, RunNowReason]> = [];
    const refresh = new WebhookRefresh({
      targets: [
        { name: "acme", refPrefix: "acme-", subscription: 0 },
        { name: "beta", refPrefix: "beta-", subscription: 0 },
      ],
      runNow: (campaign, reason) => {
        calls.push([campaign, reason]);
        return { result: "started" };
      },
      logger,
      debounceMs: 100,
    });
    const ev = (id: string, type: string, ref: string): WebhookEvent => ({
      id,
      type,
      createdAt: null,
      data: { bundle_id: "b", bundle_external_ref: ref, external_ref: ref },
    });
    for (let i = 0; i < 5; i++) refresh.onEvent(ev(`e${i}`, "video.in_review", "acme-01"), 0);
    refresh.onEvent(ev("e5", "account.finalized", "acme-02"), 0);
    refresh.onEvent(ev("e6", "video.configured", "beta-01"), 0);
    refresh.onEvent(ev("e7", "bundle.cancelled", "zeta-01"), 0);
    await new Promise((r) => setTimeout(r, 250));
    expect(calls).toEqual([["acme", "webhook"]]);
    expect(lines.find((l) => l.event === "webhook_refresh")).toMatchObject({
      campaign: "acme",
      events: 6,
      result: "started",
    });
    expect(lines.filter((l) => l.event === "webhook_ignored")).toHaveLength(1);
    expect(lines.filter((l) => l.event === "webhook_unmatched")).toHaveLength(1);
    // A new window after the first closed: a second run.
    refresh.onEvent(ev("e8", "video.finalized", "acme-01"), 0);
    refresh.stop();
    await new Promise((r) => setTimeout(r, 150));
    expect(calls).toHaveLength(1);
  });
});
