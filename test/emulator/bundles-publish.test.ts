/** Publishing over HTTP: readiness, bundle publish with date shifting, unpublish, video publish and publish-all. */
import { describe, expect, test } from "vitest";
import { sharedEmulator } from "../support/emulator.ts";
import {
  balance,
  configureAccount,
  configureVideo,
  createBundle,
  D3,
  D4,
  PROFILE,
  seedSavedAccount,
} from "./bundles.fixtures.ts";

// Keep the managers away while these tests move the clock: an accepted bundle delivers its account,
// and a delivered account has a 1-day lead time (see videos tests), which would hide stale dates.
const emu = sharedEmulator({}, { managers: { acceptAfterSeconds: 30 * 86_400 } });

describe("readiness and publishBundle", () => {
  test("a fresh bundle is blocked on the account fields and on configured videos", async () => {
    const id = await createBundle(emu);
    const readiness = await emu.api("GET", `/bundles/${id}/publish-readiness`);
    expect(readiness.status).toBe(200);
    expect(readiness.body.data.ready).toBe(false);
    expect(readiness.body.data.blockers.map((b: { code: string }) => b.code)).toEqual([
      "ACCOUNT_MISSING_FIELDS",
      "NO_VIDEOS_CONFIGURED",
    ]);
    expect(readiness.body.data.blockers[0].details.fields).toEqual([
      "username",
      "visible_name",
      "biography",
      "profile_picture_url",
    ]);
    const res = await emu.api("POST", `/bundles/${id}/publish`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("BUNDLE_NOT_READY");
    expect(res.body.error.details.blockers).toHaveLength(2);
    expect((await emu.api("GET", `/bundles/${id}`)).body.data.status).toBe("pending_setup");
  });

  test("an account without biography and picture still blocks", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id, { username: "abc", visible_name: "Abc" });
    await configureVideo(emu, id, 1, D3);
    const readiness = await emu.api("GET", `/bundles/${id}/publish-readiness`);
    expect(readiness.body.data.blockers).toEqual([
      {
        code: "ACCOUNT_MISSING_FIELDS",
        message: expect.any(String),
        details: { fields: ["biography", "profile_picture_url"] },
      },
    ]);
  });

  test("publishing moves the bundle, the account and configured slots; pending slots stay; it is free", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    await configureVideo(emu, id, 3, D4);
    const ready = await emu.api("GET", `/bundles/${id}/publish-readiness`);
    expect(ready.body.data).toMatchObject({ ready: true, blockers: [] });
    const before = await balance(emu);
    await emu.advance(30);
    const res = await emu.api("POST", `/bundles/${id}/publish`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      id,
      status: "published",
      published_at: "2026-09-01T12:00:30.000Z",
      videos_published: 2,
    });
    expect(res.body.data.adjusted_videos).toBeUndefined();
    expect(await balance(emu)).toBe(before);
    const videos = (await emu.api("GET", `/bundles/${id}/videos`)).body.data;
    expect(videos.map((v: { status: string }) => v.status)).toEqual(["published", "pending", "published"]);
    const detail = (await emu.api("GET", `/bundles/${id}`)).body.data;
    expect(detail).toMatchObject({ is_published: true, account_status: "published" });

    const again = await emu.api("POST", `/bundles/${id}/publish`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("BUNDLE_ALREADY_PUBLISHED");
  });

  test("stale dates are moved forward to the earliest allowed dates, 3 per day, and reported", async () => {
    const id = await createBundle(emu, { videos_quantity: 5 });
    await configureAccount(emu, id);
    for (const p of [1, 2, 3]) await configureVideo(emu, id, p, D3);
    await configureVideo(emu, id, 4, D4);
    await configureVideo(emu, id, 5, "2026-09-10");
    // Two days later the 4th and 5th no longer clear the 3-day lead time: the earliest is the 6th.
    await emu.advance(2 * 86_400);
    const res = await emu.api("POST", `/bundles/${id}/publish`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(
      res.body.data.adjusted_videos.map((a: Record<string, unknown>) => [
        a.position,
        a.previous_date,
        a.new_date,
      ]),
    ).toEqual([
      [1, "2026-09-04", "2026-09-06"],
      [2, "2026-09-04", "2026-09-06"],
      [3, "2026-09-04", "2026-09-06"],
      [4, "2026-09-05", "2026-09-07"],
    ]);
    expect(res.body.data.adjusted_videos_note).toEqual(expect.any(String));
    const videos = (await emu.api("GET", `/bundles/${id}/videos`)).body.data;
    expect(videos.map((v: { target_publish_date: string }) => v.target_publish_date)).toEqual([
      "2026-09-06",
      "2026-09-06",
      "2026-09-06",
      "2026-09-07",
      "2026-09-10",
    ]);
    expect(videos[3].target_publish_end_date).toBe("2026-09-08");
  });

  test("account_only needs no videos; videos_only needs no account profile", async () => {
    const accountOnly = (
      await emu.api("POST", "/bundles", { body: { bundle_type: "account_only", country: "USA" } })
    ).body.data.id;
    await configureAccount(emu, accountOnly);
    expect((await emu.api("POST", `/bundles/${accountOnly}/publish`)).status).toBe(200);

    const saved = seedSavedAccount(emu);
    const videosOnly = (
      await emu.api("POST", "/bundles", {
        body: { bundle_type: "videos_only", account_id: saved.id, videos_quantity: 2 },
      })
    ).body.data.id;
    const blocked = await emu.api("POST", `/bundles/${videosOnly}/publish`);
    expect(blocked.body.error.details.blockers.map((b: { code: string }) => b.code)).toEqual([
      "NO_VIDEOS_CONFIGURED",
    ]);
    await configureVideo(emu, videosOnly, 1, "2026-09-02");
    expect((await emu.api("POST", `/bundles/${videosOnly}/publish`)).status).toBe(200);
  });

  test("a cancelled bundle cannot be published", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    emu.state().bundles[id]!.status = "cancelled";
    const res = await emu.api("POST", `/bundles/${id}/publish`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("BUNDLE_INVALID_STATUS");
  });
});

describe("unpublishBundle", () => {
  test("published → pending_setup, slots back to configured, account editable again; not twice", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    const locked = await emu.api("POST", `/bundles/${id}/publish`);
    expect(locked.status).toBe(200);
    expect((await emu.api("PUT", `/bundles/${id}/account`, { body: PROFILE })).status).toBe(409);
    const res = await emu.api("POST", `/bundles/${id}/unpublish`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id, status: "pending_setup", unpublished_at: expect.any(String) });
    const videos = (await emu.api("GET", `/bundles/${id}/videos`)).body.data;
    expect(videos[0].status).toBe("configured");
    expect((await emu.api("GET", `/bundles/${id}/account`)).body.data.status).toBe("configured");
    expect((await emu.api("PUT", `/bundles/${id}/account`, { body: PROFILE })).status).toBe(200);
    const twice = await emu.api("POST", `/bundles/${id}/unpublish`);
    expect(twice.status).toBe(409);
    expect(twice.body.error.details).toMatchObject({ current_status: "pending_setup" });
  });

  test("an accepted bundle cannot be unpublished", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    await emu.api("POST", `/bundles/${id}/publish`);
    emu.state().bundles[id]!.status = "accepted";
    const res = await emu.api("POST", `/bundles/${id}/unpublish`);
    expect(res.status).toBe(409);
    expect(res.body.error.details.current_status).toBe("accepted");
  });
});

describe("publishing videos of an active bundle", () => {
  async function publishedBundle(): Promise<string> {
    const id = await createBundle(emu, { videos_quantity: 4 });
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    expect((await emu.api("POST", `/bundles/${id}/publish`)).status).toBe(200);
    return id;
  }

  test("publish-video needs an active bundle and a configured slot", async () => {
    const draft = await createBundle(emu);
    await configureVideo(emu, draft, 1, D3);
    const early = await emu.api("POST", `/bundles/${draft}/videos/1/publish`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("BUNDLE_INVALID_STATUS");

    const id = await publishedBundle();
    // Configured after the bundle went out: stays configured until released.
    await configureVideo(emu, id, 2, D4);
    expect((await emu.api("GET", `/bundles/${id}/videos/2`)).body.data.status).toBe("configured");
    const res = await emu.api("POST", `/bundles/${id}/videos/2/publish`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      position: 2,
      bundle_id: id,
      status: "published",
      date_adjusted: false,
    });
    const pending = await emu.api("POST", `/bundles/${id}/videos/3/publish`);
    expect(pending.status).toBe(409);
    expect(pending.body.error.details).toMatchObject({
      current_status: "pending",
      allowed_statuses: ["configured"],
    });
    const twice = await emu.api("POST", `/bundles/${id}/videos/2/publish`);
    expect(twice.status).toBe(409);
  });

  test("a stale date is moved forward instead of refused", async () => {
    const id = await publishedBundle();
    await configureVideo(emu, id, 2, D3);
    await emu.advance(86_400);
    const res = await emu.api("POST", `/bundles/${id}/videos/2/publish`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      date_adjusted: true,
      original_date: "2026-09-04",
      new_date: "2026-09-05",
      target_publish_date: "2026-09-05",
      hint: expect.any(String),
    });
  });

  test("publish-all releases every configured slot and reports moved dates", async () => {
    const id = await publishedBundle();
    await configureVideo(emu, id, 2, D3);
    await configureVideo(emu, id, 4, "2026-09-12");
    await emu.advance(86_400);
    const res = await emu.api("POST", `/bundles/${id}/videos/publish-all`);
    expect(res.status).toBe(200);
    const slots = (await emu.api("GET", `/bundles/${id}/videos`)).body.data;
    expect(res.body.data).toMatchObject({
      bundle_id: id,
      videos_published: 2,
      video_ids: [slots[1].id, slots[3].id],
      dates_adjusted: true,
      adjusted_videos: [{ position: 2, previous_date: "2026-09-04", new_date: "2026-09-05" }],
    });
    expect(slots.map((v: { status: string }) => v.status)).toEqual([
      "published",
      "published",
      "pending",
      "published",
    ]);
    const none = await emu.api("POST", `/bundles/${id}/videos/publish-all`);
    expect(none.body.data).toMatchObject({ videos_published: 0, dates_adjusted: false });

    const draft = await createBundle(emu);
    const refused = await emu.api("POST", `/bundles/${draft}/videos/publish-all`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("BUNDLE_INVALID_STATUS");
  });
});
