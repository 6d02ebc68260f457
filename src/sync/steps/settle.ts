/**
 * What the steps share: the state that goes into a free step's key, and how an answer is booked on the
 * rows (ids, statuses, the money, dates TokPortal moved).
 */
import type { Bundle } from "../../api/index.ts";
import { type Finding, finding } from "../../findings/index.ts";
import type { RowOutcomes } from "../apply-results.ts";
import type { PlanOp } from "../types.ts";
import type { Answer, KeyContext, StepOutcome } from "./step.ts";

/** The bundle's TokPortal id; the apply checks it exists before any step but a create runs. */
export function bundleIdOf(ctx: KeyContext): string {
  return ctx.bundle.id as string;
}

/**
 * What a free, state-setting step changes from: the plan that decided it (when, and from which sheet and
 * remote state), each served row's stored `sync_fingerprint` and the remote values the planner read. It
 * goes into the key with the body, so a row undone A→B→A (or A→B→A→B: the same change from the same
 * cells, which only the time and the remote state tell apart) is sent again instead of being answered
 * from the store; a retry within the run keeps its key. Sending such a step again is harmless: it sets
 * state and charges nothing, and a rerun after a crash reads the state afresh anyway.
 */
export function fromState(ctx: KeyContext, rowIds: readonly string[]): unknown {
  return [
    ctx.plan.createdAt,
    ctx.plan.inputsFingerprint,
    rowIds.map((rowId) => [
      rowId,
      ctx.stored?.get(rowId)?.sync_fingerprint ?? null,
      ctx.book.planned(rowId)?.remote ?? null,
    ]),
  ];
}

/**
 * The planned fingerprints of the rows a release serves. TokPortal stores refusals under their key, and
 * a release repeated later (after a fix, or after the slot was cleared and filled again) must be asked
 * anew, not answered from the store; a rerun after a crash reads the state and needs no replay here.
 */
export function rowState(ctx: KeyContext, op: PlanOp): Array<string | null> {
  return op.rows.map((rowId) => ctx.book.planned(rowId)?.fingerprint ?? null);
}

/** `bundle_ref/video_ref` when the op serves one videos row, else the bundle's ref. */
export function videoRef(op: PlanOp): string {
  const only = op.rows.length === 1 ? op.rows[0] : undefined;
  return only?.startsWith("v:") ? only.slice(2) : op.bundleRef;
}

export function bundleRowOf(ctx: KeyContext, op: PlanOp): string | undefined {
  const id = `b:${op.bundleRef}`;
  return ctx.book.has(id) ? id : undefined;
}

/**
 * The `credits_charged` the sheet already shows for the bundle: the planner's value, else the stored cell
 * (a single-table bundle keeps it on its first videos row). Null when the cell is empty.
 */
function previousCharge(ctx: KeyContext, rowId: string | undefined): number | null {
  if (!rowId) return null;
  const cell = ctx.book.value(rowId, "credits_charged") ?? ctx.stored?.get(rowId)?.credits_charged;
  if (cell === undefined || cell === null || cell === "") return null;
  const n = Number(cell);
  return Number.isFinite(n) ? n : null;
}

/**
 * The money side of a charged step's answer, booked on the bundle row. A replay on the first attempt is
 * an earlier run's charge (shown in `credits_charged` if the sheet never got it, not counted for this
 * run); a replay on a retry is this run's own call whose first answer was lost, so it counts.
 */
export function bookCharge(ctx: KeyContext, op: PlanOp, res: Answer): StepOutcome {
  const bundleRow = bundleRowOf(ctx, op);
  const price = res.charge.credits_charged ?? op.cost;
  const charged = res.thisRun ? price : 0;
  // Only a create can be an earlier run's charge that never reached the sheet: a lost slot or batch
  // answer is read back by the next plan and not sent again.
  const recorded =
    op.kind === "createBundle" && !res.thisRun && (previousCharge(ctx, bundleRow) ?? 0) === 0 ? price : 0;
  if (bundleRow) ctx.book.charge(bundleRow, charged, recorded, previousCharge(ctx, bundleRow));
  return {
    charged,
    remaining: res.replayed ? null : (res.charge.credits_remaining ?? null),
    replayed: res.replayed,
  };
}

/** A bundle's answer on the bundle row; the op's videos rows that have not failed are marked changed. */
export function mergeBundle(book: RowOutcomes, op: PlanOp, b: Bundle): void {
  for (const rowId of op.rows) {
    if (!rowId.startsWith("b:")) {
      if (!book.failed(rowId)) book.merge(rowId, {});
      continue;
    }
    book.merge(rowId, {
      bundle_id: b.id,
      bundle_status: b.status ?? undefined,
      account_status: b.account_status ?? undefined,
    });
  }
}

/** Videos rows of this bundle whose slot is configured before any publish of this run (per the plan). */
export function initiallyConfigured(book: RowOutcomes, bundleRef: string): Set<string> {
  const out = new Set<string>();
  for (const rowId of book.videoRowsOf(bundleRef)) {
    if (book.value(rowId, "video_status") === "configured") out.add(rowId);
  }
  return out;
}

/** The rows at a position: among the op's rows, or the bundle's videos rows when the op names none. */
export function rowsAt(book: RowOutcomes, op: PlanOp, position: number): string[] {
  const candidates = op.rows.length > 0 ? op.rows : book.videoRowsOf(op.bundleRef);
  return candidates.filter((rowId) => Number(book.value(rowId, "position")) === position);
}

export interface AdjustedVideo {
  video_id?: string | null;
  position?: number | null;
  previous_date?: string | null;
  new_date?: string | null;
}

/** Dates TokPortal moved (they had become too soon), noted on the rows of those videos. */
export function noteAdjusted(book: RowOutcomes, bundleRef: string, adjusted: AdjustedVideo[]): void {
  for (const a of adjusted) {
    if (!a.previous_date || !a.new_date) continue;
    const row = book.videoRowsOf(bundleRef).find((rowId) => {
      const videoId = book.value(rowId, "video_id");
      if (a.video_id && videoId === a.video_id) return true;
      return a.position != null && Number(book.value(rowId, "position")) === a.position;
    });
    if (row) book.note(row, movedDate(a.previous_date, a.new_date));
  }
}

export function movedDate(from: string, to: string): Finding {
  return finding("date_moved_by_tokportal", undefined, { from, to });
}
