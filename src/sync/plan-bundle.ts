/**
 * One bundle's part of the plan: look it up by external_ref, create or adjust it, place and configure its
 * videos, publish it, report its orphan slots. Pure: it reads the desired and actual state and returns its
 * ops and its notes about rows; the budget is decided later, over all bundles in sheet order, and the rows'
 * outcomes are gathered from what every bundle returned (plan-rows.ts).
 *
 * Op order inside a bundle is the apply order: create → video slots → edit slots → settings → account →
 * configures → ref patches → bundle publish → configures of rows that must stay unreleased → video publish →
 * download fixes → video reviews → account review → pull backs (unschedule, unpublish) → orphan unschedules.
 */

import { finding, reasoned } from "../findings/index.ts";
import {
  accountOp,
  addEditSlotsOp,
  addSlotsOp,
  createOp,
  lockImmutables,
  noteSlotFloor,
  patchBundleOp,
} from "./plan-bundle-row.ts";
import { countryRefused, deliveredOutputs, endedNotes, type Held } from "./plan-orders.ts";
import {
  publishBlockers,
  publishBundleOp,
  publishVideosOp,
  waitForBlockers,
  wantsBundlePublish,
} from "./plan-publish.ts";
import { pullBackBundle, pullBackVideo } from "./plan-pullback.ts";
import { downloadFix, downloadFixLanded, fixCompanions, reviewAccount, reviewVideo } from "./plan-reviews.ts";
import {
  type BundleDecisions,
  type IssueStatus,
  isBlocking,
  issue,
  type RowNote,
  worse,
} from "./plan-rows.ts";
import { type Assignment, assignSlots } from "./plan-slots.ts";
import { checkSchedule, configureOps, decideVideo } from "./plan-videos.ts";
import {
  accountStatus,
  type BundleView,
  type Candidate,
  CLEARABLE_SLOT,
  CLOSED_BUNDLE,
} from "./plan-view.ts";
import type {
  ActualBundle,
  ActualState,
  DesiredBundle,
  DesiredVideo,
  PlannedRow,
  PlanOp,
  PlanOptions,
  RowRef,
} from "./types.ts";

export interface BundleInputs {
  desired: DesiredBundle;
  /** Remote bundles carrying this bundle's external_ref. */
  matches: readonly ActualBundle[];
  today: string;
  options: PlanOptions;
  /** Every video_ref the sheet has for this bundle (valid rows and rows with issues) → its row. */
  sheetRefs: ReadonlyMap<string, RowRef>;
  /** The worst desired-state issue of each row that has one. */
  prior: ReadonlyMap<string, IssueStatus>;
  /** A follow-up order that cannot be placed yet (plan-orders.ts): nothing is planned for it. */
  held?: Held;
  /** `/countries`' videos-only list, when it was read (a new account there is refused before sending). */
  videosOnlyCountries?: ActualState["videosOnlyCountries"];
}

export interface BundlePlan extends BundleDecisions {
  /** In apply order. */
  ops: PlanOp[];
  /** Sum of the ops' costs. */
  charge: number;
  /** Rows whose outcome may depend on this bundle's ops (the bundle row first, when it has one). */
  rows: RowRef[];
  newSlotRows: string[];
  orphanVideos: string[];
  notes: RowNote[];
}

/** Issue statuses of a bundles row that stop its whole bundle (a `pending` one does not). */
const STOPS_BUNDLE = new Set(["error", "locked", "skipped"]);

/**
 * The notes of one bundle's planning as they are taken, and the worst issue of each row so far (later
 * stages leave a blocked row alone).
 */
class Notes {
  readonly list: RowNote[] = [];
  private readonly worst = new Map<string, IssueStatus>();

  constructor(private readonly prior: ReadonlyMap<string, IssueStatus>) {}

  add(...notes: readonly (RowNote | null)[]): void {
    for (const n of notes) {
      if (n === null) continue;
      this.list.push(n);
      if (n.kind === "issue") this.worst.set(n.row.id, worse(this.worstOf(n.row.id) ?? undefined, n.status));
    }
  }

  worstOf(rowId: string): IssueStatus | null {
    return this.worst.get(rowId) ?? this.prior.get(rowId) ?? null;
  }

  readonly blocked = (rowId: string): boolean => isBlocking(this.worstOf(rowId));
}

export function planBundle(input: BundleInputs): BundlePlan {
  const { desired: b, matches } = input;
  const notes = new Notes(input.prior);
  const plan: BundlePlan = {
    bundleRef: b.bundleRef,
    ops: [],
    charge: 0,
    rows: [],
    newSlotRows: [],
    orphanVideos: [],
    notes: notes.list,
  };
  if (b.row) plan.rows.push(b.row);
  // A row the desired stage already refused never gets a call.
  const videos: DesiredVideo[] = b.videos.filter((v) => !notes.blocked(v.row.id));
  const blockedBy = (row: RowRef, rowStatus: IssueStatus) =>
    finding("bundle_row_blocked", undefined, { rows: row.rowNumbers, rowStatus });

  const rowIssue = b.row ? notes.worstOf(b.row.id) : null;
  if (b.row && rowIssue !== null && STOPS_BUNDLE.has(rowIssue)) {
    for (const v of videos) notes.add(issue(v.row, rowIssue, blockedBy(b.row, rowIssue)));
    return plan;
  }

  if (matches.length > 1) {
    const ids = matches.slice(0, 3).map((m) => m.bundle.id);
    const ambiguous = (seen: "bundle_row" | "video_row" | "video_without_bundle_row") =>
      finding("bundle_ref_ambiguous", "bundle_ref", {
        bundleRef: b.bundleRef,
        count: matches.length,
        ids,
        more: matches.length - ids.length,
        seen,
      });
    if (b.row) notes.add(issue(b.row, "error", ambiguous("bundle_row")));
    const seen = b.row ? "video_row" : "video_without_bundle_row";
    for (const v of videos) notes.add(issue(v.row, "error", ambiguous(seen)));
    return plan;
  }

  const actual = matches[0] ?? null;
  if (actual === null && b.row !== null && input.held) {
    notes.add(issue(b.row, input.held.status, input.held.finding));
    for (const v of videos) notes.add(issue(v.row, input.held.status, blockedBy(b.row, input.held.status)));
    return plan;
  }
  const refusedCountry =
    actual === null && b.row !== null ? countryRefused(b, input.videosOnlyCountries) : null;
  if (refusedCountry && b.row) {
    notes.add(issue(b.row, "error", refusedCountry));
    for (const v of videos) notes.add(issue(v.row, "error", blockedBy(b.row, "error")));
    return plan;
  }
  if (actual === null && (b.row === null || b.create === null)) {
    const unknown = finding("bundle_ref_unknown", "bundle_ref", { externalRef: b.externalRef });
    for (const v of videos) notes.add(issue(v.row, "error", unknown));
    return plan;
  }
  if (actual === null && b.row !== null && b.createRefused) {
    // Only a create would be refused; a bundle TokPortal already has takes the same row as it is.
    notes.add(issue(b.row, "error", b.createRefused));
    for (const v of videos) notes.add(issue(v.row, "error", blockedBy(b.row, "error")));
    return plan;
  }
  if (actual?.readError !== undefined) {
    const failed = finding("bundle_read_failed", undefined, {
      bundleId: actual.bundle.id,
      error: actual.readError,
    });
    if (b.row) notes.add(issue(b.row, "error", failed));
    for (const v of videos) notes.add(issue(v.row, "error", failed));
    return plan;
  }
  if (actual !== null && actual.videos === null) {
    throw new Error(
      `planner: the slots of bundle ${b.bundleRef} (${actual.bundle.id}) were not read; fetchActual reads them for every bundle in play`,
    );
  }
  const ended = actual ? endedNotes({ ...b, videos }, actual) : null;
  if (ended) {
    // Cancelled, or its account banned: shown on its rows, and nothing is sent to it any more.
    notes.add(...ended);
    return plan;
  }
  const remote = actual?.bundle ?? null;
  const view: BundleView = {
    b,
    blocked: notes.blocked,
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
    delivered: actual?.delivered ?? null,
    videos,
  };
  return planPlacedBundle(view, plan, notes);
}

/** The steps for a bundle that exists once on TokPortal, or that this plan creates. */
function planPlacedBundle(view: BundleView, plan: BundlePlan, notes: Notes): BundlePlan {
  const { b } = view;
  if (b.row) {
    notes.add({
      kind: "remote",
      row: b.row,
      values: {
        bundle_id: view.bundleId,
        bundle_status: view.isNew ? null : view.status,
        account_status: accountStatus(view),
        ...deliveredOutputs(view.remote, view.delivered),
        // The cell as read: apply adds this run's charge to it.
        ...(b.outputs["credits_charged"] ? { credits_charged: b.outputs["credits_charged"] } : {}),
      },
    });
  }
  const locks = lockImmutables(view);
  notes.add(...locks);
  const rowLocked = locks.length > 0;
  const placeable = view.type === "account_only" ? [] : view.videos;
  if (view.type === "account_only") {
    // Refused by the desired stage when the sheet says account_only; here TokPortal says so.
    const refused = finding("no_videos_on_account_only", "bundle_ref", {
      bundleRef: b.bundleRef,
      known: "tokportal",
    });
    for (const v of view.videos) notes.add(issue(v.row, "error", refused));
  }
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
    if (e) notes.add(issue(v.row, "error", e));
  }
  const placed = placeable.filter((v) => slots.assigned.has(v.row.id) && !notes.blocked(v.row.id));
  const candidates: Candidate[] = [];
  const patches: PlanOp[] = [];
  // Reviews, download fixes and pull backs (plan-reviews.ts, plan-pullback.ts) go after the releases.
  const bundleBack = pullBackBundle(view);
  notes.add(...bundleBack.notes);
  const unpublishing = bundleBack.op !== null;
  const afterRelease: PlanOp[] = [];
  const pulled: PlanOp[] = [];
  for (const v of placed) {
    const assigned = slots.assigned.get(v.row.id)!;
    const own = assigned.byRef ? assigned.video : null;
    if (own) {
      const back = pullBackVideo(view, v, own, unpublishing);
      if (back) notes.add(...back.notes);
      if (back?.op) {
        // The slot is cleared: the row is configured again by the next run.
        pulled.push(back.op);
        continue;
      }
      const fix = downloadFix(view, v, own);
      const review = reviewVideo(view, v, own, fix !== null);
      notes.add(...review.notes);
      if (fix) {
        // The row's other changes go first (description, name) or are named as not sent.
        const companions = fixCompanions(view, v, own);
        notes.add(...companions.notes);
        if (companions.op) afterRelease.push(companions.op);
        afterRelease.push(fix);
      }
      if (review.op) afterRelease.push(review.op);
      if (fix || downloadFixLanded(v, own)) continue;
    }
    const decided = decideVideo(view, v, assigned);
    notes.add(...decided.notes);
    if (decided.op) patches.push(decided.op);
    if (decided.candidate) candidates.push(decided.candidate);
  }
  const schedule = checkSchedule(view, candidates);
  notes.add(...schedule.notes);
  const configures = schedule.accepted;

  // Every configured row's slot must exist, and `video_slots` is a floor. (A closed or account_only
  // bundle has no candidates: decideVideo locks them and account_only rows were refused above.)
  const addable = !CLOSED_BUNDLE.has(view.status) && view.type !== "account_only";
  const needed = Math.max(b.minSlots, ...configures.map((c) => c.slot.position));

  const ops: PlanOp[] = [];
  const push = (op: PlanOp | null) => {
    if (op) ops.push(op);
  };
  const take = (decided: { op: PlanOp | null; notes: RowNote[] }) => {
    notes.add(...decided.notes);
    push(decided.op);
  };
  if (view.isNew) push(createOp(view, Math.max(existing, needed)));
  else if (addable && needed > existing) push(addSlotsOp(view, needed - existing, configures, existing));
  if (!rowLocked) {
    take(addEditSlotsOp(view, addable ? Math.max(existing, needed) : existing));
    notes.add(noteSlotFloor(view));
    take(patchBundleOp(view));
    take(accountOp(view));
  }

  // A locked bundle row (a fixed field, or a profile TokPortal refuses) gets no publish either.
  const publishWanted = wantsBundlePublish(view, b.row !== null && notes.blocked(b.row.id));
  const released = publishWanted ? configures.filter((c) => c.v.publish) : configures;
  const blockers = publishWanted ? publishBlockers(view, released) : null;
  const publishing = blockers !== null && blockers.fields.length === 0 && !blockers.needsVideo;
  // A bundle publish releases every configured slot: rows that say publish=no are configured after it.
  const first = publishing ? released : configures;
  const later = publishing ? configures.filter((c) => !c.v.publish) : [];
  ops.push(...configureOps(view, first, 1));
  ops.push(...patches);
  if (publishing) ops.push(publishBundleOp(view, first));
  else if (blockers !== null) notes.add(waitForBlockers(view, blockers));
  ops.push(...configureOps(view, later, ops.filter((o) => o.kind === "configureVideos").length + 1));
  if (!unpublishing) take(publishVideosOp(view, configures, publishing));
  ops.push(...afterRelease);
  if (!rowLocked) take(reviewAccount(view));
  ops.push(...pulled);
  push(bundleBack.op);
  const orphans = orphanOps(view, slots.assigned);
  plan.orphanVideos.push(...orphans.refs);
  ops.push(...orphans.ops);

  for (const c of configures) if (c.slot.isNew) plan.newSlotRows.push(c.v.row.id);
  for (const v of placed) {
    if (notes.blocked(v.row.id)) continue;
    const a = slots.assigned.get(v.row.id)!;
    if (a.byRef && v.position !== undefined && v.position !== a.position) {
      const kept = finding("position_kept", "position", {
        videoRef: v.videoRef,
        slot: a.position,
        position: v.position,
      });
      notes.add({ kind: "info", row: v.row, finding: kept });
    }
    plan.rows.push(v.row);
    const video_status = a.video?.status ?? (view.isNew ? null : "pending");
    notes.add({
      kind: "remote",
      row: v.row,
      values:
        a.video === null && video_status === null
          ? emptySlotOutputs(a.position)
          : {
              video_id: a.video?.id ?? null,
              position: a.position,
              video_status,
              platform_url: a.video?.platform_url ?? null,
            },
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
  return plan;
}

// ———————————————————————————————————————————————————————————————————————————————————————————————————————
// Slots and orphans

/** Slots the bundle has (or, for a new one, is ordered with) before this plan adds any. */
/**
 * The outputs of a video of a bundle this plan creates: nothing but its position yet. A large campaign's
 * first plan has one per row, so they are shared by position (frozen: the row gatherer copies a frozen
 * record before merging into it); at 400,000 rows one each was 22 MB.
 */
const EMPTY_SLOTS: PlannedRow["remote"][] = [];
function emptySlotOutputs(position: number): PlannedRow["remote"] {
  let values = EMPTY_SLOTS[position];
  if (!values) {
    values = Object.freeze({ video_id: null, position, video_status: null, platform_url: null });
    EMPTY_SLOTS[position] = values;
  }
  return values;
}

function existingSlots(view: BundleView): number {
  if (view.isNew) return view.b.create?.videos_quantity ?? 0;
  const maxPosition = Math.max(0, ...view.slots.map((v) => v.position));
  return Math.max(maxPosition, view.remote?.videos_quantity ?? 0);
}

/**
 * Slots carrying a ref the sheet no longer has for this bundle are reported; with `prune` they are
 * unscheduled while TokPortal allows it (destructive: the slot loses its content).
 */
function orphanOps(
  view: BundleView,
  assigned: ReadonlyMap<string, Assignment>,
): { ops: PlanOp[]; refs: string[] } {
  const { b } = view;
  const ops: PlanOp[] = [];
  const refs: string[] = [];
  const taken = new Set([...assigned.values()].map((a) => a.position));
  for (const s of view.slots) {
    const ref = s.external_ref ?? "";
    if (ref === "" || view.sheetRefs.has(ref) || taken.has(s.position)) continue;
    refs.push(`${b.bundleRef}/${ref}`);
    if (!view.options.prune || !CLEARABLE_SLOT.has(s.status) || CLOSED_BUNDLE.has(view.status)) continue;
    ops.push({
      kind: "unscheduleVideo",
      id: `${b.bundleRef}:unscheduleVideo:${s.position}`,
      bundleRef: b.bundleRef,
      bundleId: view.bundleId,
      rows: [],
      ...reasoned("prune", { videoRef: ref, position: s.position, status: s.status }),
      cost: 0,
      position: s.position,
    });
  }
  return { ops, refs };
}
