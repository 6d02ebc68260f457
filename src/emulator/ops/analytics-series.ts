/**
 * `GET /analytics/series` (docs/tokportal-api.md §10): a metric per delivered account per day or week,
 * built on the emulator's clock from the same deterministic numbers as the rest of analytics
 * (./metrics.ts), so a point is what a read at the end of that day would have measured.
 *
 * The answer's shape is not published; ours (docs/emulator.md): `{data: {metric, granularity, mode, from,
 * to, series: [{account_id, username, points: [{date, value}]}]}}`. A day before the account's first
 * scrape has no point (unavailable, never 0).
 */
import { ApiError, type OpContext, type OpTable } from "../context.ts";
import type { SavedAccount } from "../model.ts";
import { all, first } from "../paginate.ts";
import { accountTotals, metricsOf, type PostedVideo, postedVideos } from "./metrics.ts";

const DAY_MS = 86_400_000;
const METRICS = ["views", "likes", "comments", "shares", "followers"] as const;
type SeriesMetric = (typeof METRICS)[number];
/** The longest span one request may cover (an emulator choice, to keep answers small). */
const MAX_DAYS = 366;

export const analyticsSeriesOps: OpTable = {
  getAnalyticsSeries(req, ctx) {
    requireSeriesPlan(ctx);
    const metric = (first(req.query.metric) ?? "views") as SeriesMetric;
    const granularity = first(req.query.granularity) === "week" ? "week" : "day";
    const mode = first(req.query.mode) ?? "cumulative";
    const nowMs = ctx.clock.now();
    const today = dayOf(nowMs);
    const to = clampDay(first(req.query.to) ?? today, today);
    const from = first(req.query.from) ?? dayOf(Date.parse(to) - 29 * DAY_MS);
    if (from > to || (Date.parse(to) - Date.parse(from)) / DAY_MS >= MAX_DAYS) {
      throw new ApiError(400, "VALIDATION_ERROR", `from..to must be a span of 1 to ${MAX_DAYS} days.`, {
        from,
        to,
      });
    }
    const wanted = new Set(all(req.query.account).map((a) => a.toLowerCase()));
    const accounts = Object.values(ctx.state.savedAccounts).filter(
      (a) =>
        a.workspaceId === ctx.workspace.id &&
        (wanted.size === 0 || wanted.has(a.id.toLowerCase()) || wanted.has(a.username.toLowerCase())),
    );
    const posted = postedVideos(ctx.state, ctx.workspace.id);
    const series = accounts.map((account) => {
      const videos = posted.filter((p) => p.account?.id === account.id);
      const points: { date: string; value: number }[] = [];
      let previous: number | null = null;
      const step = granularity === "week" ? 7 : 1;
      for (let t = Date.parse(from); dayOf(t) <= to; t += step * DAY_MS) {
        // A day's point is what was measured by its end (or by now, for today).
        const at = Math.min(t + step * DAY_MS - 1, nowMs);
        const value = measure(ctx, account, videos, metric, at);
        if (value === null) continue;
        points.push({ date: dayOf(t), value: mode === "gained" ? value - (previous ?? value) : value });
        previous = value;
      }
      return { account_id: account.id, username: account.username, points };
    });
    return { body: { data: { metric, granularity, mode, from, to, series } } };
  },
};

function measure(
  ctx: OpContext,
  account: SavedAccount,
  videos: PostedVideo[],
  metric: SeriesMetric,
  atMs: number,
): number | null {
  const live = videos.filter((p) => p.postedAtMs <= atMs);
  if (metric === "followers") return accountTotals(ctx.state, account, live, atMs)?.followers_count ?? null;
  const values = live.map((p) => metricsOf(ctx.state, p, atMs)?.[metric] ?? null);
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, v) => a + v, 0);
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function clampDay(day: string, today: string): string {
  return day > today ? today : day;
}

/** Like the other account-level analytics, a Starter plan is refused (docs/tokportal-api.md §10). */
function requireSeriesPlan(ctx: OpContext): void {
  const tier = ctx.workspace.plan_tier ?? ctx.rules.defaultPlanTier;
  if (tier === "starter") {
    throw new ApiError(403, "ANALYTICS_PLAN_REQUIRED", "Plan does not include this analytics level", {
      plan_tier: tier,
      required_plan_tiers: ["creator", "marketer"],
    });
  }
}
