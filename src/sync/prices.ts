/**
 * TokPortal's documented standard price table (API-NOTES §4), in credits. The planner prices from the
 * fetched `/credit-costs` first and falls back to this table for any item missing there, so a charged
 * op is never priced 0 (and so never escapes the max_credits / balance reservation).
 */
export const STANDARD_CREDIT_COSTS: Readonly<Record<string, number>> = {
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
};

/** The price of one unit of a charged item: the fetched cost when TokPortal gave one, else the standard. */
export function unitPrice(costs: Readonly<Record<string, number>>, item: string): number {
  const fetched = costs[item];
  if (typeof fetched === "number" && Number.isFinite(fetched) && fetched > 0) return fetched;
  const standard = STANDARD_CREDIT_COSTS[item];
  if (standard === undefined) throw new Error(`no price known for the charged item ${item}`);
  return standard;
}
