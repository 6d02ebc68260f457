/**
 * TokPortal's documented standard price table (docs/tokportal-api.md §5), in credits: what the sandbox charges, and what
 * the sync falls back to for a charged item `/credit-costs` does not list.
 */
export const STANDARD_CREDIT_COSTS = {
  account_creation: 32,
  video_upload: 2,
  video_edit: 3,
  advanced_warming: 5,
  niche_warming: 7,
  sound_volume: 1,
  story_repost: 1,
  instant_repost_as_story: 1,
  comment_task: 1,
  ad_code: 7,
  credential_reveal: 150,
  managed_subscription_30d: 25,
  youtube_account_creation: 100,
} as const;

export type CreditItem = keyof typeof STANDARD_CREDIT_COSTS;
