/**
 * Apply: a plan's operations sent to TokPortal, safely, with a result for every row. What each op sends
 * and how its answer settles its rows is its step's (src/sync/steps/); this loop keeps what is common.
 *
 * - Ops are grouped by bundle and run in plan order inside a group; groups run in parallel under
 *   `concurrency`. Every call goes through the client (its rate gate and retry policy).
 * - Every write carries a deterministic Idempotency-Key (prefix, ref, step, fingerprint of the exact body
 *   sent), so a retry, or a rerun after a crash, replays TokPortal's stored answer instead of charging again.
 * - A failed step skips the rest of its bundle (its rows say which step failed and why); other bundles go on.
 * - Charged steps reserve their price against `max_credits` and the balance before the call.
 * - 401/403 auth failures stop new steps at once; once the steps in flight settle, the result names the
 *   error (`stoppedBy`) beside the report of what was done.
 *
 * Nothing is rolled back: what succeeded stays, and its ids are in the rows.
 */
import pLimit from "p-limit";
import type { TokPortalClient } from "../api/client.ts";
import { codeIn, TokPortalError } from "../api/errors.ts";
import { idempotencyKey } from "../api/idempotency.ts";
import type { Answered, WriteOptions } from "../api/index.ts";
import { type Finding, finding, findingText, withoutStep } from "../findings/index.ts";
import { describeError, type Failure, isAuthFailure, serverMessage } from "./apply-errors.ts";
import { RowOutcomes } from "./apply-results.ts";
import { CreditBudget, describeShortfall, type Reservation, type Shortfall } from "./budget.ts";
import { fingerprintOf } from "./fingerprint.ts";
import {
  type Answer,
  type BundleRun,
  HandledFailure,
  initiallyConfigured,
  type StepContext,
  type StepRequest,
  stepOf,
} from "./steps/index.ts";
import type { ApplyReport, Plan, PlanOp } from "./types.ts";
import { MediaUploader } from "./uploads.ts";

export interface ApplyOptions {
  /** Bundles in parallel (default 4). */
  concurrency?: number;
  /** Credits this run may spend (null = no budget). */
  maxCredits: number | null;
  /** The workspace's balance when the run started (null = not checked). */
  balance: number | null;
  onProgress?: (e: {
    opId: string;
    status: "done" | "failed" | "skipped";
    done: number;
    total: number;
  }) => void;
  /** Stops starting new steps; steps in flight finish (their answers are worth having). */
  signal?: AbortSignal;
  /** Local files up to this size use the direct upload, larger ones the presigned flow (default 8 MiB). */
  directUploadMaxBytes?: number;
  /**
   * The rows' output cells as read from the sheet, by row id (e.g. the stored `sync_fingerprint`,
   * `credits_charged`). A single-table bundle's `b:` row gets its first videos row's cells.
   */
  stored?: ReadonlyMap<string, Record<string, string>>;
}

type OpStatus = ApplyReport["ops"][string];

/** Why the rest of a bundle's steps are not run. */
interface Block {
  outcome: "pending" | "skipped";
  finding: Finding;
}

const DEFAULT_CONCURRENCY = 4;

/** What an apply did, and the refused-key error that stopped it (null when it ran to the end). */
export interface ApplyResult {
  report: ApplyReport;
  /**
   * A 401/403 auth failure: no step started after it; the report holds what was done until then, so the
   * caller can still write those results back.
   */
  stoppedBy: TokPortalError | null;
}

/** Applies the plan. An auth failure stops new steps; the steps in flight settle first. */
export async function applyPlan(
  plan: Plan,
  client: TokPortalClient,
  options: ApplyOptions,
): Promise<ApplyResult> {
  return new ApplyRun(plan, client, options).execute();
}

class ApplyRun {
  private readonly book: RowOutcomes;
  private readonly budget: CreditBudget;
  private readonly uploader: MediaUploader;
  private readonly ops: Record<string, OpStatus> = {};
  private finished = 0;
  /** The first auth failure: no step starts after it, and the result names it. */
  private fatal: TokPortalError | null = null;

  constructor(
    private readonly plan: Plan,
    private readonly client: TokPortalClient,
    private readonly options: ApplyOptions,
  ) {
    this.book = new RowOutcomes(plan);
    this.budget = new CreditBudget({ maxCredits: options.maxCredits, balance: options.balance });
    this.uploader = new MediaUploader(client, {
      prefix: plan.prefix,
      runSalt: plan.createdAt,
      ...(options.directUploadMaxBytes !== undefined ? { directMaxBytes: options.directUploadMaxBytes } : {}),
    });
  }

  async execute(): Promise<ApplyResult> {
    const groups = new Map<string, PlanOp[]>();
    for (const op of this.plan.ops) {
      const group = groups.get(op.bundleRef);
      if (group) group.push(op);
      else groups.set(op.bundleRef, [op]);
    }
    const limit = pLimit(Math.max(1, this.options.concurrency ?? DEFAULT_CONCURRENCY));
    await Promise.all([...groups.values()].map((group) => limit(() => this.runBundle(group))));
    const report: ApplyReport = {
      rows: this.book.results(),
      creditsCharged: this.budget.spent,
      ops: this.ops,
    };
    return { report, stoppedBy: this.fatal };
  }

  // -------------------------------------------------------------------------------------------------------
  // One bundle's steps, in plan order

  private async runBundle(group: PlanOp[]): Promise<void> {
    const first = group[0];
    if (!first) return;
    const bundle: BundleRun = {
      ref: first.bundleRef,
      id: first.bundleId,
      configured: initiallyConfigured(this.book, first.bundleRef),
      initial: initiallyConfigured(this.book, first.bundleRef),
    };
    let block: Block | null = null;
    for (const op of group) {
      if (op.bundleId) bundle.id = op.bundleId;
      if (this.fatal) {
        this.skip(op, { outcome: "skipped", finding: finding("stopped_key_refused", undefined, {}) });
        continue;
      }
      if (this.options.signal?.aborted) {
        this.skip(op, { outcome: "pending", finding: finding("stopped_by_user", undefined, {}) });
        continue;
      }
      if (block) {
        this.skip(op, block);
        continue;
      }
      block = await this.runOp(op, bundle);
    }
  }

  /** What a step sees: the rows, its bundle, and a way to send under the op's key. */
  private contextOf(op: PlanOp, bundle: BundleRun): StepContext {
    return {
      plan: this.plan,
      book: this.book,
      stored: this.options.stored,
      bundle,
      uploader: this.uploader,
      send: (request) => this.send(op, request),
      readSlots: () => this.client.videos.list(bundle.id as string),
      failRow: (rowId, outcome, f) => this.failRow(rowId, outcome, f),
    };
  }

  /** Runs one step; returns what blocks the rest of its bundle, or null. */
  private async runOp(op: PlanOp, bundle: BundleRun): Promise<Block | null> {
    let reservation: Reservation | null = null;
    if (op.cost > 0) {
      const reserved = this.budget.reserve(op.cost);
      if (!reserved.ok) {
        const short = shortOf(reserved.shortfall);
        const own = finding("credits_short", undefined, { step: op.kind, cost: op.cost, ...short });
        for (const rowId of op.rows) this.failRow(rowId, "pending", own);
        this.done(op, { status: "skipped", message: describeShortfall(reserved.shortfall) });
        return {
          outcome: "pending",
          finding: finding("earlier_step_short", undefined, {
            step: op.kind,
            bundleRef: bundle.ref,
            ...short,
          }),
        };
      }
      reservation = reserved.reservation;
    }
    try {
      if (op.kind !== "createBundle" && !bundle.id) {
        throw new Error(`bundle ${bundle.ref} has no TokPortal id (the plan does not create it)`);
      }
      const outcome = await stepOf(op).run(op as never, this.contextOf(op, bundle));
      if (reservation) this.budget.settle(reservation, outcome.charged, outcome.remaining);
      this.done(op, {
        status: outcome.failedItems ? "failed" : "done",
        ...(outcome.message ? { message: outcome.message } : {}),
        ...(outcome.replayed ? { replayed: true } : {}),
      });
      if (outcome.failedItems) {
        return {
          outcome: "skipped",
          finding: finding("batch_item_failed", undefined, { step: op.kind, bundleRef: bundle.ref }),
        };
      }
      return null;
    } catch (error) {
      if (reservation) this.budget.release(reservation);
      if (isAuthFailure(error)) {
        this.fatal ??= error;
        const refused = finding("api_key_refused", undefined, { tpCode: error.code });
        for (const rowId of op.rows) this.failRow(rowId, "error", refused);
        this.done(op, { status: "failed", message: serverMessage(error) });
        return { outcome: "skipped", finding: finding("stopped_key_refused", undefined, {}) };
      }
      const failure = error instanceof HandledFailure ? error.failure : describeError(error, op.kind);
      for (const rowId of op.rows) this.failRow(rowId, failure.outcome, failure.finding);
      // The op's message and a later step's block say what failed without naming the step again.
      const cause = findingText(withoutStep(failure.finding));
      this.done(op, { status: "failed", message: cause });
      const waiting = failure.outcome === "pending";
      return {
        outcome: waiting ? "pending" : "skipped",
        finding: finding("earlier_step_failed", undefined, {
          step: op.kind,
          bundleRef: bundle.ref,
          causeCode: failure.finding.code,
          cause,
          waiting,
        }),
      };
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Helpers

  /**
   * Sends one step's typed write under the op's key. Every step goes through here, so each reports
   * `replayed`, and a charged step knows whether this run's call took the credits.
   *
   * A charged step's refusal replayed from the store (402 INSUFFICIENT_CREDITS, 409 BUNDLE_PRICING_CHANGED)
   * is an earlier request's: nothing ran for it, so it is asked once more under a key salted by the stored
   * answer's request id. The budget and balance were checked before this step, as for any charged step.
   */
  private async send<T>(op: PlanOp, request: StepRequest<T>): Promise<Answer<T>> {
    const { key } = request;
    try {
      return answerOf(await request.write(this.client, this.write(op, key.content, key.ref)));
    } catch (error) {
      if (!(error instanceof TokPortalError) || !error.replayed || !stepOf(op).charged) throw error;
      if (!codeIn(error.code, PASSING_REFUSALS)) throw error;
      const salted = this.write(op, [key.content, "after stored refusal", error.requestId], key.ref);
      return answerOf(await request.write(this.client, salted));
    }
  }

  /** Write options with the step's Idempotency-Key: same content, same key, so TokPortal replays. */
  private write(op: PlanOp, content: unknown, ref: string): WriteOptions {
    const key = idempotencyKey({
      prefix: this.plan.prefix,
      ref,
      operation: op.kind,
      fingerprint: fingerprintOf(content),
    });
    // No abort signal: a write already sent is worth its answer; a stop only prevents new steps.
    return { idempotencyKey: key };
  }

  private failRow(rowId: string, outcome: Failure["outcome"], f: Finding): void {
    this.book.fail(rowId, outcome, f);
  }

  private skip(op: PlanOp, block: Block): void {
    for (const rowId of op.rows) this.failRow(rowId, block.outcome, block.finding);
    this.done(op, { status: "skipped", message: findingText(block.finding) });
  }

  private done(op: PlanOp, status: OpStatus): void {
    this.ops[op.id] = status;
    this.finished++;
    this.options.onProgress?.({
      opId: op.id,
      status: status.status,
      done: this.finished,
      total: this.plan.ops.length,
    });
  }
}

/** Refusals of a charged step whose cause can pass (a top-up, a price change): a stored one is asked again. */
const PASSING_REFUSALS = new Set(["INSUFFICIENT_CREDITS", "BUNDLE_PRICING_CHANGED"]);

/** A replay on the first attempt is an earlier call's answer; on a later attempt, this call's own. */
function answerOf<T>(res: Answered<T>): Answer<T> {
  return { ...res, thisRun: !res.replayed || res.attempt > 1 };
}

/** A shortfall as the parameters of `credits_short` and `earlier_step_short`. */
function shortOf(s: Shortfall): { missing: number; limit: Shortfall["limit"]; of: number } {
  return { missing: s.missing, limit: s.limit, of: s.limit === "max_credits" ? s.maxCredits : s.balance };
}
