/**
 * Prices for the planner: the fetched `/credit-costs` first, TokPortal's documented standard table for any
 * charged item missing there, so a charged op is never priced 0 (and so never escapes the max_credits /
 * balance reservation).
 */
import { STANDARD_CREDIT_COSTS } from "../api/prices.ts";

/** The price of one unit of a charged item: the fetched cost when TokPortal gave one, else the standard. */
export function unitPrice(costs: Readonly<Record<string, number>>, item: string): number {
  const fetched = costs[item];
  if (typeof fetched === "number" && Number.isFinite(fetched) && fetched > 0) return fetched;
  const standard = (STANDARD_CREDIT_COSTS as Readonly<Record<string, number>>)[item];
  if (standard === undefined) throw new Error(`no price known for the charged item ${item}`);
  return standard;
}
