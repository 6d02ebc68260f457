/**
 * The contract between the emulator's HTTP core (src/emulator/app.ts and src/emulator/pipeline/) and its operation handlers
 * (src/emulator/ops/*.ts).
 *
 * The core owns everything that is the same for every operation: routing from the spec's paths, auth,
 * the token bucket, request validation against the spec, Idempotency-Key, dry run, envelopes, headers,
 * faults and the request log. A handler owns one operation's domain rules: it reads the validated
 * request, changes `ctx.state`, and returns a result or throws an `ApiError`.
 */
import type { ApiKeyRecord, Bundle, EmulatorState, PlanTier, Workspace } from "./model.ts";

/** An error answered in TokPortal's envelope: `{"error":{"code","message","details"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface UploadedFile {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface OpRequest {
  operationId: string;
  /** Path parameters, as text. */
  params: Record<string, string>;
  /** Query parameters; repeated keys are arrays. Already validated against the spec. */
  query: Record<string, string | string[]>;
  /** The parsed JSON body (validated), or for multipart requests the non-file fields. */
  body: unknown;
  /** Multipart file fields by name. */
  files: Record<string, UploadedFile>;
  /** Lower-cased request headers. */
  headers: Record<string, string>;
}

/** What a handler returns. `body` is the whole JSON body (the handler adds the `data` envelope). */
export interface OpResult {
  status?: number;
  body?: unknown;
  /** For non-JSON answers (CSV, HTML): the raw text and its content type. */
  text?: { contentType: string; content: string };
  headers?: Record<string, string>;
}

export interface EmulatorClock {
  /** Simulated now, in ms since the epoch. */
  now(): number;
  /** Simulated now as an ISO string. */
  iso(): string;
}

/** Tunables of the simulated service (all have defaults; see EmulatorOptions in world.ts). */
export interface EmulatorRules {
  /** Workspace rolling-window capacity for bundle creation / publication; null = unlimited. */
  createCapacity: { limit: number; windowSeconds: number } | null;
  publishCapacity: { limit: number; windowSeconds: number } | null;
  /** Plan tier per workspace overrides the default; "starter" refuses analytics exports with 403. */
  defaultPlanTier: PlanTier;
  /** Delays of the simulated managers, in seconds (see ops/managers.ts). */
  managers: {
    acceptAfterSeconds: number;
    /** Hours after the start of the target day when a manager posts the video. */
    postAtHourUtc: number;
    autoFinalizeAfterHours: number;
    /**
     * Share (0–1) of released videos whose media the manager cannot download, chosen from the seed and
     * the video id; media sent from an unreachable URL (docs/emulator.md) always fail. Default 0.
     */
    downloadIssueShare?: number;
  };
}

export interface OpContext {
  state: EmulatorState;
  workspace: Workspace;
  clock: EmulatorClock;
  rules: EmulatorRules;
  /** True under `X-TokPortal-Dry-Run: true`: `state` is a throwaway clone and ids are synthetic. */
  dryRun: boolean;
  /** A new uuid (synthetic `00000000-0000-4000-8000-…` in a dry run). Deterministic under a seed. */
  newId(): string;
  /** Deterministic random in [0,1) from the emulator seed. */
  random(): number;
  /** Queue a webhook event for the workspace (dropped in a dry run). */
  emit(type: string, data: Record<string, unknown>): void;
  /** The public base URL of this emulator, e.g. `http://127.0.0.1:4010` (no /api/ext). */
  origin: string;
  /** A bundle of this workspace, or 404 BUNDLE_NOT_FOUND / 403 BUNDLE_NOT_OWNED. */
  bundle(id: string): Bundle;
  /** Debit credits with a ledger entry, or throw 402 INSUFFICIENT_CREDITS with the breakdown. */
  charge(breakdown: Record<string, number>, description: string, bundleId?: string): number;
  /** The key that authenticated this request (absent on public operations). */
  apiKey?: ApiKeyRecord;
}

export type OpHandler = (req: OpRequest, ctx: OpContext) => OpResult | Promise<OpResult>;

/** Handlers by operationId; operations without one answer 501 NOT_IMPLEMENTED. */
export type OpTable = Record<string, OpHandler>;

/** Where state changes are announced; the webhook dispatcher (webhook-dispatcher.ts) implements it. */
export interface EventSink {
  emit(workspaceId: string, type: string, data: Record<string, unknown>): void;
}

/** What the simulated managers (ops/managers.ts) get; the core runs them before every request. */
export interface ManagerEnv {
  state: EmulatorState;
  clock: EmulatorClock;
  rules: EmulatorRules;
  events: EventSink;
  newId(): string;
  random(): number;
}
