/**
 * One sync run: read the sheet → desired state → actual state → plan → (apply → analytics → write-back)
 * → report.
 *
 * Level-based: nothing here depends on an earlier run; the sheet and TokPortal are read afresh each time.
 * The run asks TokPortal for prices and the balance only when the plan charges something, so a run with
 * nothing to buy makes no credit calls. A plan-mode run writes nothing anywhere. An `analytics` run reads
 * the sheet and the analytics only, and writes only the analytics columns.
 */
import type { TokPortalClient } from "../api/client.ts";
import type { DateFormat } from "../sources/cell-parsers.ts";
import { coerceCampaign } from "../sources/coerce.ts";
import { SourceError } from "../sources/errors.ts";
import type { ExtraWrite } from "../sources/extra-tabs.ts";
import type { CampaignTables, CellPatch, Source, SourceSnapshot } from "../sources/types.ts";
import { fetchAnalytics } from "./analytics.ts";
import { analyticsWarning, resultTargets, sheetTargets, summarize, withAnalytics } from "./analytics-run.ts";
import { type ApplyOptions, applyPlan } from "./apply.ts";
import { waitsForCredits } from "./credit-wait.ts";
import { buildDesired } from "./desired.ts";
import { EarlyReads } from "./early-reads.ts";
import {
  type AccountsMeasure,
  dayOf,
  extraWrites,
  measureAccounts,
  measuredRows,
  type RunLogFacts,
  videoDays,
} from "./extras-run.ts";
import { planSync, planUnless } from "./plan.ts";
import { assertPlanCurrent } from "./plan-file.ts";
import { destructiveOps } from "./plan-pullback.ts";
import { fetchActual } from "./remote.ts";
import type {
  ActualState,
  AnalyticsSummary,
  ApplyReport,
  DesiredState,
  Plan,
  PlannedRow,
  PlanOp,
  RowDefaults,
  RowResult,
  RunMode,
  RunReport,
  RunReportBase,
  RunReportOf,
  SyncStatus,
} from "./types.ts";
import { analyticsPatches, resultPatches } from "./writeback.ts";

export interface RunOptions {
  source: Source;
  client: TokPortalClient;
  prefix: string;
  defaults: RowDefaults;
  maxCredits: number | null;
  prune: boolean;
  /**
   * `plan`: read and plan, write nothing. `apply`: plan, apply, read analytics, write back. `analytics`:
   * read the sheet, no planning and no TokPortal call besides analytics, write only the analytics columns.
   */
  mode: RunMode;
  /** Read the posted videos' analytics after apply (default true). */
  analytics?: boolean;
  /**
   * Stops the apply from starting new steps: calls in flight and the write-back finish; rows not started
   * stay pending.
   */
  signal?: AbortSignal;
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
  const first = planUnless(desired, actual, { ...base, costs: {}, balance: null }, mayCharge);
  if (first) return first;
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
    ...(p.code === undefined ? {} : { code: p.code }),
    ...(p.column === undefined ? {} : { column: p.column }),
    // The plan's own object when nothing is added to it: results never change their values (a run that
    // applies builds new results), and a copy per row is what a 100,000-row plan would pay for it.
    values: settled ? { ...p.remote, sync_fingerprint: p.fingerprint } : p.remote,
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

/** Non-fatal source problems (ignored columns, skipped unreadable rows, a bad alias): no row result shows them. */
function sourceWarnings(tables: CampaignTables): string[] {
  return tables.problems.filter((p) => !p.fatal).map((p) => p.message);
}

function listed(items: readonly string[], max = 10): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** Remote bundles and slots under the prefix that the sheet no longer has: never touched unless pruned. */
function orphanWarnings(plan: Plan): string[] {
  const out: string[] = [];
  const { bundles, videos } = plan.orphans;
  const under = plan.prefix === "" ? "" : ` under prefix "${plan.prefix}"`;
  if (bundles.length > 0)
    out.push(
      `${bundles.length} bundle(s)${under} are on TokPortal but not in the sheet: ${listed(bundles)}; they are left alone.`,
    );
  if (videos.length > 0)
    out.push(
      `${videos.length} video(s)${under} are on TokPortal but not in the sheet: ${listed(videos)}; ${
        plan.prune
          ? "those that can still be unscheduled are unscheduled"
          : "they are left alone (--prune unschedules them)"
      }.`,
    );
  return out;
}

async function writeBack(
  snapshot: SourceSnapshot,
  patches: CellPatch[],
  extras: readonly ExtraWrite[] = [],
): Promise<NonNullable<RunReport["write"]>> {
  // A run with nothing new sends nothing: not even a read-before-write.
  if (patches.length === 0 && extras.length === 0) return { cellsWritten: 0, requests: 0, rowsNotFound: 0 };
  const w = await snapshot.write(patches, extras);
  return { cellsWritten: w.cellsWritten, requests: w.requests, rowsNotFound: w.rowsNotFound.length };
}

function notFoundWarning(write: RunReport["write"]): string[] {
  if (!write || write.rowsNotFound === 0) return [];
  return [
    `${write.rowsNotFound} row(s) could not be found in the sheet any more (deleted, their ref changed, or, for a row without refs, moved or edited during the run); their results were not written (a row still in the sheet gets them on the next run).`,
  ];
}

/**
 * The output cells each row had when read, by row id, for apply (its keys and `credits_charged`). A
 * single-table bundle has no row of its own: its cells are on its first videos row.
 */
function storedOutputs(desired: DesiredState): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const b of desired.bundles.values()) {
    if (b.row) out.set(b.row.id, b.row.table === "bundles" ? b.outputs : (b.videos[0]?.outputs ?? b.outputs));
    for (const v of b.videos) out.set(v.row.id, v.outputs);
  }
  return out;
}

/** Runs the sync in `o.mode`; the report's type follows the mode (each branch below returns its own). */
export function runSync<M extends RunMode>(o: RunOptions & { mode: M }): Promise<RunReportOf<M>> {
  return run(o) as Promise<RunReportOf<M>>;
}

async function run(o: RunOptions): Promise<RunReport> {
  const clock = o.now ?? (() => new Date());
  const startedAt = clock().toISOString();
  const t0 = performance.now();
  const before = o.client.stats();

  // TokPortal's side is read while the sheet is, and the slots of the bundles it names while the desired
  // state is built (early-reads.ts); an analytics run reads neither.
  const early = o.mode === "analytics" ? null : new EarlyReads(o.client);
  // What was read, and the only way back into those rows.
  const snapshot = await o.source.read(
    early ? { rows: (table, rows) => early.ahead(table, rows) } : undefined,
  );
  const fatal = snapshot.problems.filter((p) => p.fatal);
  if (fatal.length > 0) throw new SourceError(fatal.map((p) => p.message).join(" "));
  await early?.follow(snapshot, o.prefix);
  const warnings = sourceWarnings(snapshot);

  const campaign = coerceCampaign(snapshot, o.dateFormat ? { dateFormat: o.dateFormat } : {});
  /** TokPortal's day (a sandbox's clock is simulated): the history's "today". */
  const today = () => dayOf(o.client.serverNow() ?? clock().getTime());
  /** The run log's facts, measured right before the write-back that carries them. */
  /** TokPortal calls (by operation) and 429s since the run began. */
  const usage = () => {
    const after = o.client.stats();
    return {
      calls: callsSince(before.calls, after.calls),
      rateLimited: after.rateLimited - before.rateLimited,
    };
  };
  const facts = (f: Omit<RunLogFacts, "startedAt" | "endedAt" | "calls" | "rateLimited" | "counts">) => {
    const { calls, rateLimited } = usage();
    const total = Object.values(calls).reduce((a, n) => a + n, 0);
    const endedAt = clock().toISOString();
    return { ...f, startedAt, endedAt, calls: total, rateLimited, counts: countOutcomes(f.rows) };
  };
  /** What every report says, measured as the run ends: the mode's own fields go between `head` and `tail`. */
  const ended = (r: Pick<RunReportBase, "rows" | "creditsCharged" | "write" | "analytics">) => {
    const head = { source: o.source.describe(), startedAt, durationMs: Math.round(performance.now() - t0) };
    const tail = {
      rows: r.rows,
      counts: countOutcomes(r.rows),
      creditsCharged: r.creditsCharged,
      ...usage(),
      write: r.write,
      warnings,
      analytics: r.analytics,
    };
    return { head, tail };
  };

  if (o.mode === "analytics") {
    const targets = sheetTargets(campaign);
    const measured = await fetchAnalytics(o.client, targets);
    const note = analyticsWarning(measured, targets.length);
    if (note) warnings.push(note);
    const days = videoDays(measuredRows(campaign, measured.values), new Set(measured.values.keys()), today());
    const extras = extraWrites(
      snapshot,
      facts({ mode: "analytics", rows: [], creditsCharged: 0, authRefused: false, waitsForCredits: false }),
      { videos: days, accounts: [], filled: [] },
    );
    const write = await writeBack(snapshot, analyticsPatches(campaign, measured.values), extras);
    warnings.push(...notFoundWarning(write));
    const { head, tail } = ended({ rows: [], creditsCharged: 0, write, analytics: summarize(measured) });
    return { mode: "analytics", ...head, ...tail };
  }

  const desired = buildDesired(campaign, { prefix: o.prefix, defaults: o.defaults, baseDir: o.baseDir });
  const actual = await fetchActual(o.client, desired, early ?? undefined);
  const fresh = await planWithPrices(o, desired, actual, clock().toISOString());
  warnings.push(...orphanWarnings(fresh));

  if (o.mode === "plan") {
    const rows = fresh.rows.map(plannedResult);
    const { head, tail } = ended({ rows, creditsCharged: 0, write: null, analytics: null });
    return { mode: "plan", ...head, plan: fresh, apply: null, ...tail };
  }

  let plan = fresh;
  if (o.savedPlan) {
    try {
      assertPlanCurrent(o.savedPlan, fresh);
    } catch (err) {
      throw new RunRefusedError("stale-plan", (err as Error).message, { cause: err });
    }
    // What the user reviewed is what runs; its inputs are proven to be today's.
    plan = o.savedPlan;
  }
  // Pull backs (unpublish, unschedule on publish=no) cannot be undone: they are confirmed like a spend.
  const destructive = destructiveOps(plan).length;
  if ((plan.totals.cost > 0 || destructive > 0) && o.confirm && !(await o.confirm(plan))) {
    const what =
      plan.totals.cost > 0
        ? `spending ${plan.totals.cost} credits`
        : `${destructive} pull back${destructive === 1 ? "" : "s"} (unpublish or unschedule)`;
    throw new RunRefusedError("declined", `Nothing was done: ${what} was declined.`);
  }

  // An auth failure mid-apply stops the run (`stoppedBy`), but what was done before it is written back first.
  const { report: apply, stoppedBy } = await applyPlan(plan, o.client, {
    concurrency: o.concurrency ?? 4,
    maxCredits: o.maxCredits,
    balance: plan.totals.balance,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    stored: storedOutputs(desired),
  });
  let rows = finalRows(plan, apply);

  // Analytics only on a run that went to its end: a stopped run only finishes what was in flight.
  let analytics: AnalyticsSummary | null = null;
  let accounts: AccountsMeasure | null = null;
  let measuredIds = new Set<string>();
  if (o.analytics !== false && stoppedBy === null && !o.signal?.aborted) {
    const targets = resultTargets(rows, actual, plan.prefix);
    const measured = await fetchAnalytics(o.client, targets);
    rows = withAnalytics(rows, measured.values);
    measuredIds = new Set(measured.values.keys());
    const note = analyticsWarning(measured, targets.length);
    if (note) warnings.push(note);
    accounts = await measureAccounts(o.client, snapshot, campaign, rows, actual, plan.prefix, today());
    if (accounts.note) warnings.push(accounts.note);
    analytics = summarize({ ...measured, calls: measured.calls + accounts.calls });
  }

  // Written even when rows failed: what succeeded must show, and errors belong next to their rows.
  const runFacts = facts({
    mode: "apply",
    rows,
    creditsCharged: apply.creditsCharged,
    authRefused: stoppedBy !== null,
    waitsForCredits: waitsForCredits(plan.totals.deferred.bundles.length, rows),
  });
  const history = {
    videos: videoDays(rows, measuredIds, today()),
    accounts: accounts?.history.accounts ?? [],
    filled: accounts?.history.filled ?? [],
  };
  const patches = [...resultPatches(rows, campaign, clock().toISOString()), ...(accounts?.patches ?? [])];
  const write = await writeBack(snapshot, patches, extraWrites(snapshot, runFacts, history));
  warnings.push(...notFoundWarning(write));
  if (stoppedBy !== null) throw stoppedBy;
  const { head, tail } = ended({ rows, creditsCharged: apply.creditsCharged, write, analytics });
  return { mode: "apply", ...head, plan, apply, ...tail };
}
