/**
 * Deterministic analytics for posted videos. A video's numbers are a pure function of (video id, the
 * emulator's metrics salt, hours since it was posted), so the same seed and the same story give the same
 * numbers on every machine, and they never go down as the simulated clock moves forward.
 *
 * The model: a video is scraped once an hour after it is posted (no data before the first scrape). Views
 * approach a per-video reach with a per-video half-life and keep a slow long tail; likes, comments, shares
 * and bookmarks are fixed per-video fractions of views (floored), so every series is monotonic.
 * Instagram does not expose shares and saves publicly: those are unavailable (null), never 0.
 */
import { createHash } from "node:crypto";
import type { Bundle, EmulatorState, Platform, SavedAccount, VideoSlot } from "../model.ts";

const HOUR_MS = 3_600_000;
/** Where the seed-derived salt lives in `state.counters` (set once by the managers). */
export const METRICS_SALT_COUNTER = "metrics_salt";

export interface VideoMetrics {
  views: number;
  likes: number;
  comments: number;
  shares: number | null;
  bookmarks: number | null;
  engagement_rate: number | null;
  scraped_at: string;
}

/** `count` uniform numbers in [0,1) from a SHA-256 of the key (4 bytes each, up to 8). */
export function hashUnits(key: string, count: number): number[] {
  const digest = createHash("sha256").update(key).digest();
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(digest.readUInt32BE(i * 4) / 2 ** 32);
  return out;
}

export function metricsSalt(state: EmulatorState): number {
  return state.counters[METRICS_SALT_COUNTER] ?? 0;
}

/** The metrics of the latest hourly scrape at `nowMs`, or null when no scrape has happened yet. */
export function videoMetrics(
  videoId: string,
  salt: number,
  platform: Platform,
  postedAtMs: number,
  nowMs: number,
): VideoMetrics | null {
  const hours = Math.floor((nowMs - postedAtMs) / HOUR_MS);
  if (hours < 1) return null;
  const [u1, u2, u3, u4, u5, u6] = hashUnits(`${salt}:${videoId}`, 6) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const reach = Math.exp(Math.log(300) + u1 * (Math.log(250_000) - Math.log(300)));
  const tauHours = 12 + u2 * 60;
  const views = Math.floor(
    reach * (1 - Math.exp(-hours / tauHours)) + reach * 0.15 * Math.log1p(hours / 168),
  );
  const likes = Math.floor(views * (0.03 + u3 * 0.09));
  const comments = Math.floor(views * (0.002 + u4 * 0.01));
  const shares = platform === "instagram" ? null : Math.floor(views * (0.001 + u5 * 0.008));
  const bookmarks = platform === "instagram" ? null : Math.floor(views * (0.002 + u6 * 0.012));
  return {
    views,
    likes,
    comments,
    shares,
    bookmarks,
    engagement_rate: engagementRate(views, likes, comments, shares, bookmarks),
    scraped_at: new Date(postedAtMs + hours * HOUR_MS).toISOString(),
  };
}

/** (likes+comments+shares+bookmarks)/views×100 to 2 decimals; unavailable parts count as nothing. */
export function engagementRate(
  views: number,
  likes: number,
  comments: number,
  shares: number | null,
  bookmarks: number | null,
): number | null {
  if (views <= 0) return null;
  return Math.round(((likes + comments + (shares ?? 0) + (bookmarks ?? 0)) / views) * 10_000) / 100;
}

/** A posted video with what analytics need to describe it. */
export interface PostedVideo {
  video: VideoSlot;
  bundle: Bundle;
  /** The delivered account the video was posted from, when known. */
  account: SavedAccount | undefined;
  username: string | null;
  postedAtMs: number;
}

/** When the video went live, or null while it has no platform_url. */
export function postedAt(video: VideoSlot): number | null {
  if (!video.platform_url) return null;
  const at = video.posted_at ?? video.in_review_at;
  return at ? Date.parse(at) : null;
}

/** The saved account a bundle's videos are posted from: its own delivered account, or the target of a videos_only bundle. */
export function accountOfBundle(state: EmulatorState, bundle: Bundle): SavedAccount | undefined {
  const id = bundle.saved_account_id ?? bundle.account_id;
  return id ? state.savedAccounts[id] : undefined;
}

/** Every posted video of a workspace, in bundle then position order. */
export function postedVideos(state: EmulatorState, workspaceId: string): PostedVideo[] {
  const out: PostedVideo[] = [];
  for (const bundle of Object.values(state.bundles)) {
    if (bundle.workspaceId !== workspaceId) continue;
    const account = accountOfBundle(state, bundle);
    for (const video of bundle.videos) {
      const at = postedAt(video);
      if (at === null) continue;
      out.push({
        video,
        bundle,
        account,
        username: account?.username ?? bundle.account?.username ?? null,
        postedAtMs: at,
      });
    }
  }
  return out;
}

export function metricsOf(state: EmulatorState, posted: PostedVideo, nowMs: number): VideoMetrics | null {
  return videoMetrics(posted.video.id, metricsSalt(state), posted.bundle.platform, posted.postedAtMs, nowMs);
}

export interface AccountTotals {
  account_id: string;
  followers_count: number;
  following_count: number;
  total_videos_tracked: number;
  total_views: number;
  total_likes: number;
  total_comments: number;
  total_shares: number | null;
  total_bookmarks: number | null;
  average_engagement_rate: number | null;
  average_video_views: number;
  weekly_post_average: number;
  scraped_at: string;
}

/** Account-level totals over its scraped videos (docs/tokportal-api.md §10 shape), or null when none is scraped yet. */
export function accountTotals(
  state: EmulatorState,
  account: SavedAccount,
  videos: PostedVideo[],
  nowMs: number,
): AccountTotals | null {
  const scraped = videos
    .map((p) => ({ p, m: metricsOf(state, p, nowMs) }))
    .filter((x): x is { p: PostedVideo; m: VideoMetrics } => x.m !== null);
  if (scraped.length === 0) return null;
  const sum = (f: (m: VideoMetrics) => number | null): number | null => {
    const values = scraped.map((x) => f(x.m));
    return values.every((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v ?? 0), 0);
  };
  const views = sum((m) => m.views) ?? 0;
  const rates = scraped.map((x) => x.m.engagement_rate).filter((r): r is number => r !== null);
  const [f1, f2, f3] = hashUnits(`${metricsSalt(state)}:account:${account.id}`, 3) as [
    number,
    number,
    number,
  ];
  const firstPost = Math.min(...scraped.map((x) => x.p.postedAtMs));
  const weeks = Math.max(1, (nowMs - firstPost) / (7 * 24 * HOUR_MS));
  return {
    account_id: account.id,
    // Followers follow views (monotonic with them) on top of a small per-account base.
    followers_count: Math.floor(10 + f1 * 90 + views * (0.005 + f2 * 0.025)),
    following_count: Math.floor(20 + f3 * 400),
    total_videos_tracked: scraped.length,
    total_views: views,
    total_likes: sum((m) => m.likes) ?? 0,
    total_comments: sum((m) => m.comments) ?? 0,
    total_shares: sum((m) => m.shares),
    total_bookmarks: sum((m) => m.bookmarks),
    average_engagement_rate:
      rates.length === 0 ? null : Math.round((rates.reduce((a, r) => a + r, 0) / rates.length) * 100) / 100,
    average_video_views: Math.round(views / scraped.length),
    weekly_post_average: Math.round((scraped.length / weeks) * 10) / 10,
    scraped_at: scraped
      .map((x) => x.m.scraped_at)
      .sort()
      .at(-1) as string,
  };
}
