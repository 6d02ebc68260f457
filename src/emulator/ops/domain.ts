/**
 * Small domain helpers shared by the bundle, account and video handlers: fresh records, lookups that
 * answer the API's 404s, timestamps and the webhook payloads of status changes.
 */
import { ApiError, type OpContext } from "../context.ts";
import type { AccountConfig, Bundle, VideoSlot } from "../model.ts";

export function newAccount(nicheInstructions: string | null): AccountConfig {
  return {
    status: "pending",
    username: null,
    visible_name: null,
    biography: null,
    profile_picture_url: null,
    link_in_bio: null,
    niche_warming_instructions: nicheInstructions,
    configured_at: null,
    published_at: null,
    in_review_at: null,
    finalized_at: null,
    correction_comment: null,
  };
}

/** An empty, `pending` slot. */
export function newSlot(id: string, bundleId: string, position: number, nowIso: string): VideoSlot {
  return {
    id,
    bundle_id: bundleId,
    position,
    status: "pending",
    ...emptyContent(),
    name: null,
    external_ref: null,
    volume_charged: false,
    instant_repost_charged: false,
    story_repost_charged: false,
    platform_url: null,
    download_issue: false,
    download_issue_comment: null,
    correction_message: null,
    correction_requested_at: null,
    configured_at: null,
    published_at: null,
    accepted_at: null,
    in_review_at: null,
    finalized_at: null,
    created_at: nowIso,
    updated_at: nowIso,
  };
}

/** Content and scheduling fields of a slot, all unset. Used to create and to clear (reset/unschedule). */
export function emptyContent(): Pick<
  VideoSlot,
  | "video_type"
  | "description"
  | "video_url"
  | "carousel_images"
  | "carousel_title"
  | "story_image_url"
  | "story_repost_url"
  | "tiktok_sound_url"
  | "volume_original_sound"
  | "volume_added_sound"
  | "editing_instructions"
  | "instagram_content_type"
  | "instagram_location"
  | "instagram_collaborators"
  | "instagram_audio_name"
  | "instagram_add_to_story"
  | "ai_content_disclaimer"
  | "disclose_as_ads"
  | "instant_repost_as_story"
  | "target_publish_date"
  | "target_publish_start_date"
  | "target_publish_end_date"
> {
  return {
    video_type: null,
    description: null,
    video_url: null,
    carousel_images: [],
    carousel_title: null,
    story_image_url: null,
    story_repost_url: null,
    tiktok_sound_url: null,
    volume_original_sound: null,
    volume_added_sound: null,
    editing_instructions: null,
    instagram_content_type: null,
    instagram_location: null,
    instagram_collaborators: [],
    instagram_audio_name: null,
    instagram_add_to_story: false,
    ai_content_disclaimer: false,
    disclose_as_ads: false,
    instant_repost_as_story: false,
    target_publish_date: null,
    target_publish_start_date: null,
    target_publish_end_date: null,
  };
}

/** The slot at a path's `position`, or 404 VIDEO_NOT_FOUND. */
export function slotAt(bundle: Bundle, position: string | number): VideoSlot {
  const n = typeof position === "number" ? position : Number(position);
  const slot = Number.isInteger(n) ? bundle.videos.find((v) => v.position === n) : undefined;
  if (!slot) {
    throw new ApiError(404, "VIDEO_NOT_FOUND", `No video slot at position ${position} in this bundle.`, {
      position: Number.isInteger(n) ? n : position,
      videos_quantity: bundle.videos.length,
    });
  }
  return slot;
}

/** Marks a bundle (and optionally one of its slots) as changed now. */
export function touch(ctx: OpContext, bundle: Bundle, slot?: VideoSlot): string {
  const now = ctx.clock.iso();
  bundle.updated_at = now;
  if (slot) slot.updated_at = now;
  return now;
}

export function emitBundleEvent(ctx: OpContext, type: string, bundle: Bundle, previousStatus: string | null) {
  ctx.emit(type, {
    bundle_id: bundle.id,
    bundle_type: bundle.bundle_type,
    platform: bundle.platform,
    status: bundle.status,
    previous_status: previousStatus,
    external_ref: bundle.external_ref,
  });
}

export function emitAccountEvent(
  ctx: OpContext,
  type: string,
  bundle: Bundle,
  previousStatus: string | null,
) {
  ctx.emit(type, {
    bundle_id: bundle.id,
    account_id: bundle.id,
    saved_account_id: bundle.saved_account_id,
    username: bundle.account?.username ?? null,
    platform: bundle.platform,
    status: bundle.account?.status ?? null,
    previous_status: previousStatus,
    external_ref: bundle.external_ref,
  });
}

export function emitVideoEvent(
  ctx: OpContext,
  type: string,
  bundle: Bundle,
  slot: VideoSlot,
  previousStatus: string | null,
) {
  ctx.emit(type, {
    video_id: slot.id,
    bundle_id: bundle.id,
    position: slot.position,
    status: slot.status,
    previous_status: previousStatus,
    external_ref: slot.external_ref,
    bundle_external_ref: bundle.external_ref,
    platform_url: slot.platform_url,
  });
}

/** 409 naming the status a bundle operation needed. */
export function bundleStatusError(bundle: Bundle, action: string, allowed: readonly string[]): ApiError {
  return new ApiError(
    409,
    "BUNDLE_INVALID_STATUS",
    `Cannot ${action} a bundle with status '${bundle.status}'. Allowed: ${allowed.join(", ")}.`,
    { current_status: bundle.status, allowed_statuses: [...allowed] },
  );
}

/** Bundles that can no longer change content. */
export function isBundleClosed(bundle: Bundle): boolean {
  return bundle.status === "completed" || bundle.status === "cancelled" || bundle.status === "archived";
}

/** The validated JSON body as a record (the core validated it against the spec already). */
export function bodyOf(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === "object" && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}
