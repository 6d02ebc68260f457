/**
 * Analytics read-back: the metrics of the posted videos, for the sheet's analytics columns.
 *
 * One `GET /analytics/export/videos` per run, whatever the number of rows, joined to the rows by video id
 * (platform URL as the fallback key). When the plan tier refuses the export (403), the per-account video
 * lists and the per-video endpoint are read instead, whichever needs fewer calls (see `planFallback`).
 * Analytics must never fail a sync: every failure ends as a `note`, with the values obtained so far.
 */
import pLimit from "p-limit";
import type { TokPortalClient } from "../api/client.ts";
import { sameCode, TokPortalError } from "../api/errors.ts";
import { paginate } from "../api/paginate.ts";
import { readList, readTotalPages, type VideoAnalytics, VideoAnalyticsSchema } from "../api/parse.ts";
import {
  type AnalyticsTarget,
  type AnalyticsValues,
  joinAnalytics,
  lookupTargets,
  type MeasuredVideo,
  measuredFrom,
  parseAnalyticsCsv,
  planFallback,
} from "./analytics-join.ts";

export type { AnalyticsColumn, AnalyticsTarget, AnalyticsValues, FallbackPlan } from "./analytics-join.ts";
export {
  joinAnalytics,
  lookupTargets,
  measuredFrom,
  normalizePlatformUrl,
  parseAnalyticsCsv,
  planFallback,
} from "./analytics-join.ts";

export interface AnalyticsResult {
  /** rowId → output column → value. Only metrics TokPortal measured: never a 0 that was not measured. */
  values: Map<string, AnalyticsValues>;
  source: "export" | "account_videos" | "video" | "none";
  /** Requests sent to TokPortal (pages included; retries of one request not counted). */
  calls: number;
  /** Why analytics are unavailable, in words (plan tier, error), when source is "none"; else what went wrong or which path was taken. */
  note?: string;
}

export interface FetchAnalyticsOptions {
  /** `analytics_at` of a measured video whose scrape time TokPortal did not give. Default: TokPortal's clock. */
  now?: () => Date;
  /** Fallback look-ups in flight at once (the client's rate gate still paces them). Default 8. */
  concurrency?: number;
}

interface Counter {
  calls: number;
}

export async function fetchAnalytics(
  client: TokPortalClient,
  targets: AnalyticsTarget[],
  options: FetchAnalyticsOptions = {},
): Promise<AnalyticsResult> {
  const now = options.now ?? (() => new Date(client.serverNow() ?? Date.now()));
  const wanted = lookupTargets(targets);
  if (wanted.length === 0)
    return { values: new Map(), source: "none", calls: 0, note: "No posted video to read analytics for." };
  const counter: Counter = { calls: 0 };
  let csv: string;
  try {
    csv = await counted(counter, () => client.analytics.exportVideosCsv());
  } catch (error) {
    if (error instanceof TokPortalError && error.status === 403)
      return fallback(client, wanted, error, counter, now, options.concurrency ?? 8);
    return {
      values: new Map(),
      source: "none",
      calls: counter.calls,
      note: `Analytics unavailable: the export failed: ${describe(error)}`,
    };
  }
  try {
    const { records, problems, unmapped } = parseAnalyticsCsv(csv);
    const values = joinAnalytics(
      wanted,
      records.map((r) => measuredFrom(r, now)),
    );
    const notes: string[] = [];
    if (records.length > 0 && !("video_id" in records[0]! || "platform_url" in records[0]!))
      notes.push(
        "the analytics export has neither a video_id nor a platform_url column; nothing could be joined",
      );
    if (unmapped.length > 0)
      notes.push(
        `the analytics export has column(s) the sync does not recognise and ignored: ${unmapped.join(", ")}`,
      );
    if (problems.length > 0)
      notes.push(`${problems.length} export row(s) could not be read and were skipped (${problems[0]})`);
    return {
      values,
      source: "export",
      calls: counter.calls,
      ...(notes.length > 0 ? { note: capitalize(notes.join("; ")) } : {}),
    };
  } catch (error) {
    return {
      values: new Map(),
      source: "none",
      calls: counter.calls,
      note: `Analytics unavailable: the export could not be read: ${describe(error)}`,
    };
  }
}

/** The export was refused: read per account and per video, as `planFallback` chose. */
async function fallback(
  client: TokPortalClient,
  wanted: AnalyticsTarget[],
  refusal: TokPortalError,
  counter: Counter,
  now: () => Date,
  concurrency: number,
): Promise<AnalyticsResult> {
  const tier =
    typeof refusal.details.plan_tier === "string" ? ` (plan tier ${refusal.details.plan_tier})` : "";
  const refused = `the analytics export is not included in this plan${tier}`;
  const plan = planFallback(wanted);
  if (plan.estimatedCalls === 0)
    return {
      values: new Map(),
      source: "none",
      calls: counter.calls,
      note: `Analytics unavailable: ${refused}, and no posted video has an id or a delivered account to read instead.`,
    };

  const measured: MeasuredVideo[] = [];
  const limit = pLimit(Math.max(1, concurrency));
  let failure: string | undefined;
  let notFound = 0;
  // A failure that is not "no data for this one" (server down, key refused…) stops further look-ups: the
  // next ones would most likely fail the same way, each after its own retries.
  const guard = async (what: () => Promise<void>): Promise<void> => {
    if (failure !== undefined) return;
    try {
      await what();
    } catch (error) {
      if (error instanceof TokPortalError && error.status === 404) {
        if (!sameCode(error.code, "ANALYTICS_NOT_FOUND")) notFound++;
        return;
      }
      failure ??= describe(error);
    }
  };
  const askVideo = (videoId: string) =>
    limit(() =>
      guard(async () => {
        const item = await counted(counter, () => client.analytics.video(videoId));
        // The answer may omit its own id; it is the video asked for.
        measured.push(measuredFrom({ ...item, video_id: videoId }, now));
      }),
    );
  // An account list refused by the plan tier too (403) leaves that account's videos to the per-video path,
  // which every plan has (docs/tokportal-api.md §10).
  const refusedAccounts: string[] = [];
  await Promise.all([
    ...plan.accounts.map((account) =>
      limit(() =>
        guard(async () => {
          try {
            for await (const item of accountVideos(client, account, counter))
              measured.push(measuredFrom(item, now));
          } catch (error) {
            if (!(error instanceof TokPortalError && error.status === 403)) throw error;
            refusedAccounts.push(account);
          }
        }),
      ),
    ),
    ...plan.videoIds.map(askVideo),
  ]);
  const demoted = [...new Set(refusedAccounts.flatMap((account) => plan.idsOfAccount[account] ?? []))];
  await Promise.all(demoted.map(askVideo));

  const values = joinAnalytics(wanted, measured);
  const listed = plan.accounts.length - refusedAccounts.length;
  const asked = plan.videoIds.length + demoted.length;
  const path = [
    listed > 0 ? `${listed} account video list(s)` : "",
    asked > 0 ? `${asked} video(s) one by one` : "",
  ]
    .filter(Boolean)
    .join(" and ");
  const notes = [`${refused}; read ${path || "nothing"} instead`];
  if (refusedAccounts.length > 0)
    notes.push(`${refusedAccounts.length} account video list(s) were refused too and read per video`);
  if (notFound > 0) notes.push(`${notFound} video(s) or account(s) were not found`);
  if (plan.unreachable > 0)
    notes.push(
      `${plan.unreachable} row(s) known only by platform_url without a delivered account were not read`,
    );
  if (failure !== undefined) notes.push(`stopped after a failure: ${failure}`);
  const unavailable = failure !== undefined && values.size === 0;
  const text = notes.join("; ");
  return {
    values,
    source: unavailable ? "none" : listed > 0 ? "account_videos" : "video",
    calls: counter.calls,
    note: unavailable ? `Analytics unavailable: ${text}.` : `${capitalize(text)}.`,
  };
}

/**
 * A saved account's analytics videos, every page. The client's generator hides its pages; this one counts
 * each request, so `calls` is exact for accounts with more than 100 videos.
 */
function accountVideos(
  client: TokPortalClient,
  accountId: string,
  counter: Counter,
): AsyncGenerator<VideoAnalytics> {
  const operationId = "listAccountVideoAnalytics";
  return paginate(
    async (page, perPage) => {
      const res = await counted(counter, () =>
        client.call(operationId, { path: { id: accountId }, query: { page, per_page: perPage } }),
      );
      const ctx = { operationId, requestId: res.requestId, status: res.status };
      return { items: readList(res.body, VideoAnalyticsSchema, ctx), totalPages: readTotalPages(res.body) };
    },
    { operationId },
  );
}

/** Runs one request and counts it, unless it was refused locally before anything was sent. */
async function counted<T>(counter: Counter, send: () => Promise<T>): Promise<T> {
  counter.calls++;
  try {
    return await send();
  } catch (error) {
    if (error instanceof TokPortalError && error.kind === "local") counter.calls--;
    throw error;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
