/**
 * The typed operations, end to end against the emulator over HTTP: a bundle from order to posted videos,
 * the uploads, credits, analytics, and the generic `call`. Plus what the client sends on the wire
 * (request ids, client header, dry run, idempotency) as the emulator's request log saw it.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_VERSION, type ClientEvent, TokPortalClient } from "../../src/api/client.ts";
import { RequestValidationError } from "../../src/api/errors.ts";
import { idempotencyKey } from "../../src/api/idempotency.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { FakeClock, flush } from "./client-support.ts";

let emu: TestEmulator;
let client: TokPortalClient;
let key: string;
const events: ClientEvent[] = [];

const k = (operation: string, ref: string) =>
  idempotencyKey({ prefix: "test", ref, operation, fingerprint: "v1" });

// 1×1 transparent PNG.
const PNG = Uint8Array.from(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "base64",
  ),
);
const MP4 = Uint8Array.from([
  0,
  0,
  0,
  0x18,
  0x66,
  0x74,
  0x79,
  0x70,
  0x6d,
  0x70,
  0x34,
  0x32,
  ...randomBytes(64),
]);

beforeAll(async () => {
  emu = await startTestEmulator({ bucket: { capacity: 120, refillPerSecond: 100 } });
  key = emu.createKey({ credits: 2000 }).apiKey;
  client = new TokPortalClient({ baseUrl: emu.url, apiKey: key, onEvent: (e) => events.push(e) });
});

afterAll(async () => {
  await client.close();
  await emu.stop();
});

describe("a bundle from order to posted videos", () => {
  const ref = `ops-${randomBytes(3).toString("hex")}`;
  let bundleId = "";
  let profilePath = "";
  let videoUrl = "";

  it("creates a bundle, reads its id, and is charged once", async () => {
    const order = {
      bundle_type: "account_and_videos",
      country: "USA",
      videos_quantity: 2,
      title: "Launch",
      external_ref: ref,
    } as const;
    const before = await client.credits.balance();
    const created = await client.bundles.create(order, { idempotencyKey: k("createBundle", ref) });
    bundleId = created.data.id;
    expect(bundleId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.data).toMatchObject({ status: "pending_setup", external_ref: ref, videos_quantity: 2 });
    expect(created.charge.credits_charged).toBe(36);
    // Only the money fields: the bundle itself is in `data`, not repeated inside `charge`.
    expect(Object.keys(created.charge).sort()).toEqual([
      "cost_breakdown",
      "credits_charged",
      "credits_remaining",
    ]);
    expect(created.replayed).toBe(false);
    const again = await client.bundles.create(order, { idempotencyKey: k("createBundle", ref) });
    expect(again.replayed).toBe(true);
    expect(again.data.id).toBe(bundleId);
    const after = await client.credits.balance();
    expect(before.total_credits - after.total_credits).toBe(36);
  });

  it("finds it by external_ref, gets it, and patches it", async () => {
    const found = [];
    for await (const b of client.bundles.list({ external_ref: ref })) found.push(b);
    expect(found.map((b) => b.id)).toEqual([bundleId]);
    const got = await client.bundles.get(bundleId);
    expect(got).toMatchObject({ id: bundleId, title: "Launch", bundle_type: "account_and_videos" });
    const patched = await client.bundles.patch(
      bundleId,
      { title: "Launch v2" },
      { idempotencyKey: k("patch", ref) },
    );
    expect(patched.data.title).toBe("Launch v2");
  });

  it("uploads media directly (multipart): an image and a video", async () => {
    const image = await client.uploads.imageDirect(
      bundleId,
      { data: PNG, filename: "me.png", contentType: "image/png" },
      "profile_picture",
      { idempotencyKey: k("imageDirect", ref) },
    );
    expect(image.data.storage_path).toBeTruthy();
    profilePath = image.data.storage_path;
    const video = await client.uploads.videoDirect(
      bundleId,
      { data: MP4, filename: "clip.mp4", contentType: "video/mp4" },
      { idempotencyKey: k("videoDirect", ref) },
    );
    expect(video.data.public_url).toMatch(/^https?:\/\//);
    videoUrl = video.data.public_url;
  });

  it("uploads through a presigned URL: asks for it without a key, then PUTs the bytes there", async () => {
    const presignedVideo = await client.uploads.video(bundleId, { data: MP4, filename: "p.mp4" });
    expect(presignedVideo.public_url).toMatch(/^https?:\/\//);
    const presignedImage = await client.uploads.image(
      bundleId,
      { data: PNG, filename: "c.png", contentType: "image/png" },
      "carousel",
    );
    expect(presignedImage.storage_path).toBeTruthy();
  });

  it("stores an image fetched from a URL", async () => {
    const fromUrl = await client.uploads.imageFromUrl(
      { url: "https://example.com/logo.png", bundle_id: bundleId, purpose: "carousel" },
      { idempotencyKey: k("imageFromUrl", ref) },
    );
    expect(fromUrl.data.storage_path).toBeTruthy();
  });

  it("configures the account and reads it back", async () => {
    const account = await client.account.configure(
      bundleId,
      {
        username: "launch.test",
        visible_name: "Launch Test",
        biography: "hello",
        profile_picture_url: profilePath,
      },
      { idempotencyKey: k("account", ref) },
    );
    expect(account.data).toMatchObject({ username: "launch.test", visible_name: "Launch Test" });
    const read = await client.account.get(bundleId);
    expect(read).toMatchObject({ username: "launch.test", biography: "hello" });
  });

  it("configures videos one by one and in a batch, and reads them", async () => {
    const one = await client.videos.configure(
      bundleId,
      1,
      {
        video_type: "video",
        description: "first #launch",
        target_publish_date: "2026-09-05",
        video_url: videoUrl,
      },
      { idempotencyKey: k("video1", ref) },
    );
    expect(one.data).toMatchObject({ position: 1, status: "configured", description: "first #launch" });
    const batch = await client.videos.batch(
      bundleId,
      {
        videos: [
          {
            position: 2,
            video_type: "video",
            description: "second",
            target_publish_date: "2026-09-05",
            video_url: videoUrl,
          },
        ],
      },
      { idempotencyKey: k("batch", ref) },
    );
    expect(batch.data.results).toEqual([expect.objectContaining({ position: 2, success: true })]);
    const list = await client.videos.list(bundleId);
    expect(list.map((v) => [v.position, v.status])).toEqual([
      [1, "configured"],
      [2, "configured"],
    ]);
    const patched = await client.videos.patch(
      bundleId,
      2,
      { external_ref: `${ref}-v2` },
      { idempotencyKey: k("p2", ref) },
    );
    expect(patched.data.external_ref).toBe(`${ref}-v2`);
    expect((await client.videos.get(bundleId, 2)).external_ref).toBe(`${ref}-v2`);
  });

  it("checks readiness, publishes, adds a slot and publishes videos", async () => {
    const readiness = await client.bundles.publishReadiness(bundleId);
    expect(readiness).toMatchObject({ ready: true, blockers: [] });
    const published = await client.bundles.publish(bundleId, { idempotencyKey: k("publish", ref) });
    expect(published.data.status).toMatch(/^published/);
    const slots = await client.bundles.addVideoSlots(bundleId, 1, { idempotencyKey: k("slots", ref) });
    expect(slots.data.positions).toEqual([3]);
    expect(slots.charge.credits_charged).toBe(2);
    await client.videos.configure(
      bundleId,
      3,
      { video_type: "video", description: "third", target_publish_date: "2026-09-06", video_url: videoUrl },
      { idempotencyKey: k("video3", ref) },
    );
    const all = await client.videos.publishAll(bundleId, { idempotencyKey: k("publishAll", ref) });
    expect(all.data.videos_published).toBe(1);
    expect(all.data.video_ids).toHaveLength(1);
    const again = await client.videos.publishAll(bundleId, { idempotencyKey: k("publishAll", ref) });
    expect(again.data.videos_published).toBe(1);
    expect(again.replayed).toBe(true); // replayed, not repeated
    const unscheduled = await client.videos.unschedule(bundleId, 3, {
      idempotencyKey: k("unschedule3", ref),
    });
    expect(unscheduled.data).toBeTypeOf("object");
    expect((await client.videos.get(bundleId, 3)).status).toBe("pending");
  });

  it("publishes a single configured slot of a live bundle", async () => {
    await client.videos.configure(
      bundleId,
      3,
      {
        video_type: "video",
        description: "third again",
        target_publish_date: "2026-09-06",
        video_url: videoUrl,
      },
      { idempotencyKey: k("video3b", ref) },
    );
    const one = await client.videos.publish(bundleId, 3, { idempotencyKey: k("publish3", ref) });
    expect(one.data).toMatchObject({ position: 3, status: "published" });
  });

  it("reads analytics once the videos are posted", async () => {
    await emu.advance(10 * 24 * 3600);
    const bundle = await client.bundles.get(bundleId);
    expect(bundle.saved_account_id).toBeTruthy();
    const videos = await client.videos.list(bundleId);
    const posted = videos.find((v) => v.platform_url);
    expect(posted?.id).toBeTruthy();
    const rows = [];
    for await (const row of client.analytics.accountVideos(bundle.saved_account_id!)) rows.push(row);
    expect(rows.length).toBeGreaterThan(0);
    const one = await client.analytics.video(posted!.id!);
    expect(one.views).toBeTypeOf("number");
    const csv = await client.analytics.exportVideosCsv();
    expect(csv.split("\n")[0]).toContain("video_id");
    expect(csv).toContain(posted!.id!);
  });
});

describe("credits, reference data and the generic call", () => {
  it("reads costs, balance and the ledger", async () => {
    const costs = await client.credits.costs();
    expect(costs.costs.account_creation).toBe(32);
    const balance = await client.credits.balance();
    expect(balance.total_credits).toBeGreaterThan(0);
    const history = [];
    for await (const t of client.credits.history()) history.push(t);
    expect(history.length).toBeGreaterThan(0);
    expect(history.every((t) => typeof t.amount === "number")).toBe(true);
  });

  it("knows TokPortal's clock from the Date header (the sandbox's is simulated)", async () => {
    const fresh = new TokPortalClient({ baseUrl: emu.url, apiKey: key });
    expect(fresh.serverNow()).toBeNull();
    await fresh.credits.balance();
    const serverNow = fresh.serverNow();
    await fresh.close();
    // The test emulator's clock starts at 2026-09-01T12:00Z and stands still, whatever today is.
    expect(serverNow).not.toBeNull();
    expect(Math.abs((serverNow ?? 0) - emu.clock.now())).toBeLessThan(2_000);
    expect(new Date(emu.clock.now()).getUTCFullYear()).toBe(2026);
  });

  it("lists the webhook events without a key", async () => {
    const before = emu.requestLog().length;
    const events = await client.webhooks.events();
    expect(events.events.map((e) => e.type)).toContain("video.finalized");
    const entry = emu.requestLog(before).find((e) => e.operationId === "listWebhookEvents");
    expect(entry?.status).toBe(200);
  });

  it("calls any operation of the spec by id", async () => {
    const me = await client.call("getCurrentUser");
    expect(me.status).toBe(200);
    expect((me.body as { data: { credits: { balance: number } } }).data.credits.balance).toBeGreaterThan(0);
    const countries = await client.call("listCountries", { query: { page: 1 } });
    expect(Array.isArray((countries.body as { data: unknown[] }).data)).toBe(true);
  });

  it("takes only operation names the spec has: a typo fails typecheck, and at run time sends nothing", async () => {
    const before = emu.requestLog().length;
    // @ts-expect-error: "getBundel" is not an operationId of the generated spec types
    const typo = () => client.call("getBundel");
    expect(typo).toThrow(/Unknown TokPortal operation/);
    expect(emu.requestLog(before)).toHaveLength(0);
  });

  it("answers a write with its data and metadata", async () => {
    const body = { bundle_type: "account_only" as const, platform: "tiktok" as const, country: "USA" };
    const key = `answered-${crypto.randomUUID()}`;
    const first = await client.bundles.create(body, { idempotencyKey: key });
    expect(first).toMatchObject({ operationId: "createBundle", status: 201, replayed: false, attempt: 1 });
    expect(first.data.id).toBeTruthy();
    expect(first.charge.credits_charged).toBeGreaterThan(0);
    expect(first.requestId).toBeTruthy();
    const again = await client.bundles.create(body, { idempotencyKey: key });
    expect(again.replayed).toBe(true);
    expect(again.data.id).toBe(first.data.id);
  });
});

describe("what goes on the wire", () => {
  it("sends a request id per attempt and the client header; the emulator echoes the id", async () => {
    const before = emu.requestLog().length;
    events.length = 0;
    const res = await client.call("getCreditBalance");
    expect(res.requestId).toMatch(/^tps-[0-9a-f]{16}-1$/);
    const entry = emu.requestLog(before).find((e) => e.operationId === "getCreditBalance");
    expect(entry?.request_id).toBe(res.requestId);
    expect(events.map((e) => e.type)).toEqual(["request", "response"]);
    expect(JSON.stringify(events)).not.toContain(key);
    expect(CLIENT_VERSION).toBe("0.1.0");
  });

  it("dry run: validated and priced by the server, nothing created or charged", async () => {
    const before = (await client.credits.balance()).total_credits;
    const res = await client.bundles.create(
      { bundle_type: "account_and_videos", country: "USA", videos_quantity: 3, external_ref: "dry-1" },
      { dryRun: true },
    );
    expect(res.dryRun).toBe(true);
    expect(res.charge.credits_would_charge).toBe(38);
    expect(res.data.id.startsWith("00000000-0000-4000-8000-")).toBe(true);
    expect((await client.credits.balance()).total_credits).toBe(before);
    const log = emu.requestLog().filter((e) => e.operationId === "createBundle" && e.dry_run);
    expect(log.length).toBeGreaterThan(0);
  });

  it("refuses locally: a write without a key, a key on a sensitive operation, a missing path parameter", async () => {
    const before = emu.requestLog().length;
    await expect(
      // @ts-expect-error: the type also requires a key
      client.bundles.create({ bundle_type: "account_only", country: "USA" }, {}),
    ).rejects.toThrow(/Idempotency-Key is required on createBundle/);
    await expect(
      client.call(
        "uploadVideo",
        { body: { filename: "a.mp4", bundle_id: crypto.randomUUID() } },
        { idempotencyKey: "x" },
      ),
    ).rejects.toThrow(/refused on uploadVideo/);
    await expect(client.call("getBundle", {})).rejects.toBeInstanceOf(RequestValidationError);
    await expect(client.call("getBundle", { body: { a: 1 }, path: { id: "x" } })).rejects.toThrow(
      /takes no request body/,
    );
    await expect(client.call("listBundles", { query: { per_page: 500 } })).rejects.toThrow(/query.per_page/);
    expect(emu.requestLog().length).toBe(before);
  });

  it("sends an explicitly unkeyed write, and does not retry it after an ambiguous failure", async () => {
    emu.setFaults({ rules: [{ operationId: "updateBundle", action: "status", status: 503, times: 1 }] });
    try {
      const created = await client.bundles.create(
        {
          bundle_type: "account_only",
          country: "USA",
          external_ref: `unkeyed-${randomBytes(3).toString("hex")}`,
        },
        { idempotencyKey: `u-${randomBytes(6).toString("hex")}` },
      );
      const before = emu.requestLog().length;
      await expect(
        client.bundles.patch(created.data.id, { title: "t" }, { allowWithoutIdempotencyKey: true }),
      ).rejects.toMatchObject({ status: 503, attempts: 1 });
      expect(emu.requestLog(before).filter((e) => e.operationId === "updateBundle")).toHaveLength(1);
      const ok = await client.bundles.patch(
        created.data.id,
        { title: "t" },
        { allowWithoutIdempotencyKey: true },
      );
      expect(ok.data.title).toBe("t");
    } finally {
      emu.setFaults({});
    }
  });

  it("fails at once, without retrying, once closed", async () => {
    const c = new TokPortalClient({ baseUrl: emu.url, apiKey: key });
    await c.credits.balance();
    await c.close();
    await expect(c.credits.balance()).rejects.toMatchObject({ code: "CLIENT_CLOSED", retryable: false });
    expect(c.stats().attempts).toBe(1);
  });

  it("close() stops the calls waiting for a token or a retry, and leaves no timer behind", async () => {
    // The fake clock never moves: the gate's wait and the backoff can only end through close().
    const clock = new FakeClock();
    const c = new TokPortalClient({
      baseUrl: emu.url,
      apiKey: key,
      clock,
      // A token in 100 s: a long wait, still within the default ceiling (a longer one is refused at once).
      gate: { capacity: 1, refillPerSecond: 0.01 },
    });
    emu.setFaults({ rules: [{ operationId: "getCreditBalance", action: "status", status: 503 }] });
    try {
      const backingOff = c.credits.balance();
      const settled = backingOff.catch((e: unknown) => e);
      const waiting = c.call("getCurrentUser").catch((e: unknown) => e);
      for (let i = 0; i < 100 && c.stats().retries === 0; i++) await flush();
      expect(c.stats().retries).toBe(1);
      expect(c.gate.state().waiting).toBe(1);
      expect(clock.pendingTimers).toBe(2);
      await c.close();
      expect(await settled).toMatchObject({ code: "CLIENT_CLOSED", operationId: "getCreditBalance" });
      expect(await waiting).toMatchObject({ code: "CLIENT_CLOSED", operationId: "getCurrentUser" });
      expect(c.gate.state().waiting).toBe(0);
      expect(clock.pendingTimers).toBe(0);
      expect(c.stats().attempts).toBe(1);
    } finally {
      emu.setFaults({});
    }
  });

  it("counts calls, attempts and bytes", () => {
    const s = client.stats();
    expect(s.calls.createBundle).toBeGreaterThanOrEqual(3);
    expect(s.attempts).toBeGreaterThanOrEqual(Object.values(s.calls).reduce((a, b) => a + b, 0) - 10);
    expect(s.bytesSent).toBeGreaterThan(MP4.byteLength);
    expect(s.bytesReceived).toBeGreaterThan(1000);
    expect(s.rateLimited).toBe(0);
  });
});
