/**
 * Pulling published work back (docs/tokportal-api.md §8): a bundles row whose `publish` cell says `no` on a
 * bundle that is published and not yet accepted is unpublished (nothing is refunded); a videos row whose
 * `publish` says `no` on a video released but not yet accepted is unscheduled, which clears its slot (the
 * next run configures the row again). Both are destructive: a run asks before them (`isDestructive`).
 * Only a `no` written in the row pulls back; a default never does.
 */
import type { Video } from "../api/index.ts";
import { finding, reasoned } from "../findings/index.ts";
import type { Decided } from "./plan-rows.ts";
import type { BundleView } from "./plan-view.ts";
import type { DesiredVideo, Plan, PlanOp } from "./types.ts";

/** Bundle statuses an unpublish takes (published, not yet accepted). */
const UNPUBLISHABLE: ReadonlySet<string> = new Set(["published", "published_priority"]);
/** Work the account manager has taken: too late to pull back. */
const TAKEN_BUNDLE: ReadonlySet<string> = new Set(["accepted", "completed"]);
const TAKEN_VIDEO: ReadonlySet<string> = new Set([
  "accepted",
  "in_review",
  "pending_corrections",
  "finalized",
]);

/** An unpublish, or an unschedule a `publish=no` asked for: the run confirms them like a spend. */
export function isDestructive(op: PlanOp): boolean {
  return (
    op.kind === "unpublishBundle" ||
    (op.kind === "unscheduleVideo" && op.reasonCode === "unschedule_publish_no")
  );
}

export function destructiveOps(plan: Plan): PlanOp[] {
  return plan.ops.filter(isDestructive);
}

/** The bundles row's pull back. */
export function pullBackBundle(view: BundleView): Decided {
  const { b } = view;
  if (!b.row || !b.pullBack || view.isNew) return { op: null, notes: [] };
  if (TAKEN_BUNDLE.has(view.status)) {
    const late = finding("pull_back_too_late", "publish", { what: "bundle", status: view.status });
    return { op: null, notes: [{ kind: "info", row: b.row, finding: late }] };
  }
  if (!UNPUBLISHABLE.has(view.status)) return { op: null, notes: [] };
  const op: PlanOp = {
    kind: "unpublishBundle",
    id: `${b.bundleRef}:unpublishBundle`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: [b.row.id],
    ...reasoned("unpublish", {}),
    cost: 0,
  };
  return { op, notes: [] };
}

/** A videos row's pull back, on the slot that carries it; null when the row asks for none. */
export function pullBackVideo(
  view: BundleView,
  v: DesiredVideo,
  slot: Video,
  unpublishing: boolean,
): Decided | null {
  // An unpublish takes the bundle's released slots back to `configured` itself.
  if (!v.pullBack || unpublishing) return null;
  if (TAKEN_VIDEO.has(slot.status)) {
    const late = finding("pull_back_too_late", "publish", { what: "video", status: slot.status });
    return { op: null, notes: [{ kind: "info", row: v.row, finding: late }] };
  }
  if (slot.status !== "published") return null;
  const op: PlanOp = {
    kind: "unscheduleVideo",
    id: `${view.b.bundleRef}:unscheduleVideo:${slot.position}`,
    bundleRef: view.b.bundleRef,
    bundleId: view.bundleId,
    rows: [v.row.id],
    ...reasoned("unschedule_publish_no", { position: slot.position, status: slot.status }),
    cost: 0,
    position: slot.position,
  };
  return { op, notes: [] };
}
