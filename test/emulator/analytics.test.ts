import Papa from "papaparse";
import { describe, expect, it } from "vitest";
import { videoMetrics } from "../../src/emulator/ops/metrics.ts";
import { emulatorPerTest, type TestEmulator } from "../support/emulator.ts";
import { advanceTo, launchBundle, MANAGER_RULES } from "./managers-scenario.ts";

const HEADER =
  "account_id,username,platform,country,video_id,bundle_id,position,external_ref,platform_url,posted_at,views,likes,comments,shares,bookmarks,engagement_rate,scraped_at";

const emulators = emulatorPerTest({ rules: MANAGER_RULES });
const start = (seed = 1) => emulators.start({ seed });

interface Metrics {
  views: number;
  likes: number;
  comments: number;
  shares: number | null;
  bookmarks: number | null;
  engagement_rate: number;
}

async function metrics(emu: TestEmulator, videoId: string): Promise<Metrics> {
  const res = await emu.api("GET", `/videos/${videoId}/analytics`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}

function parseCsv(text: string): Array<Record<string, string>> {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  return parsed.data;
}

/** Two posted TikTok videos (positions 1 and 2) on one delivered account. */
async function posted(seed = 1, refs = ["clip-1", "clip-2"]) {
  const emu = await start(seed);
  const launched = await launchBundle(emu, { ref: "analytics-1", videoRefs: refs });
  await advanceTo(emu, "2026-09-05T17:00:00.000Z");
  return { emu, ...launched };
}

describe("video analytics", () => {
  it("has no data before a video is posted and until its first hourly scrape", async () => {
    const emu = await start();
    const { videoIds } = await launchBundle(emu);
    const before = await emu.api("GET", `/videos/${videoIds[0]}/analytics`);
    expect(before.status).toBe(404);
    expect(before.body.error.code).toBe("ANALYTICS_NOT_FOUND");
    const unknown = await emu.api("GET", "/videos/00000000-0000-4000-8000-0000000000aa/analytics");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("VIDEO_NOT_FOUND");

    await advanceTo(emu, "2026-09-04T17:59:59.000Z");
    expect((await emu.api("GET", `/videos/${videoIds[0]}/analytics`)).body.error.code).toBe(
      "ANALYTICS_NOT_FOUND",
    );
    await advanceTo(emu, "2026-09-04T18:00:00.000Z");
    const first = await metrics(emu, videoIds[0]!);
    expect(first).toMatchObject({ video_id: videoIds[0], scraped_at: "2026-09-04T18:00:00.000Z" });
    expect(first.views).toBeGreaterThan(0);
  });

  it("grows monotonically in integers, with the documented engagement rate", async () => {
    const { emu, videoIds } = await posted();
    const series: Metrics[] = [];
    for (const hours of [0, 1, 3, 10, 24, 48, 100, 300, 1000]) {
      await advanceTo(
        emu,
        new Date(Date.parse("2026-09-05T17:00:00.000Z") + hours * 3_600_000).toISOString(),
      );
      series.push(await metrics(emu, videoIds[0]!));
    }
    for (const [i, m] of series.entries()) {
      for (const k of ["views", "likes", "comments", "shares", "bookmarks"] as const) {
        expect(Number.isInteger(m[k])).toBe(true);
        if (i > 0) expect(m[k]).toBeGreaterThanOrEqual(series[i - 1]![k] as number);
      }
      const sum = m.likes + m.comments + (m.shares ?? 0) + (m.bookmarks ?? 0);
      expect(m.engagement_rate).toBe(Math.round((sum / m.views) * 10_000) / 100);
    }
    expect(series.at(-1)!.views).toBeGreaterThan(series[0]!.views);
  });

  it("gives the same numbers for the same seed, and other numbers for another seed", async () => {
    const a = await posted(42);
    const b = await posted(42);
    const c = await posted(43);
    for (const emu of [a.emu, b.emu, c.emu]) await emu.advance(36 * 3600);
    const ma = await metrics(a.emu, a.videoIds[0]!);
    const mb = await metrics(b.emu, b.videoIds[0]!);
    const mc = await metrics(c.emu, c.videoIds[0]!);
    expect(mb).toEqual(ma);
    expect(mc.views).not.toBe(ma.views);
  });

  it("is a pure function of id, salt and elapsed hours", () => {
    const posted = Date.parse("2026-09-04T17:00:00.000Z");
    const at = (h: number) => videoMetrics("video-a", 5, "tiktok", posted, posted + h * 3_600_000);
    expect(at(0.99)).toBeNull();
    expect(at(5)).toEqual(at(5.5));
    expect(videoMetrics("video-a", 6, "tiktok", posted, posted + 5 * 3_600_000)).not.toEqual(at(5));
    const ig = videoMetrics("video-a", 5, "instagram", posted, posted + 5 * 3_600_000);
    expect(ig).toMatchObject({ shares: null, bookmarks: null });
  });
});

describe("account analytics", () => {
  it("lists a delivered account's videos, sorted as asked, and totals them", async () => {
    const { emu, bundleId, videoIds } = await posted();
    await emu.advance(48 * 3600);
    const savedId = (await emu.api("GET", `/bundles/${bundleId}`)).body.data.saved_account_id;
    const m1 = await metrics(emu, videoIds[0]!);
    const m2 = await metrics(emu, videoIds[1]!);

    const desc = await emu.api("GET", `/accounts/${savedId}/analytics/videos`, {
      query: { sort_by: "views" },
    });
    expect(desc.status).toBe(200);
    expect(desc.body.pagination.total).toBe(2);
    const views = desc.body.data.map((v: Metrics) => v.views);
    expect(views).toEqual([...views].sort((x, y) => y - x));
    const asc = await emu.api("GET", `/accounts/${savedId}/analytics/videos`, {
      query: { sort_by: "views", sort_order: "asc" },
    });
    expect(asc.body.data.map((v: Metrics) => v.views)).toEqual([...views].reverse());
    const byDate = await emu.api("GET", `/accounts/${savedId}/analytics/videos`);
    expect(byDate.body.data.map((v: { video_id: string }) => v.video_id)).toEqual([videoIds[1], videoIds[0]]);

    const totals = await emu.api("GET", `/accounts/${savedId}/analytics`);
    expect(totals.status).toBe(200);
    expect(totals.body.data).toMatchObject({
      account_id: savedId,
      total_videos_tracked: 2,
      total_views: m1.views + m2.views,
      total_likes: m1.likes + m2.likes,
      total_comments: m1.comments + m2.comments,
      average_video_views: Math.round((m1.views + m2.views) / 2),
    });
    expect(totals.body.data.followers_count).toEqual(expect.any(Number));

    const unknown = await emu.api("GET", "/accounts/00000000-0000-4000-8000-0000000000bb/analytics");
    expect(unknown.status).toBe(404);
  });

  it("answers ANALYTICS_NOT_FOUND for a delivered account with nothing posted yet", async () => {
    const emu = await start();
    const { bundleId } = await launchBundle(emu);
    await emu.advance(600);
    const savedId = (await emu.api("GET", `/bundles/${bundleId}`)).body.data.saved_account_id;
    const res = await emu.api("GET", `/accounts/${savedId}/analytics`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("ANALYTICS_NOT_FOUND");
  });
});

describe("CSV export", () => {
  it("exports one row per posted video with escaped values and empty cells for missing data", async () => {
    const { emu, videoIds, bundleId } = await posted(1, ['clip, "one"', "clip-2"]);
    // Video 2 was posted at this very moment: listed, but not scraped yet.
    const res = await emu.api("GET", "/analytics/export/videos");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.text.split("\r\n")[0]).toBe(HEADER);
    const rows = parseCsv(res.text);
    expect(rows.map((r) => r.video_id)).toEqual([videoIds[0], videoIds[1]]);
    const [first, second] = rows as [Record<string, string>, Record<string, string>];
    const m1 = await metrics(emu, videoIds[0]!);
    expect(first).toMatchObject({
      username: "timeline.user",
      platform: "tiktok",
      country: "USA",
      bundle_id: bundleId,
      position: "1",
      external_ref: 'clip, "one"',
      posted_at: "2026-09-04T17:00:00.000Z",
      views: String(m1.views),
      likes: String(m1.likes),
      engagement_rate: String(m1.engagement_rate),
    });
    expect(second).toMatchObject({
      position: "2",
      views: "",
      likes: "",
      engagement_rate: "",
      scraped_at: "",
    });
    expect(second.platform_url).toMatch(/^https:\/\/www\.tiktok\.com\//);
  });

  it("filters by platform, country, account, text and posting date", async () => {
    const { emu, videoIds, bundleId } = await posted();
    const count = async (query: Record<string, string | string[]>) =>
      parseCsv((await emu.api("GET", "/analytics/export/videos", { query })).text).length;
    const savedId = (await emu.api("GET", `/bundles/${bundleId}`)).body.data.saved_account_id;
    expect(await count({ platform: "tiktok" })).toBe(2);
    expect(await count({ platform: "instagram" })).toBe(0);
    expect(await count({ country: "usa" })).toBe(2);
    expect(await count({ country: "FR" })).toBe(0);
    expect(await count({ account: savedId })).toBe(2);
    expect(await count({ account: ["00000000-0000-4000-8000-0000000000cc", "timeline.user"] })).toBe(2);
    expect(await count({ account: "someone.else" })).toBe(0);
    expect(await count({ q: "CLIP-2" })).toBe(1);
    expect(await count({ from: "2026-09-05" })).toBe(1);
    expect(await count({ to: "2026-09-04" })).toBe(1);
    expect(await count({ from: "2026-09-04", to: "2026-09-05" })).toBe(2);
    const only = parseCsv(
      (await emu.api("GET", "/analytics/export/videos", { query: { q: "clip-1" } })).text,
    );
    expect(only.map((r) => r.video_id)).toEqual([videoIds[0]]);
  });

  it("leaves Instagram's unpublished shares and saves empty, never 0", async () => {
    const emu = await start();
    await launchBundle(emu, { platform: "instagram", dates: ["2026-09-04"], username: "ig.user" });
    await advanceTo(emu, "2026-09-05T17:00:00.000Z");
    const rows = parseCsv(
      (await emu.api("GET", "/analytics/export/videos", { query: { platform: "instagram" } })).text,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ platform: "instagram", username: "ig.user", shares: "", bookmarks: "" });
    expect(Number(rows[0]?.views)).toBeGreaterThan(0);
    const sum = Number(rows[0]?.likes) + Number(rows[0]?.comments);
    expect(Number(rows[0]?.engagement_rate)).toBe(Math.round((sum / Number(rows[0]?.views)) * 10_000) / 100);
  });

  it("is refused on the starter plan, as are account analytics", async () => {
    const emu = await start();
    const created = await emu.admin("POST", "/keys", { plan_tier: "starter", credits: 1000 });
    expect(created.status).toBe(201);
    const key = created.body.data.api_key as string;
    const { bundleId } = await launchBundle(emu, { key });
    await advanceTo(emu, "2026-09-05T17:00:00.000Z");

    const exported = await emu.api("GET", "/analytics/export/videos", { key });
    expect(exported.status).toBe(403);
    expect(exported.body.error).toMatchObject({
      code: "ANALYTICS_PLAN_REQUIRED",
      message: "Plan does not include this analytics level",
    });
    const savedId = (await emu.api("GET", `/bundles/${bundleId}`, { key })).body.data.saved_account_id;
    expect((await emu.api("GET", `/accounts/${savedId}/analytics`, { key })).status).toBe(403);
    // Per-video analytics stay available on every plan.
    const videos = await emu.api("GET", `/bundles/${bundleId}/videos`, { key });
    expect((await emu.api("GET", `/videos/${videos.body.data[0].id}/analytics`, { key })).status).toBe(200);
    // The default workspace (marketer) still exports, and sees none of the other workspace's rows.
    const mine = await emu.api("GET", "/analytics/export/videos");
    expect(mine.status).toBe(200);
    expect(parseCsv(mine.text)).toEqual([]);
  });
});
