/**
 * The JSON shapes the emulator answers for a bundle, its account and its video slots (docs/tokportal-api.md §6, §7).
 * Every handler that returns one of these objects builds it here, so the shapes cannot drift apart.
 */
import type { AccountConfig, Bundle, BundleStatus, VideoSlot } from "../model.ts";

const PUBLISHED_STATUSES: ReadonlySet<BundleStatus> = new Set([
  "published",
  "published_priority",
  "accepted",
  "completed",
]);

export function isBundlePublished(bundle: Bundle): boolean {
  return PUBLISHED_STATUSES.has(bundle.status);
}

/** Slots whose content has been set (configured or any later stage, cancelled aside). */
export function configuredVideoCount(bundle: Bundle): number {
  return bundle.videos.filter((v) => v.status !== "pending" && v.status !== "cancelled").length;
}

export function reviewMode(bundle: Bundle): "auto" | "manual" {
  return bundle.auto_finalize_videos ? "auto" : "manual";
}

/** A bundle as GET /bundles and GET /bundles/{id} answer it, computed fields included. */
export function bundleView(bundle: Bundle): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const v of bundle.videos) counts[v.status] = (counts[v.status] ?? 0) + 1;
  return {
    id: bundle.id,
    bundle_id: bundle.id,
    title: bundle.title,
    bundle_type: bundle.bundle_type,
    platform: bundle.platform,
    country: bundle.country,
    status: bundle.status,
    external_ref: bundle.external_ref,
    from_bulk: bundle.from_bulk,
    videos_quantity: bundle.videos_quantity,
    edits_quantity: bundle.edits_quantity,
    videos_configured_count: configuredVideoCount(bundle),
    videos_status_counts: counts,
    account_configured: bundle.account === null ? null : bundle.account.status !== "pending",
    account_status: bundle.account?.status ?? null,
    is_published: isBundlePublished(bundle),
    auto_finalize_videos: bundle.auto_finalize_videos,
    review_mode: reviewMode(bundle),
    wants_niche_warming: bundle.wants_niche_warming,
    wants_advanced_warming: (bundle.advanced_warming_terms_count ?? 0) > 0,
    advanced_warming_terms_count: bundle.advanced_warming_terms_count ?? 0,
    advanced_warming_terms: bundle.advanced_warming_terms ?? [],
    account_id: bundle.account_id,
    saved_account_id: bundle.saved_account_id,
    published_at: bundle.published_at,
    accepted_at: bundle.accepted_at,
    completed_at: bundle.completed_at,
    cancellation_reason: bundle.cancellation_reason ?? null,
    cancelled_at: bundle.cancelled_at ?? null,
    created_at: bundle.created_at,
    updated_at: bundle.updated_at,
  };
}

/** The account profile fields, as PUT/GET /bundles/{id}/account answer them under `account`. */
export function accountFields(account: AccountConfig): Record<string, unknown> {
  return {
    status: account.status,
    username: account.username,
    visible_name: account.visible_name,
    biography: account.biography,
    profile_picture_url: account.profile_picture_url,
    link_in_bio: account.link_in_bio,
    niche_warming_instructions: account.niche_warming_instructions,
    correction_comment: account.correction_comment,
    correction_requested_at: account.correction_requested_at ?? null,
    configured_at: account.configured_at,
    published_at: account.published_at,
    in_review_at: account.in_review_at,
    finalized_at: account.finalized_at,
  };
}

/** GET /bundles/{id}/account: the profile plus status, delivery and warming summary. */
export function accountView(bundle: Bundle, account: AccountConfig): Record<string, unknown> {
  const terms = bundle.advanced_warming_terms_count ?? 0;
  return {
    id: bundle.id,
    bundle_id: bundle.id,
    platform: bundle.platform,
    country: bundle.country,
    status: account.status,
    saved_account_id: bundle.saved_account_id,
    account: accountFields(account),
    advanced_warming:
      terms > 0
        ? {
            status: "pending",
            terms_total: terms,
            terms_verified: 0,
            terms_configured: bundle.advanced_warming_terms?.length ?? 0,
            started_at: null,
            completed_at: null,
          }
        : null,
  };
}

/** A video slot as GET /bundles/{id}/videos(/{position}) and the video actions answer it. */
export function videoView(slot: VideoSlot): Record<string, unknown> {
  return {
    id: slot.id,
    video_id: slot.id,
    bundle_id: slot.bundle_id,
    position: slot.position,
    status: slot.status,
    video_type: slot.video_type,
    name: slot.name,
    description: slot.description,
    video_url: slot.video_url,
    carousel_images: slot.carousel_images,
    carousel_title: slot.carousel_title,
    story_image_url: slot.story_image_url,
    story_repost_url: slot.story_repost_url,
    tiktok_sound_url: slot.tiktok_sound_url,
    volume_original_sound: slot.volume_original_sound,
    volume_added_sound: slot.volume_added_sound,
    editing_instructions: slot.editing_instructions,
    external_ref: slot.external_ref,
    instagram_content_type: slot.instagram_content_type,
    instagram_location: slot.instagram_location,
    instagram_collaborators: slot.instagram_collaborators,
    instagram_audio_name: slot.instagram_audio_name,
    instagram_add_to_story: slot.instagram_add_to_story,
    ai_content_disclaimer: slot.ai_content_disclaimer,
    disclose_as_ads: slot.disclose_as_ads,
    instant_repost_as_story: slot.instant_repost_as_story,
    target_publish_date: slot.target_publish_date,
    target_publish_start_date: slot.target_publish_start_date,
    target_publish_end_date: slot.target_publish_end_date,
    platform_url: slot.platform_url,
    // A story disappears from the platform: TokPortal keeps a screenshot of it once posted (docs/tokportal-api.md §7).
    evidence_screenshot:
      slot.video_type === "story" && slot.platform_url
        ? `https://storage.tokportal.invalid/evidence/${slot.bundle_id}/${slot.position}.png`
        : null,
    posted_at: slot.posted_at ?? null,
    download_issue: slot.download_issue,
    download_issue_comment: slot.download_issue_comment,
    correction_message: slot.correction_message,
    correction_requested_at: slot.correction_requested_at,
    configured_at: slot.configured_at,
    published_at: slot.published_at,
    accepted_at: slot.accepted_at,
    in_review_at: slot.in_review_at,
    finalized_at: slot.finalized_at,
    created_at: slot.created_at,
    updated_at: slot.updated_at,
  };
}
