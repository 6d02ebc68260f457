/**
 * What the planner reads off a video slot: the configure fields TokPortal shows back (to compare a row
 * with its slot), the paid options a configure would charge, and the lead time of the bundle's dates
 * (docs/tokportal-api.md §5, §7). Shared by plan-videos.ts and plan-release.ts.
 */
import type { Video } from "../api/index.ts";
import { canonicalJson } from "./fingerprint.ts";
import { accountStatus, type BundleView, DELIVERED_ACCOUNT } from "./plan-view.ts";
import type { DesiredVideo } from "./types.ts";

/**
 * Configure fields TokPortal returns as sent (docs/tokportal-api.md §7), named as their sheet columns. Not
 * the media: TokPortal re-hosts `video_url`, and images become storage paths.
 */
const ECHOED_FIELDS = [
  "video_type",
  "description",
  "target_publish_date",
  "name",
  "carousel_title",
  "tiktok_sound_url",
  "editing_instructions",
  "volume_original_sound",
  "volume_added_sound",
  "instagram_content_type",
  "instagram_location",
  "instagram_collaborators",
  "instagram_audio_name",
  "instagram_add_to_story",
  "story_repost_url",
  "ai_content_disclaimer",
  "disclose_as_ads",
  "instant_repost_as_story",
] as const satisfies ReadonlyArray<keyof DesiredVideo["body"]>;

/**
 * The columns whose value differs from the slot's. A field the slot does not show is not compared (nothing
 * to compare with); an unset cell equals TokPortal's empty value (null, "", [] or false), since a configure
 * without the field clears it. `name` only when the row sets it: a configure without it keeps the slot's.
 */
export function echoedDiffs(v: DesiredVideo, slot: Video): string[] {
  const remote = slot as Record<string, unknown>;
  const diffs: string[] = [];
  for (const field of ECHOED_FIELDS) {
    const mine = v.body[field];
    if (remote[field] === undefined || (field === "name" && mine === undefined)) continue;
    if (canonicalJson(emptyAsNull(mine)) !== canonicalJson(emptyAsNull(remote[field]))) diffs.push(field);
  }
  return diffs;
}

function emptyAsNull(value: unknown): unknown {
  if (value === undefined || value === "" || value === false) return null;
  if (Array.isArray(value) && value.length === 0) return null;
  return value;
}

/** The row names a local file (video, carousel or story image), whose content TokPortal's copy cannot be compared with. */
export function namesLocalFile(v: DesiredVideo): boolean {
  const m = v.media;
  return (
    m.video_url?.kind === "file" ||
    m.story_image_url?.kind === "file" ||
    (m.carousel_images ?? []).some((x) => x.kind === "file")
  );
}

/**
 * Options TokPortal charges the first time they are set on a video, and never again (docs/tokportal-api.md
 * §5): a sound volume, a story repost, an instant repost as a story. A slot that shows the option set has
 * paid for it. One that shows it cleared may have paid before (set, then cleared): it is priced again, so
 * the plan and the budget may count a credit TokPortal does not take, never the other way round.
 */
const PAID_OPTIONS: ReadonlyArray<{
  item: string;
  wants: (v: DesiredVideo) => boolean;
  has: (slot: Record<string, unknown>) => boolean;
}> = [
  {
    item: "sound_volume",
    wants: (v) => v.soundVolumeUnits > 0,
    has: (s) => s["volume_original_sound"] != null || s["volume_added_sound"] != null,
  },
  {
    item: "story_repost",
    wants: (v) => v.body.story_repost_url !== undefined,
    has: (s) => s["story_repost_url"] != null && s["story_repost_url"] !== "",
  },
  {
    item: "instant_repost_as_story",
    wants: (v) => v.body.instant_repost_as_story === true,
    has: (s) => s["instant_repost_as_story"] === true,
  },
];

/** The paid options configuring `v` on `slot` would charge (item names, one unit each). */
export function paidOptions(v: DesiredVideo, slot: Video | null): string[] {
  const remote = (slot ?? {}) as Record<string, unknown>;
  return PAID_OPTIONS.filter((o) => o.wants(v) && !o.has(remote)).map((o) => o.item);
}

/**
 * The lead time of this bundle's dates (docs/tokportal-api.md §7), the same for a configure and a video
 * PATCH: 3 days while the account is being created, 1 for `videos_only` or a delivered account.
 */
export function leadTime(view: BundleView): { days: number; delivered: boolean } {
  const delivered =
    view.type === "videos_only" ||
    Boolean(view.remote?.saved_account_id) ||
    DELIVERED_ACCOUNT.has(accountStatus(view) ?? "");
  return { days: delivered ? 1 : 3, delivered };
}

/** TokPortal refuses a 4th video on one target day in one bundle (docs/tokportal-api.md §7). */
export const VIDEOS_PER_DAY = 3;

/** `YYYY-MM-DD` + n days, in UTC. */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** A slot that holds a date TokPortal counts against the per-day cap. */
export function dated(s: Video): boolean {
  return s.status !== "pending" && s.status !== "cancelled" && Boolean(s.target_publish_date);
}
