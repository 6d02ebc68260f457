/**
 * Analytics in a run: which rows are measured, and how the numbers join the results.
 * After apply, the targets are the run's own videos rows that are posted; in `analytics` mode, the rows the
 * sheet already links to a video. Either way `fetchAnalytics` makes one export call for all of them.
 */
import type { TypedCampaign } from "../sources/coerce.ts";
import type { AnalyticsResult, AnalyticsTarget, AnalyticsValues } from "./analytics.ts";
import { videoRowRef } from "./rows.ts";
import type { ActualState, AnalyticsSummary, RowResult } from "./types.ts";

const MEASURABLE = new Set(["in_review", "finalized"]);
const text = (v: unknown): string => (typeof v === "string" ? v.trim() : "");

/**
 * The videos rows worth measuring after apply: a slot id, and posted (in review or finalized, or a
 * platform URL known). The delivered account lets the fallback list an account's videos at once.
 */
export function resultTargets(rows: RowResult[], actual: ActualState, prefix: string): AnalyticsTarget[] {
  const out: AnalyticsTarget[] = [];
  for (const r of rows) {
    if (!r.row.id.startsWith("v:") || !("videoRef" in r.row.key)) continue;
    const videoId = text(r.values["video_id"]);
    const platformUrl = text(r.values["platform_url"]);
    if (videoId === "" || !(MEASURABLE.has(text(r.values["video_status"])) || platformUrl !== "")) continue;
    const found = actual.byExternalRef.get(prefix + r.row.key.bundleRef);
    const bundle = found?.length === 1 ? found[0]?.bundle : undefined;
    out.push({
      rowId: r.row.id,
      videoId,
      platformUrl: platformUrl || null,
      bundleId: text(r.values["bundle_id"]) || (bundle?.id ?? null),
      savedAccountId: bundle?.saved_account_id ?? null,
    });
  }
  return out;
}

/** Analytics mode: the videos rows the sheet already links to a posted video (an id or a URL). */
export function sheetTargets(campaign: TypedCampaign): AnalyticsTarget[] {
  const out: AnalyticsTarget[] = [];
  for (const row of campaign.videos) {
    const ref = videoRowRef(row);
    if (!ref.id.startsWith("v:")) continue;
    const videoId = text(row.outputs["video_id"]);
    const platformUrl = text(row.outputs["platform_url"]);
    if (videoId === "" && platformUrl === "") continue;
    out.push({
      rowId: ref.id,
      videoId: videoId || null,
      platformUrl: platformUrl || null,
      bundleId: null,
      savedAccountId: null,
    });
  }
  return out;
}

export function summarize(a: AnalyticsResult): AnalyticsSummary {
  return { source: a.source, calls: a.calls, ...(a.note !== undefined ? { note: a.note } : {}) };
}

/** A note worth showing: not the plain "nothing to measure", which is no news. */
export function analyticsWarning(a: AnalyticsResult, targets: number): string | null {
  if (a.note === undefined || targets === 0) return null;
  return `Analytics: ${a.note}`;
}

/** Measured values join the row's values; they never mark the row changed (so `synced_at` stays). */
export function withAnalytics(rows: RowResult[], measured: Map<string, AnalyticsValues>): RowResult[] {
  return rows.map((r) => {
    const values = measured.get(r.row.id);
    if (!values) return r;
    const merged = { ...r.values };
    for (const [column, v] of Object.entries(values)) if (v !== undefined) merged[column] = v;
    return { ...r, values: merged };
  });
}
