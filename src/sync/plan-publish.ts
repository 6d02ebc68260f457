/**
 * Publishing: a bundle whose row says publish goes to the account manager once it
 * is ready; on an active bundle, videos whose rows say publish are released with one publish-all when every
 * configured slot should go, else one by one. What still blocks a publish is a `pending` message in sheet
 * words.
 */
import { finding, reasoned } from "../findings/index.ts";
import type { Decided, RowNote } from "./plan-rows.ts";
import { ACTIVE_BUNDLE, type BundleView, type Candidate, slotCarrying } from "./plan-view.ts";
import type { PlanOp, RowRef } from "./types.ts";

/** What still stops a bundle publish: profile columns to fill, and whether a configured video is missing. */
export interface PublishBlockers {
  fields: string[];
  needsVideo: boolean;
}

/** The bundle row asks for a publish TokPortal would accept now (the bundle is still being set up). */
export function wantsBundlePublish(view: BundleView, rowBlocked: boolean): boolean {
  return view.b.row !== null && view.b.publish && !rowBlocked && view.status === "pending_setup";
}

/**
 * What still stops a bundle publish once this plan's configures before it are done (docs/tokportal-api.md):
 * a complete account, and a configured video unless account_only. In sheet words.
 */
export function publishBlockers(view: BundleView, configuresBefore: readonly Candidate[]): PublishBlockers {
  const blockers: PublishBlockers = { fields: [], needsVideo: false };
  if (view.type !== "videos_only") {
    const want = view.b.account;
    const have = view.account;
    for (const f of ["username", "visible_name", "biography"] as const) {
      if (!want?.[f] && !have?.[f]) blockers.fields.push(f);
    }
    if (!view.b.profilePicture && !want?.profile_picture_url && !have?.profile_picture_url) {
      blockers.fields.push("profile_picture");
    }
  }
  if (view.type !== "account_only") {
    const configured = view.slots.filter((s) => s.status === "configured").length;
    if (configured + configuresBefore.length === 0) blockers.needsVideo = true;
  }
  return blockers;
}

/** The bundle publish; it also releases every slot configured by then (rows saying publish included). */
export function publishBundleOp(view: BundleView, released: readonly Candidate[]): PlanOp {
  const { b } = view;
  const rows = [b.row!.id, ...released.map((c) => c.v.row.id)];
  for (const v of view.videos) {
    if (v.publish && slotCarrying(view, v.videoRef)?.status === "configured" && !rows.includes(v.row.id)) {
      rows.push(v.row.id);
    }
  }
  return {
    kind: "publishBundle",
    id: `${b.bundleRef}:publishBundle`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows,
    ...reasoned("publish_bundle", {}),
    cost: 0,
  };
}

export function waitForBlockers(view: BundleView, blockers: PublishBlockers): RowNote {
  const waits = finding("publish_waits", undefined, {
    fields: blockers.fields,
    needsVideo: blockers.needsVideo,
  });
  return { kind: "waiting", row: view.b.row!, finding: waits };
}

/**
 * Rows saying publish whose slot is (or will be) configured: released on an active bundle; on a bundle still
 * being set up and not published by this plan they are synced, with a note that the release waits for it.
 */
export function publishVideosOp(
  view: BundleView,
  configures: readonly Candidate[],
  bundlePublishing: boolean,
): Decided {
  const { b } = view;
  const notes: RowNote[] = [];
  const byRow = new Map(configures.map((c) => [c.v.row.id, c]));
  const wanted: Array<{ row: RowRef; position: number }> = [];
  for (const v of view.videos) {
    if (!v.publish || view.blocked(v.row.id)) continue;
    const c = byRow.get(v.row.id);
    const slot = c ? null : slotCarrying(view, v.videoRef);
    if (!c && slot?.status !== "configured") continue;
    const position = c ? c.slot.position : slot!.position;
    if (ACTIVE_BUNDLE.has(view.status)) wanted.push({ row: v.row, position });
    else if (view.status === "pending_setup" && !bundlePublishing) {
      const hint = !b.row ? "publish_on_tokportal" : b.publish ? "see_bundle_row" : "set_publish";
      // The row itself is in sync (its ops succeed); the release is the bundle's business.
      const waits = finding("release_waits_for_bundle", undefined, {
        bundleRef: b.bundleRef,
        hint,
        rows: b.row?.rowNumbers ?? [],
      });
      notes.push({ kind: "info", row: v.row, finding: waits });
    }
  }
  if (wanted.length === 0) return { op: null, notes };
  // What publish-all would release when this op runs: every configured slot, the plan's included.
  const configuredThen = new Set<number>(configures.map((c) => c.slot.position));
  for (const s of view.slots) if (s.status === "configured") configuredThen.add(s.position);
  const positions = wanted.map((w) => w.position).sort((x, y) => x - y);
  const all = positions.length === configuredThen.size && positions.every((p) => configuredThen.has(p));
  const op: PlanOp = {
    kind: "publishVideos",
    id: `${b.bundleRef}:publishVideos`,
    bundleRef: b.bundleRef,
    bundleId: view.bundleId,
    rows: wanted.map((w) => w.row.id),
    ...reasoned("publish_videos", { rows: wanted.flatMap((w) => w.row.rowNumbers), all, positions }),
    cost: 0,
    positions,
    all,
  };
  return { op, notes };
}
