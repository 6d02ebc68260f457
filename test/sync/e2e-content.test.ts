/**
 * The content columns end to end through `runSync` against the sandbox, with what was sent read at a
 * recording proxy: a story (its image a local file, stored first) and disclosures configured; an instant
 * repost charged once across reruns and across a run cut short before its write-back; a released video's
 * description set by one PATCH, then nothing.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { type RecordingProxy, startRecordingProxy } from "./support/recording-proxy.ts";
import { emulatorWorld } from "./support/world.ts";

const emu = sharedEmulator();
const { onlyBundle, workspace } = emulatorWorld(emu);
let proxy: RecordingProxy;
let dir: string;
beforeAll(async () => {
  proxy = await startRecordingProxy(emu.origin);
});
afterAll(async () => {
  await proxy?.stop();
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-content-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const target = () => ({ url: proxy.url, apiKey: emu.apiKey });
const slotAt = (position: number) => onlyBundle().videos.find((v) => v.position === position)!;
const credits = () => workspace().credits;
/** What the sync sent since `since`, as `METHOD /path-after-the-bundle-id` (ids left out). */
const sentSince = (since: number) =>
  proxy
    .writes(since)
    .map((w) => `${w.method} ${w.path.replace(/^\/api\/ext/, "").replace(/[0-9a-f-]{36}/g, ":id")}`);
const setRow = (file: string, ref: string, cells: Record<string, string>) =>
  editCsv(file, (rows) => {
    Object.assign(rows.find((r) => r["video_ref"] === ref)!, cells);
    return rows;
  });
const rowOf = (file: string, ref: string) => readCsvRows(file).find((r) => r["video_ref"] === ref)!;

describe("stories, disclosures and paid options", () => {
  it("are configured as the sheet says, charged once, and a rerun sends nothing", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 3, publish: true });
    mkdirSync(path.join(dir, "media"));
    writeFileSync(path.join(dir, "media", "story.png"), Buffer.from("story image bytes"));
    setRow(files.videosPath, "c01-v1", {
      instant_repost_as_story: "yes",
      ai_content_disclaimer: "yes",
      disclose_as_ads: "yes",
    });
    setRow(files.videosPath, "c01-v2", {
      video_type: "story",
      description: "",
      video_url: "",
      story_image_url: "media/story.png",
      story_repost_url: "https://www.tiktok.com/@brand/video/7400000000000000009",
    });
    const opening = credits();
    const since = proxy.mark();
    const first = await syncCsv(target(), files);
    expect(first.counts).toMatchObject({ synced: 4, error: 0, locked: 0 });
    // The bundle (32 + 3 slots × 2), then the two options once each.
    expect(opening - credits()).toBe(38 + 2);
    expect(first.plan.totals.cost).toBe(40);

    const batch = proxy.writes(since).find((w) => w.path.endsWith("/videos/batch"))!;
    const items = (batch.body as { videos: Array<Record<string, unknown>> }).videos;
    expect(items[0]).toMatchObject({
      position: 1,
      instant_repost_as_story: true,
      ai_content_disclaimer: true,
      disclose_as_ads: true,
    });
    const story = items[1]!;
    expect(story).toMatchObject({
      video_type: "story",
      story_repost_url: "https://www.tiktok.com/@brand/video/7400000000000000009",
    });
    expect(story).not.toHaveProperty("description");
    expect(story).not.toHaveProperty("video_url");
    // The local image is stored first and sent as its storage path.
    expect(story["story_image_url"]).toMatch(/^carousel-images\//);
    expect(sentSince(since)).toContain("POST /upload/image/direct");
    expect(slotAt(2)).toMatchObject({ video_type: "story", description: null, status: "published" });
    expect(slotAt(1)).toMatchObject({ instant_repost_as_story: true, disclose_as_ads: true });

    const again = proxy.mark();
    const rerun = await syncCsv(target(), files);
    expect(sentSince(again)).toEqual([]);
    expect(rerun.counts).toMatchObject({ synced: 4, error: 0 });
    expect(opening - credits()).toBe(40);

    // Once posted, a story shows TokPortal's screenshot of it.
    await emu.advance(20 * 86_400);
    const view = (await emu.api("GET", `/bundles/${onlyBundle().id}/videos/2`)).body.data;
    expect(view.evidence_screenshot).toMatch(/\.png$/);
    expect((await emu.api("GET", `/bundles/${onlyBundle().id}/videos/1`)).body.data.evidence_screenshot).toBe(
      null,
    );
  });

  it("an instant repost added later is charged once, even when the run's write-back is lost", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: true });
    await syncCsv(target(), files);
    editCsv(files.videosPath, (rows) => [
      ...rows,
      {
        video_ref: "c01-v3",
        bundle_ref: "c01",
        video_type: "video",
        description: "Reposted to the story as soon as it is up",
        target_publish_date: "2026-09-14",
        video_url: "https://example.com/v/c01-v3.mp4",
        instant_repost_as_story: "yes",
        publish: "yes",
      },
    ]);
    // A run that did its writes and died before writing the sheet back: the sheet is as it was.
    const before = path.join(dir, "videos.before.csv");
    copyFileSync(files.videosPath, before);
    const opening = credits();
    const since = proxy.mark();
    const cut = await syncCsv(target(), files);
    expect(cut.plan.totals.cost).toBe(2 + 1);
    expect(sentSince(since)).toEqual([
      "POST /bundles/:id/add-video-slots",
      "PUT /bundles/:id/videos/batch",
      "POST /bundles/:id/videos/publish-all",
    ]);
    copyFileSync(before, files.videosPath);

    const again = proxy.mark();
    const rerun = await syncCsv(target(), files);
    expect(sentSince(again)).toEqual([]);
    expect(rerun.counts).toMatchObject({ synced: 4, error: 0, locked: 0 });
    expect(opening - credits()).toBe(3);
    expect(slotAt(3)).toMatchObject({ instant_repost_as_story: true, status: "published" });
    expect(rowOf(files.videosPath, "c01-v3")["sync_fingerprint"]).toMatch(/^v1-/);
  });
});

describe("a released video", () => {
  it("takes a new description by one PATCH; a rerun sends nothing; new media locks the row", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: true });
    await syncCsv(target(), files);
    expect(slotAt(2).status).toBe("published");

    setRow(files.videosPath, "c01-v2", { description: "Now with the autumn colours #fall" });
    const since = proxy.mark();
    const edit = await syncCsv(target(), files);
    expect(proxy.writes(since)).toEqual([
      {
        method: "PATCH",
        path: `/api/ext/bundles/${onlyBundle().id}/videos/2`,
        body: { description: "Now with the autumn colours #fall" },
      },
    ]);
    expect(edit.counts).toMatchObject({ synced: 3, error: 0, locked: 0 });
    expect(slotAt(2)).toMatchObject({
      description: "Now with the autumn colours #fall",
      status: "published",
    });

    const again = proxy.mark();
    await syncCsv(target(), files);
    expect(proxy.writes(again)).toEqual([]);

    // A date too soon for the PATCH is said on the row, with nothing sent.
    setRow(files.videosPath, "c01-v2", { target_publish_date: "2026-09-02" });
    const soon = proxy.mark();
    await syncCsv(target(), files);
    expect(proxy.writes(soon)).toEqual([]);
    expect(rowOf(files.videosPath, "c01-v2")).toMatchObject({ sync_status: "error" });
    expect(rowOf(files.videosPath, "c01-v2")["sync_message"]).toContain("earliest 2026-09-04");

    setRow(files.videosPath, "c01-v2", {
      target_publish_date: "2026-09-11",
      video_url: "https://example.com/new.mp4",
    });
    const media = proxy.mark();
    await syncCsv(target(), files);
    expect(proxy.writes(media)).toEqual([]);
    expect(rowOf(files.videosPath, "c01-v2")["sync_status"]).toBe("locked");
  });
});
