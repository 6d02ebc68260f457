/**
 * What a run adds beside the campaign rows: the bundles' `followers`, the analytics history and the run log
 * (the source's extra tabs, see src/sources/extra-tabs.ts), all written in the run's one write-back.
 *
 * Followers are read (src/sync/followers.ts) when the bundles table has a `followers` column or the
 * history is kept, so a sheet that asks for neither makes no extra TokPortal call.
 */

import type { TokPortalClient } from "../api/client.ts";
import { runExitCode } from "../exit-codes.ts";
import type { TypedCampaign } from "../sources/coerce.ts";
import { type ExtraWrite, RUN_LOG_MAX_ROWS } from "../sources/extra-tabs.ts";
import type { CellPatch, SourceSnapshot } from "../sources/types.ts";
import type { AnalyticsValues } from "./analytics.ts";
import { deliveredAccounts, fetchFollowerSeries, fetchFollowers } from "./followers.ts";
import { type AccountDay, daysToFill, nextHistory, type VideoDay } from "./history.ts";
import { videoRowRef } from "./rows.ts";
import { loggedErrors, nextRunLog } from "./run-log.ts";
import type { ActualState, RowResult, RunMode, SyncStatus } from "./types.ts";

export interface AccountsMeasure {
  /** Bundles rows' `followers` cells that differ from what was read. */
  patches: CellPatch[];
  history: { accounts: AccountDay[]; filled: AccountDay[] };
  calls: number;
  note?: string;
}

const NONE: AccountsMeasure = { patches: [], history: { accounts: [], filled: [] }, calls: 0 };

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Followers of the delivered accounts, and the series days the history lacks. */
export async function measureAccounts(
  client: TokPortalClient,
  snapshot: SourceSnapshot,
  campaign: TypedCampaign,
  rows: RowResult[],
  actual: ActualState,
  prefix: string,
  today: string,
): Promise<AccountsMeasure> {
  const history = snapshot.extras?.has("analytics_history") ?? false;
  const column = !campaign.singleTable && campaign.bundles.some((b) => "followers" in b.outputs);
  if (!history && !column) return NONE;
  const accounts = deliveredAccounts(rows, actual, prefix);
  if (accounts.length === 0) return NONE;
  const read = await fetchFollowers(client, accounts, today);
  const notes = read.note === undefined ? [] : [read.note];
  const patches: CellPatch[] = [];
  if (column) {
    const shown = new Map(campaign.bundles.map((b) => [b.key, b.outputs] as const));
    for (const [bundleRef, f] of read.followers) {
      const had = [...shown].find(([k]) => "bundleRef" in k && k.bundleRef === bundleRef)?.[1];
      if (had?.["followers"] === String(f.count)) continue;
      patches.push({ key: { table: "bundles", bundleRef }, values: { followers: f.count } });
    }
  }
  const idOf = new Map(accounts.map((a) => [a.bundleRef, a.savedAccountId]));
  const measured: AccountDay[] = [...read.followers].map(([bundleRef, f]) => ({
    date: f.date,
    bundleRef,
    account: idOf.get(bundleRef) ?? "",
    followers: f.count,
  }));
  let calls = read.calls;
  const filled: AccountDay[] = [];
  if (history) {
    const fill = daysToFill(
      snapshot.extras?.get("analytics_history") ?? null,
      [...read.followers.keys()],
      today,
    );
    if (fill.size > 0) {
      const from = [...fill.values()].sort()[0] as string;
      const ids = [...fill.keys()].map((ref) => idOf.get(ref) ?? "").filter((id) => id !== "");
      const series = await fetchFollowerSeries(client, ids, from, today);
      calls += series.calls;
      if (series.note) notes.push(series.note);
      for (const [ref, since] of fill) {
        const id = idOf.get(ref) ?? "";
        for (const [date, followers] of series.points.get(id) ?? [])
          if (date >= since) filled.push({ date, bundleRef: ref, account: id, followers });
      }
    }
  }
  return {
    patches,
    history: { accounts: measured, filled },
    calls,
    ...(notes.length > 0 ? { note: `Analytics: ${notes.join("; ")}.` } : {}),
  };
}

type Measured = Pick<RowResult, "row" | "values">;

/** Analytics mode: the sheet's videos rows with what this run measured. */
export function measuredRows(campaign: TypedCampaign, values: Map<string, AnalyticsValues>): Measured[] {
  const out: Measured[] = [];
  for (const row of campaign.videos) {
    const ref = videoRowRef(row);
    const v = values.get(ref.id);
    if (v) out.push({ row: ref, values: v as Measured["values"] });
  }
  return out;
}

/** The videos rows measured this run, as history days (the day of TokPortal's measure). */
export function videoDays(
  rows: readonly Measured[],
  measured: ReadonlySet<string>,
  today: string,
): VideoDay[] {
  const out: VideoDay[] = [];
  for (const r of rows) {
    if (!measured.has(r.row.id) || !("videoRef" in r.row.key)) continue;
    const at = r.values["analytics_at"];
    const date = typeof at === "string" && /^\d{4}-\d{2}-\d{2}/.test(at) ? at.slice(0, 10) : today;
    const v = r.values;
    out.push({
      date,
      videoRef: r.row.key.videoRef,
      bundleRef: r.row.key.bundleRef,
      metrics: {
        views: v["views"] ?? null,
        likes: v["likes"] ?? null,
        comments: v["comments"] ?? null,
        shares: v["shares"] ?? null,
        bookmarks: v["bookmarks"] ?? null,
        engagement_rate: v["engagement_rate"] ?? null,
      },
    });
  }
  return out;
}

export interface RunLogFacts {
  mode: RunMode;
  startedAt: string;
  endedAt: string;
  rows: RowResult[];
  counts: Record<SyncStatus, number>;
  creditsCharged: number;
  calls: number;
  rateLimited: number;
  authRefused: boolean;
  waitsForCredits: boolean;
}

/** The extra tabs' new content for this run (only the tabs the source keeps). */
export function extraWrites(
  snapshot: SourceSnapshot,
  facts: RunLogFacts,
  history: { videos: VideoDay[]; accounts: AccountDay[]; filled: AccountDay[] } | null,
): ExtraWrite[] {
  const out: ExtraWrite[] = [];
  const extras = snapshot.extras;
  if (!extras) return out;
  if (extras.has("analytics_history") && history) {
    const read = extras.get("analytics_history") ?? null;
    const measured = { videos: history.videos, accounts: history.accounts };
    out.push({ tab: "analytics_history", rows: nextHistory(read, measured, history.filled) });
  }
  if (extras.has("sync_runs")) {
    const entry = {
      startedAt: facts.startedAt,
      endedAt: facts.endedAt,
      mode: facts.mode,
      counts: facts.counts,
      creditsCharged: facts.creditsCharged,
      calls: facts.calls,
      rateLimited: facts.rateLimited,
      errors: loggedErrors(facts.rows),
      exitCode: runExitCode(facts),
      changed: facts.creditsCharged > 0 || facts.rows.some((r) => r.changed),
    };
    const cap = snapshot.runLogMaxRows ?? RUN_LOG_MAX_ROWS;
    out.push({ tab: "sync_runs", rows: nextRunLog(extras.get("sync_runs") ?? null, entry, cap) });
  }
  return out;
}
