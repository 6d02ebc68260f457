import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IdempotencyStore } from "../../src/emulator/idempotency.ts";
import { operations } from "../../src/emulator/ops/index.ts";
import { emptyState } from "../../src/emulator/state.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

const ACCOUNT_AND_VIDEOS = { bundle_type: "account_and_videos", country: "USA", videos_quantity: 3 };
const DRY_RUN = { "x-tokportal-dry-run": "true" };

describe("emulator core: Idempotency-Key, dry run, credits", () => {
  let emu: TestEmulator;
  beforeEach(async () => {
    emu = await startTestEmulator();
  });
  afterEach(() => emu.stop());

  const balance = async (key?: string) =>
    (await emu.api("GET", "/credits/balance", key ? { key } : {})).body.data.total_credits as number;

  it("replays a completed write: same status and body, Idempotent-Replayed, nothing charged twice", async () => {
    const headers = { "idempotency-key": "row-7-create" };
    const first = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await balance()).toBe(10_000 - 38);

    // Same content in another key order is the same request.
    const reordered = { videos_quantity: 3, country: "USA", bundle_type: "account_and_videos" };
    const replay = await emu.api("POST", "/bundles", { body: reordered, headers });
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("x-tokportal-api-version")).toBe("2026-05-25");
    expect(replay.headers.get("x-tokportal-request-id")).not.toBe(
      first.headers.get("x-tokportal-request-id"),
    );
    expect(await balance()).toBe(10_000 - 38);
    expect(Object.keys(emu.state().bundles)).toHaveLength(1);
    expect(emu.requestLog().filter((e) => e.replayed)).toHaveLength(1);

    const reused = await emu.api("POST", "/bundles", {
      body: { ...ACCOUNT_AND_VIDEOS, videos_quantity: 4 },
      headers,
    });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    const otherPath = await emu.api("POST", "/bundles/bulk", {
      body: { platforms: ["tiktok"], country: "USA", accounts_count: 1 },
      headers,
    });
    expect(otherPath.status).toBe(409);
    expect(Object.keys(emu.state().bundles)).toHaveLength(1);
  });

  it("scopes keys per API key, stores 4xx answers, and expires them after 24 simulated hours", async () => {
    const headers = { "idempotency-key": "k1" };
    const other = emu.createKey({ credits: 100 });
    expect((await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers })).status).toBe(201);
    const theirs = await emu.api("POST", "/bundles", {
      body: ACCOUNT_AND_VIDEOS,
      headers,
      key: other.apiKey,
    });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();

    const bad = { bundle_type: "account_only", country: "USA", nope: 1 };
    const h2 = { "idempotency-key": "k2" };
    const refused = await emu.api("POST", "/bundles", { body: bad, headers: h2 });
    expect(refused.status).toBe(400);
    const refusedAgain = await emu.api("POST", "/bundles", { body: bad, headers: h2 });
    expect(refusedAgain.status).toBe(400);
    expect(refusedAgain.headers.get("idempotent-replayed")).toBe("true");

    await emu.advance(24 * 3600);
    const fresh = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers });
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    expect(Object.keys(emu.state().bundles)).toHaveLength(3);
  });

  it("refuses an Idempotency-Key on the six sensitive operations before any work", async () => {
    const res = await emu.api("POST", "/upload/video", {
      body: { filename: "a.mp4", bundle_id: "3f0c8a52-1b2c-4d3e-8f40-123456789abc" },
      headers: { "idempotency-key": "x" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("IDEMPOTENCY_KEY_NOT_ALLOWED_FOR_SENSITIVE_RESPONSE");
    const webhook = await emu.api("POST", "/webhooks", { body: {}, headers: { "idempotency-key": "y" } });
    expect(webhook.body.error.code).toBe("IDEMPOTENCY_KEY_NOT_ALLOWED_FOR_SENSITIVE_RESPONSE");
  });

  it("answers 409 IDEMPOTENCY_KEY_IN_FLIGHT over HTTP while the first request is still being handled", async () => {
    const saved = operations.createBundle;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let calls = 0;
    operations.createBundle = async () => {
      calls++;
      entered();
      await gate;
      return { status: 201, body: { data: { id: "slow" } } };
    };
    try {
      const headers = { "idempotency-key": "slow-1" };
      const first = emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers });
      await started;
      const second = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers });
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe("IDEMPOTENCY_KEY_IN_FLIGHT");
      release();
      expect((await first).status).toBe(201);
      const third = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers });
      expect(third.headers.get("idempotent-replayed")).toBe("true");
      expect(calls).toBe(1);
    } finally {
      release();
      if (saved) operations.createBundle = saved;
    }
  });

  it("the idempotency store: in flight, 5xx not stored, replay, reuse, 24 h expiry", () => {
    const state = emptyState();
    const store = new IdempotencyStore(() => state);
    const req = { apiKeyHash: "h", key: "k", method: "POST", path: "/api/ext/bundles", bodyHash: "b" };
    expect(store.lookup(req, 0).kind).toBe("miss");
    store.begin(req);
    expect(store.lookup(req, 0).kind).toBe("in_flight");
    store.finish(req, { status: 503, body: "{}", headers: {} }, new Date(0).toISOString());
    expect(store.lookup(req, 0).kind).toBe("miss"); // 5xx is not stored
    store.begin(req);
    store.finish(req, { status: 201, body: '{"data":{}}', headers: {} }, new Date(0).toISOString());
    expect(store.lookup(req, 1000).kind).toBe("replay");
    expect(store.lookup({ ...req, bodyHash: "c" }, 1000).kind).toBe("reused");
    expect(store.lookup(req, 24 * 3600 * 1000).kind).toBe("miss");
  });

  it("dry run: prices and validates, returns a synthetic id, changes and charges nothing", async () => {
    const before = structuredClone(emu.state());
    const res = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers: DRY_RUN });
    expect(res.status).toBe(201);
    expect(res.body.dry_run).toBe(true);
    expect(res.body.dry_run_notice).toBe("Simulated: nothing was created, changed or charged.");
    expect(res.body.credits_charged).toBe(0);
    expect(res.body.credits_would_charge).toBe(38);
    expect(res.body.data.id).toMatch(/^00000000-0000-4000-8000-[0-9a-f]{12}$/);
    expect(emu.state().bundles).toEqual(before.bundles);
    expect(emu.state().workspaces).toEqual(before.workspaces);
    expect(emu.requestLog().at(-1)?.dry_run).toBe(true);

    // The same validation and errors as a real request.
    const invalid = await emu.api("POST", "/bundles", { body: { bundle_type: "x" }, headers: DRY_RUN });
    expect(invalid.status).toBe(400);
    const poor = emu.createKey({ credits: 10 });
    const short = await emu.api("POST", "/bundles", {
      body: ACCOUNT_AND_VIDEOS,
      headers: DRY_RUN,
      key: poor.apiKey,
    });
    expect(short.status).toBe(402);
    expect(short.body.error.code).toBe("INSUFFICIENT_CREDITS");

    // A dry run neither reads nor writes the idempotency store.
    const key = { "idempotency-key": "dry-then-real" };
    const dry = await emu.api("POST", "/bundles", {
      body: ACCOUNT_AND_VIDEOS,
      headers: { ...DRY_RUN, ...key },
    });
    expect(dry.body.dry_run).toBe(true);
    const real = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS, headers: key });
    expect(real.status).toBe(201);
    expect(real.headers.get("idempotent-replayed")).toBeNull();
    expect(real.body.dry_run).toBeUndefined();
    expect(real.body.data.id).not.toMatch(/^00000000-/);
    const dryAgain = await emu.api("POST", "/bundles", {
      body: ACCOUNT_AND_VIDEOS,
      headers: { ...DRY_RUN, ...key },
    });
    expect(dryAgain.headers.get("idempotent-replayed")).toBeNull();
    expect(dryAgain.body.dry_run).toBe(true);
    expect(await balance()).toBe(10_000 - 38);
  });

  it("debits with a ledger entry, answers 402 with the breakdown, and lists the ledger newest first", async () => {
    const created = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS });
    const bundleId = created.body.data.id;
    expect(await balance()).toBe(9_962);
    const topUp = await emu.admin("POST", "/credits", { amount: 100 });
    expect(topUp.body.data.balance).toBe(10_062);

    const history = await emu.api("GET", "/credits/history", { query: { per_page: 2 } });
    expect(history.status).toBe(200);
    expect(history.body.pagination).toEqual({ page: 1, per_page: 2, total: 3, total_pages: 2 });
    const [topUpEntry, debit] = history.body.data;
    expect(topUpEntry).toMatchObject({ type: "credit", amount: 100, balance_after: 10_062 });
    expect(debit).toMatchObject({ type: "debit", amount: -38, balance_after: 9_962, bundle_id: bundleId });
    expect(
      Object.values(debit.breakdown as Record<string, number>).reduce((a, b) => a + b, 0),
    ).toBeGreaterThanOrEqual(38);
    const page2 = await emu.api("GET", "/credits/history", { query: { page: 2, per_page: 2 } });
    expect(page2.body.data[0]).toMatchObject({ type: "credit", amount: 10_000 });

    await emu.admin("POST", "/credits", { set: 20 });
    expect(await balance()).toBe(20);
    const refused = await emu.api("POST", "/bundles", { body: ACCOUNT_AND_VIDEOS });
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe("INSUFFICIENT_CREDITS");
    expect(refused.body.error.details).toMatchObject({ required: 38, available: 20, missing: 18 });
    expect(refused.body.error.details.breakdown).toBeTypeOf("object");
    expect(await balance()).toBe(20);
    expect(Object.keys(emu.state().bundles)).toHaveLength(1);

    const me = await emu.api("GET", "/me");
    expect(me.body.data.credits.balance).toBe(20);
  });

  it("credits another workspace through the admin api_key selector", async () => {
    const other = emu.createKey({ credits: 0 });
    const res = await emu.admin("POST", "/credits", { amount: 50, api_key: other.apiKey });
    expect(res.status).toBe(200);
    expect(await balance(other.apiKey)).toBe(50);
    expect(await balance()).toBe(10_000);
    const bad = await emu.admin("POST", "/credits", { amount: 1, set: 2 });
    expect(bad.status).toBe(400);
  });
});
