/**
 * Whether a run left work waiting for credits: bundles the budget or the balance left out of the plan, or
 * steps that found too few credits while applying (by their codes in src/findings/codes-apply.ts). The one
 * rule the exit code (src/cli/outcome.ts) and the run log (src/sync/extras-run.ts) both follow.
 */
import type { FindingCode } from "../findings/index.ts";
import type { RowResult } from "./types.ts";

const WAITING_FOR_CREDITS: ReadonlySet<FindingCode> = new Set<FindingCode>([
  "insufficient_credits",
  "credits_short",
  "earlier_step_short",
]);

export function waitsForCredits(deferredBundles: number, rows: readonly RowResult[]): boolean {
  if (deferredBundles > 0) return true;
  return rows.some((r) => r.outcome === "pending" && r.code !== undefined && WAITING_FOR_CREDITS.has(r.code));
}
