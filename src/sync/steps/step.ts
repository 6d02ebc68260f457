/**
 * What a plan step is: the requests it sends (each with the content its Idempotency-Key is derived from)
 * and how TokPortal's answers settle the rows it serves. One module per op kind says both; the apply loop
 * (src/sync/apply.ts) and the dry-run check (src/sync/server-check.ts) only run them.
 */
import type { TokPortalClient } from "../../api/client.ts";
import type { Answered, Video, WriteOptions } from "../../api/index.ts";
import { type Finding, findingText } from "../../findings/index.ts";
import type { Failure } from "../apply-errors.ts";
import type { RowOutcomes } from "../apply-results.ts";
import type { OpKind, Plan, PlanOp } from "../types.ts";
import type { MediaUploader } from "../uploads.ts";

export type OpOf<K extends OpKind> = Extract<PlanOp, { kind: K }>;

/**
 * One call a step makes: the client's typed write it sends, and what its Idempotency-Key is derived from.
 * The apply sends it under that key; the dry-run check sends the very same call with the dry-run header.
 */
export interface StepRequest<T = unknown> {
  write(api: TokPortalClient, options: WriteOptions): Promise<Answered<T>>;
  key: {
    /** The ref in the key: the bundle's, or `bundle_ref/video_ref` when the call serves one videos row. */
    ref: string;
    /** Fingerprinted into the key: the same content gives the same key, so TokPortal replays. */
    content: unknown;
  };
}

/** A write's answer as the apply sees it. */
export interface Answer<T = unknown> extends Answered<T> {
  /**
   * The answer is this run's doing: not replayed, or replayed on a retry (the first attempt landed and its
   * answer was lost). A replay on the first attempt is an earlier run's.
   */
  thisRun: boolean;
}

/** One bundle's state while its steps run, in plan order. */
export interface BundleRun {
  ref: string;
  /** TokPortal's id: from the plan, or from this run's create. */
  id: string | null;
  /** Videos rows with a configured slot in this bundle (what a bundle publish releases). */
  configured: Set<string>;
  /** Videos rows whose slot was configured before this run (a failed update would release old content). */
  initial: Set<string>;
}

/** What a step's requests are built from: the plan, the rows' state and the bundle's. */
export interface KeyContext {
  readonly plan: Plan;
  readonly book: RowOutcomes;
  /** The rows' output cells as read from the sheet, by row id. */
  readonly stored: ReadonlyMap<string, Record<string, string>> | undefined;
  readonly bundle: BundleRun;
}

/** What a running step may do beyond building its requests. */
export interface StepContext extends KeyContext {
  readonly uploader: MediaUploader;
  /** Sends one request under its key (the apply adds the key and retries a stored passing refusal). */
  send<T>(request: StepRequest<T>): Promise<Answer<T>>;
  /** The bundle's slots as TokPortal has them now (a read: for answers that do not say what they did). */
  readSlots(): Promise<Video[]>;
  /** Marks a row failed with a finding (its first failure decides its outcome). */
  failRow(rowId: string, outcome: Failure["outcome"], finding: Finding): void;
}

/** What one step did, beyond the rows it updated itself. */
export interface StepOutcome {
  message?: string;
  replayed?: boolean;
  /** Credits taken by this call (0 for replays and adoptions). */
  charged: number;
  /** The server's `credits_remaining`, when the answer had it. */
  remaining: number | null;
  /** True when every item of a batch failed: the bundle's later steps are skipped. */
  failedItems?: boolean;
}

export interface Step<K extends OpKind> {
  /** Spends credits: its price is reserved first, and a stored refusal whose cause can pass is asked again. */
  readonly charged: boolean;
  /**
   * The requests the apply would send for this op against the bundle as it is now, for a dry run; a
   * finding says why it can be checked locally only (media uploaded only by sync).
   */
  dryRun(op: OpOf<K>, ctx: KeyContext): StepRequest[] | Finding;
  /** Sends the op's requests and settles its rows. */
  run(op: OpOf<K>, ctx: StepContext): Promise<StepOutcome>;
}

/** Every op kind has its step: a kind without one fails typecheck. */
export type StepRegistry = { [K in OpKind]: Step<K> };

/**
 * A failure whose rows were already told (a batch's items, a file that failed to upload); the apply reads
 * the failure it carries instead of describing the raw error.
 */
export class HandledFailure extends Error {
  constructor(
    readonly original: unknown,
    readonly failure: Failure,
  ) {
    super(findingText(failure.finding));
    this.name = "HandledFailure";
  }
}
