/**
 * The analytics history tab (`analytics_history`): one row per video per day with that day's numbers,
 * and one row per account per day with its followers (its `video_ref` is empty). Pure.
 *
 * Upserted by (date, video_ref), and by (date, bundle_ref) for account rows: several runs a day keep one
 * row, holding the day's latest measure. Days filled from TokPortal's series never overwrite a day the
 * sync measured itself. Rows stay in date order (stable within a day), so the daily append touches only
 * the bottom of the tab.
 */
import type { ExtraTable } from "../sources/extra-tabs.ts";
import { METRIC_COLUMNS as METRICS } from "./analytics-join.ts";

export const HISTORY_HEADER = [
  "date",
  "video_ref",
  "bundle_ref",
  "account",
  ...METRICS,
  "followers",
] as const;

type Cell = string | number;

export interface VideoDay {
  date: string;
  videoRef: string;
  bundleRef: string;
  metrics: Partial<Record<(typeof METRICS)[number], number | string | null>>;
}

export interface AccountDay {
  date: string;
  bundleRef: string;
  account: string;
  followers: number;
}

const col = (name: (typeof HISTORY_HEADER)[number]): number => HISTORY_HEADER.indexOf(name);

function keyOf(row: readonly Cell[]): string {
  const video = String(row[col("video_ref")] ?? "");
  return `${row[col("date")]}\t${video === "" ? `@${row[col("bundle_ref")] ?? ""}` : video}`;
}

function videoRow(v: VideoDay): Cell[] {
  const row: Cell[] = [v.date, v.videoRef, v.bundleRef, ""];
  for (const m of METRICS) {
    const value = v.metrics[m];
    row.push(value === null || value === undefined ? "" : value);
  }
  row.push("");
  return row;
}

function accountRow(a: AccountDay): Cell[] {
  return [a.date, "", a.bundleRef, a.account, "", "", "", "", "", "", a.followers];
}

/** Data rows as read, in the header's column order (a tab whose header differs is rebuilt). */
function readRows(read: ExtraTable | null): Cell[][] {
  if (!read || read.rows.length === 0) return [];
  const header = read.rows[0] ?? [];
  const index = HISTORY_HEADER.map((h) => header.indexOf(h));
  return read.rows.slice(1).map((r) => index.map((i) => (i < 0 ? "" : (r[i] ?? ""))));
}

/**
 * The tab's next content. `measured`: what this run saw (replaces the day's row); `filled`: days from
 * TokPortal's series (added only where the tab has no row for that day).
 */
export function nextHistory(
  read: ExtraTable | null,
  measured: { videos: VideoDay[]; accounts: AccountDay[] },
  filled: AccountDay[] = [],
): Cell[][] {
  const rows = readRows(read);
  const byKey = new Map<string, number>();
  rows.forEach((r, i) => {
    byKey.set(keyOf(r), i);
  });
  const upsert = (row: Cell[], overwrite: boolean) => {
    const key = keyOf(row);
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, rows.length);
      rows.push(row);
    } else if (overwrite) rows[at] = row;
  };
  for (const v of measured.videos) upsert(videoRow(v), true);
  for (const a of measured.accounts) upsert(accountRow(a), true);
  for (const a of filled) upsert(accountRow(a), false);
  const order = rows.map((r, i) => ({ r, i }));
  order.sort((x, y) => String(x.r[0]).localeCompare(String(y.r[0])) || x.i - y.i);
  return [[...HISTORY_HEADER], ...order.map((o) => o.r)];
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** How far back the series fills an account the tab has never seen. */
export const FILL_DAYS = 30;

/**
 * The first day TokPortal's series should fill for each account (bundle ref → day), or none when the tab
 * already has every day from the account's first row to yesterday. Asked only for accounts measured today.
 */
export function daysToFill(
  read: ExtraTable | null,
  bundleRefs: string[],
  today: string,
): Map<string, string> {
  const seen = new Map<string, Set<string>>();
  for (const r of readRows(read)) {
    if (String(r[col("video_ref")]) !== "") continue;
    const ref = String(r[col("bundle_ref")]);
    const days = seen.get(ref) ?? new Set<string>();
    days.add(String(r[col("date")]));
    seen.set(ref, days);
  }
  const out = new Map<string, string>();
  const todayMs = Date.parse(today);
  for (const ref of bundleRefs) {
    const days = seen.get(ref);
    if (!days || days.size === 0) {
      out.set(ref, dayOf(todayMs - (FILL_DAYS - 1) * DAY_MS));
      continue;
    }
    const first = [...days].sort()[0] as string;
    for (let t = Date.parse(first); t < todayMs; t += DAY_MS) {
      if (!days.has(dayOf(t))) {
        out.set(ref, dayOf(t));
        break;
      }
    }
  }
  return out;
}
