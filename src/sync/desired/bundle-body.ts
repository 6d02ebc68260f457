/**
 * Phase C of the desired state: each bundle's create body, now that its valid videos are known (the slots
 * it orders count them), checked against the spec; and the bundles that only videos name.
 */
import { tokportalCountry } from "../../api/countries.ts";
import type { CreateBundleBody } from "../../api/index.ts";
import { type Finding, finding } from "../../findings/index.ts";
import type { TypedCampaign } from "../../sources/coerce.ts";
import { BUNDLE_FIELD_COLUMNS } from "../field-columns.ts";
import { fingerprintOf } from "../fingerprint.ts";
import { fileIdentities } from "../media.ts";
import type { DesiredBundle, DesiredOptions, DesiredVideo, RowIssue } from "../types.ts";
import { type BundleDraft, blockedVideoIssues } from "./bundle-cells.ts";
import { addSpecFindings, rowIssue, specFindings, theSpec } from "./issues.ts";

export function buildBundles(
  campaign: TypedCampaign,
  drafts: ReadonlyMap<string, BundleDraft>,
  videosByBundle: ReadonlyMap<string, DesiredVideo[]>,
  withoutRow: readonly string[],
  options: DesiredOptions,
): { bundles: Map<string, DesiredBundle>; issues: RowIssue[] } {
  const issues: RowIssue[] = [];
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
    const b = { rowNumbers: draft.ref.rowNumbers, derived: draft.derived, issues: built.issues };
    for (const v of videos) issues.push(...blockedVideoIssues(v.row, bundleRef, b));
  }
  for (const bundleRef of withoutRow) {
    bundles.set(bundleRef, {
      row: null,
      bundleRef,
      externalRef: options.prefix + bundleRef,
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
  return { bundles, issues };
}

/**
 * A bundle with videos but no slot to order: TokPortal refuses to create it (`videos_quantity` must be
 * above 0 for every type but account_only). `namedBy` are the videos rows naming the bundle, all invalid.
 */
function noVideosFinding(draft: BundleDraft, namedBy: readonly number[]): Finding {
  return finding("bundle_without_videos", "video_slots", {
    bundleRef: draft.input.bundle_ref,
    bundleType: draft.type,
    videoSlots: draft.input.video_slots ?? null,
    namedBy,
    singleTable: draft.derived,
  });
}

function buildBundle(
  draft: BundleDraft,
  videos: DesiredVideo[],
  namedBy: readonly number[],
  options: DesiredOptions,
): { bundle: DesiredBundle } | { issues: Finding[] } {
  const { input, type } = draft;
  const issues: Finding[] = [];
  const slots = type === "account_only" ? 0 : Math.max(videos.length, input.video_slots ?? 0);
  const create: CreateBundleBody = { bundle_type: type };
  if (draft.platform !== undefined) create.platform = draft.platform;
  // A follow-up's account_id is its named row's delivered account: the planner fills it in (accountRef).
  if (type === "videos_only") {
    if (input.account_id !== undefined) create.account_id = input.account_id;
  } else if (input.country !== undefined) create.country = tokportalCountry(input.country);
  if (input.title !== undefined) create.title = input.title;
  if (input.auto_finalize_videos !== undefined) create.auto_finalize_videos = input.auto_finalize_videos;
  create.external_ref = options.prefix + input.bundle_ref;
  create.videos_quantity = slots;
  if (input.edit_slots !== undefined) create.edits_quantity = input.edit_slots;
  Object.assign(create, draft.warming);
  addSpecFindings(
    issues,
    specFindings(theSpec().validateBody("createBundle", create).issues, BUNDLE_FIELD_COLUMNS),
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
      ? noVideosFinding(draft, namedBy)
      : input.edit_slots !== undefined && input.edit_slots > slots
        ? finding("edit_slots_over_video_slots", "edit_slots", {
            editSlots: input.edit_slots,
            videoSlots: slots,
            known: "sheet",
          })
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
      ...(draft.accountReview ? { accountReview: draft.accountReview } : {}),
      ...(input.publish === false ? { pullBack: true } : {}),
      minSlots,
      ...(createRefused ? { createRefused } : {}),
      ...(input.account_bundle_ref !== undefined ? { accountRef: input.account_bundle_ref } : {}),
      fingerprint: fingerprintOf({
        create: sent,
        accountRef: input.account_bundle_ref,
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
