/**
 * Codes of what the sheet alone shows wrong: a cell that does not parse, a missing or duplicated ref, a
 * bundle's or video's cells that do not fit together. Found before any call to TokPortal.
 */
import { code, type None } from "./entry.ts";
import { rowList } from "./where.ts";

const ACCOUNT_UUID = "9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c";

function dateHint(format: string): string {
  return format === "YYYY-MM-DD"
    ? "write it as YYYY-MM-DD, e.g. 2027-03-01"
    : `write it as YYYY-MM-DD or ${format}, e.g. 2027-03-01`;
}

function range(min: number | null, max: number | null): string {
  return min !== null && max !== null ? ` from ${min} to ${max}` : min !== null ? ` ≥ ${min}` : "";
}

export const CELL_CODES = {
  // ——— One cell ———
  not_boolean: code<{ value: string }>({
    status: "error",
    meaning: "A yes/no cell holds something else.",
    fix: "Write yes, no, true, false, 1, 0 or x.",
    text: (p) => `"${p.value}" is not yes or no; write yes, no, true, false, 1, 0 or x`,
  }),
  date_ambiguous: code<{ value: string; format: string }>({
    status: "error",
    meaning:
      "A date written with slashes, while the config does not say whether the day or the month comes first.",
    fix: "Write the date as YYYY-MM-DD, or set date_format in the config.",
    text: (p) =>
      `"${p.value}" is ambiguous (day/month order unknown); ${dateHint(p.format)}, or set date_format in the config`,
  }),
  not_a_date: code<{ value: string; format: string }>({
    status: "error",
    meaning: "A date cell holds something that is not a date.",
    fix: "Write the date as YYYY-MM-DD (or in the config's date_format).",
    text: (p) => `"${p.value}" is not a date; ${dateHint(p.format)}`,
  }),
  date_not_real: code<{ value: string; format: string }>({
    status: "error",
    meaning: "A date that does not exist on the calendar (such as February 30).",
    fix: "Correct the day or the month.",
    text: (p) => `"${p.value}" is not a real calendar date; ${dateHint(p.format)}`,
  }),
  not_a_whole_number: code<{ value: string; min: number | null; max: number | null }>({
    status: "error",
    meaning: "A number cell holds something that is not a whole number.",
    fix: "Write a whole number in digits.",
    text: (p) => `"${p.value}" is not a whole number; write a number${range(p.min, p.max)} in digits, e.g. 3`,
  }),
  number_out_of_range: code<{ value: string; min: number | null; max: number | null }>({
    status: "error",
    meaning: "A number outside what the column allows.",
    fix: "Write a number within the range given.",
    text: (p) => `${p.value} is out of range; write a whole number${range(p.min, p.max)}`,
  }),
  too_many_items: code<{ count: number; max: number }>({
    status: "error",
    meaning: "A list cell (items separated by ;) holds more items than allowed.",
    fix: "Remove items until the limit is met.",
    text: (p) =>
      `has ${p.count} items; at most ${p.max} are allowed: remove ${p.count - p.max} of them (items are separated by ;)`,
  }),
  value_not_allowed: code<{ value: string; allowed: readonly string[] }>({
    status: "error",
    meaning: "A cell that takes one of a few words holds another.",
    fix: "Write one of the allowed values.",
    text: (p) => `"${p.value}" is not allowed; write one of ${p.allowed.join(", ")}`,
  }),
  text_too_long: code<{ length: number; max: number }>({
    status: "error",
    meaning: "A text longer than TokPortal accepts for this column.",
    fix: "Shorten the text.",
    text: (p) => `is ${p.length} characters long; shorten it to at most ${p.max}`,
  }),
  ref_missing: code<{ column: string }>({
    status: "error",
    meaning: "A row without its bundle_ref (or, on a videos row, its video_ref): it cannot be matched.",
    fix: "Give the row its ref (a video_ref unique within its bundle).",
    text: (p) =>
      `is empty; give the row a ${p.column}${p.column === "video_ref" ? " unique within its bundle" : ""}`,
  }),
  ref_duplicate: code<{ bundleRef: string; videoRef: string | null; rows: readonly number[] }>({
    status: "error",
    meaning: "Several rows use the same bundle_ref (bundles) or video_ref within one bundle (videos).",
    fix: "Rename all but one of them.",
    text: (p) =>
      `${p.videoRef === null ? `bundle_ref ${p.bundleRef}` : `video_ref ${p.videoRef} in bundle ${p.bundleRef}`} is used by rows ${p.rows.join(", ")}; each must be unique, so rename all but one.`,
  }),
  bundle_value_disagrees: code<{
    value: string;
    other: string;
    otherRow: number;
    bundleRef: string;
    column: string;
  }>({
    status: "error",
    meaning: "Single table: rows of one bundle state different values in a bundle column.",
    fix: "Write the same value on every row of the bundle, or leave the cell blank.",
    text: (p) =>
      `"${p.value}" disagrees with row ${p.otherRow} ("${p.other}") for bundle ${p.bundleRef}; every row of a bundle must state the same ${p.column}: write "${p.other}" here (as row ${p.otherRow} does) or leave it blank; if "${p.value}" is the right one, write it on row ${p.otherRow} instead.`,
  }),
  media_unusable: code<{ value: string; looked: string; image: number | null }>({
    status: "error",
    meaning:
      "A media cell (video, image, profile picture) is neither a usable URL nor a readable local file.",
    fix: "Write an https:// URL or the path of an existing local file of the right kind.",
    text: (p) => {
      const what = `"${p.value}" is neither a URL nor a file that exists (looked in ${p.looked}); write an https:// URL or the path of a local file`;
      return p.image === null ? what : `image ${p.image}: ${what}`;
    },
  }),

  // ——— TokPortal's own limits on a value ———
  field_not_accepted: code<None>({
    status: "error",
    meaning: "TokPortal does not take this column for this kind of bundle or video.",
    fix: "Clear the cell.",
    text: () => "TokPortal does not accept this column here; clear it",
  }),
  not_a_url: code<None>({
    status: "error",
    meaning: "A URL cell does not hold a valid URL.",
    fix: "Write a full URL such as https://example.com/page, without spaces.",
    text: () => "is not a valid URL; write a full URL such as https://example.com/page (no spaces)",
  }),
  value_refused: code<{ field: string; said: string }>({
    status: "error",
    meaning: "TokPortal's API description refuses this value (its words are quoted).",
    fix: "Correct the cell as the quoted rule says.",
    text: (p) => `TokPortal refuses this value (${p.field} ${p.said}); correct the cell`,
  }),

  // ——— A bundle's cells ———
  country_not_used: code<{ value: string }>({
    status: "error",
    meaning: "A videos_only bundle posts from a saved account, whose country applies.",
    fix: "Clear country.",
    text: (p) =>
      `"${p.value}" is not used by a videos_only bundle (the saved account's country applies); clear it`,
  }),
  account_id_missing: code<None>({
    status: "error",
    meaning: "A videos_only bundle without the saved account it posts from.",
    fix: "Write the saved account's id (a uuid) in account_id.",
    text: () =>
      `is empty; a videos_only bundle posts from a saved account: write its id (a uuid like ${ACCOUNT_UUID})`,
  }),
  account_id_invalid: code<{ value: string }>({
    status: "error",
    meaning: "account_id is not a uuid.",
    fix: "Write the saved account's uuid.",
    text: (p) => `"${p.value}" is not an account id; write the saved account's uuid, like ${ACCOUNT_UUID}`,
  }),
  country_missing: code<None>({
    status: "error",
    meaning: "A bundle that creates an account needs the account's country.",
    fix: "Write the country (2 to 5 letters, e.g. USA).",
    text: () => "is empty; write the country of the account to create (2 to 5 letters, e.g. USA)",
  }),
  account_id_not_used: code<None>({
    status: "error",
    meaning: "account_id only applies to videos_only bundles.",
    fix: "Clear account_id, or set bundle_type to videos_only.",
    text: () => "is only for videos_only bundles; clear it or set bundle_type to videos_only",
  }),
  slots_on_account_only: code<{ column: string }>({
    status: "error",
    meaning: "An account_only bundle has no videos, so no video or edit slots.",
    fix: "Clear the slots cell, or set bundle_type to account_and_videos.",
    text: (p) =>
      `an account_only bundle has no videos; clear ${p.column} or set bundle_type to account_and_videos`,
  }),
  profile_on_videos_only: code<None>({
    status: "error",
    meaning: "A videos_only bundle posts from a saved account whose profile is not set from the sheet.",
    fix: "Clear the profile cell, or set bundle_type to account_and_videos.",
    text: () =>
      "a videos_only bundle posts from a saved account whose profile is not set here; clear it or set bundle_type to account_and_videos",
  }),
  link_in_bio_not_instagram: code<None>({
    status: "error",
    meaning: "Only Instagram accounts have a link in bio.",
    fix: "Clear link_in_bio, or set platform to instagram.",
    text: () => "only Instagram accounts have a link in bio; clear it or set platform to instagram",
  }),
  profile_incomplete: code<{ filled: readonly string[] }>({
    status: "error",
    meaning: "Some profile columns are filled, but a profile needs both a username and a visible_name.",
    fix: "Fill the missing one, or clear the profile columns.",
    text: (p) =>
      `is empty; an account profile needs a username and a visible_name (this row fills ${p.filled.join(", ")}); write one, or clear the profile columns`,
  }),
  username_invalid: code<{ value: string }>({
    status: "error",
    meaning: "The username does not follow the platform's rules.",
    fix: "Use at most 24 letters, digits, _ or ., not ending with a dot.",
    text: (p) =>
      `"${p.value}" is not a valid username; use at most 24 letters, digits, _ or . and do not end with a dot (e.g. spring.daily)`,
  }),

  // ——— A video's cells ———
  description_missing: code<{ videoType: string }>({
    status: "error",
    meaning: "A video without its description (the caption posted with it).",
    fix: "Write the text to post with it.",
    text: (p) =>
      `is empty; a ${p.videoType} needs a description (its caption): write the text to post with it`,
  }),
  date_missing: code<None>({
    status: "error",
    meaning: "A video without the day it should be posted.",
    fix: "Write target_publish_date as YYYY-MM-DD.",
    text: () => "is empty; write the day it should be posted, as YYYY-MM-DD",
  }),
  video_url_missing: code<None>({
    status: "error",
    meaning: "A video row without its video file.",
    fix: "Write an https:// URL or the path of a local video file.",
    text: () => "is empty; a video needs its file: write an https:// URL or the path of a local video file",
  }),
  carousel_images_missing: code<None>({
    status: "error",
    meaning: "A carousel without images.",
    fix: "Write 1 to 20 image URLs or file paths separated by ;, or set video_type to video.",
    text: () =>
      "is empty; a carousel needs 1 to 20 images: write their URLs or file paths, separated by ; (or set video_type to video for a single video)",
  }),
  tiktok_sound_missing: code<None>({
    status: "error",
    meaning: "A TikTok carousel needs a sound.",
    fix: "Write the URL of a TikTok sound in tiktok_sound_url.",
    text: () => "is empty; a TikTok carousel needs a sound: write the URL of a TikTok sound",
  }),
  instagram_content_type_missing: code<None>({
    status: "error",
    meaning: "An Instagram video must say whether it is a reel or a post.",
    fix: "Write reel or post in instagram_content_type.",
    text: () => "is empty; Instagram needs to know what to post: write reel or post",
  }),
  instagram_column_on_tiktok: code<{ bundleRef: string }>({
    status: "error",
    meaning: "An Instagram-only column is filled on a video of a TikTok bundle.",
    fix: "Clear the cell.",
    text: (p) => `is for Instagram, and bundle ${p.bundleRef} is on TikTok; clear it`,
  }),
  // Stories and the options of a video (docs/tokportal-api.md §7).
  story_has_description: code<None>({
    status: "error",
    meaning: "A story row has a description: a story has no caption, and TokPortal refuses one.",
    fix: "Clear description (the story is posted without text), or set video_type to video.",
    text: () =>
      "a story has no caption and TokPortal refuses a description on one: clear it, or set video_type to video",
  }),
  story_media_missing: code<None>({
    status: "error",
    meaning: "A story row has neither its video nor its image.",
    fix: "Write video_url for a video story, or story_image_url for an image story.",
    text: () =>
      "is empty, and so is story_image_url; a story needs one: write video_url for a video story or story_image_url for an image story",
  }),
  story_media_both: code<None>({
    status: "error",
    meaning: "A story row has both a video and an image; TokPortal takes exactly one.",
    fix: "Clear story_image_url (a video story) or video_url (an image story).",
    text: () =>
      "and video_url are both filled; a story takes exactly one: clear this cell for a video story, or video_url for an image story",
  }),
  column_not_for_type: code<{ videoType: string; forTypes: readonly string[] }>({
    status: "error",
    meaning: "A column that only applies to other video types is filled on this row.",
    fix: "Clear the cell, or change video_type.",
    text: (p) =>
      `is for ${p.forTypes.join(" or ")} rows only, and this row is a ${p.videoType}; clear it or change video_type`,
  }),
  position_clash: code<{ position: number; bundleRef: string; rows: readonly number[] }>({
    status: "error",
    meaning: "Several rows of one bundle ask for the same slot position.",
    fix: "Change or clear the position of all but one.",
    text: (p) =>
      `position ${p.position} of bundle ${p.bundleRef} is given to rows ${p.rows.join(", ")}; each video needs its own slot, so change or clear all but one`,
  }),

  // ——— A bundle and its videos ———
  bundle_rows_disagree: code<{ bundleRef: string; rows: readonly number[] }>({
    status: "error",
    meaning: "Single table: a bundle whose rows hold a bad or disagreeing value in its bundle columns.",
    fix: "Fix the rows named (their own messages say how).",
    text: (p) => {
      const one = p.rows.length === 1;
      const which = one ? `row ${p.rows[0]} holds` : `rows ${p.rows.join(", ")} hold`;
      return `bundle ${p.bundleRef} cannot be synced while ${which} a bad or disagreeing value in its bundle columns (see ${one ? "its message" : "their messages"}); fix ${one ? "that row" : "those rows"} first`;
    },
  }),
  bundle_has_errors: code<{ bundleRef: string; rows: readonly number[] }>({
    status: "error",
    meaning: "The video's bundle has errors of its own, so the video cannot be synced either.",
    fix: "Fix the bundle's row(s) first.",
    text: (p) =>
      `bundle ${p.bundleRef} (${rowList(p.rows)}) has errors; ${p.rows.length === 1 ? "fix that row first" : "fix those rows first"}`,
  }),
  no_videos_on_account_only: code<{ bundleRef: string; known: "sheet" | "tokportal" }>({
    status: "error",
    meaning: "A video names an account_only bundle, which takes no videos.",
    fix: "Name another bundle, or change that bundle's bundle_type.",
    text: (p) =>
      p.known === "sheet"
        ? `bundle ${p.bundleRef} is account_only and takes no videos; name another bundle, or set bundle_type of ${p.bundleRef} to account_and_videos`
        : `bundle ${p.bundleRef} is account_only, which takes no videos; move this video to another bundle or change the bundle's bundle_type`,
  }),
  bundle_without_videos: code<{
    bundleRef: string;
    bundleType: string;
    videoSlots: number | null;
    namedBy: readonly number[];
    singleTable: boolean;
  }>({
    status: "error",
    meaning:
      "A new bundle with videos would have no video slot (no valid videos row, video_slots empty or 0), which TokPortal refuses.",
    fix: "Add or fix its videos rows, set video_slots, or make it account_only.",
    text: (p) => {
      const slotsCell = p.videoSlots === null ? "video_slots is empty" : `video_slots is ${p.videoSlots}`;
      const rows = p.namedBy.length === 1 ? `row ${p.namedBy[0]} has` : `rows ${p.namedBy.join(", ")} have`;
      const what =
        p.namedBy.length === 0
          ? `has no videos rows (none names bundle_ref ${p.bundleRef})`
          : p.singleTable
            ? `has no valid row (${rows} errors: see their messages)`
            : `has no valid videos row (videos ${rows} errors: see their messages)`;
      const fixRows =
        p.namedBy.length === 0 ? `add videos rows with bundle_ref ${p.bundleRef}` : "fix those rows";
      const orType = p.bundleType === "account_and_videos" ? ", or set bundle_type to account_only" : "";
      return `bundle ${p.bundleRef} is ${p.bundleType} but ${what} and ${slotsCell}, so TokPortal would refuse to create it (it needs at least 1 video slot); ${fixRows}, set video_slots to the number of videos to order${orType}`;
    },
  }),
  edit_slots_over_video_slots: code<{ editSlots: number; videoSlots: number; known: "sheet" | "tokportal" }>({
    status: "error",
    meaning: "More edit slots than video slots: TokPortal sells at most one edit slot per video slot.",
    fix: "Lower edit_slots or raise video_slots.",
    text: (p) =>
      p.known === "sheet"
        ? `${p.editSlots} is more than the bundle's ${p.videoSlots} video slots; lower edit_slots or raise video_slots`
        : `${p.editSlots} is more than the bundle's ${p.videoSlots} video slots, and TokPortal sells at most one edit slot per video slot; lower edit_slots or raise video_slots`,
  }),
  bundle_ref_unknown_offline: code<{ bundleRef: string; externalRef: string }>({
    status: "warning",
    meaning:
      "validate --offline: videos name a bundle_ref no bundles row has; fine only if TokPortal has that bundle.",
    fix: "Run validate without --offline to check it, or add the bundles row.",
    text: (p) =>
      `no bundles row has bundle_ref ${p.bundleRef}: fine only if TokPortal already has a bundle with external_ref ${p.externalRef} (validate without --offline checks it)`,
  }),
};
