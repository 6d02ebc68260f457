/**
 * Configuring one video slot (docs/tokportal-api.md §7): the rules PUT, batch and CSV import share.
 * Every check runs before any credit is taken or any field is written, so a refused item changes nothing.
 */
import { ApiError, type OpContext } from "../context.ts";
import type { Bundle, VideoSlot, VideoStatus } from "../model.ts";
import { CREDIT_COSTS } from "../prices.ts";
import { findByStoragePath } from "../storage.ts";
import { bundleStatusError, emitVideoEvent, isBundleClosed } from "./domain.ts";
import { assertSchedulable, setTargetDate } from "./schedule.ts";

export const CONFIGURABLE_STATUSES: readonly VideoStatus[] = ["pending", "configured", "pending_corrections"];

/** The configure fields as received (validated against ConfigureVideoRequest, newer flags tolerated). */
export interface VideoInput {
  video_type?: string;
  description?: string;
  target_publish_date?: string;
  name?: string;
  video_url?: string;
  carousel_images?: string[];
  carousel_title?: string;
  story_image_url?: string;
  story_repost_url?: string;
  tiktok_sound_url?: string;
  volume_original_sound?: number | null;
  volume_added_sound?: number | null;
  editing_instructions?: string;
  external_ref?: string;
  instagram_content_type?: string;
  instagram_location?: string;
  instagram_collaborators?: string[];
  instagram_audio_name?: string;
  instagram_add_to_story?: boolean;
  ai_content_disclaimer?: boolean;
  disclose_as_ads?: boolean;
  instant_repost_as_story?: boolean;
}

function invalid(field: string, message: string, position: number): ApiError {
  return new ApiError(400, "VALIDATION_ERROR", message, { field, position });
}

/** Slot status and bundle status allow configuring, or the 409 that says why not. */
export function assertConfigurable(bundle: Bundle, slot: VideoSlot): void {
  if (isBundleClosed(bundle)) {
    throw bundleStatusError(bundle, "configure videos of", ["pending_setup", "published", "accepted"]);
  }
  if (!CONFIGURABLE_STATUSES.includes(slot.status)) {
    throw new ApiError(
      409,
      "VIDEO_INVALID_STATUS",
      `Video status '${slot.status}' does not allow configuration. Allowed: ${CONFIGURABLE_STATUSES.join(", ")}.`,
      { position: slot.position, current_status: slot.status, allowed_statuses: [...CONFIGURABLE_STATUSES] },
    );
  }
}

/** Required content per type and platform; the spec cannot say "required when". */
function assertContent(bundle: Bundle, slot: VideoSlot, input: VideoInput): void {
  const type = input.video_type;
  const p = slot.position;
  if (type === "video" && !input.video_url) {
    throw invalid("video_url", "video_url is required when video_type is video.", p);
  }
  if (type === "carousel") {
    if (!input.carousel_images || input.carousel_images.length === 0) {
      throw invalid("carousel_images", "carousel_images is required when video_type is carousel.", p);
    }
    if (bundle.platform === "tiktok" && !input.tiktok_sound_url) {
      throw invalid("tiktok_sound_url", "tiktok_sound_url is required for TikTok carousels.", p);
    }
  }
  if (type === "story" && Boolean(input.video_url) === Boolean(input.story_image_url)) {
    throw invalid("video_url", "A story needs exactly one of video_url or story_image_url.", p);
  }
  if (type === "story" && input.description !== undefined) {
    throw invalid("description", "A story has no description.", p);
  }
  if (type !== "story" && (type === "video" || type === "carousel") && !input.description) {
    throw invalid("description", `description is required when video_type is ${type}.`, p);
  }
  if (bundle.platform === "instagram" && type !== "story" && !input.instagram_content_type) {
    throw invalid(
      "instagram_content_type",
      "instagram_content_type (reel or post) is required on Instagram.",
      p,
    );
  }
  if (!input.target_publish_date) {
    throw invalid("target_publish_date", "target_publish_date is required.", p);
  }
}

/** Paid options of this configuration not yet paid for on this slot. */
function extrasToCharge(slot: VideoSlot, input: VideoInput): Record<string, number> {
  const items: Record<string, number> = {};
  const volumeSet =
    (input.volume_original_sound !== undefined && input.volume_original_sound !== null) ||
    (input.volume_added_sound !== undefined && input.volume_added_sound !== null);
  if (volumeSet && !slot.volume_charged) items.sound_volume = CREDIT_COSTS.sound_volume;
  if (input.instant_repost_as_story === true && !slot.instant_repost_charged) {
    items.instant_repost_as_story = CREDIT_COSTS.instant_repost_as_story;
  }
  if (input.story_repost_url && !slot.story_repost_charged) items.story_repost = CREDIT_COSTS.story_repost;
  return items;
}

/** TokPortal downloads and re-hosts media; the emulator keeps its own storage URLs and renames others. */
export function rehostVideoUrl(ctx: OpContext, bundle: Bundle, url: string): string {
  if (url.startsWith(`${ctx.origin}/__emulator/storage/`)) return url;
  const n = (ctx.state.counters.rehosted_videos ?? 0) + 1;
  ctx.state.counters.rehosted_videos = n;
  // The stored name keeps that the original could not be fetched: the managers find it when they take it.
  const name = isUnreachableUrl(url) ? `${UNREACHABLE_MARK}${n}` : String(n);
  return `${ctx.origin}/__emulator/storage/videos/${bundle.id}/${name}.mp4`;
}

/** The stored name of media whose original URL is unreachable (ops/managers.ts flags a download issue). */
export const UNREACHABLE_MARK = "unreachable-";

/** A URL the sandbox treats as unreachable: a `.invalid` host, or a path segment starting `unreachable`. */
export function isUnreachableUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (
      u.hostname.endsWith(".invalid") || u.pathname.split("/").some((seg) => seg.startsWith("unreachable"))
    );
  } catch {
    return false;
  }
}

export interface ConfigureOutcome {
  slot: VideoSlot;
  credits_charged: number;
}

/**
 * `carousel_images` take the storage paths of image uploads (docs/tokportal-api.md §9), and `story_image_url`
 * one of those or a URL: a path this workspace never uploaded (or whose bytes never arrived) is refused by name.
 */
function assertCarouselUploads(ctx: OpContext, bundle: Bundle, slot: VideoSlot, input: VideoInput): void {
  const story = input.story_image_url;
  // A URL is taken as TokPortal takes video_url (inferred: the field's name says URL); anything else must be
  // an uploaded image's storage path, like a carousel image.
  if (story !== undefined && !/^https?:\/\//i.test(story) && !isUploadedImage(ctx, bundle, story)) {
    throw new ApiError(
      400,
      "VALIDATION_ERROR",
      `story_image_url "${story.slice(0, 200)}" is neither a URL nor the storage_path of an image uploaded to this workspace; upload it first (POST /upload/image/from-url, or an image upload) and send its storage_path.`,
      { field: "story_image_url", position: slot.position, value: story.slice(0, 200) },
    );
  }
  for (const [i, item] of (input.carousel_images ?? []).entries()) {
    if (isUploadedImage(ctx, bundle, item)) continue;
    throw new ApiError(
      400,
      "VALIDATION_ERROR",
      `carousel_images[${i}] "${item.slice(0, 200)}" is not the storage_path of an image uploaded to this workspace; upload it first (POST /upload/image/from-url, or an image upload) and send its storage_path.`,
      { field: "carousel_images", position: slot.position, index: i, value: item.slice(0, 200) },
    );
  }
}

function isUploadedImage(ctx: OpContext, bundle: Bundle, storagePath: string): boolean {
  const record = findByStoragePath(ctx.state, storagePath);
  return record?.kind === "image" && record.complete && record.workspaceId === bundle.workspaceId;
}

/** Checks everything, charges the paid options, then writes the configuration (status → configured). */
export function configureSlot(
  ctx: OpContext,
  bundle: Bundle,
  slot: VideoSlot,
  input: VideoInput,
): ConfigureOutcome {
  assertConfigurable(bundle, slot);
  assertContent(bundle, slot, input);
  assertCarouselUploads(ctx, bundle, slot, input);
  const date = input.target_publish_date as string;
  assertSchedulable(bundle, slot, date, ctx.clock);
  const items = extrasToCharge(slot, input);
  const charged =
    Object.keys(items).length > 0
      ? ctx.charge(
          items,
          `Video options, position ${slot.position}: ${Object.keys(items).join(", ")}`,
          bundle.id,
        )
      : 0;
  if (items.sound_volume) slot.volume_charged = true;
  if (items.instant_repost_as_story) slot.instant_repost_charged = true;
  if (items.story_repost) slot.story_repost_charged = true;

  const previous = slot.status;
  const now = ctx.clock.iso();
  slot.video_type = input.video_type as VideoSlot["video_type"];
  slot.description = input.description ?? null;
  slot.video_url = input.video_url ? rehostVideoUrl(ctx, bundle, input.video_url) : null;
  slot.carousel_images = input.carousel_images ? [...input.carousel_images] : [];
  slot.carousel_title = input.carousel_title ?? null;
  slot.story_image_url = input.story_image_url ?? null;
  slot.story_repost_url = input.story_repost_url ?? null;
  slot.tiktok_sound_url = input.tiktok_sound_url ?? null;
  slot.volume_original_sound = input.volume_original_sound ?? null;
  slot.volume_added_sound = input.volume_added_sound ?? null;
  slot.editing_instructions = input.editing_instructions ?? null;
  slot.instagram_content_type = (input.instagram_content_type as VideoSlot["instagram_content_type"]) ?? null;
  slot.instagram_location = input.instagram_location ?? null;
  slot.instagram_collaborators = input.instagram_collaborators ? [...input.instagram_collaborators] : [];
  slot.instagram_audio_name = input.instagram_audio_name ?? null;
  slot.instagram_add_to_story = input.instagram_add_to_story ?? false;
  slot.ai_content_disclaimer = input.ai_content_disclaimer ?? false;
  slot.disclose_as_ads = input.disclose_as_ads ?? false;
  slot.instant_repost_as_story = input.instant_repost_as_story ?? false;
  // Name and ref are labels (PATCH-able at any stage): an absent key keeps them.
  if (input.name !== undefined) slot.name = input.name;
  if (input.external_ref !== undefined) slot.external_ref = input.external_ref;
  setTargetDate(slot, date);
  slot.status = "configured";
  slot.configured_at = now;
  slot.updated_at = now;
  bundle.updated_at = now;
  emitVideoEvent(ctx, "video.configured", bundle, slot, previous);
  return { slot, credits_charged: charged };
}
