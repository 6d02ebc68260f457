/**
 * Phase A of the desired state: each bundle on its own cells (type, country or saved account, the
 * profile), before its videos are looked at. A bundle that fails here is blocked, and its videos say so.
 */
import type { ConfigureAccountBody } from "../../api/index.ts";
import { type Finding, finding } from "../../findings/index.ts";
import type { BundleInput, Platform, TypedCampaign, TypedRow } from "../../sources/coerce.ts";
import { BUNDLE_FIELD_COLUMNS } from "../field-columns.ts";
import { classifyMedia } from "../media.ts";
import { bundleRowRef } from "../rows.ts";
import type { DesiredOptions, MediaValue, ReviewRequest, RowIssue, RowRef } from "../types.ts";
import { addSpecFindings, rowIssue, specFindings, theSpec } from "./issues.ts";
import { reviewRequest } from "./review-cells.ts";
import { checkWarming, type WarmingFields } from "./warming.ts";

type BundleType = NonNullable<BundleInput["bundle_type"]>;

const ACCOUNT_COLUMNS = ["username", "visible_name", "biography", "profile_picture", "link_in_bio"] as const;
const USERNAME = /^[A-Za-z0-9_.]{1,24}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A bundle whose own cells are fine: what phase C needs to build its create body. */
export interface BundleDraft {
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
  /** The create fields of the row's warming (empty when it asks for none). */
  warming: WarmingFields;
  accountReview?: ReviewRequest;
}

/** Why a bundle cannot be used, for the videos that name it. */
export interface BlockedBundle {
  rowNumbers: number[];
  derived: boolean;
  /** Single-table mode: the bundle's own problems, repeated on each of its rows. */
  issues: Finding[];
}

export interface CheckedBundles {
  drafts: Map<string, BundleDraft>;
  blocked: Map<string, BlockedBundle>;
  /** bundle_ref → rows of the bundles table naming it (valid or not): such a ref is "known". */
  tableRows: Map<string, number[]>;
  issues: RowIssue[];
}

export function checkBundles(campaign: TypedCampaign, options: DesiredOptions): CheckedBundles {
  const issues: RowIssue[] = [];
  const drafts = new Map<string, BundleDraft>();
  const blocked = new Map<string, BlockedBundle>();
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
        const cell = finding("bundle_rows_disagree", typed.problems[0]?.column, {
          bundleRef: keyRef,
          rows: culprits,
        });
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
    const review = reviewRequest("account", {
      action: typed.input.account_review,
      note: typed.input.account_review_note,
      fields: typed.input.account_review_fields,
    });
    checked.issues.push(...review.issues);
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
      warming: checked.warming,
      ...(checked.profilePicture ? { profilePicture: checked.profilePicture } : {}),
      ...(review.review ? { accountReview: review.review } : {}),
    });
  }
  // A duplicated ref is blocked even if one of its rows was fine on its own.
  for (const [bundleRef, rows] of tableRows) {
    if (rows.length > 1) drafts.delete(bundleRef);
  }
  return { drafts, blocked, tableRows, issues };
}

function checkBundleCells(
  input: BundleInput,
  options: DesiredOptions,
): {
  issues: Finding[];
  type: BundleType;
  platform: Platform | undefined;
  account: ConfigureAccountBody | null;
  profilePicture?: MediaValue;
  warming: WarmingFields;
} {
  const checked = checkProfileCells(input, options);
  const warming = checkWarming(input, checked.type === "videos_only");
  return { ...checked, issues: [...checked.issues, ...warming.issues], warming: warming.fields };
}

function checkProfileCells(
  input: BundleInput,
  options: DesiredOptions,
): {
  issues: Finding[];
  type: BundleType;
  platform: Platform | undefined;
  account: ConfigureAccountBody | null;
  profilePicture?: MediaValue;
} {
  const issues: Finding[] = [];
  const type = input.bundle_type ?? options.defaults.bundle_type;
  // A videos_only bundle posts from a saved account, whose platform is fixed: a default could contradict it.
  const platform = type === "videos_only" ? input.platform : (input.platform ?? options.defaults.platform);

  if (type === "videos_only") {
    if (input.country !== undefined)
      issues.push(finding("country_not_used", "country", { value: input.country }));
    if (input.account_bundle_ref !== undefined) {
      // A follow-up order: the account is the one another bundles row orders (checked across bundles).
      if (input.account_id !== undefined)
        issues.push(finding("account_ref_and_id", "account_bundle_ref", {}));
    } else if (input.account_id === undefined) issues.push(finding("account_id_missing", "account_id", {}));
    else if (!UUID.test(input.account_id)) {
      issues.push(finding("account_id_invalid", "account_id", { value: input.account_id }));
    }
  } else {
    if (input.country === undefined) issues.push(finding("country_missing", "country", {}));
    if (input.account_id !== undefined) issues.push(finding("account_id_not_used", "account_id", {}));
    if (input.account_bundle_ref !== undefined)
      issues.push(finding("account_ref_not_videos_only", "account_bundle_ref", {}));
  }
  if (type === "account_only") {
    for (const column of ["video_slots", "edit_slots"] as const) {
      if ((input[column] ?? 0) > 0) issues.push(finding("slots_on_account_only", column, { column }));
    }
  }

  const filled = ACCOUNT_COLUMNS.filter((c) => input[c] !== undefined);
  if (type === "videos_only") {
    for (const column of filled) issues.push(finding("profile_on_videos_only", column, {}));
    return { issues, type, platform, account: null };
  }
  if (input.link_in_bio !== undefined && platform !== "instagram") {
    issues.push(finding("link_in_bio_not_instagram", "link_in_bio", {}));
  }
  if (filled.length === 0) return { issues, type, platform, account: null };

  for (const column of ["username", "visible_name"] as const) {
    if (input[column] === undefined) issues.push(finding("profile_incomplete", column, { filled }));
  }
  const username = input.username;
  if (username !== undefined && (!USERNAME.test(username) || username.endsWith("."))) {
    issues.push(finding("username_invalid", "username", { value: username }));
  }
  let profilePicture: MediaValue | undefined;
  if (input.profile_picture !== undefined) {
    const media = classifyMedia(input.profile_picture, options.baseDir, "image");
    if (media.ok) profilePicture = media.value;
    else
      issues.push(
        finding("media_unusable", "profile_picture", {
          value: media.value,
          looked: media.looked,
          image: null,
        }),
      );
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
  addSpecFindings(
    issues,
    specFindings(theSpec().validateBody("configureBundleAccount", account).issues, BUNDLE_FIELD_COLUMNS),
  );
  // Only a file is uploaded by apply; a URL or storage path is already in the account body.
  return profilePicture?.kind === "file"
    ? { issues, type, platform, account, profilePicture }
    : { issues, type, platform, account };
}

/** What a video of a blocked bundle shows: the bundle's own problems (single table), or where they are. */
export function blockedVideoIssues(row: RowRef, bundleRef: string, b: BlockedBundle): RowIssue[] {
  // Single-table mode: the bundle's cells are on this very row, so its problems are shown here as they are.
  if (b.derived && b.issues.length > 0) return b.issues.map((i) => rowIssue(row, i));
  return [rowIssue(row, finding("bundle_has_errors", "bundle_ref", { bundleRef, rows: b.rowNumbers }))];
}
