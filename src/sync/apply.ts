/**
 * Apply: a plan's operations sent to TokPortal, safely, with a result for every row (DESIGN.md §2).
 *
 * - Ops are grouped by bundle and run in plan order inside a group; groups run in parallel under
 *   `concurrency`. Every call goes through the client (its rate gate and retry policy).
 * - Every write carries a deterministic Idempotency-Key (prefix, ref, step, fingerprint of the exact body
 *   sent), so a retry, or a rerun after a crash, replays TokPortal's stored answer instead of charging again.
 * - A failed step skips the rest of its bundle (its rows say which step failed and why); other bundles go on.
 * - Charged steps reserve their price against `max_credits` and the balance before the call.
 * - 401/403 auth failures stop new steps at once; the error is rethrown once the steps in flight settle.
 *
 * Nothing is rolled back: what succeeded stays, and its ids are in the rows.
 */
import pLimit from "p-limit";
import type { z } from "zod";
import type { TokPortalClient } from "../api/client.ts";
import { TokPortalError } from "../api/errors.ts";
import { idempotencyKey } from "../api/idempotency.ts";
import type { ApiResponse, BatchVideoItem, Bundle, CallInput, WriteOptions } from "../api/index.ts";
import {
  AddSlotsSchema,
  BatchResultSchema,
  BundleSchema,
  type Charge,
  ChargeSchema,
  PublishAllSchema,
  PublishBundleSchema,
  PublishVideoSchema,
  read,
  readAccount,
  readData,
  VideoSchema,
} from "../api/parse.ts";
import {
  describeCode,
  describeError,
  type Failure,
  isAuthFailure,
  rowWhere,
  STEP_WORDS,
  serverMessage,
} from "./apply-errors.ts";
import { RowOutcomes } from "./apply-results.ts";
import { CreditBudget, describeShortfall, type Reservation } from "./budget.ts";
import { fingerprintOf } from "./fingerprint.ts";
import type { ApplyReport, ConfigureVideoItem, Plan, PlanOp } from "./types.ts";
import { MediaUploader, UploadError } from "./uploads.ts";

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
  message: string;
}

/** What one step did, beyond the rows it updated itself. */
interface StepOutcome {
  message?: string;
  replayed?: boolean;
  /** Credits taken by this call (0 for replays and adoptions). */
  charged: number;
  /** The server's `credits_remaining`, when the answer had it. */
  remaining: number | null;
  /** True when every item of a batch failed: the bundle's later steps are skipped. */
  failedItems?: boolean;
}

const DEFAULT_CONCURRENCY = 4;

/**
 * What an apply stopped by an auth failure had done before it stopped, keyed by the error it rethrows. The
 * error itself is left as TokPortal's (its status and code are what the CLI maps to an exit code), and
 * nothing is added to its properties or serialized form.
 */
const partialReports = new WeakMap<object, ApplyReport>();

/** The report of the apply that threw `error` (an auth failure mid-apply), or null for any other error. */
export function partialApplyReport(error: unknown): ApplyReport | null {
  return typeof error === "object" && error !== null ? (partialReports.get(error) ?? null) : null;
}

/**
 * Applies the plan. An auth failure stops new steps; once the steps in flight settle, the failure is
 * rethrown and what was done until then is available from `partialApplyReport(error)`, so the caller can
 * still write those results back.
 */
export async function applyPlan(
  plan: Plan,
  client: TokPortalClient,
  options: ApplyOptions,
): Promise<ApplyReport> {
  const run = new ApplyRun(plan, client, options);
  return run.execute();
}

class ApplyRun {
  private readonly book: RowOutcomes;
  private readonly budget: CreditBudget;
  private readonly uploader: MediaUploader;
  private readonly ops: Record<string, OpStatus> = {};
  private finished = 0;
  /** The first auth failure: no step starts after it, and it is rethrown at the end. */
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
      ...(options.directUploadMaxBytes !== undefined ? { directMaxBytes: options.directUploadMaxBytes } : {}),
    });
  }

  async execute(): Promise<ApplyReport> {
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
    if (this.fatal) {
      partialReports.set(this.fatal, report);
      throw this.fatal;
    }
    return report;
  }

  // -------------------------------------------------------------------------------------------------------
  // One bundle's steps, in plan order

  private async runBundle(group: PlanOp[]): Promise<void> {
    const first = group[0];
    if (!first) return;
    const bundle: BundleRun = {
      ref: first.bundleRef,
      id: first.bundleId,
      block: null,
      configured: this.initiallyConfigured(first.bundleRef),
      initial: this.initiallyConfigured(first.bundleRef),
    };
    for (const op of group) {
      if (op.bundleId) bundle.id = op.bundleId;
      if (this.fatal) {
        this.skip(op, {
          outcome: "skipped",
          message: "not applied: TokPortal refused the API key, so the run stopped.",
        });
        continue;
      }
      if (this.options.signal?.aborted) {
        this.skip(op, {
          outcome: "pending",
          message: "not applied: the run was stopped first; the next run does it.",
        });
        continue;
      }
      if (bundle.block) {
        this.skip(op, bundle.block);
        continue;
      }
      bundle.block = await this.runOp(op, bundle);
    }
  }

  /** Runs one step; returns what blocks the rest of its bundle, or null. */
  private async runOp(op: PlanOp, bundle: BundleRun): Promise<Block | null> {
    let reservation: Reservation | null = null;
    if (op.cost > 0) {
      const reserved = this.budget.reserve(op.cost);
      if (!reserved.ok) {
        const need = describeShortfall(reserved.shortfall);
        const fix = reserved.shortfall.limit === "max_credits" ? "raise max_credits" : "top up the balance";
        const text = `waiting for credits: ${STEP_WORDS[op.kind]} (${op.cost} credits) ${need}; ${fix} and the next run continues.`;
        for (const rowId of op.rows) this.failRow(rowId, "pending", text);
        this.done(op, { status: "skipped", message: need });
        return {
          outcome: "pending",
          message: `waiting for credits: ${STEP_WORDS[op.kind]} for bundle ${bundle.ref} ${need}.`,
        };
      }
      reservation = reserved.reservation;
    }
    try {
      if (op.kind !== "createBundle" && !bundle.id) {
        throw new Error(`bundle ${bundle.ref} has no TokPortal id (the plan does not create it)`);
      }
      const outcome = await this.step(op, bundle);
      if (reservation) this.budget.settle(reservation, outcome.charged, outcome.remaining);
      this.done(op, {
        status: outcome.failedItems ? "failed" : "done",
        ...(outcome.message ? { message: outcome.message } : {}),
        ...(outcome.replayed ? { replayed: true } : {}),
      });
      if (outcome.failedItems) {
        return {
          outcome: "skipped",
          message: `not applied: ${STEP_WORDS[op.kind]} for bundle ${bundle.ref} failed for every row.`,
        };
      }
      return null;
    } catch (error) {
      if (reservation) this.budget.release(reservation);
      if (isAuthFailure(error)) {
        this.fatal ??= error;
        const text = `TokPortal refused the API key (${error.code}); fix TOKPORTAL_API_KEY and run again.`;
        for (const rowId of op.rows) this.failRow(rowId, "error", text);
        this.done(op, { status: "failed", message: serverMessage(error) });
        return {
          outcome: "skipped",
          message: "not applied: TokPortal refused the API key, so the run stopped.",
        };
      }
      const failure = error instanceof HandledFailure ? error.failure : describeError(error, op.kind);
      for (const rowId of op.rows)
        this.failRow(
          rowId,
          failure.outcome,
          `${STEP_WORDS[op.kind]} failed: ${failure.text}`,
          failure.column,
        );
      this.done(op, { status: "failed", message: failure.text });
      const outcome = failure.outcome === "pending" ? "pending" : "skipped";
      const lead = outcome === "pending" ? "waiting" : "not applied";
      return {
        outcome,
        message: `${lead}: ${STEP_WORDS[op.kind]} for bundle ${bundle.ref} failed first (${failure.text})`,
      };
    }
  }

  private step(op: PlanOp, bundle: BundleRun): Promise<StepOutcome> {
    switch (op.kind) {
      case "createBundle":
        return this.createBundle(op, bundle);
      case "addVideoSlots":
        return this.addVideoSlots(op, bundle);
      case "addEditSlots":
        return this.addEditSlots(op, bundle);
      case "patchBundle":
        return this.patchBundle(op, bundle);
      case "configureAccount":
        return this.configureAccount(op, bundle);
      case "configureVideos":
        return this.configureVideos(op, bundle);
      case "patchVideo":
        return this.patchVideo(op, bundle);
      case "publishBundle":
        return this.publishBundle(op, bundle);
      case "publishVideos":
        return this.publishVideos(op, bundle);
      case "unscheduleVideo":
        return this.unscheduleVideo(op, bundle);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Steps

  private async createBundle(
    op: Extract<PlanOp, { kind: "createBundle" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const bundleRow = this.bundleRowOf(op);
    try {
      const res = await this.send(op, "createBundle", { body: op.body }, [null, op.body]);
      const created = readAnswer(res, "createBundle", BundleSchema);
      bundle.id = created.id;
      const outcome = this.charged(op, res, bundleRow);
      this.mergeBundle(op, created);
      return {
        ...outcome,
        ...(res.replayed && !res.thisRun ? { message: "replayed: TokPortal had already created it" } : {}),
      };
    } catch (error) {
      const existing = duplicateOf(error);
      if (!existing) throw error;
      bundle.id = existing.id;
      for (const rowId of op.rows) {
        if (!rowId.startsWith("b:")) continue;
        this.book.merge(
          rowId,
          { bundle_id: existing.id, bundle_status: existing.status ?? undefined },
          false,
        );
      }
      if (bundleRow) {
        this.book.note(
          bundleRow,
          `TokPortal already had a bundle with ref ${op.body.external_ref ?? op.bundleRef} (${existing.id}); it was adopted instead of creating another, and no credits were charged.`,
        );
      }
      return { charged: 0, remaining: null, message: `adopted existing bundle ${existing.id}` };
    }
  }

  private async addVideoSlots(
    op: Extract<PlanOp, { kind: "addVideoSlots" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const res = await this.buySlots(op, bundle);
    const slots = readAnswer(res, "addVideoSlots", AddSlotsSchema);
    return this.slotsBought(op, res, `${slots.positions.length || op.quantity} slot(s) added`);
  }

  private async addEditSlots(
    op: Extract<PlanOp, { kind: "addEditSlots" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const res = await this.buySlots(op, bundle);
    return this.slotsBought(op, res, `${op.quantity} edit slot(s) added`);
  }

  /**
   * Video or edit slots. The rows served and the reason (which names the count it starts from) are part of
   * the key: two runs that each need "2 more" must not replay one another. A rerun after a crash does not
   * need the replay: it reads the count the lost answer set and plans no second purchase.
   */
  private buySlots(op: Extract<PlanOp, { kind: "addVideoSlots" | "addEditSlots" }>, bundle: BundleRun) {
    const id = bundle.id as string;
    const body = { quantity: op.quantity };
    return this.send(op, op.kind, { path: { id }, body }, [id, body, op.rows, op.reason]);
  }

  private slotsBought(op: PlanOp, res: Answer, message: string): StepOutcome {
    const outcome = this.charged(op, res, this.bundleRowOf(op));
    for (const rowId of op.rows) this.book.merge(rowId, {}, true);
    return { ...outcome, message };
  }

  private async patchBundle(
    op: Extract<PlanOp, { kind: "patchBundle" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    const res = await this.send(op, "updateBundle", { path: { id }, body: op.body }, [
      id,
      op.body,
      this.fromState(op.rows),
    ]);
    this.mergeBundle(op, readAnswer(res, "updateBundle", BundleSchema));
    return { charged: 0, remaining: null, replayed: res.replayed };
  }

  private async configureAccount(
    op: Extract<PlanOp, { kind: "configureAccount" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    const body = { ...op.body };
    if (op.profilePicture) {
      try {
        body.profile_picture_url = await this.uploader.resolve(
          op.profilePicture,
          "profile_picture",
          id,
          op.bundleRef,
        );
      } catch (error) {
        throw this.uploadFailure(error);
      }
    }
    const operationId = "configureBundleAccount";
    const res = await this.send(op, operationId, { path: { id }, body }, [id, body, this.fromState(op.rows)]);
    const ctx = { operationId, requestId: res.requestId, status: 200 };
    const account = readAccount(res.data, ctx);
    for (const rowId of op.rows) this.book.merge(rowId, { account_status: account.status ?? undefined });
    return { charged: 0, remaining: null, replayed: res.replayed };
  }

  private async configureVideos(
    op: Extract<PlanOp, { kind: "configureVideos" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    // Media first: an item whose file cannot be uploaded fails alone; the others still go.
    const prepared = await Promise.all(op.items.map((entry) => this.prepareItem(entry, id, op.bundleRef)));
    const ready: Array<{ entry: ConfigureVideoItem; item: BatchVideoItem }> = [];
    for (const p of prepared) if (p.item) ready.push({ entry: p.entry, item: p.item });
    if (ready.length === 0)
      return { charged: 0, remaining: null, failedItems: true, message: "no item could be sent" };
    const body = { videos: ready.map((r) => r.item) };
    const single = ready.length === 1 && ready[0] ? ready[0].entry : null;
    const ref = single ? `${op.bundleRef}/${single.videoRef}` : op.bundleRef;
    const from = this.fromState(ready.map((r) => r.entry.rowId));
    let res: Answer;
    try {
      res = await this.send(op, "batchConfigureBundleVideos", { path: { id }, body }, [id, body, from], ref);
    } catch (error) {
      if (isAuthFailure(error)) throw error;
      // The whole call failed: every item's row says so (rows whose media already failed keep that).
      const failure = describeError(error, op.kind);
      for (const r of ready)
        this.failRow(
          r.entry.rowId,
          failure.outcome,
          `${STEP_WORDS[op.kind]} failed: ${failure.text}`,
          failure.column,
        );
      throw new HandledFailure(error, failure);
    }
    const result = readAnswer(res, "batchConfigureBundleVideos", BatchResultSchema);
    const byPosition = new Map(result.results.map((r) => [r.position, r]));
    let ok = 0;
    for (const { entry } of ready) {
      const r = byPosition.get(entry.position);
      if (!r) {
        this.failRow(
          entry.rowId,
          "error",
          `TokPortal's answer did not mention position ${entry.position}; the next run checks it again.`,
        );
        continue;
      }
      if (r.success) {
        ok++;
        this.book.merge(entry.rowId, {
          video_id: r.video_id ?? undefined,
          video_status: r.status ?? "configured",
          position: r.position,
        });
        if ((r.status ?? "configured") === "configured") bundle.configured.add(entry.rowId);
        continue;
      }
      const err = r.error;
      const failure = describeCode(
        err?.code ?? "UNKNOWN",
        err?.message ?? "no reason given",
        err?.details ?? {},
        null,
        op.kind,
      );
      this.failRow(entry.rowId, failure.outcome, failure.text, failure.column);
    }
    const failed = op.items.length - ok;
    const outcome = this.charged(op, res, this.bundleRowOf(op));
    return {
      ...outcome,
      ...(failed > 0 ? { message: `${ok} of ${op.items.length} configured` } : {}),
      failedItems: ok === 0,
    };
  }

  private async patchVideo(
    op: Extract<PlanOp, { kind: "patchVideo" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    const res = await this.send(
      op,
      "patchBundleVideo",
      { path: { id, position: op.position }, body: op.body },
      [id, op.position, op.body, this.fromState(op.rows)],
      this.videoRef(op),
    );
    const video = readAnswer(res, "patchBundleVideo", VideoSchema);
    for (const rowId of op.rows) {
      this.book.merge(rowId, {
        video_id: video.id ?? undefined,
        video_status: video.status,
        position: video.position,
      });
    }
    return { charged: 0, remaining: null, replayed: res.replayed };
  }

  private async publishBundle(
    op: Extract<PlanOp, { kind: "publishBundle" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    // A bundle publish releases every configured slot: one whose update failed would go out with its old
    // content, for good. The bundle waits until those rows are fixed.
    const stale = [...bundle.initial].filter((rowId) => this.book.failed(rowId));
    if (stale.length > 0) {
      const rows = stale.flatMap((rowId) => this.book.planned(rowId)?.row.rowNumbers ?? []);
      throw new HandledFailure(null, {
        outcome: "pending",
        text: `not published: the update of videos row(s) ${rows.join(", ")} failed in this run, and publishing now would release their old content; fix those rows and the next run publishes.`,
      });
    }
    const released = [...bundle.configured];
    // A refusal (409 not ready) is stored under its key, so the key carries the rows' state (rowState).
    const positions = released.map((rowId) => this.book.value(rowId, "position") ?? null);
    let res: Answer;
    try {
      res = await this.send(op, "publishBundle", { path: { id } }, [
        id,
        op.kind,
        positions,
        this.rowState(op),
      ]);
    } catch (error) {
      // Published already (by hand, or by a run whose answer was lost): what the row asks for is done.
      if (!(error instanceof TokPortalError) || error.code !== "BUNDLE_ALREADY_PUBLISHED") throw error;
      const current = error.details.current_status;
      const status = typeof current === "string" ? current : "published";
      for (const rowId of op.rows)
        if (rowId.startsWith("b:")) this.book.merge(rowId, { bundle_status: status }, false);
      return { charged: 0, remaining: null, message: `already ${status}`, replayed: error.replayed };
    }
    const published = readAnswer(res, "publishBundle", PublishBundleSchema);
    const accountStatus = typeof published.account_status === "string" ? published.account_status : undefined;
    for (const rowId of op.rows) {
      if (rowId.startsWith("b:"))
        this.book.merge(rowId, {
          bundle_status: published.status ?? undefined,
          account_status: accountStatus,
        });
      else if (!this.book.failed(rowId)) this.book.merge(rowId, {});
    }
    for (const rowId of released) this.book.merge(rowId, { video_status: "published" });
    bundle.configured.clear();
    this.noteAdjusted(op.bundleRef, published.adjusted_videos);
    return { charged: 0, remaining: null, replayed: res.replayed };
  }

  private async publishVideos(
    op: Extract<PlanOp, { kind: "publishVideos" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    // A position whose row failed in this run is not released: its slot holds the old content.
    const positions = op.positions.filter(
      (p) => !this.rowsAt(op, p).some((rowId) => this.book.failed(rowId)),
    );
    const held = op.positions.length - positions.length;
    if (op.all && held === 0) {
      const res = await this.send(op, "publishAllBundleVideos", { path: { id } }, [
        id,
        op.kind,
        op.positions,
        this.rowState(op),
      ]);
      const all = readAnswer(res, "publishAllBundleVideos", PublishAllSchema);
      const ids = new Set(all.video_ids);
      for (const rowId of this.book.videoRowsOf(op.bundleRef)) {
        const videoId = this.book.value(rowId, "video_id");
        const position = this.book.value(rowId, "position");
        const byId = typeof videoId === "string" && ids.has(videoId);
        const byPosition = ids.size === 0 && typeof position === "number" && op.positions.includes(position);
        if (byId || byPosition) this.book.merge(rowId, { video_status: "published" });
      }
      for (const rowId of op.rows) this.book.merge(rowId, {});
      this.noteAdjusted(op.bundleRef, all.adjusted_videos);
      return {
        charged: 0,
        remaining: null,
        replayed: res.replayed,
        message: `${all.videos_published ?? ids.size} released`,
      };
    }
    // One by one: the plan asked for these positions, or a publish-all would take a failed row's slot too.
    let replayed = false;
    for (const position of positions) {
      const rows = this.rowsAt(op, position);
      const ref = rows.length === 1 && rows[0] ? rows[0].slice(2) : op.bundleRef;
      const res = await this.send(
        op,
        "publishBundleVideo",
        { path: { id, position } },
        [id, op.kind, [position], this.rowState(op)],
        ref,
      );
      replayed ||= res.replayed;
      const one = readAnswer(res, "publishBundleVideo", PublishVideoSchema);
      for (const rowId of rows) {
        this.book.merge(rowId, {
          video_status: one.status ?? "published",
          video_id: one.video_id ?? undefined,
        });
        if (one.date_adjusted && one.original_date && one.new_date) {
          this.book.note(rowId, movedDate(one.original_date, one.new_date));
        }
      }
    }
    return {
      charged: 0,
      remaining: null,
      replayed,
      ...(held > 0
        ? { message: `${positions.length} released, ${held} held back (their update failed)` }
        : {}),
    };
  }

  private async unscheduleVideo(
    op: Extract<PlanOp, { kind: "unscheduleVideo" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    const res = await this.send(
      op,
      "unscheduleBundleVideo",
      { path: { id, position: op.position } },
      [id, op.kind, [op.position], op.reason, this.fromState(op.rows)],
      this.videoRef(op),
    );
    for (const rowId of op.rows) this.book.merge(rowId, { video_status: "pending" });
    return { charged: 0, remaining: null, replayed: res.replayed };
  }

  /**
   * The money side of a charged step's answer, booked on the bundle row. A replay on the first attempt is
   * an earlier run's charge (shown in `credits_charged` if the sheet never got it, not counted for this
   * run); a replay on a retry is this run's own call whose first answer was lost, so it counts.
   */
  private charged(op: PlanOp, res: Answer, bundleRow: string | undefined): StepOutcome {
    const price = res.charge.credits_charged ?? op.cost;
    const charged = res.thisRun ? price : 0;
    // Only a create can be an earlier run's charge that never reached the sheet: a lost slot or batch
    // answer is read back by the next plan and not sent again.
    const recorded =
      op.kind === "createBundle" && !res.thisRun && (this.previousCharge(bundleRow) ?? 0) === 0 ? price : 0;
    if (bundleRow) this.book.charge(bundleRow, charged, recorded, this.previousCharge(bundleRow));
    return {
      charged,
      remaining: res.replayed ? null : (res.charge.credits_remaining ?? null),
      replayed: res.replayed,
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Helpers

  /**
   * Sends one write through `client.call` and reads its answer. Every step goes through here, so each
   * reports `replayed`, and a charged step knows whether this run's call took the credits.
   *
   * A charged step's refusal replayed from the store (402 INSUFFICIENT_CREDITS, 409 BUNDLE_PRICING_CHANGED)
   * is an earlier request's: nothing ran for it, so it is asked once more under a key salted by the stored
   * answer's request id. The budget and balance were checked before this step, as for any charged step.
   */
  private async send(
    op: PlanOp,
    operationId: string,
    input: CallInput,
    content: unknown,
    ref: string = op.bundleRef,
  ): Promise<Answer> {
    try {
      return answerOf(operationId, await this.client.call(operationId, input, this.write(op, content, ref)));
    } catch (error) {
      if (!(error instanceof TokPortalError) || !error.replayed || !CHARGED_KINDS.has(op.kind)) throw error;
      if (!PASSING_REFUSALS.has(error.code)) throw error;
      const salted = this.write(op, [content, "after stored refusal", error.requestId], ref);
      return answerOf(operationId, await this.client.call(operationId, input, salted));
    }
  }

  /** Write options with the step's Idempotency-Key: same content, same key, so TokPortal replays. */
  private write(op: PlanOp, content: unknown, ref: string = op.bundleRef): WriteOptions {
    const key = idempotencyKey({
      prefix: this.plan.prefix,
      ref,
      operation: op.kind,
      fingerprint: fingerprintOf(content),
    });
    // No abort signal: a write already sent is worth its answer; a stop only prevents new steps.
    return { idempotencyKey: key };
  }

  /**
   * What a free, state-setting step changes from: the plan that decided it (when, and from which sheet and
   * remote state), each served row's stored `sync_fingerprint` and the remote values the planner read. It
   * goes into the key with the body, so a row undone A→B→A (or A→B→A→B: the same change from the same
   * cells, which only the time and the remote state tell apart) is sent again instead of being answered
   * from the store; a retry within the run keeps its key. Sending such a step again is harmless: it sets
   * state and charges nothing, and a rerun after a crash reads the state afresh anyway.
   */
  private fromState(rowIds: readonly string[]): unknown {
    return [
      this.plan.createdAt,
      this.plan.inputsFingerprint,
      rowIds.map((rowId) => [
        rowId,
        this.options.stored?.get(rowId)?.sync_fingerprint ?? null,
        this.book.planned(rowId)?.remote ?? null,
      ]),
    ];
  }

  /**
   * The planned fingerprints of the rows a release serves. TokPortal stores refusals under their key, and
   * a release repeated later (after a fix, or after the slot was cleared and filled again) must be asked
   * anew, not answered from the store; a rerun after a crash reads the state and needs no replay here.
   */
  private rowState(op: PlanOp): Array<string | null> {
    return op.rows.map((rowId) => this.book.planned(rowId)?.fingerprint ?? null);
  }

  /** `bundle_ref/video_ref` when the op serves one videos row, else the bundle's ref. */
  private videoRef(op: PlanOp): string {
    const only = op.rows.length === 1 ? op.rows[0] : undefined;
    return only?.startsWith("v:") ? only.slice(2) : op.bundleRef;
  }

  private bundleRowOf(op: PlanOp): string | undefined {
    const id = `b:${op.bundleRef}`;
    return this.book.has(id) ? id : undefined;
  }

  /**
   * The `credits_charged` the sheet already shows for the bundle: the planner's value, else the stored cell
   * (a single-table bundle keeps it on its first videos row). Null when the cell is empty.
   */
  private previousCharge(rowId: string | undefined): number | null {
    if (!rowId) return null;
    const cell =
      this.book.value(rowId, "credits_charged") ?? this.options.stored?.get(rowId)?.credits_charged;
    if (cell === undefined || cell === null || cell === "") return null;
    const n = Number(cell);
    return Number.isFinite(n) ? n : null;
  }

  private mergeBundle(op: PlanOp, b: Bundle): void {
    for (const rowId of op.rows) {
      if (!rowId.startsWith("b:")) {
        if (!this.book.failed(rowId)) this.book.merge(rowId, {});
        continue;
      }
      this.book.merge(rowId, {
        bundle_id: b.id,
        bundle_status: b.status ?? undefined,
        account_status: b.account_status ?? undefined,
      });
    }
  }

  /** Videos rows of this bundle whose slot is configured before any publish of this run (per the plan). */
  private initiallyConfigured(bundleRef: string): Set<string> {
    const out = new Set<string>();
    for (const rowId of this.book.videoRowsOf(bundleRef)) {
      if (this.book.value(rowId, "video_status") === "configured") out.add(rowId);
    }
    return out;
  }

  private rowsAt(op: PlanOp, position: number): string[] {
    const candidates = op.rows.length > 0 ? op.rows : this.book.videoRowsOf(op.bundleRef);
    return candidates.filter((rowId) => Number(this.book.value(rowId, "position")) === position);
  }

  private noteAdjusted(
    bundleRef: string,
    adjusted: Array<{
      video_id?: string | null;
      position?: number | null;
      previous_date?: string | null;
      new_date?: string | null;
    }>,
  ): void {
    for (const a of adjusted) {
      if (!a.previous_date || !a.new_date) continue;
      const row = this.book.videoRowsOf(bundleRef).find((rowId) => {
        const videoId = this.book.value(rowId, "video_id");
        if (a.video_id && videoId === a.video_id) return true;
        return a.position != null && Number(this.book.value(rowId, "position")) === a.position;
      });
      if (row) this.book.note(row, movedDate(a.previous_date, a.new_date));
    }
  }

  private prepareItem(
    entry: ConfigureVideoItem,
    bundleId: string,
    bundleRef: string,
  ): Promise<{ entry: ConfigureVideoItem; item: BatchVideoItem | null }> {
    return this.resolveItem(entry, bundleId, bundleRef).then(
      (item) => ({ entry, item }),
      (error: unknown) => {
        if (isAuthFailure(error instanceof UploadError ? error.cause : error)) {
          throw error instanceof UploadError ? error.cause : error;
        }
        const column = error instanceof UploadError ? this.mediaColumn(entry, error.file) : undefined;
        const text = error instanceof Error ? error.message : String(error);
        this.failRow(entry.rowId, "error", `${text}.`, column);
        return { entry, item: null };
      },
    );
  }

  private async resolveItem(
    entry: ConfigureVideoItem,
    bundleId: string,
    bundleRef: string,
  ): Promise<BatchVideoItem> {
    const item: BatchVideoItem = { ...entry.item };
    const media = entry.media;
    if (media.video_url?.kind === "file") {
      item.video_url = await this.uploader.resolve(media.video_url, "video", bundleId, bundleRef);
    }
    if (media.carousel_images?.some((m) => m.kind === "file")) {
      item.carousel_images = await Promise.all(
        media.carousel_images.map((m) => this.uploader.resolve(m, "carousel", bundleId, bundleRef)),
      );
    }
    return item;
  }

  private mediaColumn(entry: ConfigureVideoItem, file: string): string | undefined {
    const m = entry.media;
    if (m.video_url?.kind === "file" && m.video_url.path.endsWith(file)) return "video_url";
    if (m.carousel_images?.some((x) => x.kind === "file" && x.path.endsWith(file))) return "carousel_images";
    return undefined;
  }

  private uploadFailure(error: unknown): unknown {
    if (!(error instanceof UploadError)) return error;
    if (isAuthFailure(error.cause)) return error.cause;
    return new HandledFailure(error, {
      outcome: "error",
      column: "profile_picture",
      text: `${error.message}.`,
    });
  }

  private failRow(rowId: string, outcome: Failure["outcome"], text: string, column?: string): void {
    const planned = this.book.planned(rowId);
    if (!planned) return;
    this.book.fail(rowId, outcome, `${rowWhere(planned.row, column)}: ${text}`);
  }

  private skip(op: PlanOp, block: Block): void {
    for (const rowId of op.rows) this.failRow(rowId, block.outcome, block.message);
    this.done(op, { status: "skipped", message: block.message });
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

/** One write's answer: its `data`, the money beside it, and whether this run's call caused it. */
interface Answer {
  operationId: string;
  status: number;
  data: unknown;
  charge: Charge;
  /** TokPortal answered from a stored Idempotency-Key. */
  replayed: boolean;
  /**
   * The answer is this run's doing: not replayed, or replayed on a retry (the first attempt landed and its
   * answer was lost). A replay on the first attempt is an earlier run's.
   */
  thisRun: boolean;
  requestId: string | null;
}

function answerOf(operationId: string, res: ApiResponse): Answer {
  const ctx = { operationId, requestId: res.requestId, status: res.status };
  return {
    operationId,
    status: res.status,
    data: readData(res.body, ctx),
    charge: read(ChargeSchema, res.body, ctx, ""),
    replayed: res.replayed,
    thisRun: !res.replayed || (res.attempt ?? 1) > 1,
    requestId: res.requestId,
  };
}

function readAnswer<S extends z.ZodType>(res: Answer, operationId: string, schema: S): z.output<S> {
  return read(schema, res.data, { operationId, requestId: res.requestId, status: res.status }, "data");
}

/** Refusals of a charged step whose cause can pass (a top-up, a price change): a stored one is asked again. */
const PASSING_REFUSALS = new Set(["INSUFFICIENT_CREDITS", "BUNDLE_PRICING_CHANGED"]);
const CHARGED_KINDS = new Set<PlanOp["kind"]>([
  "createBundle",
  "addVideoSlots",
  "addEditSlots",
  "configureVideos",
]);

interface BundleRun {
  ref: string;
  /** TokPortal's id: from the plan, or from this run's create. */
  id: string | null;
  block: Block | null;
  /** Videos rows with a configured slot in this bundle (what a bundle publish releases). */
  configured: Set<string>;
  /** Videos rows whose slot was configured before this run (a failed update would release old content). */
  initial: Set<string>;
}

/**
 * A failure whose rows were already told (a batch's items, a file that failed to upload); `describeError`
 * reads the failure it carries instead of the raw error.
 */
class HandledFailure extends Error {
  constructor(
    readonly original: unknown,
    readonly failure: Failure,
  ) {
    super(failure.text);
    this.name = "HandledFailure";
  }
}

function duplicateOf(error: unknown): { id: string; status: string | null } | null {
  if (!(error instanceof TokPortalError) || error.code !== "DUPLICATE_ACCOUNT_BUNDLE") return null;
  const id = error.details.existing_bundle_id;
  if (typeof id !== "string" || id === "") return null;
  const status = error.details.existing_status;
  return { id, status: typeof status === "string" ? status : null };
}

function movedDate(from: string, to: string): string {
  return `TokPortal moved the date from ${from} to ${to}: it had become too soon.`;
}
