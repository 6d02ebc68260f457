/**
 * Analytics (docs/tokportal-api.md §10): per video, per delivered account, and the CSV export the sync reads back.
 * Numbers come from ./metrics.ts; "unavailable" is null in JSON and an empty cell in CSV, never 0.
 */
import { ApiError, type OpContext, type OpTable } from "../context.ts";
import { all, first, paginate } from "../paginate.ts";
import { findSavedAccount } from "./accounts.ts";
import { accountTotals, metricsOf, type PostedVideo, postedVideos, type VideoMetrics } from "./metrics.ts";

export const EXPORT_COLUMNS = [
  "account_id",
  "username",
  "platform",
  "country",
  "video_id",
  "bundle_id",
  "position",
  "external_ref",
  "platform_url",
  "posted_at",
  "views",
  "likes",
  "comments",
  "shares",
  "bookmarks",
  "engagement_rate",
  "scraped_at",
] as const;

type SortKey = "views" | "likes" | "engagement_rate" | "upload_date";

export const analyticsOps: OpTable = {
  getVideoAnalytics(req, ctx) {
    const id = req.params.id ?? "";
    const posted = findVideo(ctx, id);
    const metrics = posted ? metricsOf(ctx.state, posted, ctx.clock.now()) : null;
    if (!posted || !metrics) {
      throw new ApiError(404, "ANALYTICS_NOT_FOUND", "No analytics data found for this video yet.", {
        video_id: id,
      });
    }
    return { body: { data: videoItem(posted, metrics) } };
  },

  listAccountVideoAnalytics(req, ctx) {
    const account = findSavedAccount(ctx, req.params.id ?? "");
    const now = ctx.clock.now();
    const items = postedVideos(ctx.state, ctx.workspace.id)
      .filter((p) => p.account?.id === account.id)
      .map((p) => ({ p, m: metricsOf(ctx.state, p, now) }))
      .filter((x): x is { p: PostedVideo; m: VideoMetrics } => x.m !== null)
      .map((x) => videoItem(x.p, x.m));
    const sortBy = (first(req.query.sort_by) ?? "upload_date") as SortKey;
    const direction = first(req.query.sort_order) === "asc" ? 1 : -1;
    items.sort((a, b) => direction * compareBy(sortBy, a, b) || a.video_id.localeCompare(b.video_id));
    return { body: paginate(items, req.query) };
  },

  getAccountAnalytics(req, ctx) {
    requireAnalyticsPlan(ctx);
    const account = findSavedAccount(ctx, req.params.id ?? "");
    const videos = postedVideos(ctx.state, ctx.workspace.id).filter((p) => p.account?.id === account.id);
    const totals = accountTotals(ctx.state, account, videos, ctx.clock.now());
    if (!totals) {
      throw new ApiError(
        404,
        "ANALYTICS_NOT_FOUND",
        "No analytics data found for this account. Try calling the refresh endpoint first.",
      );
    }
    return { body: { data: totals } };
  },

  exportAnalyticsVideos(req, ctx) {
    requireAnalyticsPlan(ctx);
    const workspace = first(req.query.workspace);
    const accounts = new Set(all(req.query.account).map((a) => a.toLowerCase()));
    const platforms = new Set(all(req.query.platform));
    const countries = new Set(all(req.query.country).map((c) => c.toUpperCase()));
    const q = first(req.query.q)?.trim().toLowerCase();
    const from = first(req.query.from);
    const to = first(req.query.to);
    const now = ctx.clock.now();
    const rows =
      workspace !== undefined && workspace !== ctx.workspace.id
        ? []
        : postedVideos(ctx.state, ctx.workspace.id).filter((p) => {
            if (accounts.size > 0) {
              const id = p.account?.id.toLowerCase();
              const name = p.username?.toLowerCase();
              if (!(id && accounts.has(id)) && !(name && accounts.has(name))) return false;
            }
            if (platforms.size > 0 && !platforms.has(p.bundle.platform)) return false;
            if (countries.size > 0 && !countries.has(p.bundle.country.toUpperCase())) return false;
            const day = new Date(p.postedAtMs).toISOString().slice(0, 10);
            if (from && day < from) return false;
            if (to && day > to) return false;
            if (q && !searchText(p).includes(q)) return false;
            return true;
          });
    rows.sort(
      (a, b) =>
        (a.username ?? "").localeCompare(b.username ?? "") ||
        a.postedAtMs - b.postedAtMs ||
        a.bundle.id.localeCompare(b.bundle.id) ||
        a.video.position - b.video.position,
    );
    const lines = [EXPORT_COLUMNS.join(",")];
    for (const p of rows)
      lines.push(
        exportRow(p, metricsOf(ctx.state, p, now))
          .map(csvCell)
          .join(","),
      );
    return { text: { contentType: "text/csv; charset=utf-8", content: `${lines.join("\r\n")}\r\n` } };
  },
};

/** Starter plans do not include account-level analytics or exports (docs/tokportal-api.md §10). */
function requireAnalyticsPlan(ctx: OpContext): void {
  const tier = ctx.workspace.plan_tier ?? ctx.rules.defaultPlanTier;
  if (tier === "starter") {
    throw new ApiError(403, "ANALYTICS_PLAN_REQUIRED", "Plan does not include this analytics level", {
      plan_tier: tier,
      required_plan_tiers: ["creator", "marketer"],
    });
  }
}

function findVideo(ctx: OpContext, videoId: string): PostedVideo | undefined {
  for (const bundle of Object.values(ctx.state.bundles)) {
    if (bundle.workspaceId !== ctx.workspace.id) continue;
    const video = bundle.videos.find((v) => v.id === videoId);
    if (!video) continue;
    const posted = postedVideos(ctx.state, ctx.workspace.id).find((p) => p.video.id === videoId);
    return posted;
  }
  throw new ApiError(404, "VIDEO_NOT_FOUND", "Video not found.", { video_id: videoId });
}

interface VideoItem extends VideoMetrics {
  video_id: string;
  bundle_id: string;
  account_id: string | null;
  username: string | null;
  position: number;
  platform: string;
  external_ref: string | null;
  platform_url: string | null;
  upload_date: string;
}

function videoItem(p: PostedVideo, m: VideoMetrics): VideoItem {
  return {
    video_id: p.video.id,
    bundle_id: p.bundle.id,
    account_id: p.account?.id ?? null,
    username: p.username,
    position: p.video.position,
    platform: p.bundle.platform,
    external_ref: p.video.external_ref,
    platform_url: p.video.platform_url,
    upload_date: new Date(p.postedAtMs).toISOString(),
    ...m,
  };
}

function compareBy(key: SortKey, a: VideoItem, b: VideoItem): number {
  if (key === "upload_date") return a.upload_date.localeCompare(b.upload_date);
  // Unavailable values sort below every number, whichever the direction.
  const x = a[key] ?? Number.NEGATIVE_INFINITY;
  const y = b[key] ?? Number.NEGATIVE_INFINITY;
  return x === y ? 0 : x < y ? -1 : 1;
}

function searchText(p: PostedVideo): string {
  return [
    p.username,
    p.video.external_ref,
    p.bundle.external_ref,
    p.bundle.title,
    p.video.name,
    p.video.description,
    p.video.platform_url,
  ]
    .filter((s): s is string => typeof s === "string")
    .join("\n")
    .toLowerCase();
}

function exportRow(p: PostedVideo, m: VideoMetrics | null): Array<string | number | null> {
  return [
    p.account?.id ?? null,
    p.username,
    p.bundle.platform,
    p.bundle.country,
    p.video.id,
    p.bundle.id,
    p.video.position,
    p.video.external_ref,
    p.video.platform_url,
    new Date(p.postedAtMs).toISOString(),
    m?.views ?? null,
    m?.likes ?? null,
    m?.comments ?? null,
    m?.shares ?? null,
    m?.bookmarks ?? null,
    m?.engagement_rate ?? null,
    m?.scraped_at ?? null,
  ];
}

/** RFC 4180 cell: null is an empty cell; quoted when it holds a comma, quote, line break or edge space. */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
