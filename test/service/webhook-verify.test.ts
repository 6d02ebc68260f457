/**
 * The webhook receiver's pure parts: the signature check (against the sandbox's own signer, an independent
 * implementation of TokPortal's scheme), the replay memory, the envelope reader, which campaigns an event
 * concerns, and the scheduler's runNow (one run at a time, one more after the run in flight).
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { signWebhook } from "../../src/emulator/webhook-dispatcher.ts";
import { CampaignService } from "../../src/service/campaigns.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import { SyncScheduler } from "../../src/service/scheduler.ts";
import { campaignsFor, type RefreshTarget } from "../../src/service/webhook-refresh.ts";
import {
  parseSignatureHeader,
  RecentIds,
  readEvent,
  verifySignature,
  type WebhookEvent,
} from "../../src/service/webhook-verify.ts";
import type { RunReport } from "../../src/sync/types.ts";

const SECRET = `whsec_${"ab".repeat(32)}`;
const OTHER = `whsec_${"cd".repeat(32)}`;
const NOW = Date.parse("2026-09-01T12:00:00Z");
const T = Math.floor(NOW / 1000);
const BODY = JSON.stringify({
  id: "evt_0123456789abcdef0123456789abcdef",
  type: "video.in_review",
  api_version: "2026-05-25",
  created_at: "2026-09-01T12:00:00.000Z",
  data: { video_id: "v1", bundle_id: "b1", bundle_external_ref: "acme-b01", platform_url: "https://x" },
});
const raw = Buffer.from(BODY);

describe("verifySignature", () => {
  it("accepts TokPortal's scheme and says which secret signed", () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifySignature(raw, header, { secrets: [SECRET], nowMs: NOW })).toEqual({
      ok: true,
      timestamp: T,
      secretIndex: 0,
    });
    expect(
      verifySignature(raw, signWebhook(OTHER, BODY, T), { secrets: [SECRET, OTHER], nowMs: NOW }),
    ).toMatchObject({
      ok: true,
      secretIndex: 1,
    });
  });

  it("accepts any of several v1 values (secret rotation) and ignores unknown parts", () => {
    const good = signWebhook(SECRET, BODY, T).split(",v1=")[1];
    const header = `t=${T},v0=zzz,v1=${"0".repeat(64)},v1=${good}`;
    expect(verifySignature(raw, header, { secrets: [SECRET], nowMs: NOW }).ok).toBe(true);
  });

  it("refuses with a code: missing, malformed, wrong secret, changed body, outside the tolerance", () => {
    const opts = { secrets: [SECRET], nowMs: NOW };
    const code = (r: ReturnType<typeof verifySignature>) => (r.ok ? "ok" : r.code);
    expect(code(verifySignature(raw, undefined, opts))).toBe("signature_missing");
    expect(code(verifySignature(raw, "", opts))).toBe("signature_missing");
    expect(code(verifySignature(raw, "sha256=abc", opts))).toBe("signature_malformed");
    expect(code(verifySignature(raw, `t=${T},v1=xyz`, opts))).toBe("signature_malformed");
    expect(code(verifySignature(raw, `v1=${"a".repeat(64)}`, opts))).toBe("signature_malformed");
    expect(code(verifySignature(raw, signWebhook(OTHER, BODY, T), opts))).toBe("signature_mismatch");
    const changed = Buffer.from(BODY.replace("in_review", "finalized"));
    expect(code(verifySignature(changed, signWebhook(SECRET, BODY, T), opts))).toBe("signature_mismatch");
    // The timestamp is signed: changing it breaks the signature, it does not pass as fresh.
    const forged = signWebhook(SECRET, BODY, T - 1000).replace(`t=${T - 1000}`, `t=${T}`);
    expect(code(verifySignature(raw, forged, opts))).toBe("signature_mismatch");
    expect(code(verifySignature(raw, signWebhook(SECRET, BODY, T - 301), opts))).toBe(
      "timestamp_outside_tolerance",
    );
    expect(code(verifySignature(raw, signWebhook(SECRET, BODY, T + 301), opts))).toBe(
      "timestamp_outside_tolerance",
    );
    expect(code(verifySignature(raw, signWebhook(SECRET, BODY, T - 299), opts))).toBe("ok");
    expect(
      code(verifySignature(raw, signWebhook(SECRET, BODY, T - 50), { ...opts, toleranceSeconds: 10 })),
    ).toBe("timestamp_outside_tolerance");
    expect(code(verifySignature(raw, signWebhook(SECRET, BODY, T), { secrets: [], nowMs: NOW }))).toBe(
      "signature_mismatch",
    );
  });

  it("parses the header's parts", () => {
    expect(parseSignatureHeader(`t=12, v1=${"A".repeat(64)}`)).toEqual({
      timestamp: 12,
      signatures: ["a".repeat(64)],
    });
    expect(parseSignatureHeader("t=12")).toBeNull();
  });
});

describe("RecentIds and readEvent", () => {
  it("remembers ids up to its capacity, the oldest forgotten first", () => {
    const ids = new RecentIds(3);
    expect(["a", "b", "c"].map((i) => ids.seen(i))).toEqual([false, false, false]);
    expect(ids.seen("a")).toBe(true); // a is now the newest
    expect(ids.seen("d")).toBe(false); // b is forgotten
    expect(ids.size).toBe(3);
    expect(ids.seen("b")).toBe(false);
    expect(ids.seen("a")).toBe(true);
  });

  it("reads the envelope; anything else is not an event", () => {
    expect(readEvent(raw)).toMatchObject({
      id: "evt_0123456789abcdef0123456789abcdef",
      type: "video.in_review",
    });
    expect(readEvent(Buffer.from("not json"))).toBeNull();
    expect(readEvent(Buffer.from('{"type":"video.in_review"}'))).toBeNull();
    expect(readEvent(Buffer.from('{"id":"evt_1","type":"x","data":[1]}'))?.data).toEqual({});
  });
});

describe("campaignsFor", () => {
  const targets: RefreshTarget[] = [
    { name: "acme", refPrefix: "acme-", subscription: 0 },
    { name: "acme-eu", refPrefix: "acme-eu-", subscription: 0 },
    { name: "beta", refPrefix: "beta-", subscription: 0 },
    { name: "other-key", refPrefix: "acme-", subscription: 1 },
  ];
  const ev = (type: string, data: Record<string, unknown>): WebhookEvent => ({
    id: "evt_1",
    type,
    createdAt: null,
    data,
  });
  const seen = new Map([["beta", new Set(["b-9"])]]);

  it("by the bundle's ref when the event carries one (a video's bundle_external_ref, not its own ref)", () => {
    expect(
      campaignsFor(
        ev("video.in_review", { bundle_external_ref: "beta-01", external_ref: "acme-v" }),
        0,
        targets,
        seen,
      ),
    ).toEqual({
      campaigns: ["beta"],
      by: "ref_prefix",
    });
    // Overlapping prefixes: both campaigns could hold it, both refresh.
    expect(
      campaignsFor(ev("account.finalized", { external_ref: "acme-eu-01" }), 0, targets, seen).campaigns,
    ).toEqual(["acme", "acme-eu"]);
    expect(
      campaignsFor(ev("bundle.cancelled", { external_ref: "zeta-01" }), 0, targets, seen).campaigns,
    ).toEqual([]);
  });

  it("by the bundle ids a campaign's last run saw, else every campaign of the subscription", () => {
    expect(campaignsFor(ev("account.banned", { bundle_id: "b-9" }), 0, targets, seen)).toEqual({
      campaigns: ["beta"],
      by: "bundle_id",
    });
    expect(campaignsFor(ev("account.banned", { bundle_id: "b-unknown" }), 0, targets, seen)).toEqual({
      campaigns: ["acme", "acme-eu", "beta"],
      by: "subscription",
    });
    expect(campaignsFor(ev("account.banned", { bundle_id: "b-9" }), 1, targets, seen).campaigns).toEqual([
      "other-key",
    ]);
  });
});

describe("SyncScheduler.runNow", () => {
  const logger = createServiceLogger({
    destination: new Writable({ write: (_c, _e, done) => done() }),
  });

  it("starts at once when idle, queues one run behind the run in flight however often asked, never two at once", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    const releases: Array<() => void> = [];
    const triggers: string[] = [];
    const scheduler = new SyncScheduler({
      schedule: "0 0 1 1 *",
      logger,
      runOnce: () => {
        runs += 1;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise<RunReport>((resolve) => {
          releases.push(() => {
            inFlight -= 1;
            resolve({
              mode: "analytics",
              source: "videos.csv",
              startedAt: new Date(0).toISOString(),
              durationMs: 1,
              rows: [],
              counts: { synced: 0, pending: 0, locked: 0, error: 0, skipped: 0 },
              creditsCharged: 0,
              calls: {},
              rateLimited: 0,
              write: null,
              warnings: [],
              analytics: null,
            } satisfies RunReport);
          });
        });
      },
      isLocked: () => false,
      describeError: String,
      onRunEnd: (_s, _r, trigger) => {
        triggers.push(trigger);
      },
    });
    const first = scheduler.runNow("manual");
    expect(first.result).toBe("started");
    const second = scheduler.runNow("webhook");
    const third = scheduler.runNow("webhook");
    expect([second.result, third.result]).toEqual(["queued", "queued"]);
    expect(runs).toBe(1);
    releases.shift()?.();
    await first.done;
    await new Promise((r) => setTimeout(r, 10));
    expect(runs).toBe(2);
    releases.shift()?.();
    await second.done;
    await third.done;
    expect(runs).toBe(2);
    expect(maxInFlight).toBe(1);
    expect(triggers).toEqual(["manual", "webhook"]);
    await scheduler.stop();
    expect(scheduler.runNow("manual").result).toBe("stopping");
  });

  it("CampaignService.runNow names an unknown campaign", () => {
    const service = new CampaignService({
      campaigns: [],
      invalid: [{ name: "bad", problems: ["x"] }],
      logger,
    });
    expect(service.runNow("nope", "manual").result).toBe("unknown_campaign");
    expect(service.runNow("bad", "manual").result).toBe("unknown_campaign");
  });
});
