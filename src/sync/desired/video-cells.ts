/**
 * Phase B of the desired state: each videos row against its bundle's type and platform (required cells,
 * platform-only columns, media, the spec's limits, two rows asking for one slot).
 */
import { type Finding, finding } from "../../findings/index.ts";
import type { Platform, TypedCampaign, TypedRow, VideoInput } from "../../sources/coerce.ts";
import { VIDEO_FIELD_COLUMNS } from "../field-columns.ts";
import { fingerprintOf } from "../fingerprint.ts";
import { classifyMedia, fileIdentities } from "../media.ts";
import { markerOf } from "../review-marker.ts";
import { videoRowRef } from "../rows.ts";
import type { DesiredOptions, DesiredVideo, MediaValue, RowIssue } from "../types.ts";
import { blockedVideoIssues, type CheckedBundles } from "./bundle-cells.ts";
import { addSpecFindings, rowIssue, specFindings, theSpec } from "./issues.ts";
import { reviewRequest } from "./review-cells.ts";

const INSTAGRAM_COLUMNS = [
  "instagram_content_type",
  "instagram_location",
  "instagram_collaborators",
  "instagram_audio_name",
  "instagram_add_to_story",
] as const;
/** Columns only a story takes. */
const STORY_ONLY_COLUMNS = ["story_image_url", "story_repost_url"] as const;
/** Columns a story does not take: a carousel's, and reposting itself as a story. */
const NOT_ON_STORY = ["carousel_images", "carousel_title", "instant_repost_as_story"] as const;
/** Disclosures and paid options, sent as written (priced by the planner: plan-videos.ts). */
const OPTION_FIELDS = [
  "story_image_url",
  "story_repost_url",
  "ai_content_disclaimer",
  "disclose_as_ads",
  "instant_repost_as_story",
] as const;
/** Stands in for a local file during spec validation: the file's URL is only known after its upload. */
const UPLOAD_PLACEHOLDER_URL = "https://upload.invalid/local-file";

export interface CheckedVideos {
  /** Valid videos by bundle_ref, in sheet order. */
  videosByBundle: Map<string, DesiredVideo[]>;
  /** bundle_refs named by valid videos that no bundles row has, in sheet order. */
  withoutRow: string[];
  issues: RowIssue[];
}

export function checkVideos(
  campaign: TypedCampaign,
  bundles: CheckedBundles,
  options: DesiredOptions,
): CheckedVideos {
  const { drafts, blocked, tableRows } = bundles;
  const issues: RowIssue[] = [];
  const videosByBundle = new Map<string, DesiredVideo[]>();
  const withoutRow: string[] = [];
  const clashes = positionClashes(campaign.videos);
  for (const typed of campaign.videos) {
    const input = typed.input;
    if (input === null || typed.problems.length > 0) continue;
    const row = videoRowRef(typed);
    const bundleRef = input.bundle_ref;
    const bad = blocked.get(bundleRef);
    const draft = drafts.get(bundleRef);
    if (bad && !draft) {
      issues.push(...blockedVideoIssues(row, bundleRef, bad));
      continue;
    }
    if (!draft && tableRows.has(bundleRef)) {
      // Duplicated refs: every row with it is in error already.
      const rowNumbers = tableRows.get(bundleRef) ?? [];
      issues.push(...blockedVideoIssues(row, bundleRef, { rowNumbers, derived: false, issues: [] }));
      continue;
    }
    if (draft?.type === "account_only") {
      issues.push(
        rowIssue(row, finding("no_videos_on_account_only", "bundle_ref", { bundleRef, known: "sheet" })),
      );
      continue;
    }
    const checked = checkVideo(input, draft?.platform, bundleRef, options.baseDir);
    const clash = clashes.get(typed.rowNumber);
    if (clash) checked.issues.push(clash);
    const review = reviewRequest("video", {
      action: input.review,
      note: input.review_note,
      fields: input.review_fields,
    });
    checked.issues.push(...review.issues);
    if (checked.issues.length > 0 || checked.body === undefined) {
      for (const i of checked.issues) issues.push(rowIssue(row, i));
      continue;
    }
    const publish = input.publish ?? options.defaults.publish;
    // One literal of the members every video has (V8 keeps them inside the object; a literal with spreads
    // is built member by member, most of them in a separate array); the rare ones are set after it.
    const video: DesiredVideo = {
      row,
      bundleRef,
      videoRef: input.video_ref,
      body: checked.body,
      media: checked.media,
      publish,
      soundVolumeUnits:
        input.volume_original_sound !== undefined || input.volume_added_sound !== undefined ? 1 : 0,
      // Only what is sent. Not the position: it is written back after assignment, and a placed row keeps its
      // slot anyway. Not publish: a release is decided from the slot's status each run, so turning publish on
      // must not re-send an unchanged configuration.
      fingerprint: videoFingerprint(checked.body, checked.media),
      outputs: typed.outputs,
    };
    if (input.position !== undefined) video.position = input.position;
    // Reviews and pull backs: never part of the fingerprint (they change no configuration).
    if (review.review) video.review = review.review;
    if (input.publish === false) video.pullBack = true;
    const list = videosByBundle.get(bundleRef);
    if (list) list.push(video);
    else {
      videosByBundle.set(bundleRef, [video]);
      if (!draft) withoutRow.push(bundleRef);
    }
  }
  return { videosByBundle, withoutRow, issues };
}

function checkVideo(
  input: VideoInput,
  platform: Platform | undefined,
  bundleRef: string,
  baseDir: string,
): { issues: Finding[]; body?: DesiredVideo["body"]; media: DesiredVideo["media"] } {
  const issues: Finding[] = [];
  const media: DesiredVideo["media"] = {};
  const type = input.video_type ?? "video";

  if (type === "story") issues.push(...storyFindings(input));
  else {
    if (input.description === undefined) {
      issues.push(finding("description_missing", "description", { videoType: type }));
    }
    for (const column of STORY_ONLY_COLUMNS) {
      if (input[column] !== undefined)
        issues.push(finding("column_not_for_type", column, { videoType: type, forTypes: ["story"] }));
    }
  }
  if (input.target_publish_date === undefined)
    issues.push(finding("date_missing", "target_publish_date", {}));
  if (type === "video" && input.video_url === undefined) {
    issues.push(finding("video_url_missing", "video_url", {}));
  }
  if (type === "carousel") {
    if (input.carousel_images === undefined) {
      issues.push(finding("carousel_images_missing", "carousel_images", {}));
    }
    if (platform === "tiktok" && input.tiktok_sound_url === undefined) {
      issues.push(finding("tiktok_sound_missing", "tiktok_sound_url", {}));
    }
  }
  if (platform === "instagram" && type !== "story" && input.instagram_content_type === undefined) {
    issues.push(finding("instagram_content_type_missing", "instagram_content_type", {}));
  }
  if (platform === "tiktok") {
    for (const column of INSTAGRAM_COLUMNS) {
      if (input[column] !== undefined)
        issues.push(finding("instagram_column_on_tiktok", column, { bundleRef }));
    }
  }
  if (input.video_url !== undefined) {
    const m = classifyMedia(input.video_url, baseDir, "video");
    // A video's URL is sent as it is: only a file needs anything done first.
    if (m.ok) {
      if (m.value.kind === "file") media.video_url = m.value;
    } else
      issues.push(finding("media_unusable", "video_url", { value: m.value, looked: m.looked, image: null }));
  }
  if (input.carousel_images !== undefined) {
    const images: MediaValue[] = [];
    input.carousel_images.forEach((cell, i) => {
      const m = classifyMedia(cell, baseDir, "image");
      if (m.ok) images.push(m.value);
      else
        issues.push(
          finding("media_unusable", "carousel_images", { value: m.value, looked: m.looked, image: i + 1 }),
        );
    });
    if (images.length === input.carousel_images.length) media.carousel_images = images;
  }
  if (input.story_image_url !== undefined) {
    const m = classifyMedia(input.story_image_url, baseDir, "image");
    if (m.ok) media.story_image_url = m.value;
    else
      issues.push(
        finding("media_unusable", "story_image_url", { value: m.value, looked: m.looked, image: null }),
      );
  }
  const described = type === "story" || input.description !== undefined;
  if (!described || input.target_publish_date === undefined) return { issues, media: orNone(media) };

  const body = usualBody(
    type,
    input.target_publish_date,
    input.video_ref,
    input.description,
    input.video_url,
  );
  if (input.carousel_images !== undefined) body.carousel_images = [...input.carousel_images];
  if (input.carousel_title !== undefined) body.carousel_title = input.carousel_title;
  if (input.tiktok_sound_url !== undefined) body.tiktok_sound_url = input.tiktok_sound_url;
  if (input.name !== undefined) body.name = input.name;
  if (input.editing_instructions !== undefined) body.editing_instructions = input.editing_instructions;
  if (input.volume_original_sound !== undefined) body.volume_original_sound = input.volume_original_sound;
  if (input.volume_added_sound !== undefined) body.volume_added_sound = input.volume_added_sound;
  if (input.instagram_content_type !== undefined) body.instagram_content_type = input.instagram_content_type;
  if (input.instagram_location !== undefined) body.instagram_location = input.instagram_location;
  if (input.instagram_collaborators !== undefined) {
    body.instagram_collaborators = [...input.instagram_collaborators];
  }
  if (input.instagram_audio_name !== undefined) body.instagram_audio_name = input.instagram_audio_name;
  if (input.instagram_add_to_story !== undefined) body.instagram_add_to_story = input.instagram_add_to_story;
  for (const field of OPTION_FIELDS) {
    const value = input[field];
    if (value !== undefined) Object.assign(body, { [field]: value });
  }

  // A local path is not a URI; what will be sent in its place (the upload's URL) is, so validate that.
  // The validator changes nothing (src/api/spec.ts), so a row naming no file is checked as it is.
  let probe = body;
  if (media.video_url?.kind === "file" || media.story_image_url?.kind === "file") {
    probe = { ...body };
    if (media.video_url?.kind === "file") probe.video_url = UPLOAD_PLACEHOLDER_URL;
    if (media.story_image_url?.kind === "file") probe.story_image_url = UPLOAD_PLACEHOLDER_URL;
  }
  addSpecFindings(
    issues,
    specFindings(theSpec().validateSchema("ConfigureVideoRequest", probe).issues, VIDEO_FIELD_COLUMNS),
  );
  return { issues, body, media: orNone(media) };
}

/**
 * A body with the members almost every row has, written as one literal per combination: V8 gives a literal
 * room for its members inside the object, where members added one by one to a smaller literal go to a
 * separate array (at 400,000 rows, 11 MB more). The rarer members are added after. A story has no
 * description (refused above when its row has one).
 */
function usualBody(
  video_type: DesiredVideo["body"]["video_type"],
  target_publish_date: string,
  external_ref: string,
  cellDescription: string | undefined,
  video_url: string | undefined,
): DesiredVideo["body"] {
  const description = video_type === "story" ? undefined : cellDescription;
  if (description === undefined) {
    return video_url === undefined
      ? { video_type, target_publish_date, external_ref }
      : { video_type, target_publish_date, external_ref, video_url };
  }
  return video_url === undefined
    ? { video_type, target_publish_date, external_ref, description }
    : { video_type, target_publish_date, external_ref, description, video_url };
}

/** Most rows name no file: they share one empty media object (frozen: never filled in later). */
const NO_MEDIA: DesiredVideo["media"] = Object.freeze({});
const orNone = (media: DesiredVideo["media"]): DesiredVideo["media"] =>
  media.video_url === undefined && media.carousel_images === undefined && media.story_image_url === undefined
    ? NO_MEDIA
    : media;

/**
 * The row's `m:` marker: a digest of its media cells (and the identities of the local files they name),
 * kept in `review_marker` when TokPortal reports it could not download them. Computed when a slot reports
 * a download issue or the row holds a marker, not for every row: it only ever changes with the fingerprint.
 */
export function mediaMarkerOf(v: Pick<DesiredVideo, "body" | "media">): string {
  return markerOf("m", {
    video_url: v.body.video_url ?? null,
    carousel_images: v.body.carousel_images ?? null,
    files: fileIdentities([v.media.video_url, ...(v.media.carousel_images ?? [])]) ?? null,
  });
}

/**
 * A videos row's fingerprint: what is sent, plus the size and modification time of the local files it names,
 * so that a file replaced at the same path (the cell unchanged) is a change. A row without local files (or
 * `media` given as `{}`) hashes its body alone, as every version before file identities did.
 */
export function videoFingerprint(body: DesiredVideo["body"], media: DesiredVideo["media"]): string {
  const files = fileIdentities([media.video_url, ...(media.carousel_images ?? []), media.story_image_url]);
  return fingerprintOf({ body, files });
}

/**
 * A story's own rules (docs/tokportal-api.md §7): no description (TokPortal refuses one: an error rather
 * than a caption silently dropped), exactly one of a video or an image, none of a carousel's columns, and no
 * instant repost of itself as a story.
 */
function storyFindings(input: VideoInput): Finding[] {
  const out: Finding[] = [];
  if (input.description !== undefined) out.push(finding("story_has_description", "description", {}));
  if (input.video_url === undefined && input.story_image_url === undefined) {
    out.push(finding("story_media_missing", "video_url", {}));
  }
  if (input.video_url !== undefined && input.story_image_url !== undefined) {
    out.push(finding("story_media_both", "story_image_url", {}));
  }
  for (const column of NOT_ON_STORY) {
    if (input[column] === undefined) continue;
    const forTypes = column === "instant_repost_as_story" ? ["video", "carousel"] : ["carousel"];
    out.push(finding("column_not_for_type", column, { videoType: "story", forTypes }));
  }
  return out;
}

/** Two rows of one bundle asking for the same slot: neither can be placed without guessing. */
function positionClashes(rows: TypedRow<VideoInput>[]): Map<number, Finding> {
  const byPosition = new Map<string, TypedRow<VideoInput>[]>();
  for (const r of rows) {
    if (!r.input || r.problems.length > 0 || r.input.position === undefined) continue;
    const k = `${r.input.bundle_ref}\u0000${r.input.position}`;
    const g = byPosition.get(k) ?? [];
    g.push(r);
    byPosition.set(k, g);
  }
  const out = new Map<number, Finding>();
  for (const g of byPosition.values()) {
    if (g.length < 2) continue;
    const rowNumbers = g.map((r) => r.rowNumber);
    for (const r of g) {
      const params = {
        position: r.input?.position ?? 0,
        bundleRef: r.input?.bundle_ref ?? "",
        rows: rowNumbers,
      };
      out.set(r.rowNumber, finding("position_clash", "position", params));
    }
  }
  return out;
}
