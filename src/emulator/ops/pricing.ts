/** What a bundle order costs (docs/tokportal-api.md §5), priced from the one price table in prices.ts. */
import { CREDIT_COSTS } from "../prices.ts";

export interface BundleOrder {
  newAccount: boolean;
  videos: number;
  edits: number;
  nicheWarming: boolean;
  advancedWarmingTerms: number;
}

/** The `cost_breakdown` of create answers: the fixed keys always, niche_warming only when bought. */
export interface CostBreakdown {
  account_creation: number;
  video_slots: number;
  edit_slots: number;
  advanced_warming: number;
  niche_warming?: number;
  total: number;
}

export function priceOrder(order: BundleOrder): CostBreakdown {
  const breakdown: CostBreakdown = {
    account_creation: order.newAccount ? CREDIT_COSTS.account_creation : 0,
    video_slots: order.videos * CREDIT_COSTS.video_upload,
    edit_slots: order.edits * CREDIT_COSTS.video_edit,
    advanced_warming: order.advancedWarmingTerms * CREDIT_COSTS.advanced_warming,
    total: 0,
  };
  if (order.nicheWarming) breakdown.niche_warming = CREDIT_COSTS.niche_warming;
  return withTotal(breakdown);
}

/** Sums several breakdowns (a bulk batch) into one. */
export function sumBreakdowns(parts: readonly CostBreakdown[]): CostBreakdown {
  const sum: CostBreakdown = {
    account_creation: 0,
    video_slots: 0,
    edit_slots: 0,
    advanced_warming: 0,
    total: 0,
  };
  for (const p of parts) {
    sum.account_creation += p.account_creation;
    sum.video_slots += p.video_slots;
    sum.edit_slots += p.edit_slots;
    sum.advanced_warming += p.advanced_warming;
    if (p.niche_warming) sum.niche_warming = (sum.niche_warming ?? 0) + p.niche_warming;
  }
  return withTotal(sum);
}

/** The breakdown without `total`, as the ledger and the 402 details carry it. */
export function chargeItems(breakdown: CostBreakdown): Record<string, number> {
  const { total: _total, ...items } = breakdown;
  return items;
}

function withTotal(b: CostBreakdown): CostBreakdown {
  b.total = b.account_creation + b.video_slots + b.edit_slots + b.advanced_warming + (b.niche_warming ?? 0);
  return b;
}
