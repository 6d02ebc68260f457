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
import type { TokPortalClient } from "../api/client.ts";
import { TokPortalError } from "../api/errors.ts";
import { idempotencyKey } from "../api/idempotency.ts";
import type { BatchConfigureBody, BatchVideoItem, Bundle, WriteOptions } from "../api/index.ts";
import {
  type BatchResult,
  BatchResultSchema,
  type Charge,
  ChargeSchema,
  read,
  readData,
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
import { RowBook } from "./apply-results.ts";
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

export async function applyPlan(
  plan: Plan,
  client: TokPortalClient,
  options: ApplyOptions,
): Promise<ApplyReport> {
  const run = new ApplyRun(plan, client, options);
  return run.execute();
}

class ApplyRun {
  private readonly book: RowBook;
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
    this.book = new RowBook(plan);
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
    if (this.fatal) throw this.fatal;
    return { rows: this.book.results(), creditsCharged: this.budget.spent, ops: this.ops };
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
      const res = await this.client.bundles.create(op.body, this.write(op, [null, op.body]));
      bundle.id = res.bundle.id;
      const price = res.charge.credits_charged ?? op.cost;
      const charged = res.replayed ? 0 : price;
      // A replayed create was charged by an earlier run whose result never reached the sheet.
      const recorded = res.replayed && !this.previousCharge(bundleRow) ? price : 0;
      this.mergeBundle(op, res.bundle);
      if (bundleRow) this.book.charge(bundleRow, charged, recorded);
      return {
        charged,
        remaining: res.replayed ? null : (res.charge.credits_remaining ?? null),
        replayed: res.replayed,
        ...(res.replayed ? { message: "replayed: TokPortal had already created it" } : {}),
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
    const id = bundle.id as string;
    // The rows served and the reason (which names the slot count it starts from) are part of the key: two
    // runs that each need "2 more slots" must not replay one another. A rerun after a crash does not need
    // the replay: it reads the slots the lost answer added and plans no second addition.
    const res = await this.client.bundles.addVideoSlots(
      id,
      op.quantity,
      this.write(op, [id, { quantity: op.quantity }, op.rows, op.reason]),
    );
    const price = res.charge.credits_charged ?? op.cost;
    const charged = res.replayed ? 0 : price;
    const bundleRow = this.bundleRowOf(op);
    if (bundleRow) this.book.charge(bundleRow, charged);
    for (const rowId of op.rows) this.book.merge(rowId, {}, true);
    return {
      charged,
      remaining: res.replayed ? null : (res.charge.credits_remaining ?? null),
      replayed: res.replayed,
      message: `${res.slots.positions.length || op.quantity} slot(s) added`,
    };
  }

  private async patchBundle(
    op: Extract<PlanOp, { kind: "patchBundle" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    const updated = await this.client.bundles.patch(id, op.body, this.write(op, [id, op.body]));
    this.mergeBundle(op, updated);
    return { charged: 0, remaining: null };
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
    const account = await this.client.account.configure(id, body, this.write(op, [id, body]));
    for (const rowId of op.rows) this.book.merge(rowId, { account_status: account.status ?? undefined });
    return { charged: 0, remaining: null };
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
    let batch: BatchAnswer;
    try {
      batch = await this.batch(id, body, this.write(op, [id, body], ref));
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
    const result = batch.result;
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
      );
      this.failRow(entry.rowId, failure.outcome, failure.text, failure.column);
    }
    const failed = op.items.length - ok;
    const charged = batch.replayed ? 0 : (batch.charge.credits_charged ?? op.cost);
    const bundleRow = this.bundleRowOf(op);
    if (bundleRow) this.book.charge(bundleRow, charged);
    return {
      charged,
      remaining: batch.replayed ? null : (batch.charge.credits_remaining ?? null),
      replayed: batch.replayed,
      ...(failed > 0 ? { message: `${ok} of ${op.items.length} configured` } : {}),
      failedItems: ok === 0,
    };
  }

  private async patchVideo(
    op: Extract<PlanOp, { kind: "patchVideo" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    const video = await this.client.videos.patch(
      id,
      op.position,
      op.body,
      this.write(op, [id, op.position, op.body], this.videoRef(op)),
    );
    for (const rowId of op.rows) {
      this.book.merge(rowId, {
        video_id: video.id ?? undefined,
        video_status: video.status,
        position: video.position,
      });
    }
    return { charged: 0, remaining: null };
  }

  private async publishBundle(
    op: Extract<PlanOp, { kind: "publishBundle" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    const released = [...bundle.configured];
    // A refusal (409 not ready) is stored under its key, so the key carries the rows' state (rowState).
    const positions = released.map((rowId) => this.book.value(rowId, "position") ?? null);
    let res: Awaited<ReturnType<TokPortalClient["bundles"]["publish"]>>;
    try {
      res = await this.client.bundles.publish(
        id,
        this.write(op, [id, op.kind, positions, this.rowState(op)]),
      );
    } catch (error) {
      // Published already (by hand, or by a run whose answer was lost): what the row asks for is done.
      if (!(error instanceof TokPortalError) || error.code !== "BUNDLE_ALREADY_PUBLISHED") throw error;
      const current = error.details.current_status;
      const status = typeof current === "string" ? current : "published";
      for (const rowId of op.rows)
        if (rowId.startsWith("b:")) this.book.merge(rowId, { bundle_status: status }, false);
      return { charged: 0, remaining: null, message: `already ${status}` };
    }
    const accountStatus = typeof res.account_status === "string" ? res.account_status : undefined;
    for (const rowId of op.rows) {
      if (rowId.startsWith("b:"))
        this.book.merge(rowId, { bundle_status: res.status ?? undefined, account_status: accountStatus });
      else if (!this.book.failed(rowId)) this.book.merge(rowId, {});
    }
    for (const rowId of released) this.book.merge(rowId, { video_status: "published" });
    bundle.configured.clear();
    this.noteAdjusted(op.bundleRef, res.adjusted_videos);
    return { charged: 0, remaining: null, replayed: res.replayed };
  }

  private async publishVideos(
    op: Extract<PlanOp, { kind: "publishVideos" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    if (op.all) {
      const res = await this.client.videos.publishAll(
        id,
        this.write(op, [id, op.kind, op.positions, this.rowState(op)]),
      );
      const ids = new Set(res.video_ids);
      for (const rowId of this.book.videoRowsOf(op.bundleRef)) {
        const videoId = this.book.value(rowId, "video_id");
        const position = this.book.value(rowId, "position");
        const byId = typeof videoId === "string" && ids.has(videoId);
        const byPosition = ids.size === 0 && typeof position === "number" && op.positions.includes(position);
        if (byId || byPosition) this.book.merge(rowId, { video_status: "published" });
      }
      for (const rowId of op.rows) this.book.merge(rowId, {});
      this.noteAdjusted(op.bundleRef, res.adjusted_videos);
      return { charged: 0, remaining: null, message: `${res.videos_published ?? ids.size} released` };
    }
    for (const position of op.positions) {
      const rows = this.rowsAt(op, position);
      const ref = rows.length === 1 && rows[0] ? rows[0].slice(2) : op.bundleRef;
      const res = await this.client.videos.publish(
        id,
        position,
        this.write(op, [id, op.kind, [position], this.rowState(op)], ref),
      );
      for (const rowId of rows) {
        this.book.merge(rowId, {
          video_status: res.status ?? "published",
          video_id: res.video_id ?? undefined,
        });
        if (res.date_adjusted && res.original_date && res.new_date) {
          this.book.note(rowId, movedDate(res.original_date, res.new_date));
        }
      }
    }
    return { charged: 0, remaining: null };
  }

  private async unscheduleVideo(
    op: Extract<PlanOp, { kind: "unscheduleVideo" }>,
    bundle: BundleRun,
  ): Promise<StepOutcome> {
    const id = bundle.id as string;
    await this.client.videos.unschedule(
      id,
      op.position,
      this.write(op, [id, op.kind, [op.position], op.reason], this.videoRef(op)),
    );
    for (const rowId of op.rows) this.book.merge(rowId, { video_status: "pending" });
    return { charged: 0, remaining: null };
  }

  // -------------------------------------------------------------------------------------------------------
  // Helpers

  /**
   * The batch call through `client.call`, since the typed `videos.batch` keeps only `data`: the charge
   * beside it (sound volume is paid the first time a slot gets one) and the replay flag matter here.
   */
  private async batch(
    bundleId: string,
    body: BatchConfigureBody,
    options: WriteOptions,
  ): Promise<BatchAnswer> {
    const operationId = "batchConfigureBundleVideos";
    const res = await this.client.call(operationId, { path: { id: bundleId }, body }, options);
    const ctx = { operationId, requestId: res.requestId, status: res.status };
    return {
      result: read(BatchResultSchema, readData(res.body, ctx), ctx, "data"),
      charge: read(ChargeSchema, res.body, ctx, ""),
      replayed: res.replayed,
    };
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

  private previousCharge(rowId: string | undefined): number {
    if (!rowId) return 0;
    const n = Number(this.book.value(rowId, "credits_charged") ?? 0);
    return Number.isFinite(n) ? n : 0;
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

interface BatchAnswer {
  result: BatchResult;
  charge: Charge;
  replayed: boolean;
}

interface BundleRun {
  ref: string;
  /** TokPortal's id: from the plan, or from this run's create. */
  id: string | null;
  block: Block | null;
  /** Videos rows with a configured slot in this bundle (what a bundle publish releases). */
  configured: Set<string>;
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
