/**
 * Followers of the delivered accounts, and TokPortal's daily series for the history's missing days.
 *
 * Followers: one `GET /accounts/{saved_account_id}/analytics` per delivered account per run (bundles whose
 * view has a `saved_account_id`), read during the analytics step; `ANALYTICS_NOT_FOUND` (no data yet)
 * leaves the cell empty and is no error (docs/tokportal-api.md §10). Series: one `GET /analytics/series`
 * for every account that needs days filled; a plan tier that refuses it (403) is skipped with a note.
 * Like the rest of analytics, nothing here fails a sync: every failure ends as a note.
 */
import pLimit from "p-limit";
import type { TokPortalClient } from "../api/client.ts";
import { sameCode, TokPortalError } from "../api/errors.ts";
import type { ActualState, RowResult } from "./types.ts";

export interface DeliveredAccount {
  bundleRef: string;
  savedAccountId: string;
}

export interface FollowersResult {
  /** bundleRef → followers and the day they were measured (YYYY-MM-DD). */
  followers: Map<string, { count: number; date: string }>;
  calls: number;
  note?: string;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The bundles rows whose bundle TokPortal has delivered (its view names the saved account). */
export function deliveredAccounts(
  rows: RowResult[],
  actual: ActualState,
  prefix: string,
): DeliveredAccount[] {
  const out: DeliveredAccount[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (r.row.key.table !== "bundles" || !("bundleRef" in r.row.key)) continue;
    const bundleRef = r.row.key.bundleRef;
    if (seen.has(bundleRef)) continue;
    const found = actual.byExternalRef.get(prefix + bundleRef);
    const saved = found?.length === 1 ? found[0]?.bundle.saved_account_id : null;
    if (typeof saved !== "string" || saved === "") continue;
    seen.add(bundleRef);
    out.push({ bundleRef, savedAccountId: saved });
  }
  return out;
}

export async function fetchFollowers(
  client: TokPortalClient,
  accounts: DeliveredAccount[],
  today: string,
  concurrency = 8,
): Promise<FollowersResult> {
  const followers = new Map<string, { count: number; date: string }>();
  let calls = 0;
  let failure: string | undefined;
  const limit = pLimit(concurrency);
  await Promise.all(
    accounts.map((a) =>
      limit(async () => {
        if (failure !== undefined) return;
        calls++;
        try {
          const res = await client.call("getAccountAnalytics", { path: { id: a.savedAccountId } });
          const data = obj(obj(res.body)["data"]);
          const count = num(data["followers_count"]);
          const at = typeof data["scraped_at"] === "string" ? data["scraped_at"].slice(0, 10) : today;
          if (count !== null)
            followers.set(a.bundleRef, { count, date: /^\d{4}-\d{2}-\d{2}$/.test(at) ? at : today });
        } catch (error) {
          if (error instanceof TokPortalError && sameCode(error.code, "ANALYTICS_NOT_FOUND")) return;
          if (error instanceof TokPortalError && error.kind === "local") calls--;
          failure ??= error instanceof Error ? error.message : String(error);
        }
      }),
    ),
  );
  return {
    followers,
    calls,
    ...(failure === undefined ? {} : { note: `followers could not be read: ${failure}` }),
  };
}

export interface SeriesResult {
  /** savedAccountId → date → followers. */
  points: Map<string, Map<string, number>>;
  calls: number;
  note?: string;
}

/** TokPortal's daily followers of these accounts from `from` to `to` (one request for all of them). */
export async function fetchFollowerSeries(
  client: TokPortalClient,
  accountIds: string[],
  from: string,
  to: string,
): Promise<SeriesResult> {
  const points = new Map<string, Map<string, number>>();
  if (accountIds.length === 0) return { points, calls: 0 };
  try {
    const res = await client.call("getAnalyticsSeries", {
      query: { metric: "followers", granularity: "day", mode: "snapshot", account: accountIds, from, to },
    });
    const series = obj(obj(res.body)["data"])["series"];
    for (const s of Array.isArray(series) ? series : []) {
      const id = obj(s)["account_id"];
      const list = obj(s)["points"];
      if (typeof id !== "string" || !Array.isArray(list)) continue;
      const days = new Map<string, number>();
      for (const p of list) {
        const date = obj(p)["date"];
        const value = num(obj(p)["value"]);
        if (typeof date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(date) && value !== null)
          days.set(date, value);
      }
      points.set(id, days);
    }
    return { points, calls: 1 };
  } catch (error) {
    if (error instanceof TokPortalError && error.status === 403)
      return {
        points,
        calls: 1,
        note: "the daily series is not included in this plan; missing days stay empty",
      };
    const message = error instanceof Error ? error.message : String(error);
    return { points, calls: 1, note: `the daily series could not be read: ${message}` };
  }
}
