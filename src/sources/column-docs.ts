/**
 * The column reference of docs/sheet-format.md, generated from the catalogue in columns.ts so the two
 * cannot drift: test/sources/sheet-format-doc.test.ts fails when the doc's generated section differs from
 * `columnReferenceMarkdown()` (run it with UPDATE_SHEET_FORMAT=1 to rewrite the section).
 * Only the words live here; names, types, allowed values and order come from the catalogue.
 */

import {
  BUNDLE_INPUT_COLUMNS,
  BUNDLE_OUTPUT_COLUMNS,
  type ColumnSpec,
  type ColumnType,
  SINGLE_TABLE_BUNDLE_INPUT_COLUMNS,
  SINGLE_TABLE_BUNDLE_OUTPUT_COLUMNS,
  SYNC_STATUSES,
  VIDEO_INPUT_COLUMNS,
  VIDEO_OUTPUT_COLUMNS,
} from "./columns.ts";

interface InputDoc {
  /** What the tool does with the value, or the API field it becomes. */
  meaning: string;
  /** What a blank cell means. */
  blank: string;
}

const PROFILE = "(account profile; `ConfigureAccountRequest`)";

export const BUNDLE_INPUT_DOCS: Record<string, InputDoc> = {
  bundle_ref: {
    meaning:
      "Your name for the bundle, unique in the sheet. Sent as the bundle's `external_ref` (after the config's `ref_prefix`); it is how a row finds its bundle again on every run.",
    blank: "not allowed: the row is reported and skipped",
  },
  bundle_type: { meaning: "`CreateBundleRequest.bundle_type`.", blank: "`account_and_videos`" },
  platform: { meaning: "`CreateBundleRequest.platform`.", blank: "`tiktok`" },
  country: {
    meaning:
      "The account's country: an ISO code (`US`, `USA`, `FR`) or TokPortal's own (`UK`), any case; compared and sent as the same country whatever the spelling.",
    blank: "required unless `bundle_type` is `videos_only`",
  },
  account_id: {
    meaning: "`CreateBundleRequest.account_id`: a saved account's uuid, for `videos_only` bundles.",
    blank: "none",
  },
  title: { meaning: "`CreateBundleRequest.title`.", blank: "none" },
  auto_finalize_videos: {
    meaning: "`CreateBundleRequest.auto_finalize_videos`.",
    blank: "the API default (yes)",
  },
  edit_slots: {
    meaning:
      "`CreateBundleRequest.edits_quantity`: editing slots bought. Raised later, the difference is bought; slots are never removed.",
    blank: "0 (on an existing bundle: no change)",
  },
  video_slots: {
    meaning:
      "`CreateBundleRequest.videos_quantity`: a minimum; the bundle gets at least one slot per video row. A new bundle that takes videos needs at least one (a videos row or this cell).",
    blank: "the number of the bundle's video rows",
  },
  username: { meaning: `\`username\` ${PROFILE}.`, blank: "not sent" },
  visible_name: { meaning: `\`visible_name\` ${PROFILE}.`, blank: "not sent" },
  biography: { meaning: `\`biography\` ${PROFILE}.`, blank: "not sent" },
  profile_picture: {
    meaning: `\`profile_picture_url\` ${PROFILE}: a URL, or a local file path that is uploaded first.`,
    blank: "not sent",
  },
  link_in_bio: { meaning: `\`link_in_bio\` ${PROFILE}.`, blank: "not sent" },
  advanced_warming_terms: {
    meaning:
      "Advanced warming: the search terms the account is warmed on before it posts (`wants_advanced_warming` with `advanced_warming_terms`): 3 to 30 terms, a multiple of 3, each 2–50 characters; 5 credits per term. New-account bundles only; set when the bundle is created and never changed after (a changed cell locks the row).",
    blank: "no advanced warming (unless `advanced_warming_terms_count` is set)",
  },
  advanced_warming_terms_count: {
    meaning:
      "Advanced warming without naming the terms: how many TokPortal picks (`advanced_warming_terms_count`), 3 to 30, a multiple of 3; 5 credits per term. Use it or `advanced_warming_terms`, not both.",
    blank: "no advanced warming (unless `advanced_warming_terms` is set)",
  },
  niche_warming_instructions: {
    meaning:
      "Legacy niche warming (`wants_niche_warming` with these instructions), 7 credits. Cannot be combined with advanced warming. New-account bundles only; fixed at creation.",
    blank: "no niche warming",
  },
  deep_warming: {
    meaning:
      "Discontinued by TokPortal: `yes` is refused (use advanced warming); `no` is ignored. Known so that it is never mistaken for a column of yours.",
    blank: "no deep warming",
  },
  account_bundle_ref: {
    meaning:
      "A follow-up order: on a `videos_only` bundle, the `bundle_ref` of another (new-account) bundles row whose delivered account it posts from, instead of `account_id`. Until TokPortal delivers that account the row is `pending` and says what it waits for.",
    blank: "the account is `account_id`",
  },
  account_review: {
    meaning:
      "Your verdict on the delivered account while it is `in_review`: `approve` finalizes it; `changes` sends it back to the account manager with `account_review_note`. Said on the row and not sent while the account is not in review.",
    blank: "no verdict: TokPortal finalizes the account itself after 72 h in review",
  },
  account_review_note: {
    meaning:
      "With `account_review` = `changes`: the comment sent with the correction request. Each distinct note is sent once; write a new note to ask again.",
    blank: "required when `account_review` is `changes`",
  },
  account_review_fields: {
    meaning:
      "The profile fields the correction concerns: `username`, `visible_name`, `biography`, `profile_picture` (see Lists).",
    blank: "none named",
  },
  publish: {
    meaning:
      "Publish the bundle once it is ready. Set back to `no` on a bundle that is `published` and not yet accepted, it unpublishes it (nothing is refunded; the run asks first, or needs `--yes`).",
    blank: "the config's default",
  },
};

const VIDEO_FIELD = (field: string, extra = ""): InputDoc => ({
  meaning: `\`ConfigureVideoRequest.${field}\`${extra}.`,
  blank: "not sent",
});

export const VIDEO_INPUT_DOCS: Record<string, InputDoc> = {
  video_ref: {
    meaning: "Your name for the video, unique within its bundle. Sent as the video's `external_ref`.",
    blank: "not allowed: the row is reported and skipped",
  },
  bundle_ref: {
    meaning:
      "The bundle this video belongs to: a bundles row, or a bundle that already exists remotely with that ref.",
    blank: "not allowed: the row is reported and skipped",
  },
  position: {
    meaning: "The bundle slot for this video. Also an output: the slot assigned is written back.",
    blank: "any free slot",
  },
  video_type: VIDEO_FIELD("video_type"),
  description: {
    meaning:
      "`ConfigureVideoRequest.description`. A `story` has none: a description on a story row is an error.",
    blank: "an error for `video` and `carousel`; a `story` sends none",
  },
  target_publish_date: VIDEO_FIELD("target_publish_date", " (see Dates)"),
  video_url: VIDEO_FIELD("video_url", ": a URL, or a local file path that is uploaded first"),
  carousel_images: VIDEO_FIELD("carousel_images", ": URLs or local file paths (see Lists)"),
  carousel_title: VIDEO_FIELD("carousel_title"),
  tiktok_sound_url: VIDEO_FIELD("tiktok_sound_url"),
  name: VIDEO_FIELD("name"),
  editing_instructions: VIDEO_FIELD(
    "editing_instructions",
    ": each video with instructions uses one of the bundle's edit slots (`edit_slots`); a row beyond them is an error",
  ),
  volume_original_sound: VIDEO_FIELD("volume_original_sound", " (percent)"),
  volume_added_sound: VIDEO_FIELD("volume_added_sound", " (percent)"),
  instagram_content_type: VIDEO_FIELD("instagram_content_type"),
  instagram_location: VIDEO_FIELD("instagram_location"),
  instagram_collaborators: VIDEO_FIELD("instagram_collaborators", " (usernames; see Lists)"),
  instagram_audio_name: VIDEO_FIELD("instagram_audio_name"),
  instagram_add_to_story: VIDEO_FIELD("instagram_add_to_story"),
  story_image_url: VIDEO_FIELD(
    "story_image_url",
    ": `story` only, the image of an image story (a URL or a local file path, stored as an upload first); a story has exactly one of this and `video_url`",
  ),
  story_repost_url: VIDEO_FIELD(
    "story_repost_url",
    ": `story` only, the post the story reposts; 1 credit the first time it is set on a video",
  ),
  ai_content_disclaimer: VIDEO_FIELD("ai_content_disclaimer", ": label the post as AI-generated (free)"),
  disclose_as_ads: VIDEO_FIELD("disclose_as_ads", ": disclose the post as an ad (free)"),
  instant_repost_as_story: VIDEO_FIELD(
    "instant_repost_as_story",
    ": repost the post as a story once it is up; 1 credit the first time it is set on a video (not on a `story`)",
  ),
  publish: {
    meaning:
      "Release the video to the manager once it is configured. Set back to `no` on a video released but not yet accepted, it unschedules it: the slot is cleared (the run asks first, or needs `--yes`) and configured again on the next run.",
    blank: "the config's default",
  },
  review: {
    meaning:
      "Your verdict on the posted video while it is `in_review` (bundles with `auto_finalize_videos` = no): `approve` finalizes it; `changes` sends it back with `review_note`. Said on the row and not sent while the video is not in review.",
    blank: "no verdict: TokPortal finalizes the video itself after 72 h in review",
  },
  review_note: {
    meaning:
      "With `review` = `changes`: the comment sent with the correction request. Each distinct note is sent once; write a new note to ask again.",
    blank: "required when `review` is `changes`",
  },
  review_fields: {
    meaning:
      "What the correction concerns: `video_content`, `description`, `video_editing`, `sound` (see Lists).",
    blank: "none named",
  },
  publish_bundle: {
    meaning: "Single-table mode only: the bundle's `publish` (a videos row's `publish` is the video's own).",
    blank: "the config's default",
  },
};

export const OUTPUT_DOCS: Record<string, string> = {
  bundle_id: "The TokPortal bundle id.",
  bundle_status:
    "The bundle's status on TokPortal, refreshed by every run from the bundle list it reads anyway.",
  account_status: "The status of the bundle's account configuration.",
  credits_charged: "Credits charged when the bundle was created.",
  saved_account_id:
    "The delivered account's id (`saved_account_id`), once TokPortal's manager has delivered it: what a follow-up's `account_id` would be.",
  account_username: "The delivered account's username (read once, when the account is first delivered).",
  account_url: "The delivered account's profile URL (read once, when the account is first delivered).",
  followers:
    "The delivered account's followers, as TokPortal last measured them (one account analytics read per delivered account per run, made only when this column is in the sheet or the analytics history is kept). Empty while TokPortal has no data for the account.",
  video_id: "The TokPortal video id.",
  position: "The slot the video occupies (see inputs: you may set it).",
  video_status:
    "The video's status on TokPortal, refreshed by every run (`published` → `in_review` once posted → `finalized`).",
  platform_url:
    "The published post's URL, once TokPortal has posted it. Written as text: one that starts like a formula is never run (in a CSV it gets a leading `'`).",
  views:
    "Analytics: views, as TokPortal last measured them (one export read per run for all posted videos). Left as it is when TokPortal cannot measure: never a 0 nobody measured.",
  likes: "Analytics: likes (as for `views`).",
  comments: "Analytics: comments (as for `views`).",
  shares: "Analytics: shares (as for `views`).",
  bookmarks: "Analytics: bookmarks (as for `views`).",
  engagement_rate: "Analytics: engagement rate in percent (as for `views`).",
  analytics_at:
    "When TokPortal measured the analytics above (its scrape time, else when the run read them). New analytics never move `synced_at`.",
  account_correction_message:
    "The comment of the last correction request on the account (TokPortal's, else the note this run sent).",
  account_correction_requested_at: "When that correction was asked.",
  review_marker:
    "A digest of the last correction note sent, and of media TokPortal could not download (`c:…;m:…`): how reruns never send the same note twice. Leave it alone.",
  review_status:
    "Where the posted video's review stands: `in_review` (waiting for your `review`), `changes_requested`, `approved` (finalized). Blank before the video is posted.",
  correction_message: "TokPortal's correction message of the last correction request on the video.",
  correction_requested_at: "When that correction was asked.",
  download_issue:
    "TokPortal's comment while it cannot download the video's media; blank otherwise. Put a new `video_url` (or `carousel_images`) in the row to send the fix.",
  sync_status: `What the last run made of the row: one of ${SYNC_STATUSES.map((s) => `\`${s}\``).join(", ")} (see below).`,
  sync_message:
    "Why, in words you can act on, naming the column to fix. Blank when there is nothing to say. When a row that synced before fails, its ids and statuses stay and the message says the earlier result is kept.",
  synced_at:
    "When the row's remote state last changed because of a run (not when it was last checked), so a run that finds nothing new writes nothing.",
  sync_fingerprint:
    "A digest of the row's inputs at the last successful sync; how the next run sees an edit. Leave it alone.",
};

function typeCell(type: ColumnType): string {
  switch (type.kind) {
    case "text":
      return type.maxLength === undefined ? "text" : `text, ≤ ${type.maxLength} characters`;
    case "boolean":
      return "yes/no";
    case "date":
      return "date";
    case "integer":
      return `whole number ${type.min ?? "…"}–${type.max ?? "…"}`;
    case "list":
      return type.maxItems === undefined ? "`;` list" : `\`;\` list, ≤ ${type.maxItems} items`;
    case "enum":
      return type.values.map((v) => `\`${v}\``).join(", ");
  }
}

const escapeCell = (s: string): string => s.replaceAll("|", "\\|");

function inputTable(specs: readonly ColumnSpec[], docs: Record<string, InputDoc>): string[] {
  const lines = ["| column | type / allowed values | blank means | meaning |", "|---|---|---|---|"];
  for (const spec of specs) {
    const doc = docs[spec.name];
    if (!doc) throw new Error(`column-docs: no description for input column ${spec.name}`);
    const name = spec.required ? `\`${spec.name}\` (required)` : `\`${spec.name}\``;
    lines.push(
      `| ${name} | ${escapeCell(typeCell(spec.type))} | ${escapeCell(doc.blank)} | ${escapeCell(doc.meaning)} |`,
    );
  }
  return lines;
}

function outputTable(names: readonly string[]): string[] {
  const lines = ["| column | meaning |", "|---|---|"];
  for (const name of names) {
    const meaning = OUTPUT_DOCS[name];
    if (!meaning) throw new Error(`column-docs: no description for output column ${name}`);
    lines.push(`| \`${name}\` | ${escapeCell(meaning)} |`);
  }
  return lines;
}

/** The generated part of docs/sheet-format.md, between its `columns:start` and `columns:end` markers. */
export function columnReferenceMarkdown(): string {
  return [
    "### bundles: input columns",
    "",
    ...inputTable(BUNDLE_INPUT_COLUMNS, BUNDLE_INPUT_DOCS),
    "",
    "### bundles: output columns (in the order they are appended when missing)",
    "",
    ...outputTable(BUNDLE_OUTPUT_COLUMNS),
    "",
    "### videos: input columns",
    "",
    ...inputTable(VIDEO_INPUT_COLUMNS, VIDEO_INPUT_DOCS),
    "",
    "### videos: output columns (in the order they are appended when missing)",
    "",
    ...outputTable(VIDEO_OUTPUT_COLUMNS),
    "",
    "### single-table mode: bundle columns a videos row also carries",
    "",
    ...inputTable(SINGLE_TABLE_BUNDLE_INPUT_COLUMNS, { ...BUNDLE_INPUT_DOCS, ...VIDEO_INPUT_DOCS }),
    "",
    `Outputs in single-table mode: ${SINGLE_TABLE_BUNDLE_OUTPUT_COLUMNS.map((c) => `\`${c}\``).join(", ")}, written on every videos row of the bundle, then the videos outputs above.`,
  ].join("\n");
}
