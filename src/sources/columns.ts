/**
 * The column catalogue of the campaign sheet (docs/sheet-format.md): which columns each table has, their types,
 * and the output columns in the order they are appended when missing.
 */

import type { TableName } from "./types.ts";

export type ColumnType =
  | { kind: "text"; maxLength?: number }
  | { kind: "boolean" }
  | { kind: "date" }
  | { kind: "integer"; min?: number; max?: number }
  /** `;`-separated; empty items are dropped. */
  | { kind: "list"; maxItems?: number }
  | { kind: "enum"; values: readonly string[] };

export interface ColumnSpec {
  /** Canonical name, as in docs/sheet-format.md. */
  name: string;
  type: ColumnType;
  /** The header must be present for the table to be usable. */
  required?: boolean;
}

const text = (maxLength?: number): ColumnType =>
  maxLength === undefined ? { kind: "text" } : { kind: "text", maxLength };
const bool: ColumnType = { kind: "boolean" };
const date: ColumnType = { kind: "date" };
const int = (min: number, max: number): ColumnType => ({ kind: "integer", min, max });
const oneOf = (...values: string[]): ColumnType => ({ kind: "enum", values });

export const BUNDLE_TYPES = ["account_and_videos", "account_only", "videos_only"] as const;
export const PLATFORMS = ["tiktok", "instagram"] as const;
export const VIDEO_TYPES = ["video", "carousel", "story"] as const;
export const INSTAGRAM_CONTENT_TYPES = ["reel", "post"] as const;
/** The client's verdict on work TokPortal submitted for review (docs/sheet-format.md, Reviews). */
export const REVIEW_ACTIONS = ["approve", "changes"] as const;
/** Fields a video correction can name (`VideoCorrectionsRequest.fields`). */
export const VIDEO_REVIEW_FIELDS = ["video_content", "description", "video_editing", "sound"] as const;
/** Fields an account correction can name (`AccountCorrectionsRequest.fields`). */
export const ACCOUNT_REVIEW_FIELDS = ["username", "visible_name", "biography", "profile_picture"] as const;
export const SYNC_STATUSES = ["synced", "pending", "locked", "error", "skipped"] as const;

/** Bundle columns that describe the bundle and its account (also carried by videos rows in single-table mode). */
const BUNDLE_SETTINGS: readonly ColumnSpec[] = [
  { name: "bundle_type", type: oneOf(...BUNDLE_TYPES) },
  { name: "platform", type: oneOf(...PLATFORMS) },
  { name: "country", type: text(5) },
  { name: "account_id", type: text() },
  { name: "title", type: text(200) },
  { name: "auto_finalize_videos", type: bool },
  { name: "edit_slots", type: int(0, 500) },
  { name: "video_slots", type: int(0, 500) },
  { name: "username", type: text(24) },
  { name: "visible_name", type: text(30) },
  { name: "biography", type: text(80) },
  { name: "profile_picture", type: text() },
  { name: "link_in_bio", type: text() },
  // Orders: warming (fixed at creation) and a follow-up's account taken from another bundles row.
  { name: "advanced_warming_terms", type: { kind: "list", maxItems: 30 } },
  { name: "advanced_warming_terms_count", type: int(3, 30) },
  { name: "niche_warming_instructions", type: text(2000) },
  { name: "deep_warming", type: bool },
  { name: "account_bundle_ref", type: text(200) },
  // The account review (a delivered account in review), see docs/sheet-format.md.
  { name: "account_review", type: oneOf(...REVIEW_ACTIONS) },
  { name: "account_review_note", type: text(2000) },
  { name: "account_review_fields", type: { kind: "list", maxItems: 4 } },
];

export const BUNDLE_INPUT_COLUMNS: readonly ColumnSpec[] = [
  { name: "bundle_ref", type: text(200), required: true },
  ...BUNDLE_SETTINGS,
  { name: "publish", type: bool },
];

export const BUNDLE_OUTPUT_COLUMNS: readonly string[] = [
  "bundle_id",
  "bundle_status",
  "account_status",
  "credits_charged",
  "saved_account_id",
  "account_username",
  "account_url",
  "followers",
  // The account review.
  "account_correction_message",
  "account_correction_requested_at",
  "review_marker",
  "sync_status",
  "sync_message",
  "synced_at",
  "sync_fingerprint",
];

export const VIDEO_INPUT_COLUMNS: readonly ColumnSpec[] = [
  { name: "video_ref", type: text(200), required: true },
  { name: "bundle_ref", type: text(200), required: true },
  { name: "position", type: int(1, 500) },
  { name: "video_type", type: oneOf(...VIDEO_TYPES) },
  { name: "description", type: text(2200) },
  { name: "target_publish_date", type: date },
  { name: "video_url", type: text() },
  { name: "carousel_images", type: { kind: "list", maxItems: 20 } },
  { name: "carousel_title", type: text(200) },
  { name: "tiktok_sound_url", type: text() },
  { name: "name", type: text(200) },
  { name: "editing_instructions", type: text(5000) },
  { name: "volume_original_sound", type: int(0, 200) },
  { name: "volume_added_sound", type: int(0, 200) },
  { name: "instagram_content_type", type: oneOf(...INSTAGRAM_CONTENT_TYPES) },
  { name: "instagram_location", type: text(200) },
  { name: "instagram_collaborators", type: { kind: "list", maxItems: 5 } },
  { name: "instagram_audio_name", type: text(200) },
  { name: "instagram_add_to_story", type: bool },
  // Stories, disclosures and paid options (docs/tokportal-api.md §7).
  { name: "story_image_url", type: text() },
  { name: "story_repost_url", type: text() },
  { name: "ai_content_disclaimer", type: bool },
  { name: "disclose_as_ads", type: bool },
  { name: "instant_repost_as_story", type: bool },
  { name: "publish", type: bool },
  // The review of the posted video, see docs/sheet-format.md.
  { name: "review", type: oneOf(...REVIEW_ACTIONS) },
  { name: "review_note", type: text(2000) },
  { name: "review_fields", type: { kind: "list", maxItems: 4 } },
];

/** `position` is both: the user may set it, and the assigned slot is written back. */
export const VIDEO_OUTPUT_COLUMNS: readonly string[] = [
  "video_id",
  "position",
  "video_status",
  "platform_url",
  // Reviews and download problems.
  "review_status",
  "correction_message",
  "correction_requested_at",
  "download_issue",
  "review_marker",
  "views",
  "likes",
  "comments",
  "shares",
  "bookmarks",
  "engagement_rate",
  "analytics_at",
  "sync_status",
  "sync_message",
  "synced_at",
  "sync_fingerprint",
];

/**
 * Single-table mode: the bundle columns a videos row may carry. `publish` on a videos row is the video's;
 * the bundle's is `publish_bundle` (our choice: the one name that would otherwise be ambiguous).
 */
export const SINGLE_TABLE_BUNDLE_INPUT_COLUMNS: readonly ColumnSpec[] = [
  ...BUNDLE_SETTINGS,
  { name: "publish_bundle", type: bool },
];

/** Single-table mode: bundle outputs written on every videos row of the bundle, before the video outputs. */
export const SINGLE_TABLE_BUNDLE_OUTPUT_COLUMNS: readonly string[] = [
  "bundle_id",
  "bundle_status",
  "account_status",
  "credits_charged",
];

export interface TableMode {
  table: TableName;
  /** A videos table that also carries the bundle columns (there is no bundles table). */
  singleTable?: boolean;
}

const SINGLE_TABLE_INPUTS: readonly ColumnSpec[] = [
  ...VIDEO_INPUT_COLUMNS,
  ...SINGLE_TABLE_BUNDLE_INPUT_COLUMNS,
];
const SINGLE_TABLE_OUTPUTS: readonly string[] = [
  ...SINGLE_TABLE_BUNDLE_OUTPUT_COLUMNS,
  ...VIDEO_OUTPUT_COLUMNS,
];
const KNOWN = new Map<string, readonly string[]>();

export function inputColumns(mode: TableMode): readonly ColumnSpec[] {
  if (mode.table === "bundles") return BUNDLE_INPUT_COLUMNS;
  return mode.singleTable ? SINGLE_TABLE_INPUTS : VIDEO_INPUT_COLUMNS;
}

/** Output columns in canonical order (the order in which missing ones are appended). */
export function outputColumns(mode: TableMode): readonly string[] {
  if (mode.table === "bundles") return BUNDLE_OUTPUT_COLUMNS;
  return mode.singleTable ? SINGLE_TABLE_OUTPUTS : VIDEO_OUTPUT_COLUMNS;
}

/** Every column the tool reads for this table (inputs and outputs), in canonical order, without repeats. */
export function knownColumns(mode: TableMode): readonly string[] {
  const id = `${mode.table}:${mode.singleTable === true}`;
  let names = KNOWN.get(id);
  if (!names) {
    names = [...new Set([...inputColumns(mode).map((c) => c.name), ...outputColumns(mode)])];
    KNOWN.set(id, names);
  }
  return names;
}

export function requiredColumns(table: TableName): readonly string[] {
  return table === "bundles" ? ["bundle_ref"] : ["video_ref", "bundle_ref"];
}

export function columnSpec(mode: TableMode, name: string): ColumnSpec | undefined {
  return inputColumns(mode).find((c) => c.name === name);
}

/** How a column's allowed values are worded in messages. */
export function describeType(type: ColumnType): string {
  switch (type.kind) {
    case "text":
      return type.maxLength === undefined ? "text" : `text of at most ${type.maxLength} characters`;
    case "boolean":
      return "yes or no";
    case "date":
      return "a date";
    case "integer":
      return type.min !== undefined && type.max !== undefined
        ? `a whole number from ${type.min} to ${type.max}`
        : "a whole number";
    case "list":
      return "a list separated by ;";
    case "enum":
      return `one of ${type.values.join(", ")}`;
  }
}
