/**
 * The charts' numbers: each chart is days on x and one or more series on y, the same numbers the table
 * beside it shows. Pure.
 */
import type { SheetRow } from "../sources/types.ts";
import type { HISTORY_HEADER } from "../sync/history.ts";
import type { RunEntry } from "./runs.ts";

export interface Series {
  label: string;
  /** One value per day of `days`; null where there is none. */
  values: (number | null)[];
}

export interface Chart {
  id: string;
  title: string;
  /** `YYYY-MM-DD`, ascending. */
  days: string[];
  series: Series[];
  /** Bars for counts per day, lines for measures over time. */
  kind: "bars" | "lines";
}

const DAY_MS = 86_400_000;
/** Credits per day are shown over this many days at most, ending today. */
export const CREDIT_DAYS = 31;

const isDay = (v: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(v);

/** Videos planned per day (by `target_publish_date`) and, of those, posted (a `platform_url`). */
export function postsChart(videos: readonly SheetRow[]): Chart {
  const planned = new Map<string, number>();
  const posted = new Map<string, number>();
  for (const v of videos) {
    const day = v.cells["target_publish_date"] ?? "";
    if (!isDay(day)) continue;
    planned.set(day, (planned.get(day) ?? 0) + 1);
    if ((v.cells["platform_url"] ?? "") !== "") posted.set(day, (posted.get(day) ?? 0) + 1);
  }
  const days = [...planned.keys()].sort();
  return {
    id: "posts",
    title: "Posts per day: planned (target_publish_date) and posted",
    kind: "bars",
    days,
    series: [
      { label: "planned", values: days.map((d) => planned.get(d) ?? 0) },
      { label: "posted", values: days.map((d) => posted.get(d) ?? 0) },
    ],
  };
}

/** Credits charged per day, over the last CREDIT_DAYS days up to `now` (UTC days). */
export function creditsChart(runs: readonly RunEntry[], now: number): Chart {
  const byDay = new Map<string, number>();
  for (const r of runs) {
    const day = r.startedAt.slice(0, 10);
    byDay.set(day, (byDay.get(day) ?? 0) + r.creditsCharged);
  }
  const known = [...byDay.keys()].sort();
  const first = known[0];
  // Up to today, or to the last run when runs are dated later (a sandbox's clock runs ahead).
  const end = Math.max(
    Date.parse(new Date(now).toISOString().slice(0, 10)),
    Date.parse(known.at(-1) ?? "") || 0,
  );
  const start = Math.max(end - (CREDIT_DAYS - 1) * DAY_MS, first ? Date.parse(first) : end);
  const days: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return {
    id: "credits",
    title: "Credits charged per day",
    kind: "bars",
    days,
    series: [{ label: "credits", values: days.map((d) => byDay.get(d) ?? 0) }],
  };
}

/**
 * Views (summed over an account's videos) or followers per day, one series per account (its bundle_ref:
 * the sheet's own name for it), from the analytics history.
 */
export function seriesByAccount(
  history: { rows: string[][] } | null,
  metric: "views" | "followers",
  title: string,
): Chart {
  const rows = history?.rows ?? [];
  const header = rows[0] ?? [];
  const at = (name: (typeof HISTORY_HEADER)[number]) => header.indexOf(name);
  const [iDate, iVideo, iBundle, iValue] = [at("date"), at("video_ref"), at("bundle_ref"), at(metric)];
  const values = new Map<string, Map<string, number>>();
  if (iDate >= 0 && iBundle >= 0 && iValue >= 0) {
    for (const r of rows.slice(1)) {
      const day = r[iDate] ?? "";
      const video = iVideo >= 0 ? (r[iVideo] ?? "") : "";
      // Views live on video rows, followers on account rows (no video_ref).
      if (!isDay(day) || (metric === "views") !== (video !== "")) continue;
      const text = r[iValue] ?? "";
      if (text === "" || !Number.isFinite(Number(text))) continue;
      const ref = r[iBundle] ?? "";
      const days = values.get(ref) ?? new Map<string, number>();
      days.set(day, (days.get(day) ?? 0) + Number(text));
      values.set(ref, days);
    }
  }
  const days = [...new Set([...values.values()].flatMap((m) => [...m.keys()]))].sort();
  return {
    id: metric,
    title,
    kind: "lines",
    days,
    series: [...values.keys()].sort().map((ref) => ({
      label: ref,
      values: days.map((d) => values.get(ref)?.get(d) ?? null),
    })),
  };
}
