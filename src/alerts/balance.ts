/**
 * The balance facts alerts need: the total (for `balance_below`) and the credits about to expire (for
 * `expiring_within_days`, from `upcoming_expirations`: docs/tokportal-api.md §5). The sync reads the
 * balance only when its plan charges something, and then keeps only the total; so, when a threshold is
 * set, one `GET /credits/balance` is made at the end of a run, at most once per READ_EVERY_MS: a balance
 * and expiry dates counted in days do not need a read every tick. The total the plan read is used when
 * it is the only thing wanted.
 */
import type { TokPortalClient } from "../api/client.ts";
import type { RunReport } from "../sync/types.ts";
import type { AlertSettings, BalanceFacts, CreditExpiration } from "./conditions.ts";

export const READ_EVERY_MS = 10 * 60_000;

/** Whether this run's end reads the balance (a TokPortal call). */
export function wantsBalanceRead(
  settings: AlertSettings,
  report: RunReport,
  lastReadAt: string | null,
  now: number,
): boolean {
  if (settings.balanceBelow === null && settings.expiringWithinDays === null) return false;
  if (settings.expiringWithinDays === null && planBalance(report) !== null) return false;
  return lastReadAt === null || now - Date.parse(lastReadAt) >= READ_EVERY_MS;
}

/** The total the run's plan read for its budget, when it read one. */
export function planBalance(report: RunReport | null): number | null {
  if (!report || report.mode === "analytics") return null;
  return report.plan.totals.balance;
}

/** `upcoming_expirations` as given, each entry kept only when its amount and date read; null when absent. */
export function expirationsOf(answer: Record<string, unknown>): CreditExpiration[] | null {
  const list = answer.upcoming_expirations;
  if (!Array.isArray(list)) return null;
  const out: CreditExpiration[] = [];
  for (const e of list) {
    if (typeof e !== "object" || e === null) continue;
    const { amount, expires_at } = e as Record<string, unknown>;
    const n = typeof amount === "string" ? Number(amount) : amount;
    if (typeof n !== "number" || !Number.isFinite(n)) continue;
    if (typeof expires_at !== "string" || !Number.isFinite(Date.parse(expires_at))) continue;
    out.push({ amount: n, expiresAt: new Date(expires_at).toISOString() });
  }
  return out;
}

export async function readBalance(client: TokPortalClient): Promise<BalanceFacts> {
  const answer = await client.credits.balance();
  return { total: answer.total_credits, expirations: expirationsOf(answer as Record<string, unknown>) };
}
