/**
 * One bundle's part of the plan (issue 5 "Plan"): look it up by external_ref, create or adjust it, place
 * and configure its videos, publish it, report its orphan slots. Pure: it reads the desired and actual
 * state and writes ops and row outcomes; the budget is decided later, over all bundles in sheet order.
 *
 * Op order inside a bundle is the apply order: create → video slots → edit slots → settings → account →
 * configures → ref patches → bundle publish → configures of rows that must stay unreleased → video publish →
 * unschedule.
 */

import { renderFinding } from "../findings/index.ts";
import {
  accountOp,
  addEditSlotsOp,
  addSlotsOp,
  createOp,
  lockImmutables,
  noteSlotFloor,
  patchBundleOp,
} from "./plan-bundle-row.ts";
import {
  publishBlockers,
  publishBundleOp,
  publishVideosOp,
  waitForBlockers,
  wantsBundlePublish,
} from "./plan-publish.ts";
import { type RowBook, rowWords, where } from "./plan-rows.ts";
import { type Assignment, assignSlots } from "./plan-slots.ts";
import { checkSchedule, configureOps, decideVideo } from "./plan-videos.ts";
import {
  accountStatus,
  type BundleView,
  type Candidate,
  CLEARABLE_SLOT,
  CLOSED_BUNDLE,
} from "./plan-view.ts";
import type { ActualBundle, DesiredBundle, DesiredVideo, PlanOp, PlanOptions, RowRef } from "./types.ts";

export interface BundleInputs {
  desired: DesiredBundle;
  /** Remote bundles carrying this bundle's external_ref. */
  matches: readonly ActualBundle[];
  today: string;
  options: PlanOptions;
  /** Every video_ref the sheet has for this bundle (valid rows and rows with issues) → its row. */
  sheetRefs: ReadonlyMap<string, RowRef>;
  book: RowBook;
}

export interface BundlePlan {
  bundleRef: string;
  /** In apply order. */
  ops: PlanOp[];
  /** Sum of the ops' costs. */
  charge: number;
  /** Rows whose outcome may depend on this bundle's ops (the bundle row first, when it has one). */
  rows: RowRef[];
  /** Rows placed on slots this plan buys (their position is only a promise). */
  newSlotRows: string[];
  orphanVideos: string[];
}

/** Issue statuses of a bundles row that stop its whole bundle (a `pending` one does not). */
const STOPS_BUNDLE = new Set(["error", "locked", "skipped"]);

export function planBundle(input: BundleInputs): BundlePlan {
  const { desired: b, matches, book } = input;
  const plan: BundlePlan = {
    bundleRef: b.bundleRef,
    ops: [],
    charge: 0,
    rows: [],
    newSlotRows: [],
    orphanVideos: [],
  };
  if (b.row) {
    book.track(b.row, b.fingerprint);
    plan.rows.push(b.row);
  }
  const videos: DesiredVideo[] = [];
  for (const v of b.videos) {
    book.track(v.row, v.fingerprint);
    // A row the desired stage already refused never gets a call.
    if (!book.blocked(v.row.id)) videos.push(v);
  }

  const rowIssue = b.row ? book.worst(b.row.id) : null;
  if (rowIssue !== null && STOPS_BUNDLE.has(rowIssue)) {
    for (const v of videos) {
      book.issue(
        v.row,
        rowIssue,
        `${where(v.row)}: not synced because its bundles row (${rowWords([b.row!])}) is ${rowIssue}; fix that row first`,
      );
    }
    return plan;
  }

  if (matches.length > 1) {
    const shown = matches.slice(0, 3).map((m) => m.bundle.id);
    const more = matches.length - shown.length;
    const ids = `${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
    const what = `bundle_ref ${b.bundleRef} matches ${matches.length} bundles on TokPortal (ids ${ids})`;
    if (b.row) {
      book.issue(
        b.row,
        "error",
        `${where(b.row, "bundle_ref")}: ${what}; ask support to clear the duplicate external_ref, or rename this row`,
      );
    }
    for (const v of videos) {
      const fix = b.row ? "blocked: " : "";
      const then = b.row ? "see its bundles row" : "ask support to clear the duplicate external_ref";
      book.issue(v.row, "error", `${where(v.row, "bundle_ref")}: ${fix}${what}; ${then}`);
    }
    return plan;
  }

  const actual = matches[0] ?? null;
  if (actual === null && (b.row === null || b.create === null)) {
    for (const v of videos) {
      book.issue(
        v.row,
        "error",
        `${where(v.row, "bundle_ref")}: no bundles row and no bundle on TokPortal with external_ref ${b.externalRef}; add a bundles row or fix bundle_ref`,
      );
    }
    return plan;
  }
  if (actual === null && b.row !== null && b.createRefused) {
    // Only a create would be refused; a bundle TokPortal already has takes the same row as it is.
    book.issue(b.row, "error", renderFinding(b.row.rowNumbers, b.createRefused));
    for (const v of videos) {
      book.issue(
        v.row,
        "error",
        `${where(v.row)}: not synced because its bundles row (${rowWords([b.row])}) is error; fix that row first`,
      );
    }
    return plan;
  }
  if (actual?.readError !== undefined) {
    const what = `TokPortal did not answer the read of bundle ${actual.bundle.id} (${actual.readError}); nothing was changed for it this run, and the next run tries again`;
    if (b.row) book.issue(b.row, "error", `${where(b.row)}: ${what}`);
    for (const v of videos) book.issue(v.row, "error", `${where(v.row)}: ${what}`);
    return plan;
  }
  if (actual !== null && actual.videos === null) {
    throw new Error(
      `planner: the slots of bundle ${b.bundleRef} (${actual.bundle.id}) were not read; fetchActual reads them for every bundle in play`,
    );
  }
  const remote = actual?.bundle ?? null;
  const view: BundleView = {
    b,
    book,
    options: input.options,
    today: input.today,
    sheetRefs: input.sheetRefs,
    isNew: remote === null,
    remote,
    status: remote ? (remote.status ?? "") : "pending_setup",
    type: remote?.bundle_type ?? b.create?.bundle_type ?? "account_and_videos",
    bundleId: remote?.id ?? null,
    slots: actual?.videos ?? [],
    account: actual?.account ?? null,
    videos,
  };
  return planPlacedBundle(view, plan);
}

/** The steps for a bundle that exists once on TokPortal, or that this plan creates. */
function planPlacedBundle(view: BundleView, plan: BundlePlan): BundlePlan {
  const { b, book } = view;
  if (b.row) {
    book.remote(b.row, {
      bundle_id: view.bundleId,
      bundle_status: view.isNew ? null : view.status,
      account_status: accountStatus(view),
      // The cell as read: apply adds this run's charge to it (H3).
      ...(b.outputs["credits_charged"] ? { credits_charged: b.outputs["credits_charged"] } : {}),
    });
  }
  const rowLocked = lockImmutables(view);
  const placeable = rejectVideosOnAccountOnly(view);
  const existing = existingSlots(view);
  const slots = assignSlots({
    bundleRef: b.bundleRef,
    existing,
    videos: view.slots,
    rows: placeable,
    sheetRefs: view.sheetRefs,
  });
  for (const v of placeable) {
    const e = slots.errors.get(v.row.id);
    if (e) book.issue(v.row, "error", e.message);
  }
  const placed = placeable.filter((v) => slots.assigned.has(v.row.id) && !book.blocked(v.row.id));
  const candidates: Candidate[] = [];
  const patches: PlanOp[] = [];
  for (const v of placed) {
    const decided = decideVideo(view, v, slots.assigned.get(v.row.id)!);
    if (decided === null) continue;
    if ("kind" in decided) patches.push(decided);
    else candidates.push(decided);
  }
  const configures = checkSchedule(view, candidates);

  // Every configured row's slot must exist, and `video_slots` is a floor. (A closed or account_only
  // bundle has no candidates: decideVideo locks them and account_only rows were refused above.)
  const addable = !CLOSED_BUNDLE.has(view.status) && view.type !== "account_only";
  const needed = Math.max(b.minSlots, ...configures.map((c) => c.slot.position));

  const ops: PlanOp[] = [];
  const push = (op: PlanOp | null) => {
    if (op) ops.push(op);
  };
  if (view.isNew) push(createOp(view, Math.max(existing, needed)));
  else if (addable && needed > existing) push(addSlotsOp(view, needed - existing, configures, existing));
  if (!rowLocked) {
    push(addEditSlotsOp(view, addable ? Math.max(existing, needed) : existing));
    noteSlotFloor(view);
    push(patchBundleOp(view));
    push(accountOp(view));
  }

  // A locked bundle row (a fixed field, or a profile TokPortal refuses) gets no publish either.
  const publishWanted = wantsBundlePublish(view, b.row !== null && book.blocked(b.row.id));
  const released = publishWanted ? configures.filter((c) => c.v.publish) : configures;
  const blockers = publishWanted ? publishBlockers(view, released) : [];
  const publishing = publishWanted && blockers.length === 0;
  // A bundle publish releases every configured slot: rows that say publish=no are configured after it.
  const first = publishing ? released : configures;
  const later = publishing ? configures.filter((c) => !c.v.publish) : [];
  ops.push(...configureOps(view, first, 1));
  ops.push(...patches);
  if (publishing) ops.push(publishBundleOp(view, first));
  else if (publishWanted) waitForBlockers(view, blockers);
  ops.push(...configureOps(view, later, ops.filter((o) => o.kind === "configureVideos").length + 1));
  push(publishVideosOp(view, configures, publishing));
  ops.push(...orphanOps(view, slots.assigned, plan));

  for (const c of configures) if (c.slot.isNew) plan.newSlotRows.push(c.v.row.id);
  for (const v of placed) {
    if (book.blocked(v.row.id)) continue;
    const a = slots.assigned.get(v.row.id)!;
    if (a.byRef && v.position !== undefined && v.position !== a.position) {
      book.info(
        v.row,
        `${where(v.row, "position")}: video ${v.videoRef} is on slot ${a.position} on TokPortal and keeps it; position ${v.position} was not applied`,
      );
    }
    plan.rows.push(v.row);
    book.remote(v.row, {
      video_id: a.video?.id ?? null,
      position: a.position,
      video_status: a.video?.status ?? (view.isNew ? null : "pending"),
      platform_url: a.video?.platform_url ?? null,
    });
  }
  // Everything of a new bundle depends on its creation.
  const create = ops.find((op) => op.kind === "createBundle");
  if (create) {
    const served = new Set(ops.flatMap((op) => op.rows));
    if (b.row) served.delete(b.row.id);
    create.rows = [...(b.row ? [b.row.id] : []), ...served];
  }
  plan.ops = ops;
  plan.charge = ops.reduce((sum, op) => sum + op.cost, 0);
  for (const op of ops) book.serve(op.rows, op.id);
  return plan;
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// Slots and orphans

function rejectVideosOnAccountOnly(view: BundleView): readonly DesiredVideo[] {
  if (view.type !== "account_only") return view.videos;
  for (const v of view.videos) {
    view.book.issue(
      v.row,
      "error",
      `${where(v.row, "bundle_ref")}: bundle ${view.b.bundleRef} is account_only, which takes no videos; move this video to another bundle or change the bundle's bundle_type`,
    );
  }
  return [];
}

/** Slots the bundle has (or, for a new one, is ordered with) before this plan adds any. */
function existingSlots(view: BundleView): number {
  if (view.isNew) return view.b.create?.videos_quantity ?? 0;
  const maxPosition = Math.max(0, ...view.slots.map((v) => v.position));
  return Math.max(maxPosition, view.remote?.videos_quantity ?? 0);
}

/**
 * Slots carrying a ref the sheet no longer has for this bundle are reported; with `prune` they are
 * unscheduled while TokPortal allows it (destructive: the slot loses its content).
 */
function orphanOps(view: BundleView, assigned: ReadonlyMap<string, Assignment>, plan: BundlePlan): PlanOp[] {
  const { b } = view;
  const ops: PlanOp[] = [];
  const taken = new Set([...assigned.values()].map((a) => a.position));
  for (const s of view.slots) {
    const ref = s.external_ref ?? "";
    if (ref === "" || view.sheetRefs.has(ref) || taken.has(s.position)) continue;
    plan.orphanVideos.push(`${b.bundleRef}/${ref}`);
    if (!view.options.prune || !CLEARABLE_SLOT.has(s.status) || CLOSED_BUNDLE.has(view.status)) continue;
    ops.push({
      kind: "unscheduleVideo",
      id: `${b.bundleRef}:unscheduleVideo:${s.position}`,
      bundleRef: b.bundleRef,
      bundleId: view.bundleId,
      rows: [],
      reason: `prune: video ${ref} (slot ${s.position}, ${s.status}) is no longer in the sheet`,
      cost: 0,
      position: s.position,
    });
  }
  return ops;
}
