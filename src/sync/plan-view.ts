/**
 * What the planner knows about one bundle while planning it (the sheet's side and TokPortal's side), and
 * the status rules it decides with (docs/tokportal-api.md). Shared by plan-bundle, plan-videos and
 * plan-publish.
 */
import type { Bundle, BundleAccount, Video } from "../api/index.ts";
import type { Assignment } from "./plan-slots.ts";
import { unitPrice } from "./prices.ts";
import type { DeliveredAccount, DesiredBundle, DesiredVideo, PlanOptions, RowRef } from "./types.ts";

/** Bundles whose videos can be released one by one (publish-video, publish-all). */
export const ACTIVE_BUNDLE: ReadonlySet<string> = new Set(["published", "published_priority", "accepted"]);
/** No configure, no new slot: the bundle's work is over. */
export const CLOSED_BUNDLE: ReadonlySet<string> = new Set(["completed", "cancelled", "archived"]);
/** Account statuses that still take a profile (while the bundle is `pending_setup`). */
export const EDITABLE_ACCOUNT: ReadonlySet<string> = new Set(["pending", "configured"]);
/** The account is delivered: lead time drops from 3 days to 1. */
export const DELIVERED_ACCOUNT: ReadonlySet<string> = new Set([
  "in_review",
  "pending_corrections",
  "finalized",
]);
/** Slot statuses `unschedule` accepts. */
export const CLEARABLE_SLOT: ReadonlySet<string> = new Set([
  "pending",
  "configured",
  "published",
  "accepted",
  "pending_corrections",
]);

export interface BundleView {
  b: DesiredBundle;
  /** The row has an error or is locked so far (the desired state's issues, and this bundle's notes). */
  blocked: (rowId: string) => boolean;
  options: PlanOptions;
  /** TokPortal's today, `YYYY-MM-DD`. */
  today: string;
  /** Every video_ref the sheet has for this bundle → its row. */
  sheetRefs: ReadonlyMap<string, RowRef>;
  /** This plan creates the bundle. */
  isNew: boolean;
  /** The remote bundle (null when new). */
  remote: Bundle | null;
  /** Remote status; `pending_setup` for a new bundle. */
  status: string;
  type: string;
  bundleId: string | null;
  /** Remote slots by position (empty for a new bundle). */
  slots: readonly Video[];
  /** The remote account, when it was read. */
  account: BundleAccount | null;
  /** The delivered account's username and URL, when this run read them. */
  delivered: DeliveredAccount | null;
  /** The bundle's videos rows still in play, in sheet order. */
  videos: readonly DesiredVideo[];
}

/** A row that needs a configure, on its slot, with the reason in words (the op's reason is made of them). */
export interface Candidate {
  v: DesiredVideo;
  slot: Assignment;
  reason: string;
}

/** Never 0 for a charged item: a price missing from /credit-costs falls back to the standard table. */
export function price(costs: Record<string, number>, item: string): number {
  return unitPrice(costs, item);
}

/** The account status as TokPortal last told it (the account read, else the bundle's summary). */
export function accountStatus(view: BundleView): string | null {
  return view.account?.status ?? view.remote?.account_status ?? null;
}

/** The slot that carries a row's video_ref. */
export function slotCarrying(view: BundleView, videoRef: string): Video | undefined {
  return view.slots.find((s) => (s.external_ref ?? "") === videoRef);
}
