/**
 * Analytics read-back: the pure CSV reading, joining and path choice, then `fetchAnalytics` against the
 * emulator over HTTP, counting what it sent in the emulator's request log.
 */
import { describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import {
  type AnalyticsTarget,
  fetchAnalytics,
  joinAnalytics,
  lookupTargets,
  measuredFrom,
  normalizePlatformUrl,
  parseAnalyticsCsv,
  planFallback,
} from "../../src/sync/analytics.ts";
import { advanceTo, launchBundle, MANAGER_RULES } from "../emulator/managers-scenario.ts";
import { emulatorPerTest, type TestEmulator } from "../support/emulator.ts";

const HEADER =
  "account_id,username,platform,country,video_id,bundle_id,position,external_ref,platform_url,posted_at,views,likes,comments,shares,bookmarks,engagement_rate,scraped_at";
const NOW = () => new Date("2026-09-10T00:00:00.000Z");

function target(rowId: string, over: Partial<AnalyticsTarget> = {}): AnalyticsTarget {
  return { rowId, videoId: null, platformUrl: null, bundleId: null, savedAccountId: null, ...over };
}

describe("reading the export CSV", () => {
  it("keeps measured numbers, leaves empty and non-numeric cells absent, and reads scraped_at", () => {
    const csv = [
      HEADER,
      'acc-1,u1,tiktok,USA,vid-1,b-1,1,"clip, one",https://www.tiktok.com/@u1/video/1,2026-09-04T17:00:00.000Z,1200,90,7,3,11,9.25,2026-09-05T16:00:00.000Z',
      "acc-1,u1,tiktok,USA,vid-2,b-1,2,clip-2,https://www.tiktok.com/@u1/video/2,2026-09-05T17:00:00.000Z,,,,,,,",
      "acc-2,u2,instagram,USA,vid-3,b-2,1,clip-3,https://www.instagram.com/reel/AbC/,2026-09-04T17:00:00.000Z,500,20,n/a,,-,4.4%,",
      "",
    ].join("\r\n");
    const { records, problems } = parseAnalyticsCsv(`\uFEFF${csv}`);
    expect(problems).toEqual([]);
    expect(records).toHaveLength(3);
    const [one, two, three] = records.map((r) => measuredFrom(r, NOW));
    expect(one).toEqual({
      videoId: "vid-1",
      platformUrl: "https://www.tiktok.com/@u1/video/1",
      values: {
        views: 1200,
        likes: 90,
        comments: 7,
        shares: 3,
        bookmarks: 11,
        engagement_rate: 9.25,
        analytics_at: "2026-09-05T16:00:00.000Z",
      },
    });
    // Not scraped yet: nothing at all, not zeros, and no analytics_at either.
    expect(two?.values).toEqual({});
    // Unmeasured cells stay absent; with no scraped_at, analytics_at is the time of reading.
    expect(three?.values).toEqual({
      views: 500,
      likes: 20,
      engagement_rate: 4.4,
      analytics_at: "2026-09-10T00:00:00.000Z",
    });
  });

  it("skips a row whose cells are shifted, and says so", () => {
    const csv = `${HEADER}\nacc,u,tiktok,USA,vid-1,b,1,r,https://x/1,2026-09-04T17:00:00Z,10,1,1,1,1,4\nacc,u,tiktok,USA,vid-2,b,2,r,https://x/2,2026-09-04T17:00:00Z,20,2,2,2,2,5,2026-09-05T00:00:00Z\n`;
    const { records, problems } = parseAnalyticsCsv(csv);
    expect(records.map((r) => r.video_id)).toEqual(["vid-2"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^CSV record 1: /);
  });

  it("accepts only whole counts and finite numbers", () => {
    const values = measuredFrom(
      {
        views: "12.5",
        likes: "-3",
        comments: "1e3",
        shares: "0x10",
        bookmarks: "  4 ",
        engagement_rate: "abc",
      },
      NOW,
    ).values;
    expect(values).toEqual({ comments: 1000, bookmarks: 4, analytics_at: "2026-09-10T00:00:00.000Z" });
    // A measured 0 is kept: only unmeasured metrics are absent.
    expect(measuredFrom({ views: 0, likes: null, engagement_rate: null }, NOW).values).toEqual({
      views: 0,
      analytics_at: "2026-09-10T00:00:00.000Z",
    });
  });
});

describe("joining to rows", () => {
  it("normalizes post URLs: trimmed, host lowercased, no trailing slash, path case kept", () => {
    expect(normalizePlatformUrl("  HTTPS://WWW.TikTok.COM/@User/video/123/ ")).toBe(
      "https://www.tiktok.com/@User/video/123",
    );
    expect(normalizePlatformUrl("https://www.instagram.com/reel/AbC")).toBe(
      "https://www.instagram.com/reel/AbC",
    );
    expect(normalizePlatformUrl("   ")).toBeNull();
    expect(normalizePlatformUrl(null)).toBeNull();
  });

  it("joins by video id, else by platform URL, and gives unmatched or unmeasured rows nothing", () => {
    const measured = [
      { videoId: "vid-1", platformUrl: "https://www.tiktok.com/@u/video/1", values: { views: 10 } },
      { videoId: "vid-2", platformUrl: "https://www.tiktok.com/@u/video/2", values: { views: 20 } },
      { videoId: "vid-3", platformUrl: "https://www.tiktok.com/@u/video/3", values: {} },
    ];
    const values = joinAnalytics(
      [
        target("v:a/1", { videoId: "vid-1", platformUrl: "https://www.tiktok.com/@u/video/2" }),
        target("v:a/2", { platformUrl: "HTTPS://WWW.TIKTOK.COM/@u/video/2/" }),
        target("v:a/3", { videoId: "vid-3" }),
        target("v:a/4", { videoId: "vid-404", platformUrl: "https://www.tiktok.com/@u/video/1" }),
        target("v:a/5", { videoId: "vid-405" }),
      ],
      measured,
    );
    expect(Object.fromEntries(values)).toEqual({
      "v:a/1": { views: 10 },
      "v:a/2": { views: 20 },
      "v:a/4": { views: 10 },
    });
  });

  it("of a video read twice, keeps the later scrape", () => {
    const values = joinAnalytics(
      [target("v:a/1", { videoId: "vid-1" })],
      [
        {
          videoId: "vid-1",
          platformUrl: null,
          values: { views: 30, analytics_at: "2026-09-06T00:00:00.000Z" },
        },
        {
          videoId: "vid-1",
          platformUrl: null,
          values: { views: 10, analytics_at: "2026-09-05T00:00:00.000Z" },
        },
      ],
    );
    expect(values.get("v:a/1")).toEqual({ views: 30, analytics_at: "2026-09-06T00:00:00.000Z" });
  });

  it("looks up only targets with a video id or a platform URL", () => {
    const kept = lookupTargets([
      target("v:a/1", { videoId: "vid-1" }),
      target("v:a/2", { platformUrl: "https://x/2" }),
      target("v:a/3", { platformUrl: "  ", videoId: "" }),
      target("v:a/4"),
    ]);
    expect(kept.map((t) => t.rowId)).toEqual(["v:a/1", "v:a/2"]);
  });
});

describe("choosing the fallback path", () => {
  it("lists an account with several targets: 1 call instead of one per video", () => {
    const plan = planFallback(
      ["1", "2", "3"].map((n) => target(`v:a/${n}`, { videoId: `vid-${n}`, savedAccountId: "acc-1" })),
    );
    expect(plan).toMatchObject({ accounts: ["acc-1"], videoIds: [], estimatedCalls: 1, perVideoCalls: 3 });
  });

  it("asks per video when each account has a single target, and for targets with no delivered account", () => {
    const plan = planFallback([
      target("v:a/1", { videoId: "vid-1", savedAccountId: "acc-1" }),
      target("v:b/1", { videoId: "vid-2", savedAccountId: "acc-2" }),
      target("v:c/1", { videoId: "vid-3" }),
    ]);
    expect(plan).toMatchObject({
      accounts: [],
      videoIds: ["vid-1", "vid-2", "vid-3"],
      estimatedCalls: 3,
      perAccountCalls: 3,
      perVideoCalls: 3,
    });
  });

  it("mixes both per account, never costing more than either whole path", () => {
    const plan = planFallback([
      target("v:a/1", { videoId: "vid-1", savedAccountId: "acc-1" }),
      target("v:a/2", { videoId: "vid-2", savedAccountId: "acc-1" }),
      target("v:b/1", { videoId: "vid-3", savedAccountId: "acc-2" }),
      target("v:c/1", { platformUrl: "https://x/c1", savedAccountId: "acc-3" }),
      target("v:d/1", { platformUrl: "https://x/d1" }),
      target("v:e/1", { videoId: "vid-5" }),
    ]);
    expect(plan).toMatchObject({
      accounts: ["acc-1", "acc-3"],
      videoIds: ["vid-3", "vid-5"],
      estimatedCalls: 4,
      unreachable: 1,
    });
    expect(plan.estimatedCalls).toBeLessThanOrEqual(Math.min(plan.perAccountCalls, plan.perVideoCalls + 1));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Against the emulator

const emulators = emulatorPerTest({ rules: MANAGER_RULES });

interface Posted {
  bundleId: string;
  savedAccountId: string;
  videos: Array<{ id: string; status: string; platform_url: string | null }>;
}

async function bundleState(emu: TestEmulator, bundleId: string, key?: string): Promise<Posted> {
  const bundle = await emu.api("GET", `/bundles/${bundleId}`, { key });
  const videos = await emu.api("GET", `/bundles/${bundleId}/videos`, { key });
  return { bundleId, savedAccountId: bundle.body.data.saved_account_id, videos: videos.body.data };
}

function targetsOf(p: Posted, ref: string): AnalyticsTarget[] {
  return p.videos.map((v, i) => ({
    rowId: `v:${ref}/${i + 1}`,
    videoId: v.id,
    platformUrl: v.platform_url,
    bundleId: p.bundleId,
    savedAccountId: p.savedAccountId,
  }));
}

/** Metrics as the per-video endpoint reports them, in sheet columns (null when unmeasured). */
async function expected(emu: TestEmulator, videoId: string, key?: string) {
  const res = await emu.api("GET", `/videos/${videoId}/analytics`, { key });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const d = res.body.data;
  const out: Record<string, number | string> = { analytics_at: d.scraped_at };
  for (const k of ["views", "likes", "comments", "shares", "bookmarks", "engagement_rate"])
    if (d[k] !== null) out[k] = d[k];
  return out;
}

function clientFor(emu: TestEmulator, key = emu.apiKey, maxRetries = 1): TokPortalClient {
  return new TokPortalClient({
    baseUrl: emu.url,
    apiKey: key,
    retry: { maxRetries, baseDelayMs: 1, maxDelayMs: 2 },
  });
}

function opsOf(emu: TestEmulator, since: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of emu.requestLog(since))
    counts[e.operationId ?? e.path] = (counts[e.operationId ?? e.path] ?? 0) + 1;
  return counts;
}

const lastIndex = (emu: TestEmulator) => emu.requestLog().at(-1)?.index ?? -1;

describe("fetchAnalytics over the export", () => {
  it("reads N rows with exactly one export call and joins each row's metrics", async () => {
    const emu = await emulators.start();
    const launched = [];
    for (const [i, name] of ["one", "two", "three"].entries())
      launched.push(
        await launchBundle(emu, {
          ref: `b-${name}`,
          username: `user.${name}`,
          ...(i === 2 ? { platform: "instagram" as const } : {}),
        }),
      );
    // Video 1 of each bundle posted 24 h ago (scraped), video 2 posted this very hour (not scraped yet),
    // slot 3 never configured (not posted).
    await advanceTo(emu, "2026-09-05T17:00:00.000Z");
    const posted = await Promise.all(launched.map((l) => bundleState(emu, l.bundleId)));
    const targets = posted.flatMap((p, i) => targetsOf(p, `b-${i}`));
    expect(targets).toHaveLength(9);
    const client = clientFor(emu);
    const since = lastIndex(emu) + 1;

    const result = await fetchAnalytics(client, targets, { now: NOW });

    expect(opsOf(emu, since)).toEqual({ exportAnalyticsVideos: 1 });
    expect(result).toMatchObject({ source: "export", calls: 1 });
    expect(result.note).toBeUndefined();
    expect([...result.values.keys()].sort()).toEqual(["v:b-0/1", "v:b-1/1", "v:b-2/1"]);
    for (const [i, p] of posted.entries()) {
      const want = await expected(emu, p.videos[0]!.id);
      expect(result.values.get(`v:b-${i}/1`)).toEqual(want);
      expect(want.views).toBeGreaterThan(0);
    }
    // Instagram publishes no shares or saves: absent, not 0.
    const ig = result.values.get("v:b-2/1")!;
    expect(Object.keys(ig).sort()).toEqual(["analytics_at", "comments", "engagement_rate", "likes", "views"]);
    await client.close();
  });

  it("joins a row known only by its platform URL, however the URL was typed", async () => {
    const emu = await emulators.start();
    const { bundleId } = await launchBundle(emu, { ref: "by-url" });
    await advanceTo(emu, "2026-09-06T12:00:00.000Z");
    const p = await bundleState(emu, bundleId);
    const url = p.videos[1]!.platform_url!;
    expect(url).toMatch(/^https:\/\//);
    const sloppy = `  ${url.replace(/^https:\/\/[^/]+/, (h) => h.toUpperCase())}/ `;
    const client = clientFor(emu);
    const result = await fetchAnalytics(client, [target("v:by-url/2", { platformUrl: sloppy })], {
      now: NOW,
    });
    expect(result).toMatchObject({ source: "export", calls: 1 });
    expect(result.values.get("v:by-url/2")).toEqual(await expected(emu, p.videos[1]!.id));
    await client.close();
  });

  it("makes no call at all when no target has a video id or a platform URL", async () => {
    const emu = await emulators.start();
    const client = clientFor(emu);
    const since = lastIndex(emu) + 1;
    const result = await fetchAnalytics(client, [target("v:x/1"), target("v:x/2", { platformUrl: " " })]);
    expect(result).toMatchObject({ source: "none", calls: 0 });
    expect(result.values.size).toBe(0);
    expect(emu.requestLog(since)).toEqual([]);
    await client.close();
  });

  it("never throws: a failing export leaves every cell empty and says why, without the key", async () => {
    const emu = await emulators.start();
    const { bundleId } = await launchBundle(emu, { ref: "down" });
    await advanceTo(emu, "2026-09-06T12:00:00.000Z");
    const p = await bundleState(emu, bundleId);
    emu.setFaults({
      rules: [{ operationId: "exportAnalyticsVideos", action: "status", status: 503, always: true }],
    });
    const client = clientFor(emu, emu.apiKey, 1);
    const result = await fetchAnalytics(client, targetsOf(p, "down"));
    expect(result).toMatchObject({ source: "none", calls: 1 });
    expect(result.values.size).toBe(0);
    expect(result.note).toMatch(/^Analytics unavailable: the export failed: .*503/);
    expect(result.note).not.toContain(emu.apiKey);
    await client.close();
  });
});

describe("fetchAnalytics on the starter plan (export refused)", () => {
  async function starter(emu: TestEmulator): Promise<string> {
    const created = await emu.admin("POST", "/keys", { plan_tier: "starter", credits: 2000 });
    expect(created.status).toBe(201);
    return created.body.data.api_key as string;
  }

  it("lists the account once for several of its videos instead of asking each video", async () => {
    const emu = await emulators.start();
    const key = await starter(emu);
    const { bundleId } = await launchBundle(emu, {
      key,
      ref: "many",
      dates: ["2026-09-04", "2026-09-05", "2026-09-06"],
    });
    await advanceTo(emu, "2026-09-07T12:00:00.000Z");
    const p = await bundleState(emu, bundleId, key);
    const targets = targetsOf(p, "many").slice(0, 3);
    const client = clientFor(emu, key);
    const since = lastIndex(emu) + 1;

    const result = await fetchAnalytics(client, targets, { now: NOW });

    // 1 refused export + 1 account list, where per video would have been 1 + 3.
    expect(opsOf(emu, since)).toEqual({ exportAnalyticsVideos: 1, listAccountVideoAnalytics: 1 });
    expect(emu.requestLog(since)[0]?.status).toBe(403);
    expect(result).toMatchObject({ source: "account_videos", calls: 2 });
    expect(result.note).toMatch(/plan tier starter/);
    expect(result.values.size).toBe(3);
    for (const [i, t] of targets.entries())
      expect(result.values.get(`v:many/${i + 1}`)).toEqual(await expected(emu, t.videoId!, key));
    await client.close();
  });

  it("asks the videos one by one when the account list is refused too", async () => {
    const emu = await emulators.start();
    const key = await starter(emu);
    const { bundleId } = await launchBundle(emu, {
      key,
      ref: "gated",
      dates: ["2026-09-04", "2026-09-05", "2026-09-06"],
    });
    await advanceTo(emu, "2026-09-07T12:00:00.000Z");
    const p = await bundleState(emu, bundleId, key);
    const targets = targetsOf(p, "gated").slice(0, 3);
    emu.setFaults({
      rules: [{ operationId: "listAccountVideoAnalytics", action: "status", status: 403, always: true }],
    });
    const client = clientFor(emu, key);
    const since = lastIndex(emu) + 1;

    const result = await fetchAnalytics(client, targets, { now: NOW });

    expect(opsOf(emu, since)).toEqual({
      exportAnalyticsVideos: 1,
      listAccountVideoAnalytics: 1,
      getVideoAnalytics: 3,
    });
    expect(result).toMatchObject({ source: "video", calls: 5 });
    expect(result.note).toMatch(/refused too/);
    for (const [i, t] of targets.entries())
      expect(result.values.get(`v:gated/${i + 1}`)).toEqual(await expected(emu, t.videoId!, key));
    await client.close();
  });

  it("asks per video when each account has one target, and gets nothing for a video not scraped yet", async () => {
    const emu = await emulators.start();
    const key = await starter(emu);
    const a = await launchBundle(emu, { key, ref: "a", username: "user.a" });
    const b = await launchBundle(emu, { key, ref: "b", username: "user.b" });
    // Video 1 of each scraped for 19 h; video 2 posted at this very moment, not scraped.
    await advanceTo(emu, "2026-09-05T17:00:00.000Z");
    const pa = await bundleState(emu, a.bundleId, key);
    const pb = await bundleState(emu, b.bundleId, key);
    expect(pa.savedAccountId).not.toBe(pb.savedAccountId);
    const targets = [
      targetsOf(pa, "a")[0]!,
      targetsOf(pb, "b")[0]!,
      // Same account as a/1, but with no saved account known to the row: only the per-video path reaches it.
      { ...targetsOf(pa, "a")[1]!, savedAccountId: null },
    ];
    const client = clientFor(emu, key);
    const since = lastIndex(emu) + 1;

    const result = await fetchAnalytics(client, targets, { now: NOW });

    // 1 refused export + 3 video reads, where the account path would have needed 2 lists + 1 video read.
    expect(opsOf(emu, since)).toEqual({ exportAnalyticsVideos: 1, getVideoAnalytics: 3 });
    expect(result).toMatchObject({ source: "video", calls: 4 });
    expect(Object.fromEntries(result.values)).toEqual({
      "v:a/1": await expected(emu, pa.videos[0]!.id, key),
      "v:b/1": await expected(emu, pb.videos[0]!.id, key),
    });
    // ANALYTICS_NOT_FOUND (posted but not scraped) is "no values", not a failure.
    expect(result.note).not.toMatch(/failure|not found/);
    await client.close();
  });

  it("keeps what it read, and stops asking after a failure that is not a 404", async () => {
    const emu = await emulators.start();
    const key = await starter(emu);
    const launched = [];
    for (const ref of ["p", "q", "r"])
      launched.push(await launchBundle(emu, { key, ref, username: `user.${ref}` }));
    await advanceTo(emu, "2026-09-06T12:00:00.000Z");
    const [p, q, r] = await Promise.all(launched.map((l) => bundleState(emu, l.bundleId, key)));
    // Both videos of p through its account list; q/1 and r/1 without a known account, one by one.
    const targets = [
      ...targetsOf(p!, "p").slice(0, 2),
      { ...targetsOf(q!, "q")[0]!, savedAccountId: null },
      { ...targetsOf(r!, "r")[0]!, savedAccountId: null },
    ];
    emu.setFaults({
      rules: [{ operationId: "getVideoAnalytics", action: "status", status: 500, always: true }],
    });
    const client = clientFor(emu, key, 0);
    let since = lastIndex(emu) + 1;

    const partial = await fetchAnalytics(client, targets, { concurrency: 1 });

    expect(opsOf(emu, since)).toEqual({
      exportAnalyticsVideos: 1,
      listAccountVideoAnalytics: 1,
      getVideoAnalytics: 1,
    });
    expect(partial).toMatchObject({ source: "account_videos", calls: 3 });
    expect([...partial.values.keys()]).toEqual(["v:p/1", "v:p/2"]);
    expect(partial.note).toMatch(/plan tier starter.*stopped after a failure: .*500/);

    // Nothing read at all: unavailable, in words, and never the key.
    emu.setFaults({
      rules: [
        { operationId: "getVideoAnalytics", action: "status", status: 500, always: true },
        { operationId: "listAccountVideoAnalytics", action: "status", status: 502, always: true },
      ],
    });
    since = lastIndex(emu) + 1;
    const none = await fetchAnalytics(client, targets, { concurrency: 1 });
    expect(opsOf(emu, since)).toEqual({ exportAnalyticsVideos: 1, listAccountVideoAnalytics: 1 });
    expect(none).toMatchObject({ source: "none", calls: 2 });
    expect(none.values.size).toBe(0);
    expect(none.note).toMatch(/^Analytics unavailable: .*plan tier starter.*stopped after a failure: .*502/);
    expect(none.note).not.toContain(key);
    await client.close();
  });

  it("counts every page of an account with more than 100 videos", async () => {
    const emu = await emulators.start({ bucket: { capacity: 1000, refillPerSecond: 1000 } });
    const key = await starter(emu);
    const created = await emu.api("POST", "/bundles", {
      key,
      body: { bundle_type: "account_and_videos", platform: "tiktok", country: "USA", videos_quantity: 101 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const bundleId: string = created.body.data.id;
    const account = await emu.api("PUT", `/bundles/${bundleId}/account`, {
      key,
      body: {
        username: "big.user",
        visible_name: "Big",
        biography: "Many clips",
        profile_picture_url: "https://images.example.com/b.jpg",
      },
    });
    expect(account.status, JSON.stringify(account.body)).toBe(200);
    const day = (i: number) => new Date(Date.parse("2026-09-04T00:00:00Z") + Math.floor(i / 3) * 86_400_000);
    const batch = await emu.api("PUT", `/bundles/${bundleId}/videos/batch`, {
      key,
      body: {
        videos: Array.from({ length: 101 }, (_, i) => ({
          position: i + 1,
          video_type: "video",
          description: `Clip ${i + 1}`,
          video_url: `https://cdn.example.com/big-${i + 1}.mp4`,
          target_publish_date: day(i).toISOString().slice(0, 10),
        })),
      },
    });
    expect(batch.status, JSON.stringify(batch.body).slice(0, 500)).toBe(200);
    expect((await emu.api("POST", `/bundles/${bundleId}/publish`, { key })).status).toBe(200);
    await advanceTo(emu, "2026-10-10T12:00:00.000Z");
    const p = await bundleState(emu, bundleId, key);
    expect(p.videos.filter((v) => v.platform_url)).toHaveLength(101);
    // The oldest and the newest video: the list is newest first, so they sit on different pages.
    const targets = [targetsOf(p, "big")[0]!, targetsOf(p, "big")[100]!];
    const client = clientFor(emu, key);
    const since = lastIndex(emu) + 1;

    const result = await fetchAnalytics(client, targets, { now: NOW });

    expect(opsOf(emu, since)).toEqual({ exportAnalyticsVideos: 1, listAccountVideoAnalytics: 2 });
    expect(result).toMatchObject({ source: "account_videos", calls: 3 });
    expect(result.values.get("v:big/1")).toEqual(await expected(emu, p.videos[0]!.id, key));
    expect(result.values.get("v:big/101")).toEqual(await expected(emu, p.videos[100]!.id, key));
    await client.close();
  });
});
