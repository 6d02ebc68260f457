import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { emulatorPerTest, type TestEmulator } from "../support/emulator.ts";
import { advanceTo, launchBundle } from "./managers-scenario.ts";

// The default rules on purpose: this suite is the proof of the timeline (accepted after 10 min,
// posted at 17:00 UTC on the target day, finalized 72 h later).
const emulators = emulatorPerTest();
const start = (seed = 1) => emulators.start({ seed });

/** Collects webhook envelopes posted to it, in arrival order. */
async function receiver(): Promise<{
  url: string;
  events: Array<{ type: string; data: Record<string, unknown> }>;
}> {
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      events.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  emulators.track({ stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events };
}

async function bundle(emu: TestEmulator, id: string) {
  return (await emu.api("GET", `/bundles/${id}`)).body.data;
}
async function videos(emu: TestEmulator, id: string) {
  return (await emu.api("GET", `/bundles/${id}/videos`)).body.data as Array<Record<string, unknown>>;
}

describe("simulated managers", () => {
  it("moves a published bundle through acceptance, delivery, posting, finalization and completion", async () => {
    const emu = await start();
    const hook = await receiver();
    const events = ["account.in_review", "account.finalized", "video.in_review", "video.finalized"];
    expect((await emu.api("POST", "/webhooks", { body: { url: hook.url, events } })).status).toBe(201);
    const { bundleId, videoIds } = await launchBundle(emu, { ref: "timeline-1" });
    expect((await bundle(emu, bundleId)).status).toBe("published");

    // Accepted acceptAfterSeconds after publication, not a second earlier.
    await emu.advance(599);
    expect((await bundle(emu, bundleId)).status).toBe("published");
    expect((await emu.api("GET", "/accounts")).body.data).toEqual([]);
    await emu.advance(1);
    const accepted = await bundle(emu, bundleId);
    expect(accepted.status).toBe("accepted");
    expect(accepted.saved_account_id).toEqual(expect.any(String));
    const account = (await emu.api("GET", `/bundles/${bundleId}/account`)).body.data;
    expect(account.status ?? account.account?.status).toBe("in_review");
    expect((await videos(emu, bundleId)).map((v) => v.status)).toEqual(["accepted", "accepted", "pending"]);

    // The delivered account is listed, with its bundles.
    const listed = await emu.api("GET", "/accounts");
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({
      id: accepted.saved_account_id,
      username: "timeline.user",
      platform: "tiktok",
      country: "USA",
      bundle_id: bundleId,
      status: "active",
    });
    expect(listed.body.pagination.total).toBe(1);
    const one = await emu.api("GET", `/accounts/${accepted.saved_account_id}`);
    expect(one.body.data).toMatchObject({ username: "timeline.user", visible_name: "Timeline User" });
    const theirBundles = await emu.api("GET", `/accounts/${accepted.saved_account_id}/bundles`);
    expect(theirBundles.body.data.map((b: { id: string }) => b.id)).toEqual([bundleId]);

    // Posted at 17:00 UTC on the target day.
    await advanceTo(emu, "2026-09-04T16:59:59.000Z");
    expect((await videos(emu, bundleId))[0]?.status).toBe("accepted");
    await advanceTo(emu, "2026-09-04T17:00:00.000Z");
    let slots = await videos(emu, bundleId);
    expect(slots[0]).toMatchObject({ status: "in_review" });
    expect(slots[0]?.platform_url).toMatch(/^https:\/\/www\.tiktok\.com\/@timeline\.user\/video\/7\d{18}$/);
    expect(slots[1]).toMatchObject({ status: "accepted", platform_url: null });
    // The account was auto-finalized 72 h after delivery (2026-09-04T12:10Z).
    const acc = (await emu.api("GET", `/bundles/${bundleId}/account`)).body.data;
    expect(acc.status ?? acc.account?.status).toBe("finalized");

    await advanceTo(emu, "2026-09-05T17:00:00.000Z");
    expect((await videos(emu, bundleId)).map((v) => v.status)).toEqual(["in_review", "in_review", "pending"]);

    // auto_finalize_videos is off: finalized 72 h after posting, then the bundle completes.
    await advanceTo(emu, "2026-09-07T17:00:00.000Z");
    expect((await videos(emu, bundleId)).map((v) => v.status)).toEqual(["finalized", "in_review", "pending"]);
    expect((await bundle(emu, bundleId)).status).toBe("accepted");
    await advanceTo(emu, "2026-09-08T17:00:00.000Z");
    slots = await videos(emu, bundleId);
    expect(slots.map((v) => v.status)).toEqual(["finalized", "finalized", "pending"]);
    expect((await bundle(emu, bundleId)).status).toBe("completed");

    // Webhooks arrived in the order things happened, with status and previous status.
    expect(hook.events.map((e) => `${e.type}:${e.data.position ?? "-"}`)).toEqual([
      "account.in_review:-",
      "account.finalized:-",
      "video.in_review:1",
      "video.in_review:2",
      "video.finalized:1",
      "video.finalized:2",
    ]);
    expect(hook.events[2]?.data).toMatchObject({
      video_id: videoIds[0],
      bundle_id: bundleId,
      status: "in_review",
      previous_status: "accepted",
      platform_url: slots[0]?.platform_url,
    });
    expect(hook.events[0]?.data).toMatchObject({
      saved_account_id: accepted.saved_account_id,
      username: "timeline.user",
      status: "in_review",
      previous_status: "published",
      external_ref: "timeline-1",
    });

    // Running again at the same time changes nothing and sends nothing.
    const before = JSON.stringify(emu.state().bundles);
    await emu.advance(0);
    await emu.advance(0);
    expect(JSON.stringify(emu.state().bundles)).toBe(before);
    expect(hook.events).toHaveLength(6);
  });

  it("finalizes at once when auto_finalize_videos is on", async () => {
    const emu = await start();
    const { bundleId } = await launchBundle(emu, { autoFinalize: true, dates: ["2026-09-04"] });
    await advanceTo(emu, "2026-09-04T17:00:00.000Z");
    const [slot] = await videos(emu, bundleId);
    expect(slot).toMatchObject({ status: "finalized" });
    expect(slot?.platform_url).toEqual(expect.any(String));
    expect(slot?.finalized_at).toBe("2026-09-04T17:00:00.000Z");
  });

  it("gives the same history for one big clock jump as for many small steps", async () => {
    const snapshot = (emu: TestEmulator) =>
      Object.values(emu.state().bundles).map((b) => ({
        status: b.status,
        accepted_at: b.accepted_at,
        completed_at: b.completed_at,
        account: b.account && {
          status: b.account.status,
          in_review_at: b.account.in_review_at,
          finalized_at: b.account.finalized_at,
        },
        videos: b.videos.map((v) => [v.status, v.in_review_at, v.finalized_at, v.platform_url]),
      }));
    const stepwise = await start(7);
    await launchBundle(stepwise);
    for (let i = 0; i < 10 * 24; i++) await stepwise.advance(3600);

    const jump = await start(7);
    await launchBundle(jump);
    await jump.advance(10 * 24 * 3600);

    expect(snapshot(jump)).toEqual(snapshot(stepwise));
    expect(snapshot(jump)[0]?.status).toBe("completed");
  });

  it("re-posts a video 24 h after corrections were requested", async () => {
    const emu = await start();
    const { bundleId } = await launchBundle(emu, { dates: ["2026-09-04"] });
    await advanceTo(emu, "2026-09-04T17:00:00.000Z");
    const asked = await emu.api("POST", `/bundles/${bundleId}/videos/1/corrections`, {
      body: { comment: "Please re-cut the intro", fields: { video_editing: true } },
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    expect((await videos(emu, bundleId))[0]?.status).toBe("pending_corrections");
    await advanceTo(emu, "2026-09-05T16:59:59.000Z");
    expect((await videos(emu, bundleId))[0]?.status).toBe("pending_corrections");
    await advanceTo(emu, "2026-09-05T17:00:00.000Z");
    expect((await videos(emu, bundleId))[0]).toMatchObject({
      status: "in_review",
      in_review_at: "2026-09-05T17:00:00.000Z",
    });
  });

  it("re-delivers an account 24 h after corrections were requested, then finalizes it 72 h later", async () => {
    const emu = await start();
    const { bundleId } = await launchBundle(emu, { dates: ["2026-09-04"] });
    await emu.advance(600); // accepted and delivered at 12:10
    await advanceTo(emu, "2026-09-02T09:00:00.000Z");
    const asked = await emu.api("POST", `/bundles/${bundleId}/account/corrections`, {
      body: { comment: "Wrong bio", fields: { biography: true } },
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    const accountStatus = async () => {
      const a = (await emu.api("GET", `/bundles/${bundleId}/account`)).body.data;
      return a.status ?? a.account?.status;
    };
    await advanceTo(emu, "2026-09-03T08:59:59.000Z");
    expect(await accountStatus()).toBe("pending_corrections");
    await advanceTo(emu, "2026-09-03T09:00:00.000Z");
    expect(await accountStatus()).toBe("in_review");
    await advanceTo(emu, "2026-09-06T08:59:59.000Z");
    expect(await accountStatus()).toBe("in_review");
    await advanceTo(emu, "2026-09-06T09:00:00.000Z");
    expect(await accountStatus()).toBe("finalized");
  });

  it("posts a videos_only bundle from the saved account it targets", async () => {
    const emu = await start();
    const first = await launchBundle(emu, { dates: ["2026-09-04"], username: "repeat.poster" });
    await emu.advance(600);
    const savedId = (await bundle(emu, first.bundleId)).saved_account_id as string;

    const more = await emu.api("POST", "/bundles", {
      body: {
        bundle_type: "videos_only",
        account_id: savedId,
        videos_quantity: 1,
        auto_finalize_videos: true,
      },
    });
    expect(more.status, JSON.stringify(more.body)).toBe(201);
    const id = more.body.data.id as string;
    const configured = await emu.api("PUT", `/bundles/${id}/videos/1`, {
      body: {
        video_type: "video",
        description: "Follow-up",
        video_url: "https://cdn.example.com/follow-up.mp4",
        target_publish_date: "2026-09-02",
      },
    });
    expect(configured.status, JSON.stringify(configured.body)).toBe(200);
    expect((await emu.api("POST", `/bundles/${id}/publish`)).status).toBe(200);

    await advanceTo(emu, "2026-09-02T17:00:00.000Z");
    const [slot] = await videos(emu, id);
    expect(slot).toMatchObject({ status: "finalized" });
    expect(slot?.platform_url).toMatch(/^https:\/\/www\.tiktok\.com\/@repeat\.poster\/video\/7\d{18}$/);
    expect((await bundle(emu, id)).status).toBe("completed");

    const theirBundles = await emu.api("GET", `/accounts/${savedId}/bundles`);
    expect(theirBundles.body.data.map((b: { id: string }) => b.id).sort()).toEqual(
      [first.bundleId, id].sort(),
    );
    const completedOnly = await emu.api("GET", `/accounts/${savedId}/bundles`, {
      query: { status: "completed" },
    });
    expect(completedOnly.body.data.map((b: { id: string }) => b.id)).toEqual([id]);
    // Still one delivered account: a videos_only bundle does not create another.
    expect((await emu.api("GET", "/accounts")).body.data).toHaveLength(1);
  });

  it("gives Instagram posts reel URLs and lists accounts by platform", async () => {
    const emu = await start();
    const { bundleId } = await launchBundle(emu, {
      platform: "instagram",
      dates: ["2026-09-04"],
      username: "ig.user",
    });
    await advanceTo(emu, "2026-09-04T17:00:00.000Z");
    const [slot] = await videos(emu, bundleId);
    expect(slot?.platform_url).toMatch(/^https:\/\/www\.instagram\.com\/reel\/[A-Za-z0-9_-]{11}\/$/);
    expect((await emu.api("GET", "/accounts", { query: { platform: "instagram" } })).body.data).toHaveLength(
      1,
    );
    expect((await emu.api("GET", "/accounts", { query: { platform: "tiktok" } })).body.data).toHaveLength(0);
    expect((await emu.api("GET", "/accounts", { query: { banned: "true" } })).body.data).toHaveLength(0);
  });

  it("keeps another workspace's saved accounts out of reach", async () => {
    const emu = await start();
    const { bundleId } = await launchBundle(emu);
    await emu.advance(600);
    const savedId = (await bundle(emu, bundleId)).saved_account_id as string;
    const other = emu.createKey({ credits: 0 });
    expect((await emu.api("GET", "/accounts", { key: other.apiKey })).body.data).toEqual([]);
    const res = await emu.api("GET", `/accounts/${savedId}`, { key: other.apiKey });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("SAVED_ACCOUNT_NOT_OWNED");
    const missing = await emu.api("GET", "/accounts/00000000-0000-4000-8000-0000000000ee");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("SAVED_ACCOUNT_NOT_FOUND");
  });

  it("leaves unpublished bundles alone", async () => {
    const emu = await start();
    const created = await emu.api("POST", "/bundles", {
      body: { bundle_type: "account_only", platform: "tiktok", country: "USA" },
    });
    await emu.advance(30 * 24 * 3600);
    expect((await bundle(emu, created.body.data.id)).status).toBe("pending_setup");
    expect((await emu.api("GET", "/accounts")).body.data).toEqual([]);
  });
});
