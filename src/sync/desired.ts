/**
 * The desired state: typed rows → validated bundles and videos, with every sheet-only problem turned into a
 * row issue before any call is made. Pure apart from `classifyMedia`'s stat of local media files.
 *
 * What is checked here needs only the sheet: required fields per bundle and video type, the username
 * pattern, platform-only columns, spec limits (the compiled validators of spec/tokportal-openapi.yaml).
 * What needs TokPortal's answer (lead time, videos per day, free slots, statuses) is the planner's.
 *
 * The phases, each in its own module under desired/, each returning its issues: the problems found while
 * coercing, on their rows (1); bundles on their own cells (A, bundle-cells.ts); videos against their
 * bundle's type and platform (B, video-cells.ts); each bundle's create body, which depends on how many of
 * its videos are valid (C, bundle-body.ts). Between A and B, follow-up orders are checked across bundles
 * (follow-ups.ts). A bundle that fails in A or C blocks its videos, and each says so.
 */
import type { TypedCampaign } from "../sources/coerce.ts";
import { buildBundles } from "./desired/bundle-body.ts";
import { checkBundles } from "./desired/bundle-cells.ts";
import { checkFollowUps } from "./desired/follow-ups.ts";
import { checkVideos } from "./desired/video-cells.ts";
import { bundleRowRef, videoRowRef } from "./rows.ts";
import type { DesiredOptions, DesiredState, RowIssue, RowRef } from "./types.ts";

export { videoFingerprint } from "./desired/video-cells.ts";

export function buildDesired(campaign: TypedCampaign, options: DesiredOptions): DesiredState {
  const coerced = coercionIssues(campaign);
  const bundleCells = checkBundles(campaign, options);
  const followUps = checkFollowUps(bundleCells);
  const videoCells = checkVideos(campaign, bundleCells, options);
  const { bundles, issues } = buildBundles(
    campaign,
    bundleCells.drafts,
    videoCells.videosByBundle,
    videoCells.withoutRow,
    options,
  );
  return {
    prefix: options.prefix,
    bundles,
    issues: [...coerced, ...bundleCells.issues, ...followUps, ...videoCells.issues, ...issues],
    bundleRefsWithoutRow: videoCells.withoutRow,
  };
}

/** 1. Problems found while coercing, each on its row (a row without usable refs gets a row id of its own). */
function coercionIssues(campaign: TypedCampaign): RowIssue[] {
  if (campaign.problems.length === 0) return [];
  // Refs only for the rows that have problems: a large clean campaign builds none.
  const withProblems = new Set(campaign.problems.map((p) => `${p.table}:${p.rowNumber}`));
  const refByRow = new Map<string, RowRef>();
  for (const b of campaign.bundles) {
    const id = `bundles:${b.rowNumber}`;
    if (b.table === "bundles" && withProblems.has(id)) refByRow.set(id, bundleRowRef(b));
  }
  for (const v of campaign.videos) {
    const id = `videos:${v.rowNumber}`;
    if (withProblems.has(id)) refByRow.set(id, videoRowRef(v));
  }
  return campaign.problems.map((p) => ({
    row: refByRow.get(`${p.table}:${p.rowNumber}`) ?? {
      id: `row:${p.table}:${p.rowNumber}`,
      table: p.table,
      rowNumbers: [p.rowNumber],
      key: { table: p.table, rowNumber: p.rowNumber },
    },
    status: "error",
    ...(p.column === undefined ? {} : { column: p.column }),
    code: p.code,
    params: p.params,
    message: p.message,
  }));
}
