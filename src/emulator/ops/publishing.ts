/**
 * Releasing work to the managers: publishing a bundle, and publishing configured slots of an active
 * bundle. Shared by the publish endpoints and by `auto_publish` on configure, batch and CSV import.
 */
import { ApiError, type OpContext } from "../context.ts";
import type { Bundle, BundleStatus, VideoSlot } from "../model.ts";
import { emitAccountEvent, emitBundleEvent, emitVideoEvent, touch } from "./domain.ts";
import { type Blocker, publishBlockers } from "./readiness.ts";
import { ADJUSTED_VIDEOS_NOTE, type DateAdjustment, shiftStaleDates } from "./schedule.ts";

/** Bundle statuses in which single videos can be released (docs/tokportal-api.md §8). */
export const ACTIVE_BUNDLE_STATUSES: readonly BundleStatus[] = [
  "published",
  "published_priority",
  "accepted",
];

export function isBundleActive(bundle: Bundle): boolean {
  return ACTIVE_BUNDLE_STATUSES.includes(bundle.status);
}

export interface BundlePublishOutcome {
  published: boolean;
  blockers: Blocker[];
  adjusted: DateAdjustment[];
  videos: VideoSlot[];
}

/** Publishes a ready `pending_setup` bundle; when not ready, changes nothing and returns the blockers. */
export function tryPublishBundle(ctx: OpContext, bundle: Bundle): BundlePublishOutcome {
  const blockers = publishBlockers(bundle);
  if (blockers.length > 0) return { published: false, blockers, adjusted: [], videos: [] };
  const configured = bundle.videos.filter((v) => v.status === "configured");
  const adjusted = shiftStaleDates(bundle, configured, ctx.clock);
  const now = touch(ctx, bundle);
  const previous = bundle.status;
  bundle.status = "published";
  bundle.published_at = now;
  emitBundleEvent(ctx, "bundle.published", bundle, previous);
  if (bundle.account && bundle.account.status === "configured") {
    bundle.account.status = "published";
    bundle.account.published_at = now;
    emitAccountEvent(ctx, "account.published", bundle, "configured");
  }
  releaseSlots(ctx, bundle, configured, now);
  return { published: true, blockers: [], adjusted, videos: configured };
}

/** Publishes configured slots of an active bundle, moving stale dates forward first. */
export function publishSlots(
  ctx: OpContext,
  bundle: Bundle,
  slots: readonly VideoSlot[],
): { adjusted: DateAdjustment[]; videos: VideoSlot[] } {
  if (!isBundleActive(bundle)) {
    throw new ApiError(
      409,
      "BUNDLE_INVALID_STATUS",
      `Videos can be published only on an active bundle (status '${bundle.status}'); publish the bundle first.`,
      { current_status: bundle.status, allowed_statuses: [...ACTIVE_BUNDLE_STATUSES] },
    );
  }
  const configured = slots.filter((s) => s.status === "configured");
  const adjusted = shiftStaleDates(bundle, configured, ctx.clock);
  const now = touch(ctx, bundle);
  releaseSlots(ctx, bundle, configured, now);
  return { adjusted, videos: configured };
}

function releaseSlots(ctx: OpContext, bundle: Bundle, slots: readonly VideoSlot[], now: string): void {
  for (const slot of slots) {
    slot.status = "published";
    slot.published_at = now;
    slot.updated_at = now;
    emitVideoEvent(ctx, "video.published", bundle, slot, "configured");
  }
}

/**
 * One `auto_publish` attempt after configuring `slots`: publish the bundle when it is still being set up
 * (and ready), or release the slots when the bundle is already active. Never throws for "not ready".
 */
export function autoPublish(
  ctx: OpContext,
  bundle: Bundle,
  slots: readonly VideoSlot[],
): Record<string, unknown> {
  if (bundle.status === "pending_setup") {
    const outcome = tryPublishBundle(ctx, bundle);
    if (!outcome.published) {
      return { attempted: true, published: false, target: "bundle", blockers: outcome.blockers };
    }
    return {
      attempted: true,
      published: true,
      target: "bundle",
      bundle_status: bundle.status,
      videos_published: outcome.videos.length,
      ...adjustedFields(outcome.adjusted),
    };
  }
  if (isBundleActive(bundle)) {
    const { adjusted, videos } = publishSlots(ctx, bundle, slots);
    return {
      attempted: true,
      published: videos.length > 0,
      target: "videos",
      videos_published: videos.length,
      video_ids: videos.map((v) => v.id),
      ...adjustedFields(adjusted),
    };
  }
  return {
    attempted: true,
    published: false,
    target: "none",
    reason: `Bundle status '${bundle.status}' does not allow publishing.`,
  };
}

/** `adjusted_videos` + note, present only when something moved. */
export function adjustedFields(adjusted: readonly DateAdjustment[]): Record<string, unknown> {
  return adjusted.length > 0 ? { adjusted_videos: adjusted, adjusted_videos_note: ADJUSTED_VIDEOS_NOTE } : {};
}
