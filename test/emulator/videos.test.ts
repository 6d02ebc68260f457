/** Video slots over HTTP: configure rules (lead time, per-day cap, content, status), media, money, actions. */
import { describe, expect, test } from "vitest";
import { sharedEmulator } from "../support/emulator.ts";
import {
  balance,
  configureAccount,
  configureVideo,
  createBundle,
  D1,
  D2,
  D3,
  D4,
  seedSavedAccount,
  TODAY,
  videoBody,
} from "./bundles.fixtures.ts";

const emu = sharedEmulator({}, { managers: { acceptAfterSeconds: 30 * 86_400 } });

const put = (id: string, position: number | string, body: Record<string, unknown>) =>
  emu.api("PUT", `/bundles/${id}/videos/${position}`, { body });

async function videosOnlyBundle(videos = 3, platform: "tiktok" | "instagram" = "tiktok"): Promise<string> {
  const saved = seedSavedAccount(emu, { platform });
  const res = await emu.api("POST", "/bundles", {
    body: { bundle_type: "videos_only", account_id: saved.id, videos_quantity: videos },
  });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

describe("lead time (UTC days)", () => {
  test("a new-account bundle: exactly 3 days ahead passes, 2 days is INVALID_DATE with the earliest date", async () => {
    const id = await createBundle(emu);
    const early = await put(id, 1, videoBody(D2));
    expect(early.status).toBe(400);
    expect(early.body.error.code).toBe("INVALID_DATE");
    expect(early.body.error.details).toMatchObject({ min_days_ahead: 3, earliest_allowed: D3 });
    expect((await put(id, 1, videoBody(TODAY))).status).toBe(400);
    const ok = await put(id, 1, videoBody(D3));
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({
      status: "configured",
      target_publish_date: D3,
      target_publish_start_date: D3,
      target_publish_end_date: D4,
    });
  });

  test("videos_only: 1 day ahead passes, today fails with min_days_ahead 1", async () => {
    const id = await videosOnlyBundle();
    const today = await put(id, 1, videoBody(TODAY));
    expect(today.status).toBe(400);
    expect(today.body.error.details).toMatchObject({ min_days_ahead: 1, earliest_allowed: D1 });
    expect((await put(id, 1, videoBody(D1))).status).toBe(200);
  });

  test("an impossible calendar date is refused", async () => {
    const id = await createBundle(emu);
    const res = await put(id, 1, videoBody("2026-09-31"));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_DATE");
  });
});

describe("at most 3 videos per target day per bundle", () => {
  test("3 pass, the 4th fails; reconfiguring a slot on its own day passes; moving one away frees room", async () => {
    const id = await createBundle(emu, { videos_quantity: 5 });
    for (const p of [1, 2, 3]) await configureVideo(emu, id, p, D3);
    const fourth = await put(id, 4, videoBody(D3));
    expect(fourth.status).toBe(400);
    expect(fourth.body.error.code).toBe("VIDEOS_PER_DAY_EXCEEDED");
    expect(fourth.body.error.details).toMatchObject({ date: D3, current_count: 3 });
    expect((await emu.api("GET", `/bundles/${id}/videos/4`)).body.data.status).toBe("pending");

    const again = await put(id, 2, videoBody(D3, { description: "edited" }));
    expect(again.status).toBe(200);
    expect(again.body.data.description).toBe("edited");

    await configureVideo(emu, id, 1, D4);
    expect((await put(id, 4, videoBody(D3))).status).toBe(200);
    // Another bundle's videos do not count.
    const other = await createBundle(emu);
    expect((await put(other, 1, videoBody(D3))).status).toBe(200);
  });

  test("after a reset the slot no longer counts for its old day", async () => {
    const id = await createBundle(emu, { videos_quantity: 4 });
    for (const p of [1, 2, 3]) await configureVideo(emu, id, p, D3);
    expect((await emu.api("POST", `/bundles/${id}/videos/3/reset`)).status).toBe(200);
    expect((await put(id, 4, videoBody(D3))).status).toBe(200);
  });
});

describe("content and status rules", () => {
  test("required content per type and platform names the field", async () => {
    const tiktok = await createBundle(emu);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...videoBody(D3), video_url: undefined }, "video_url"],
      [{ ...videoBody(D3), video_type: "carousel", video_url: undefined }, "carousel_images"],
      [
        {
          ...videoBody(D3),
          video_type: "carousel",
          video_url: undefined,
          carousel_images: ["https://example.com/1.jpg", "https://example.com/2.jpg"],
        },
        "tiktok_sound_url",
      ],
    ];
    for (const [body, field] of cases) {
      const res = await put(tiktok, 1, JSON.parse(JSON.stringify(body)));
      expect(res.status, field).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_ERROR");
      expect(res.body.error.details.field).toBe(field);
    }
    // carousel_images take upload storage paths: a URL is refused by name, its upload's path is taken.
    const carouselOf = (images: string[]) => ({
      ...videoBody(D3),
      video_type: "carousel",
      video_url: undefined,
      carousel_images: images,
      tiktok_sound_url: "https://www.tiktok.com/music/x-1",
    });
    const url = "https://example.com/1.jpg";
    for (const images of [[url], ["carousel-images/nobody/none/1.jpg"]]) {
      const refused = await put(tiktok, 1, carouselOf(images));
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({
        code: "VALIDATION_ERROR",
        details: { field: "carousel_images", index: 0 },
      });
      expect(refused.body.error.message).toContain(images[0]);
    }
    const uploaded = await emu.api("POST", "/upload/image/from-url", {
      body: { url, bundle_id: tiktok, purpose: "carousel" },
    });
    const path = uploaded.body.data.storage_path as string;
    const carousel = await put(tiktok, 1, carouselOf([path]));
    expect(carousel.status).toBe(200);
    expect(carousel.body.data.carousel_images).toEqual([path]);

    const insta = await createBundle(emu, { platform: "instagram" });
    const noType = await put(insta, 1, videoBody(D3));
    expect(noType.status).toBe(400);
    expect(noType.body.error.details.field).toBe("instagram_content_type");
    expect((await put(insta, 1, videoBody(D3, { instagram_content_type: "reel" }))).status).toBe(200);
  });

  test("a published slot cannot be configured: 409 VIDEO_INVALID_STATUS with current and allowed", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    await emu.api("POST", `/bundles/${id}/publish`);
    const res = await put(id, 1, videoBody(D4));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("VIDEO_INVALID_STATUS");
    expect(res.body.error.details).toMatchObject({
      current_status: "published",
      allowed_statuses: ["pending", "configured", "pending_corrections"],
    });
    // A pending slot of the published bundle can still be configured (it stays configured until released).
    expect((await put(id, 2, videoBody(D4))).status).toBe(200);
  });

  test("completed or cancelled bundles refuse configuration", async () => {
    const id = await createBundle(emu);
    for (const status of ["completed", "cancelled"] as const) {
      emu.state().bundles[id]!.status = status;
      const res = await put(id, 1, videoBody(D3));
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("BUNDLE_INVALID_STATUS");
    }
  });

  test("a missing position is 404 VIDEO_NOT_FOUND", async () => {
    const id = await createBundle(emu);
    for (const res of [await emu.api("GET", `/bundles/${id}/videos/4`), await put(id, 9, videoBody(D3))]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("VIDEO_NOT_FOUND");
    }
  });
});

describe("media and money", () => {
  test("video_url is re-hosted in emulator storage; emulator storage URLs are kept", async () => {
    const id = await createBundle(emu);
    const res = await configureVideo(emu, id, 1, D3);
    expect(res.body.data.video_url).toMatch(
      new RegExp(`^${emu.origin}/__emulator/storage/videos/${id}/\\d+\\.mp4$`),
    );
    const own = `${emu.origin}/__emulator/storage/videos/${id}/upload-1.mp4`;
    const kept = await configureVideo(emu, id, 2, D3, { video_url: own });
    expect(kept.body.data.video_url).toBe(own);
  });

  test("uploaded media is used as is: a carousel of image storage paths, a video public_url", async () => {
    const id = await createBundle(emu);
    const form = new FormData();
    form.append("bundle_id", id);
    form.append(
      "file",
      new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], { type: "image/jpeg" }),
      "a.jpg",
    );
    const image = await emu.api("POST", "/upload/image/direct", { body: form });
    expect(image.status, JSON.stringify(image.body)).toBe(200);
    const path = image.body.data.storage_path as string;
    expect(path).not.toMatch(/^https?:/);
    const res = await put(id, 1, {
      ...videoBody(D3),
      video_type: "carousel",
      video_url: undefined,
      carousel_images: [path],
      tiktok_sound_url: "https://www.tiktok.com/music/s-1",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.carousel_images).toEqual([path]);
  });

  test("sound volume costs 1 credit the first time only", async () => {
    const id = await createBundle(emu);
    const start = await balance(emu);
    const first = await configureVideo(emu, id, 1, D3, { volume_original_sound: 80 });
    expect(first.body.credits_charged).toBe(1);
    expect(await balance(emu)).toBe(start - 1);
    const second = await configureVideo(emu, id, 1, D3, { volume_added_sound: 20 });
    expect(second.body.credits_charged).toBe(0);
    const plain = await configureVideo(emu, id, 2, D3);
    expect(plain.body.credits_charged).toBe(0);
    expect(await balance(emu)).toBe(start - 1);
  });

  test("without the credit for volume, nothing is configured", async () => {
    const poor = emu.createKey({ credits: 38 });
    const id = await createBundle(emu, {}, poor.apiKey);
    const res = await emu.api("PUT", `/bundles/${id}/videos/1`, {
      body: videoBody(D3, { volume_original_sound: 50 }),
      key: poor.apiKey,
    });
    expect(res.status).toBe(402);
    const slot = await emu.api("GET", `/bundles/${id}/videos/1`, { key: poor.apiKey });
    expect(slot.body.data).toMatchObject({ status: "pending", volume_original_sound: null });
  });
});

describe("auto_publish on configure", () => {
  test("publishes a ready bundle; reports blockers without failing when it is not ready", async () => {
    const id = await createBundle(emu);
    const notReady = await put(id, 1, videoBody(D3, { auto_publish: true }));
    expect(notReady.status).toBe(200);
    expect(notReady.body.auto_publish).toMatchObject({ attempted: true, published: false });
    expect(notReady.body.auto_publish.blockers.map((b: { code: string }) => b.code)).toEqual([
      "ACCOUNT_MISSING_FIELDS",
    ]);
    await configureAccount(emu, id);
    const res = await put(id, 2, videoBody(D4, { auto_publish: true }));
    expect(res.body.auto_publish).toMatchObject({ published: true, target: "bundle", videos_published: 2 });
    expect((await emu.api("GET", `/bundles/${id}`)).body.data.status).toBe("published");
    const third = await put(id, 3, videoBody(D4, { auto_publish: true }));
    expect(third.body.auto_publish).toMatchObject({ published: true, target: "videos", videos_published: 1 });
    expect(third.body.data.status).toBe("published");
    expect((await emu.api("GET", `/bundles/${id}/videos/3`)).body.data.status).toBe("published");
  });
});

describe("patch, list, reset, unschedule", () => {
  test("PATCH sets and clears external_ref and name at any stage without touching status", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    await emu.api("POST", `/bundles/${id}/publish`);
    const res = await emu.api("PATCH", `/bundles/${id}/videos/1`, {
      body: { external_ref: "clip-01", name: "Clip 1" },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ external_ref: "clip-01", name: "Clip 1", status: "published" });
    const cleared = await emu.api("PATCH", `/bundles/${id}/videos/1`, { body: { name: null } });
    expect(cleared.body.data).toMatchObject({ external_ref: "clip-01", name: null });
  });

  test("list is every slot by position, unpaginated; configure keeps the ref when the key is absent", async () => {
    const id = await createBundle(emu, { videos_quantity: 12 });
    await configureVideo(emu, id, 7, D3, { external_ref: "v7" });
    await configureVideo(emu, id, 7, D4);
    const res = await emu.api("GET", `/bundles/${id}/videos`);
    expect(res.body.pagination).toBeUndefined();
    expect(res.body.data.map((v: { position: number }) => v.position)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ]);
    expect(res.body.data[6]).toMatchObject({ external_ref: "v7", target_publish_date: D4, bundle_id: id });
  });

  test("reset and unschedule clear the slot to pending; not once the post is in review", async () => {
    const id = await createBundle(emu);
    for (const [position, action] of [
      [1, "reset"],
      [2, "unschedule"],
    ] as const) {
      await configureVideo(emu, id, position, D3, {
        external_ref: `v${position}`,
        editing_instructions: "cut",
      });
      const res = await emu.api("POST", `/bundles/${id}/videos/${position}/${action}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        status: "pending",
        video_url: null,
        description: null,
        target_publish_date: null,
        editing_instructions: null,
        external_ref: null,
      });
    }
    emu.state().bundles[id]!.videos[2]!.status = "in_review";
    for (const action of ["reset", "unschedule"]) {
      const res = await emu.api("POST", `/bundles/${id}/videos/3/${action}`);
      expect(res.status).toBe(409);
      expect(res.body.error.details.current_status).toBe("in_review");
    }
  });
});

describe("review actions", () => {
  test("finalize: accepted or in_review → finalized, else 409 INVALID_STATUS_TRANSITION", async () => {
    const id = await createBundle(emu);
    await configureVideo(emu, id, 1, D3);
    const refused = await emu.api("POST", `/bundles/${id}/videos/1/finalize`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: "INVALID_STATUS_TRANSITION",
      details: { current_status: "configured", allowed_statuses: ["accepted", "in_review"] },
    });
    emu.state().bundles[id]!.videos[0]!.status = "in_review";
    const res = await emu.api("POST", `/bundles/${id}/videos/1/finalize`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      position: 1,
      status: "finalized",
      finalized_at: "2026-09-01T12:00:00.000Z",
    });
  });

  test("corrections: in_review → pending_corrections, which can be configured again", async () => {
    const id = await createBundle(emu);
    await configureVideo(emu, id, 1, D3);
    const body = { comment: "Wrong sound", fields: { sound: true } };
    expect((await emu.api("POST", `/bundles/${id}/videos/1/corrections`, { body })).status).toBe(409);
    emu.state().bundles[id]!.videos[0]!.status = "in_review";
    const res = await emu.api("POST", `/bundles/${id}/videos/1/corrections`, { body });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: "pending_corrections", correction_message: "Wrong sound" });
    expect((await put(id, 1, videoBody(D4))).body.data.status).toBe("configured");
  });

  test("fix-download: 409 without an issue; clears it, re-hosts and moves the date to tomorrow", async () => {
    const id = await createBundle(emu);
    await configureVideo(emu, id, 1, D4);
    const body = { video_url: "https://drive.example.com/fixed.mp4" };
    const refused = await emu.api("POST", `/bundles/${id}/videos/1/fix-download`, { body });
    expect(refused.status).toBe(409);
    const slot = emu.state().bundles[id]!.videos[0]!;
    slot.download_issue = true;
    slot.download_issue_comment = "Link expired";
    const res = await emu.api("POST", `/bundles/${id}/videos/1/fix-download`, { body });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      download_issue: false,
      download_issue_comment: null,
      target_publish_date: D1,
      target_publish_end_date: D2,
    });
    expect(res.body.data.video_url).toContain(`${emu.origin}/__emulator/storage/videos/${id}/`);
  });
});
