/**
 * The planner: desired × actual → Plan. Pure and deterministic: the same inputs give the same plan, so a
 * saved plan can be checked against a fresh one.
 *
 * Every sheet row gets exactly one PlannedRow. Bundles are planned in sheet order (plan-bundle.ts), each
 * returning its ops and its notes about rows, and the budget is walked as they come: a bundle whose
 * charge does not fit is left out whole. Each bundle's notes and ops are folded into its rows' outcomes
 * as soon as the budget has ruled (plan-rows.ts), and the rows are put in sheet order at the end: a
 * left-out bundle's rows say how much more is needed.
 */
import { type Finding, finding, type RowFinding } from "../findings/index.ts";
import { type BundlePlan, planBundle } from "./plan-bundle.ts";
import { inputsFingerprint } from "./plan-file.ts";
import { resolveFollowUp } from "./plan-orders.ts";
import { RowGatherer, worstOfIssues } from "./plan-rows.ts";
import type {
  ActualState,
  DesiredState,
  OpKind,
  Plan,
  PlanOp,
  PlanOptions,
  PlanTotals,
  RowRef,
  SyncStatus,
} from "./types.ts";

export function planSync(desired: DesiredState, actual: ActualState, options: PlanOptions): Plan {
  return planWithFindings(desired, actual, options).plan;
}

/**
 * The plan, or null as soon as a bundle plans an op `stop` picks: the run's first plan, made without
 * prices only to learn whether it must ask for them, stops at the first create of a new campaign instead
 * of planning (and holding) every row twice. With no prices every charge is 0 and nothing is deferred, so
 * the ops seen are the plan's.
 */
export function planUnless(
  desired: DesiredState,
  actual: ActualState,
  options: PlanOptions,
  stop: (op: PlanOp) => boolean,
): Plan | null {
  return planOrStop(desired, actual, options, stop)?.plan ?? null;
}

/** The plan, and by row id the findings each row's message says (what `--json` and the terminal show). */
export function planWithFindings(
  desired: DesiredState,
  actual: ActualState,
  options: PlanOptions,
): { plan: Plan; findings: ReadonlyMap<string, RowFinding[]> } {
  // Without `stop` there is always a plan.
  return planOrStop(desired, actual, options, null)!;
}

function planOrStop(
  desired: DesiredState,
  actual: ActualState,
  options: PlanOptions,
  stop: ((op: PlanOp) => boolean) | null,
): { plan: Plan; findings: ReadonlyMap<string, RowFinding[]> } | null {
  const prior = worstOfIssues(desired.issues);
  const refsOfIssues = issueVideoRefs(desired);
  // What the totals need of each bundle once its rows are gathered (a left-out bundle keeps no ops).
  const plans: Array<Pick<BundlePlan, "bundleRef" | "ops" | "charge" | "orphanVideos">> = [];
  const budget = new Budget(options);
  const deferred = new Map<string, Finding>();
  const gathered = new RowGatherer(desired);
  for (const wanted of desired.bundles.values()) {
    // A follow-up order posts from the account its named row ordered, once TokPortal delivered it.
    const resolved = resolveFollowUp(wanted, desired, actual);
    const b = "bundle" in resolved ? resolved.bundle : wanted;
    const planned = planBundle({
      desired: b,
      matches: actual.byExternalRef.get(b.externalRef) ?? [],
      today: actual.today,
      options,
      sheetRefs: sheetVideoRefs(desired, b.bundleRef, refsOfIssues),
      prior,
      ...("held" in resolved ? { held: resolved.held } : {}),
      ...(actual.videosOnlyCountries ? { videosOnlyCountries: actual.videosOnlyCountries } : {}),
    });
    if (stop && planned.ops.some(stop)) return null;
    const why = budget.verdict(planned.charge);
    if (why !== null) deferred.set(planned.bundleRef, why);
    gathered.add(planned, why ?? undefined);
    const { bundleRef, charge, orphanVideos } = planned;
    plans.push({ bundleRef, ops: why === null ? planned.ops : [], charge, orphanVideos });
  }

  const ops = plans.flatMap((p) => p.ops);
  const { rows, findings } = gathered.finish();

  const opCounts: Partial<Record<OpKind, number>> = {};
  for (const op of ops) opCounts[op.kind] = (opCounts[op.kind] ?? 0) + 1;
  const rowCounts: Record<SyncStatus, number> = { synced: 0, pending: 0, locked: 0, error: 0, skipped: 0 };
  for (const r of rows) rowCounts[r.outcome] += 1;
  const deferredPlans = plans.filter((p) => deferred.has(p.bundleRef));
  const totals: PlanTotals = {
    cost: ops.reduce((sum, op) => sum + op.cost, 0),
    deferred: {
      bundles: deferredPlans.map((p) => p.bundleRef),
      cost: deferredPlans.reduce((sum, p) => sum + p.charge, 0),
    },
    balance: plans.some((p) => p.charge > 0) ? options.balance : null,
    maxCredits: options.maxCredits,
    ops: opCounts,
    rows: rowCounts,
  };

  const plan: Plan = {
    version: 1,
    createdAt: options.now,
    prefix: desired.prefix,
    prune: options.prune,
    inputsFingerprint: inputsFingerprint(desired, actual, options),
    ops,
    rows,
    orphans: {
      bundles: actual.orphanBundles.map((b) => (b.external_ref ?? "").slice(desired.prefix.length)),
      videos: plans.flatMap((p) => p.orphanVideos),
    },
    totals,
  };
  return { plan, findings };
}

/**
 * Every video_ref the sheet has under `bundleRef` (rows with issues included): those slots are not
 * orphans. Made per bundle as it is planned, not for the whole campaign up front.
 */
function sheetVideoRefs(
  desired: DesiredState,
  bundleRef: string,
  refsOfIssues: ReadonlyMap<string, ReadonlyArray<[string, RowRef]>>,
): Map<string, RowRef> {
  const refs = new Map<string, RowRef>();
  for (const v of desired.bundles.get(bundleRef)?.videos ?? [])
    if (!refs.has(v.videoRef)) refs.set(v.videoRef, v.row);
  for (const [videoRef, row] of refsOfIssues.get(bundleRef) ?? [])
    if (!refs.has(videoRef)) refs.set(videoRef, row);
  return refs;
}

/** The videos rows with issues (not in any bundle's videos), by bundle_ref: video_ref and row. */
function issueVideoRefs(desired: DesiredState): Map<string, Array<[string, RowRef]>> {
  const out = new Map<string, Array<[string, RowRef]>>();
  for (const i of desired.issues) {
    const key = i.row.key;
    if (!("videoRef" in key)) continue;
    const list = out.get(key.bundleRef);
    if (list) list.push([key.videoRef, i.row]);
    else out.set(key.bundleRef, [[key.videoRef, i.row]]);
  }
  return out;
}

/**
 * The budget, walked in sheet order as the bundles are planned: each one's charge is added while it fits
 * under `maxCredits` and the balance. A bundle that does not fit is left out whole (no half-bought
 * bundle), and later cheaper ones may still fit.
 */
class Budget {
  private spent = 0;

  constructor(private readonly options: PlanOptions) {}

  /** Null when the charge fits (and is now spent), else why the bundle is left out. */
  verdict(charge: number): Finding | null {
    if (charge <= 0) return null;
    const { maxCredits, balance } = this.options;
    const total = this.spent + charge;
    if (maxCredits !== null && total > maxCredits) {
      const left = Math.max(0, maxCredits - this.spent);
      return finding("over_max_credits", undefined, { charge, left, maxCredits, total });
    }
    if (balance !== null && total > balance) {
      const left = Math.max(0, balance - this.spent);
      return finding("over_balance", undefined, { charge, left, balance, missing: total - balance });
    }
    this.spent = total;
    return null;
  }
}
