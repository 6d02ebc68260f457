/**
 * The desired state: typed rows → validated bundles and videos, with every sheet-only problem turned into a
 * row issue before any call is made. Pure apart from `classifyMedia`'s stat of local media files.
 *
 * What is checked here needs only the sheet: required fields per bundle and video type, the username
 * pattern, platform-only columns, spec limits (the compiled validators of spec/tokportal-openapi.yaml).
 * What needs TokPortal's answer (lead time, videos per day, free slots, statuses) is the planner's.
 *
 * Order of the work: bundles are checked on their own cells first (A), then videos against their bundle's
 * type and platform (B), then each bundle's create body, which depends on how many of its videos are valid
 * (C). A bundle that fails in A or C blocks its videos, and each says so.
 */
import type { ConfigureAccountBody, CreateBundleBody } from "../api/index.ts";
import { loadSpec, type TokPortalSpec, type ValidationIssue } from "../api/spec.ts";
import type { BundleInput, Platform, TypedCampaign, TypedRow, VideoInput } from "../sources/coerce.ts";
import { BUNDLE_FIELD_COLUMNS, VIDEO_FIELD_COLUMNS } from "./field-columns.ts";
import { fingerprintOf } from "./fingerprint.ts";
import { classifyMedia, fileIdentities } from "./media.ts";
import { bundleRowRef, videoRowRef } from "./rows.ts";
import type {
  DesiredBundle,
  DesiredOptions,
  DesiredState,
  DesiredVideo,
  MediaValue,
  RowIssue,
  RowRef,
} from "./types.ts";

let spec: TokPortalSpec | undefined;
/** Loaded on first use: compiling the validators is the slow part, and only once per process. */
function theSpec(): TokPortalSpec {
  spec ??= loadSpec();
  return spec;
}

/** One problem with a row, before it is worded with the row's number. */
interface CellIssue {
  column?: string;
  detail: string;
}

type BundleType = NonNullable<BundleInput["bundle_type"]>;

const ACCOUNT_COLUMNS = ["username", "visible_name", "biography", "profile_picture", "link_in_bio"] as const;
const INSTAGRAM_COLUMNS = [
  "instagram_content_type",
  "instagram_location",
  "instagram_collaborators",
  "instagram_audio_name",
  "instagram_add_to_story",
] as const;
const USERNAME = /^[A-Za-z0-9_.]{1,24}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Stands in for a local file during spec validation: the file's URL is only known after its upload. */
const UPLOAD_PLACEHOLDER_URL = "https://upload.invalid/local-file";

/** `Row 7`, or `Rows 3, 4, 9` for a single-table bundle; then `, column x` when one column is at fault. */
function where(rowNumbers: readonly number[], column: string | undefined): string {
  const rows = rowNumbers.length === 1 ? `Row ${rowNumbers[0]}` : `Rows ${rowNumbers.join(", ")}`;
  return column === undefined ? rows : `${rows}, column ${column}`;
}

function rowIssue(row: RowRef, issue: CellIssue): RowIssue {
  return {
    row,
    status: "error",
    ...(issue.column === undefined ? {} : { column: issue.column }),
    message: `${where(row.rowNumbers, issue.column)}: ${issue.detail}`,
  };
}

/** Spec violations worded for the sheet: the field becomes its column, the API's own words say what is wrong. */
function specIssues(issues: ValidationIssue[], columns: Readonly<Record<string, string>>): CellIssue[] {
  return issues.map((i) => {
    const field = i.field.split(".")[0] ?? i.field;
    const column = field === "(body)" ? undefined : (columns[field] ?? field);
    const said = i.message.startsWith(`${i.field} `) ? i.message.slice(i.field.length + 1) : i.message;
    const detail =
      i.kind === "unknown_field"
        ? "TokPortal does not accept this column here; clear it"
        : said.includes('format "uri"')
          ? "is not a valid URL; write a full URL such as https://example.com/page (no spaces)"
          : `TokPortal refuses this value (${i.field} ${said}); correct the cell`;
    return column === undefined ? { detail } : { column, detail };
  });
}

/** Adds spec issues only for columns that have no hand-written issue yet (those say it better). */
function addSpecIssues(into: CellIssue[], found: CellIssue[]): void {
  const taken = new Set(into.map((i) => i.column));
  for (const i of found) if (!taken.has(i.column)) into.push(i);
}

// ——— Bundles, on their own cells (A) ———

interface BundleDraft {
  typed: TypedRow<BundleInput>;
  input: BundleInput;
  ref: RowRef;
  /** Single-table mode: the bundle lives on its videos rows, so its problems are shown on them too. */
  derived: boolean;
  type: BundleType;
  /** Unknown for a videos_only bundle that does not state it: the saved account decides. */
  platform: Platform | undefined;
  account: ConfigureAccountBody | null;
  profilePicture?: MediaValue;
}

function checkBundleCells(
  input: BundleInput,
  options: DesiredOptions,
): {
  issues: CellIssue[];
  type: BundleType;
  platform: Platform | undefined;
  account: ConfigureAccountBody | null;
  profilePicture?: MediaValue;
} {
  const issues: CellIssue[] = [];
  const type = input.bundle_type ?? options.defaults.bundle_type;
  // A videos_only bundle posts from a saved account, whose platform is fixed: a default could contradict it.
  const platform = type === "videos_only" ? input.platform : (input.platform ?? options.defaults.platform);

  if (type === "videos_only") {
    if (input.country !== undefined) {
      issues.push({
        column: "country",
        detail: `"${input.country}" is not used by a videos_only bundle (the saved account's country applies); clear it`,
      });
    }
    if (input.account_id === undefined) {
      issues.push({
        column: "account_id",
        detail:
          "is empty; a videos_only bundle posts from a saved account: write its id (a uuid like 9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c)",
      });
    } else if (!UUID.test(input.account_id)) {
      issues.push({
        column: "account_id",
        detail: `"${input.account_id}" is not an account id; write the saved account's uuid, like 9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c`,
      });
    }
  } else {
    if (input.country === undefined) {
      issues.push({
        column: "country",
        detail: "is empty; write the country of the account to create (2 to 5 letters, e.g. USA)",
      });
    }
    if (input.account_id !== undefined) {
      issues.push({
        column: "account_id",
        detail: "is only for videos_only bundles; clear it or set bundle_type to videos_only",
      });
    }
  }
  if (type === "account_only") {
    for (const column of ["video_slots", "edit_slots"] as const) {
      if ((input[column] ?? 0) > 0) {
        issues.push({
          column,
          detail: `an account_only bundle has no videos; clear ${column} or set bundle_type to account_and_videos`,
        });
      }
    }
  }

  const filled = ACCOUNT_COLUMNS.filter((c) => input[c] !== undefined);
  if (type === "videos_only") {
    for (const column of filled) {
      issues.push({
        column,
        detail:
          "a videos_only bundle posts from a saved account whose profile is not set here; clear it or set bundle_type to account_and_videos",
      });
    }
    return { issues, type, platform, account: null };
  }
  if (input.link_in_bio !== undefined && platform !== "instagram") {
    issues.push({
      column: "link_in_bio",
      detail: "only Instagram accounts have a link in bio; clear it or set platform to instagram",
    });
  }
  if (filled.length === 0) return { issues, type, platform, account: null };

  for (const column of ["username", "visible_name"] as const) {
    if (input[column] === undefined) {
      issues.push({
        column,
        detail: `is empty; an account profile needs a username and a visible_name (this row fills ${filled.join(", ")}); write one, or clear the profile columns`,
      });
    }
  }
  const username = input.username;
  if (username !== undefined && (!USERNAME.test(username) || username.endsWith("."))) {
    issues.push({
      column: "username",
      detail: `"${username}" is not a valid username; use at most 24 letters, digits, _ or . and do not end with a dot (e.g. spring.daily)`,
    });
  }
  let profilePicture: MediaValue | undefined;
  if (input.profile_picture !== undefined) {
    const media = classifyMedia(input.profile_picture, options.baseDir, "image");
    if (media.ok) profilePicture = media.value;
    else issues.push({ column: "profile_picture", detail: media.message });
  }
  if (username === undefined || input.visible_name === undefined) {
    return { issues, type, platform, account: null };
  }
  const account: ConfigureAccountBody = { username, visible_name: input.visible_name };
  if (input.biography !== undefined) account.biography = input.biography;
  if (profilePicture !== undefined && profilePicture.kind !== "file") {
    account.profile_picture_url = profilePicture.value;
  }
  if (input.link_in_bio !== undefined) account.link_in_bio = input.link_in_bio;
  addSpecIssues(
    issues,
    specIssues(theSpec().validateBody("configureBundleAccount", account).issues, BUNDLE_FIELD_COLUMNS),
  );
  // Only a file is uploaded by apply; a URL or storage path is already in the account body.
  return profilePicture?.kind === "file"
    ? { issues, type, platform, account, profilePicture }
    : { issues, type, platform, account };
}

// ——— Videos (B) ———

function checkVideo(
  input: VideoInput,
  platform: Platform | undefined,
  bundleRef: string,
  baseDir: string,
): { issues: CellIssue[]; body?: DesiredVideo["body"]; media: DesiredVideo["media"] } {
  const issues: CellIssue[] = [];
  const media: DesiredVideo["media"] = {};
  const type = input.video_type ?? "video";

  if (input.description === undefined) {
    issues.push({
      column: "description",
      detail: `is empty; a ${type} needs a description (its caption): write the text to post with it`,
    });
  }
  if (input.target_publish_date === undefined) {
    issues.push({
      column: "target_publish_date",
      detail: "is empty; write the day it should be posted, as YYYY-MM-DD",
    });
  }
  if (type === "video" && input.video_url === undefined) {
    issues.push({
      column: "video_url",
      detail: "is empty; a video needs its file: write an https:// URL or the path of a local video file",
    });
  }
  if (type === "carousel") {
    if (input.carousel_images === undefined) {
      issues.push({
        column: "carousel_images",
        detail:
          "is empty; a carousel needs 1 to 20 images: write their URLs or file paths, separated by ; (or set video_type to video for a single video)",
      });
    }
    if (platform === "tiktok" && input.tiktok_sound_url === undefined) {
      issues.push({
        column: "tiktok_sound_url",
        detail: "is empty; a TikTok carousel needs a sound: write the URL of a TikTok sound",
      });
    }
  }
  if (platform === "instagram" && input.instagram_content_type === undefined) {
    issues.push({
      column: "instagram_content_type",
      detail: "is empty; Instagram needs to know what to post: write reel or post",
    });
  }
  if (platform === "tiktok") {
    for (const column of INSTAGRAM_COLUMNS) {
      if (input[column] !== undefined) {
        issues.push({
          column,
          detail: `is for Instagram, and bundle ${bundleRef} is on TikTok; clear it`,
        });
      }
    }
  }
  if (input.video_url !== undefined) {
    const m = classifyMedia(input.video_url, baseDir, "video");
    if (m.ok) media.video_url = m.value;
    else issues.push({ column: "video_url", detail: m.message });
  }
  if (input.carousel_images !== undefined) {
    const images: MediaValue[] = [];
    input.carousel_images.forEach((cell, i) => {
      const m = classifyMedia(cell, baseDir, "image");
      if (m.ok) images.push(m.value);
      else issues.push({ column: "carousel_images", detail: `image ${i + 1}: ${m.message}` });
    });
    if (images.length === input.carousel_images.length) media.carousel_images = images;
  }
  if (input.description === undefined || input.target_publish_date === undefined) return { issues, media };

  const body: DesiredVideo["body"] = {
    video_type: type,
    description: input.description,
    target_publish_date: input.target_publish_date,
    external_ref: input.video_ref,
  };
  if (input.video_url !== undefined) body.video_url = input.video_url;
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

  // A local path is not a URI; what will be sent in its place (the upload's URL) is, so validate that.
  const probe = { ...body };
  if (media.video_url?.kind === "file") probe.video_url = UPLOAD_PLACEHOLDER_URL;
  addSpecIssues(
    issues,
    specIssues(theSpec().validateSchema("ConfigureVideoRequest", probe).issues, VIDEO_FIELD_COLUMNS),
  );
  return { issues, body, media };
}

/**
 * A videos row's fingerprint: what is sent, plus the size and modification time of the local files it names,
 * so that a file replaced at the same path (the cell unchanged) is a change. A row without local files (or
 * `media` given as `{}`) hashes its body alone, as every version before file identities did.
 */
export function videoFingerprint(body: DesiredVideo["body"], media: DesiredVideo["media"]): string {
  return fingerprintOf({ body, files: fileIdentities([media.video_url, ...(media.carousel_images ?? [])]) });
}

/** Two rows of one bundle asking for the same slot: neither can be placed without guessing. */
function positionClashes(rows: TypedRow<VideoInput>[]): Map<number, CellIssue> {
  const byPosition = new Map<string, TypedRow<VideoInput>[]>();
  for (const r of rows) {
    if (!r.input || r.problems.length > 0 || r.input.position === undefined) continue;
    const k = `${r.input.bundle_ref}\u0000${r.input.position}`;
    const g = byPosition.get(k) ?? [];
    g.push(r);
    byPosition.set(k, g);
  }
  const out = new Map<number, CellIssue>();
  for (const g of byPosition.values()) {
    if (g.length < 2) continue;
    const numbers = g.map((r) => r.rowNumber).join(", ");
    for (const r of g) {
      out.set(r.rowNumber, {
        column: "position",
        detail: `position ${r.input?.position} of bundle ${r.input?.bundle_ref} is given to rows ${numbers}; each video needs its own slot, so change or clear all but one`,
      });
    }
  }
  return out;
}

// ——— The whole campaign ———

/** Why a bundle cannot be used, for the videos that name it. */
interface BlockedBundle {
  rowNumbers: number[];
  derived: boolean;
  /** Single-table mode: the bundle's own problems, repeated on each of its rows. */
  issues: CellIssue[];
}

export function buildDesired(campaign: TypedCampaign, options: DesiredOptions): DesiredState {
  const issues: RowIssue[] = [];

  // 1. Problems found while coercing, each on its row.
  const refByRow = new Map<string, RowRef>();
  for (const b of campaign.bundles) {
    if (b.table === "bundles") refByRow.set(`bundles:${b.rowNumber}`, bundleRowRef(b));
  }
  for (const v of campaign.videos) refByRow.set(`videos:${v.rowNumber}`, videoRowRef(v));
  for (const p of campaign.problems) {
    const row = refByRow.get(`${p.table}:${p.rowNumber}`) ?? {
      id: `row:${p.table}:${p.rowNumber}`,
      table: p.table,
      rowNumbers: [p.rowNumber],
      key: { table: p.table, rowNumber: p.rowNumber },
    };
    issues.push({
      row,
      status: "error",
      ...(p.column === undefined ? {} : { column: p.column }),
      message: p.message,
    });
  }

  // A. Bundles on their own cells.
  const drafts = new Map<string, BundleDraft>();
  const blocked = new Map<string, BlockedBundle>();
  /** bundle_ref → rows of the bundles table naming it (valid or not): such a ref is "known". */
  const tableRows = new Map<string, number[]>();
  for (const typed of campaign.bundles) {
    const derived = typed.table === "videos";
    const keyRef = "bundleRef" in typed.key ? typed.key.bundleRef : undefined;
    if (!derived && typed.input) {
      const rows = tableRows.get(typed.input.bundle_ref) ?? [];
      rows.push(typed.rowNumber);
      tableRows.set(typed.input.bundle_ref, rows);
    }
    const ref = bundleRowRef(typed);
    if (typed.input === null) {
      if (derived && keyRef !== undefined) {
        // Single-table bundle whose rows disagree (or hold a bad bundle cell): name the rows to fix.
        const culprits = [...new Set(typed.problems.map((p) => p.rowNumber))].sort((a, b) => a - b);
        const column = typed.problems[0]?.column;
        const which = culprits.length === 1 ? `row ${culprits[0]} holds` : `rows ${culprits.join(", ")} hold`;
        const detail = `bundle ${keyRef} cannot be synced while ${which} a bad or disagreeing value in its bundle columns (see ${culprits.length === 1 ? "its message" : "their messages"}); fix ${culprits.length === 1 ? "that row" : "those rows"} first`;
        const cell: CellIssue = column === undefined ? { detail } : { column, detail };
        const allRows = campaign.videos.filter((v) => v.input?.bundle_ref === keyRef).map((v) => v.rowNumber);
        blocked.set(keyRef, { rowNumbers: allRows, derived, issues: [cell] });
        issues.push(rowIssue({ ...ref, rowNumbers: allRows.length > 0 ? allRows : ref.rowNumbers }, cell));
      }
      continue;
    }
    const bundleRef = typed.input.bundle_ref;
    if (typed.problems.length > 0) {
      const prior = blocked.get(bundleRef);
      blocked.set(bundleRef, {
        rowNumbers: [...(prior?.rowNumbers ?? []), ...typed.input.rowNumbers],
        derived,
        issues: [],
      });
      continue;
    }
    const checked = checkBundleCells(typed.input, options);
    if (checked.issues.length > 0) {
      for (const i of checked.issues) issues.push(rowIssue(ref, i));
      blocked.set(bundleRef, { rowNumbers: ref.rowNumbers, derived, issues: checked.issues });
      continue;
    }
    drafts.set(bundleRef, {
      typed,
      input: typed.input,
      ref,
      derived,
      type: checked.type,
      platform: checked.platform,
      account: checked.account,
      ...(checked.profilePicture ? { profilePicture: checked.profilePicture } : {}),
    });
  }
  // A duplicated ref is blocked even if one of its rows was fine on its own.
  for (const [bundleRef, rows] of tableRows) {
    if (rows.length > 1) drafts.delete(bundleRef);
  }

  // B. Videos against their bundle.
  const videosByBundle = new Map<string, DesiredVideo[]>();
  const withoutRow: string[] = [];
  const clashes = positionClashes(campaign.videos);
  const blockVideo = (row: RowRef, bundleRef: string, b: BlockedBundle): void => {
    // Single-table mode: the bundle's cells are on this very row, so its problems are shown here as they are.
    if (b.derived && b.issues.length > 0) {
      for (const i of b.issues) issues.push(rowIssue(row, i));
      return;
    }
    const rows = b.rowNumbers.length === 1 ? `row ${b.rowNumbers[0]}` : `rows ${b.rowNumbers.join(", ")}`;
    const fix = b.rowNumbers.length === 1 ? "fix that row first" : "fix those rows first";
    issues.push(
      rowIssue(row, { column: "bundle_ref", detail: `bundle ${bundleRef} (${rows}) has errors; ${fix}` }),
    );
  };
  for (const typed of campaign.videos) {
    const input = typed.input;
    if (input === null || typed.problems.length > 0) continue;
    const row = videoRowRef(typed);
    const bundleRef = input.bundle_ref;
    const bad = blocked.get(bundleRef);
    const draft = drafts.get(bundleRef);
    if (bad && !draft) {
      blockVideo(row, bundleRef, bad);
      continue;
    }
    if (!draft && tableRows.has(bundleRef)) {
      // Duplicated refs: every row with it is in error already.
      blockVideo(row, bundleRef, { rowNumbers: tableRows.get(bundleRef) ?? [], derived: false, issues: [] });
      continue;
    }
    if (draft?.type === "account_only") {
      issues.push(
        rowIssue(row, {
          column: "bundle_ref",
          detail: `bundle ${bundleRef} is account_only and takes no videos; name another bundle, or set bundle_type of ${bundleRef} to account_and_videos`,
        }),
      );
      continue;
    }
    const checked = checkVideo(input, draft?.platform, bundleRef, options.baseDir);
    const clash = clashes.get(typed.rowNumber);
    if (clash) checked.issues.push(clash);
    if (checked.issues.length > 0 || checked.body === undefined) {
      for (const i of checked.issues) issues.push(rowIssue(row, i));
      continue;
    }
    const publish = input.publish ?? options.defaults.publish;
    const video: DesiredVideo = {
      row,
      bundleRef,
      videoRef: input.video_ref,
      ...(input.position === undefined ? {} : { position: input.position }),
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
    const list = videosByBundle.get(bundleRef);
    if (list) list.push(video);
    else {
      videosByBundle.set(bundleRef, [video]);
      if (!draft) withoutRow.push(bundleRef);
    }
  }

  // C. Each bundle's create body, now that its valid videos are known.
  const bundles = new Map<string, DesiredBundle>();
  // Every videos row naming each bundle, valid or not, in one pass (a filter per bundle is quadratic).
  const namedBy = new Map<string, number[]>();
  for (const v of campaign.videos) {
    const ref = v.input?.bundle_ref;
    if (ref === undefined) continue;
    const list = namedBy.get(ref);
    if (list) list.push(v.rowNumber);
    else namedBy.set(ref, [v.rowNumber]);
  }
  for (const [bundleRef, draft] of drafts) {
    const videos = videosByBundle.get(bundleRef) ?? [];
    const built = buildBundle(draft, videos, namedBy.get(bundleRef) ?? [], options);
    if ("bundle" in built) {
      bundles.set(bundleRef, built.bundle);
      continue;
    }
    for (const i of built.issues) issues.push(rowIssue(draft.ref, i));
    const b: BlockedBundle = {
      rowNumbers: draft.ref.rowNumbers,
      derived: draft.derived,
      issues: built.issues,
    };
    for (const v of videos) blockVideo(v.row, bundleRef, b);
  }
  for (const bundleRef of withoutRow) {
    const externalRef = options.prefix + bundleRef;
    bundles.set(bundleRef, {
      row: null,
      bundleRef,
      externalRef,
      create: null,
      settings: {},
      account: null,
      publish: false,
      minSlots: 0,
      fingerprint: fingerprintOf({ create: null, settings: {}, account: null, publish: false, minSlots: 0 }),
      outputs: {},
      videos: videosByBundle.get(bundleRef) ?? [],
    });
  }

  return { prefix: options.prefix, bundles, issues, bundleRefsWithoutRow: withoutRow };
}

/**
 * A bundle with videos but no slot to order: TokPortal refuses to create it (`videos_quantity` must be
 * above 0 for every type but account_only). `namedBy` are the videos rows naming the bundle, all invalid.
 */
function noVideosIssue(draft: BundleDraft, namedBy: readonly number[]): Required<CellIssue> {
  const { input, type } = draft;
  const ref = input.bundle_ref;
  const slotsCell =
    input.video_slots === undefined ? "video_slots is empty" : `video_slots is ${input.video_slots}`;
  const rows = namedBy.length === 1 ? `row ${namedBy[0]} has` : `rows ${namedBy.join(", ")} have`;
  const what =
    namedBy.length === 0
      ? `has no videos rows (none names bundle_ref ${ref})`
      : draft.derived
        ? `has no valid row (${rows} errors: see their messages)`
        : `has no valid videos row (videos ${rows} errors: see their messages)`;
  const fixRows = namedBy.length === 0 ? `add videos rows with bundle_ref ${ref}` : "fix those rows";
  const orType = type === "account_and_videos" ? ", or set bundle_type to account_only" : "";
  return {
    column: "video_slots",
    detail: `bundle ${ref} is ${type} but ${what} and ${slotsCell}, so TokPortal would refuse to create it (it needs at least 1 video slot); ${fixRows}, set video_slots to the number of videos to order${orType}`,
  };
}

function buildBundle(
  draft: BundleDraft,
  videos: DesiredVideo[],
  namedBy: readonly number[],
  options: DesiredOptions,
): { bundle: DesiredBundle } | { issues: CellIssue[] } {
  const { input, type } = draft;
  const issues: CellIssue[] = [];
  const slots = type === "account_only" ? 0 : Math.max(videos.length, input.video_slots ?? 0);
  const create: CreateBundleBody = { bundle_type: type };
  if (draft.platform !== undefined) create.platform = draft.platform;
  if (type === "videos_only") create.account_id = input.account_id;
  else create.country = input.country;
  if (input.title !== undefined) create.title = input.title;
  if (input.auto_finalize_videos !== undefined) create.auto_finalize_videos = input.auto_finalize_videos;
  create.external_ref = options.prefix + input.bundle_ref;
  create.videos_quantity = slots;
  if (input.edit_slots !== undefined) create.edits_quantity = input.edit_slots;
  addSpecIssues(
    issues,
    specIssues(theSpec().validateBody("createBundle", create).issues, BUNDLE_FIELD_COLUMNS),
  );
  if (issues.length > 0) return { issues };

  const settings: DesiredBundle["settings"] = {};
  if (input.title !== undefined) settings.title = input.title;
  if (input.auto_finalize_videos !== undefined) settings.auto_finalize_videos = input.auto_finalize_videos;
  const publish = input.publish ?? options.defaults.publish;
  const minSlots = input.video_slots ?? 0;
  // Not an issue yet: a bundle TokPortal already has is never created, so only the planner can tell.
  // Likewise edit slots beyond the video slots: a bundle TokPortal has counts its own slots (addEditSlotsOp).
  const createRefused =
    type !== "account_only" && slots === 0
      ? noVideosIssue(draft, namedBy)
      : input.edit_slots !== undefined && input.edit_slots > slots
        ? {
            column: "edit_slots",
            detail: `${input.edit_slots} is more than the bundle's ${slots} video slots; lower edit_slots or raise video_slots`,
          }
        : undefined;
  // Only what the row itself sends: videos_quantity counts the valid videos rows, so keeping it would make
  // a new videos row look like a changed bundles row (and re-read, maybe re-send, its account). The
  // video_slots cell the user typed is in `minSlots`.
  const { videos_quantity: _fromVideoRows, ...sent } = create;
  return {
    bundle: {
      row: draft.ref,
      bundleRef: input.bundle_ref,
      externalRef: options.prefix + input.bundle_ref,
      create,
      settings,
      account: draft.account,
      ...(draft.profilePicture ? { profilePicture: draft.profilePicture } : {}),
      publish,
      minSlots,
      ...(createRefused ? { createRefused } : {}),
      fingerprint: fingerprintOf({
        create: sent,
        settings,
        account: draft.account,
        profilePicture: input.profile_picture,
        files: fileIdentities([draft.profilePicture]),
        minSlots,
      }),
      outputs: draft.typed.outputs,
      videos,
    },
  };
}
