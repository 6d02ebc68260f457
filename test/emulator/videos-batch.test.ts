/** Batch configuration and CSV import: whole-request checks, per-position results, one publish attempt. */
import { describe, expect, test } from "vitest";
import { sharedEmulator } from "../support/emulator.ts";
import { balance, configureAccount, createBundle, D2, D3, D4, videoBody } from "./bundles.fixtures.ts";

const emu = sharedEmulator({}, { managers: { acceptAfterSeconds: 30 * 86_400 } });

const batch = (id: string, body: unknown) => emu.api("PUT", `/bundles/${id}/videos/batch`, { body });

describe("batchConfigureBundleVideos", () => {
  test("partial failure comes back per position; the others are configured", async () => {
    const id = await createBundle(emu, { videos_quantity: 6 });
    const res = await batch(id, {
      videos: [
        { position: 1, ...videoBody(D3) },
        { position: 2, ...videoBody(D3) },
        { position: 3, ...videoBody(D2) },
        { position: 4, ...videoBody(D3) },
        { position: 5, ...videoBody(D3) },
        { position: 9, ...videoBody(D4) },
        { position: 6, ...videoBody(D4, { video_url: undefined }) },
      ].map((v) => JSON.parse(JSON.stringify(v))),
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ bundle_id: id, configured: 3, failed: 4, published: null });
    const results = res.body.data.results as Array<{
      position: number;
      success: boolean;
      error?: { code: string; details: Record<string, unknown> };
    }>;
    expect(results.map((r) => [r.position, r.success, r.error?.code ?? null])).toEqual([
      [1, true, null],
      [2, true, null],
      [3, false, "INVALID_DATE"],
      [4, true, null],
      [5, false, "VIDEOS_PER_DAY_EXCEEDED"],
      [9, false, "VIDEO_NOT_FOUND"],
      [6, false, "VALIDATION_ERROR"],
    ]);
    expect(results[4]!.error!.details).toMatchObject({ date: D3, current_count: 3 });
    expect(results[2]!.error!.details).toMatchObject({ min_days_ahead: 3, earliest_allowed: D3 });
    const slots = (await emu.api("GET", `/bundles/${id}/videos`)).body.data;
    expect(slots.map((v: { status: string }) => v.status)).toEqual([
      "configured",
      "configured",
      "pending",
      "configured",
      "pending",
      "pending",
    ]);
    // Fix and resend only the failed positions.
    const retry = await batch(id, {
      videos: [
        { position: 3, ...videoBody(D4) },
        { position: 5, ...videoBody(D4) },
      ],
    });
    expect(retry.body.data).toMatchObject({ configured: 2, failed: 0 });
  });

  test("whole-request problems answer 400 before anything is configured", async () => {
    const id = await createBundle(emu);
    const duplicate = await batch(id, {
      videos: [
        { position: 1, ...videoBody(D3) },
        { position: 1, ...videoBody(D4) },
      ],
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.code).toBe("VALIDATION_ERROR");
    const nested = await batch(id, { videos: [{ position: 2, ...videoBody(D3), auto_publish: true }] });
    expect(nested.status).toBe(400);
    expect(nested.body.error.message).toContain("top-level");
    const empty = await batch(id, { videos: [] });
    expect(empty.status).toBe(400);
    // Items stay closed: an unknown field is still refused, and position is required.
    const endDate = await batch(id, {
      videos: [{ position: 1, ...videoBody(D3), target_publish_end_date: D4 }],
    });
    expect(endDate.status).toBe(400);
    expect(endDate.body.error.code).toBe("UNKNOWN_FIELD");
    const noPosition = await batch(id, { videos: [videoBody(D3)] });
    expect(noPosition.status).toBe(400);
    expect(noPosition.body.error.code).toBe("VALIDATION_ERROR");
    const slots = (await emu.api("GET", `/bundles/${id}/videos`)).body.data;
    expect(slots.every((v: { status: string }) => v.status === "pending")).toBe(true);
  });

  test("volume credits are summed per call and taken once per slot", async () => {
    const id = await createBundle(emu);
    const start = await balance(emu);
    const res = await batch(id, {
      videos: [
        { position: 1, ...videoBody(D3, { volume_original_sound: 100 }) },
        { position: 2, ...videoBody(D3, { volume_added_sound: 10 }) },
        { position: 3, ...videoBody(D3) },
      ],
    });
    expect(res.body.credits_charged).toBe(2);
    const again = await batch(id, {
      videos: [{ position: 1, ...videoBody(D4, { volume_original_sound: 90 }) }],
    });
    expect(again.body.credits_charged).toBe(0);
    expect(await balance(emu)).toBe(start - 2);
  });

  test("auto_publish makes one publish attempt for the whole call", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    const res = await batch(id, {
      auto_publish: true,
      videos: [
        { position: 1, ...videoBody(D3) },
        { position: 2, ...videoBody(D4) },
      ],
    });
    expect(res.body.data.published).toMatchObject({ published: true, target: "bundle", videos_published: 2 });
    const detail = (await emu.api("GET", `/bundles/${id}`)).body.data;
    expect(detail.status).toBe("published");
    expect(detail.videos_status_counts).toEqual({ published: 2, pending: 1 });
  });
});

function csvForm(text: string, autoPublish?: boolean): FormData {
  const form = new FormData();
  form.append("file", new Blob([text], { type: "text/csv" }), "videos.csv");
  if (autoPublish !== undefined) form.append("auto_publish", String(autoPublish));
  return form;
}

describe("importBundleVideosCsv", () => {
  test("valid rows are imported, failing rows are skipped with their row number and reason", async () => {
    const id = await createBundle(emu, { videos_quantity: 5 });
    // carousel_images take the storage paths of image uploads.
    const [img1, img2] = await Promise.all(
      ["https://example.com/1.jpg", "https://example.com/2.jpg"].map(async (url) => {
        const res = await emu.api("POST", "/upload/image/from-url", { body: { url, bundle_id: id } });
        return res.body.data.storage_path as string;
      }),
    );
    const csv = [
      "Position,video_type,description,target_publish_date,video_url,carousel_images,tiktok_sound_url,external_ref,unknown_col",
      `1,video,First,${D3},https://drive.example.com/a.mp4,,,clip-1,ignored`,
      `2,carousel,"Second, with comma",${D3},,${img1};${img2},https://www.tiktok.com/music/s-1,clip-2,`,
      "",
      `3,video,Third,${D4}T09:30:00Z,https://drive.example.com/c.mp4,,,clip-3,`,
      `4,video,Too early,${D2},https://drive.example.com/d.mp4,,,clip-4,`,
      `5,carousel,No images,${D4},,,https://www.tiktok.com/music/s-1,clip-5,`,
      ",,,,,,,,",
    ].join("\n");
    const res = await emu.api("POST", `/bundles/${id}/videos/import-csv`, { body: csvForm(csv) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.imported).toBe(3);
    expect(res.body.data.skipped).toBe(2);
    expect(res.body.data.errors).toEqual([
      { row: 5, message: expect.stringContaining("at least 3 days") },
      { row: 6, message: expect.stringContaining("carousel_images") },
    ]);
    const slots = (await emu.api("GET", `/bundles/${id}/videos`)).body.data;
    expect(slots[1]).toMatchObject({
      description: "Second, with comma",
      carousel_images: [img1, img2],
      external_ref: "clip-2",
    });
    expect(slots[2].target_publish_date).toBe(D4);
    expect(slots.map((v: { status: string }) => v.status)).toEqual([
      "configured",
      "configured",
      "configured",
      "pending",
      "pending",
    ]);
  });

  test("template column names, booleans, paid flags and duplicate positions", async () => {
    const id = await createBundle(emu, { videos_quantity: 3 });
    const start = await balance(emu);
    const csv = [
      "position,name,video_type,video_url,description,target_publish_start_date,instant_repost_as_story,ai_content_disclaimer",
      `1,Clip one,video,https://drive.example.com/a.mp4,One,${D3},yes,1`,
      `1,Clip again,video,https://drive.example.com/b.mp4,Again,${D3},no,0`,
      `2,Clip two,video,https://drive.example.com/c.mp4,Two,${D3},maybe,0`,
      `7,Clip seven,video,https://drive.example.com/d.mp4,Seven,${D3},no,0`,
    ].join("\n");
    const res = await emu.api("POST", `/bundles/${id}/videos/import-csv`, { body: csvForm(csv) });
    expect(res.status).toBe(200);
    expect(res.body.data.imported).toBe(1);
    expect(res.body.data.errors.map((e: { row: number }) => e.row)).toEqual([2, 3, 4]);
    expect(res.body.data.errors[0].message).toContain("already used on row 1");
    expect(res.body.credits_charged).toBe(1);
    expect(await balance(emu)).toBe(start - 1);
    const slot = (await emu.api("GET", `/bundles/${id}/videos/1`)).body.data;
    expect(slot).toMatchObject({
      name: "Clip one",
      instant_repost_as_story: true,
      ai_content_disclaimer: true,
    });
  });

  test("auto_publish form field publishes once after the import; a file without position is 400", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    const csv = `position,video_type,description,target_publish_date,video_url\n1,video,One,${D3},https://x.example.com/a.mp4\n`;
    const res = await emu.api("POST", `/bundles/${id}/videos/import-csv`, { body: csvForm(csv, true) });
    expect(res.body.data.published).toMatchObject({ published: true, target: "bundle" });
    const bad = await emu.api("POST", `/bundles/${id}/videos/import-csv`, {
      body: csvForm("video_type,description\nvideo,x\n"),
    });
    expect(bad.status).toBe(400);
  });
});
