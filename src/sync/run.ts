/**
 * One sync run: read the sheet → desired state → actual state → plan → (apply → write-back) → report.
 *
 * Level-based: nothing here depends on an earlier run; the sheet and TokPortal are read afresh each time.
 * The run asks TokPortal for prices and the balance only when the plan charges something, so a run with
 * nothing to buy makes no credit calls. A plan-mode run writes nothing anywhere.
 */
import type { TokPortalClient } from "../api/client.ts";
import { coerceCampaign, type DateFormat } from "../sources/coerce.ts";
import { SourceError } from "../sources/errors.ts";
import type { Source } from "../sources/types.ts";
import { type ApplyOptions, applyPlan } from "./apply.ts";
import { buildDesired } from "./desired.ts";
import { planSync } from "./plan.ts";
import { assertPlanCurrent } from "./plan-file.ts";
import { fetchActual } from "./remote.ts";
import type {
  ActualState,
  ApplyReport,
  DesiredState,
  Plan,
  PlannedRow,
  PlanOp,
  RowDefaults,
  RowResult,
  RunReport,
  SyncStatus,
} from "./types.ts";
import { resultPatches } from "./writeback.ts";

export interface RunOptions {
  source: Source;
  client: TokPortalClient;
  prefix: string;
  defaults: RowDefaults;
  maxCredits: number | null;
  prune: boolean;
  mode: "plan" | "apply";
  /** Local media paths in cells are resolved against this directory. */
  baseDir: string;
  dateFormat?: DateFormat;
  /** Bundles applied in parallel (default 4). */
  concurrency?: number;
  /** Apply only: refused unless a fresh plan has the same `inputsFingerprint`. */
  savedPlan?: Plan;
  /** Asked after planning, before applying, only when the plan costs credits; false refuses the run. */
  confirm?: (plan: Plan) => Promise<boolean>;
  onProgress?: ApplyOptions["onProgress"];
  /** Clock for `synced_at` and the plan's timestamp (default: the local clock). */
  now?: () => Date;
}

/** The run stopped before touching TokPortal: the user declined the spend, or the saved plan is stale. */
export class RunRefusedError extends Error {
  constructor(
    readonly reason: "declined" | "stale-plan",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RunRefusedError";
  }
}

const STATUSES: readonly SyncStatus[] = ["synced", "pending", "locked", "error", "skipped"];

/**
 * Ops that can charge credits. With no prices known yet every op is priced 0, so the first plan is asked
 * by kind: a create, more slots, or a volume setting (charged the first time a slot gets one).
 */
function mayCharge(op: PlanOp): boolean {
  if (op.cost > 0 || op.kind === "createBundle" || op.kind === "addVideoSlots") return true;
  if (op.kind !== "configureVideos") return false;
  return op.items.some(
    (i) => i.item.volume_original_sound !== undefined || i.item.volume_added_sound !== undefined,
  );
}

async function planWithPrices(
  o: RunOptions,
  desired: DesiredState,
  actual: ActualState,
  now: string,
): Promise<Plan> {
  const base = { prune: o.prune, maxCredits: o.maxCredits, now };
  const first = planSync(desired, actual, { ...base, costs: {}, balance: null });
  if (!first.ops.some(mayCharge)) return first;
  const [costs, balance] = await Promise.all([o.client.credits.costs(), o.client.credits.balance()]);
  return planSync(desired, actual, { ...base, costs: costs.costs, balance: balance.total_credits });
}

/**
 * What a row shows when nothing was applied: the planner's expectation, with the remote values it knows
 * (and its fingerprint when it is synced with nothing to do, e.g. a row adopted after a crash).
 */
export function plannedResult(p: PlannedRow): RowResult {
  const settled = p.outcome === "synced" && p.ops.length === 0 && p.fingerprint !== null;
  return {
    row: p.row,
    outcome: p.outcome,
    message: p.message,
    values: settled ? { ...p.remote, sync_fingerprint: p.fingerprint } : { ...p.remote },
    changed: false,
    creditsCharged: 0,
  };
}

const rowId = (r: { row: { id: string; rowNumbers: number[] } }): string =>
  `${r.row.id}@${r.row.rowNumbers.join(",")}`;

/** Every planned row's final result: the apply's when it reported the row, else the plan's. */
function finalRows(plan: Plan, apply: ApplyReport): RowResult[] {
  const applied = new Map(apply.rows.map((r) => [rowId(r), r]));
  const out = plan.rows.map((p) => applied.get(rowId(p)) ?? plannedResult(p));
  const planned = new Set(plan.rows.map(rowId));
  for (const r of apply.rows) if (!planned.has(rowId(r))) out.push(r);
  return out;
}

function countOutcomes(rows: RowResult[]): Record<SyncStatus, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<SyncStatus, number>;
  for (const r of rows) counts[r.outcome] += 1;
  return counts;
}

function callsSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(after)) {
    const d = n - (before[op] ?? 0);
    if (d > 0) out[op] = d;
  }
  return out;
}

export async function runSync(o: RunOptions): Promise<RunReport> {
  const clock = o.now ?? (() => new Date());
  const startedAt = clock().toISOString();
  const t0 = performance.now();
  const before = o.client.stats();

  const tables = await o.source.read();
  const fatal = tables.problems.filter((p) => p.fatal);
  if (fatal.length > 0) throw new SourceError(fatal.map((p) => p.message).join(" "));

  const campaign = coerceCampaign(tables, o.dateFormat ? { dateFormat: o.dateFormat } : {});
  const desired = buildDesired(campaign, { prefix: o.prefix, defaults: o.defaults, baseDir: o.baseDir });
  const actual = await fetchActual(o.client, desired);
  const fresh = await planWithPrices(o, desired, actual, clock().toISOString());

  let plan = fresh;
  let apply: ApplyReport | null = null;
  let rows: RowResult[];
  let write: RunReport["write"] = null;

  if (o.mode === "plan") {
    rows = fresh.rows.map(plannedResult);
  } else {
    if (o.savedPlan) {
      try {
        assertPlanCurrent(o.savedPlan, fresh);
      } catch (err) {
        throw new RunRefusedError("stale-plan", (err as Error).message, { cause: err });
      }
      // What the user reviewed is what runs; its inputs are proven to be today's.
      plan = o.savedPlan;
    }
    if (plan.totals.cost > 0 && o.confirm && !(await o.confirm(plan))) {
      throw new RunRefusedError(
        "declined",
        `Nothing was done: spending ${plan.totals.cost} credits was declined.`,
      );
    }
    const applied = await applyPlan(plan, o.client, {
      concurrency: o.concurrency ?? 4,
      maxCredits: o.maxCredits,
      balance: plan.totals.balance,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    apply = applied;
    rows = finalRows(plan, applied);
    // Written even when rows failed: what succeeded must show, and errors belong next to their rows.
    const patches = resultPatches(rows, campaign, clock().toISOString());
    if (patches.length === 0) {
      write = { cellsWritten: 0, requests: 0, rowsNotFound: 0 };
    } else {
      const w = await o.source.write(patches);
      write = { cellsWritten: w.cellsWritten, requests: w.requests, rowsNotFound: w.rowsNotFound.length };
    }
  }

  const after = o.client.stats();
  return {
    mode: o.mode,
    source: o.source.describe(),
    startedAt,
    durationMs: Math.round(performance.now() - t0),
    plan,
    apply,
    rows,
    counts: countOutcomes(rows),
    creditsCharged: apply?.creditsCharged ?? 0,
    calls: callsSince(before.calls, after.calls),
    rateLimited: after.rateLimited - before.rateLimited,
    write,
  };
}
