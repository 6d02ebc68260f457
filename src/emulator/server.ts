/**
 * The emulator's HTTP core: a local TokPortal that serves the vendored spec's operations under /api/ext.
 *
 * Per request, in order: request id → faults → route → auth → token bucket → simulated managers → body →
 * Idempotency-Key → validation → capacity windows → handler (on a clone in a dry run) → envelope and
 * headers → request log → persist. Handlers (ops/*.ts) only see the validated request and an OpContext.
 */
import type { AddressInfo } from "node:net";
import { createAdaptorServer, type HttpBindings } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { loadSpec, type OperationSpec, SENSITIVE_OPERATIONS, type ValidationIssue } from "../api/spec.ts";
import { registerAdmin } from "./admin.ts";
import { type BucketConfig, DEFAULT_BUCKET, type TakeResult, TokenBuckets } from "./bucket.ts";
import { CapacityWindows } from "./capacity.ts";
import { parseStartTime, type SimulatedClock, simulatedClock } from "./clock.ts";
import {
  ApiError,
  type EmulatorRules,
  type EventSink,
  type OpContext,
  type OpRequest,
  type OpResult,
  type UploadedFile,
} from "./context.ts";
import {
  type Answer,
  apiError,
  codeForStatus,
  decorateDryRun,
  errorAnswer,
  jsonAnswer,
  requestIdOf,
  toResponse,
} from "./envelope.ts";
import { type FaultConfig, FaultInjector } from "./faults.ts";
import { IdempotencyStore, type IdempotentRequest, sha256Hex } from "./idempotency.ts";
import type { ApiKeyRecord, Bundle, EmulatorState, PlanTier, Workspace } from "./model.ts";
import { operations } from "./ops/index.ts";
import { runManagers } from "./ops/managers.ts";
import { loadStateFile, StateWriter } from "./persist.ts";
import { DRY_RUN_ID_PREFIX, isUuid, prng, randomHex, randomSeed, seededUuid, streamSeed } from "./random.ts";
import { RequestLog, type RequestLogEntry } from "./request-log.ts";
import { Router } from "./router.ts";
import { DEFAULT_RULES, mergeRules, type RulesPatch } from "./rules.ts";
import {
  addWorkspace,
  adjustCredits,
  DEFAULT_API_KEY,
  DEFAULT_CREDITS,
  emptyState,
  generateApiKey,
  hashApiKey,
  isApiKeyFormat,
} from "./state.ts";
import { readStoredObject, receivePresignedUpload, STORAGE_ROUTE, UPLOAD_ROUTE } from "./storage.ts";
import { WebhookDispatcher } from "./webhook-dispatcher.ts";

export const API_BASE_PATH = "/api/ext";
export { API_VERSION } from "./envelope.ts";

export interface EmulatorOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Load the world from this file at start and keep it saved there. */
  stateFile?: string;
  /** Opening balance of the default workspace (10,000). */
  credits?: number;
  /** The key the default workspace accepts (the public sandbox key `sk_000…0`). */
  apiKey?: string;
  /** Makes ids, simulated randomness and faults reproducible. */
  seed?: number;
  /** Simulated seconds per real second (1). */
  speed?: number;
  /** Simulated start time: ISO string or ms since the epoch (default: real now). */
  now?: string | number;
  bucket?: BucketConfig;
  rules?: RulesPatch;
  faults?: FaultConfig;
  /** No stderr output (internal errors, persistence failures). */
  quiet?: boolean;
  /**
   * The real-time source (ms) of the token bucket and of the simulated clock's `speed`. A test seam: tests
   * freeze it to assert exact arithmetic; leave it unset otherwise.
   */
  realClock?: () => number;
}

export interface CreatedKey {
  apiKey: string;
  workspaceId: string;
  keyId: string;
}

export interface EmulatorHandle {
  /** Base URL of the API, ending in /api/ext. */
  url: string;
  /** Scheme, host and port, e.g. `http://127.0.0.1:4010`. */
  origin: string;
  /** The key the default workspace accepts. */
  apiKey: string;
  port: number;
  /** Stops listening, flushes the state file and stops the webhook dispatcher. */
  stop(): Promise<void>;
  /** Moves the simulated clock forward, runs the managers; returns the new simulated time (ISO). */
  advance(seconds: number): Promise<string>;
  /** The live state (mutations take effect; call `persist()` after editing it by hand). */
  state(): EmulatorState;
  clock: SimulatedClock;
  /** Fresh state with the default workspace and key. */
  reset(): void;
  setFaults(config: FaultConfig): void;
  setRules(patch: RulesPatch): EmulatorRules;
  rules(): EmulatorRules;
  /** A new workspace and its key (returned once; only its hash is stored). */
  createKey(opts?: { credits?: number; scope?: ApiKeyRecord["scope"]; email?: string }): CreatedKey;
  requests(since?: number): RequestLogEntry[];
  clearRequests(): void;
  /** Writes the state file now (no-op without one). */
  persist(): Promise<void>;
}

type Env = { Bindings: HttpBindings };

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The simulated managers (ops/managers.ts); replaceable so the core can run without them. */
/** Drops events: the sink before the server is listening. */
const DROP_EVENTS: EventSink = { emit() {} };

interface StoppableSink extends EventSink {
  stop?(): void | Promise<void>;
  flush?(): void | Promise<void>;
}

export class Emulator {
  state: EmulatorState;
  rules: EmulatorRules;
  readonly clock: SimulatedClock;
  readonly log = new RequestLog();
  readonly faults: FaultInjector;
  readonly apiKey: string;
  origin = "";
  events: StoppableSink = DROP_EVENTS;

  private readonly spec = loadSpec();
  private readonly router: Router;
  private readonly buckets: TokenBuckets;
  private readonly capacity = new CapacityWindows();
  private readonly idempotency: IdempotencyStore;
  private handled = 0;
  private readonly seed: number;
  private readonly opsRandom: () => number;
  private readonly managersRandom: () => number;
  private readonly dryRunRandom: () => number;
  private readonly realNow: () => number;
  writer: StateWriter | undefined;

  constructor(readonly options: EmulatorOptions) {
    validateOptions(options);
    this.seed = options.seed ?? randomSeed();
    this.opsRandom = prng(streamSeed(this.seed, "ops"));
    this.managersRandom = prng(streamSeed(this.seed, "managers"));
    this.dryRunRandom = prng(streamSeed(this.seed, "dry-run"));
    this.faults = new FaultInjector(streamSeed(this.seed, "faults"), options.faults ?? {});
    this.realNow = options.realClock ?? Date.now;
    this.buckets = new TokenBuckets(options.bucket ?? DEFAULT_BUCKET, this.realNow);
    this.rules = mergeRules(DEFAULT_RULES, options.rules);
    this.apiKey = options.apiKey ?? DEFAULT_API_KEY;
    this.router = new Router(this.spec.operations.values());
    this.idempotency = new IdempotencyStore(() => this.state);

    const loaded = options.stateFile ? loadStateFile(options.stateFile) : undefined;
    this.state = loaded ?? emptyState();
    this.clock = simulatedClock({
      startMs: parseStartTime(options.now, this.realNow),
      speed: options.speed ?? 1,
      offsetMs: () => this.state.clockOffsetMs,
      realNow: this.realNow,
    });
    this.ensureDefaultWorkspace();
    if (options.stateFile) {
      this.writer = new StateWriter(
        options.stateFile,
        () => this.state,
        200,
        (err) => this.warn(`could not save the state file: ${err.message}`),
      );
      this.writer.touch();
    }
  }

  /** The n-th id of this world; the counter lives in the state so restarts never reuse one. */
  newId = (): string => {
    const n = (this.state.counters.uuid ?? 0) + 1;
    this.state.counters.uuid = n;
    return seededUuid(this.seed, n);
  };

  warn(message: string): void {
    if (!this.options.quiet) process.stderr.write(`[emulator] ${message}\n`);
  }

  touch(): void {
    this.writer?.touch();
  }

  reset(): void {
    this.state = emptyState();
    this.ensureDefaultWorkspace();
    this.buckets.clear();
    this.capacity.clear();
    this.idempotency.clearInFlight();
    this.touch();
  }

  setRules(patch: RulesPatch): EmulatorRules {
    this.rules = mergeRules(this.rules, patch);
    // The default tier is what every sandbox workspace is on unless a key was created with its own.
    if (patch.defaultPlanTier) {
      for (const ws of Object.values(this.state.workspaces)) ws.plan_tier = patch.defaultPlanTier;
    }
    return this.rules;
  }

  createKey(opts: {
    credits?: number;
    scope?: ApiKeyRecord["scope"];
    email?: string;
    planTier?: PlanTier;
  }): CreatedKey {
    const apiKey = generateApiKey();
    const n = Object.keys(this.state.workspaces).length + 1;
    const { workspace, key } = addWorkspace(
      this.state,
      {
        apiKey,
        credits: opts.credits ?? this.options.credits ?? DEFAULT_CREDITS,
        email: opts.email ?? `workspace-${n}@sandbox.example.com`,
        planTier: opts.planTier ?? this.rules.defaultPlanTier,
        ...(opts.scope ? { scope: opts.scope } : {}),
      },
      this.newId,
      this.clock.iso(),
    );
    this.touch();
    return { apiKey, workspaceId: workspace.id, keyId: key.id };
  }

  /** The workspace of a key (the default key when none is given). */
  workspaceOfKey(apiKey: string = this.apiKey): Workspace | undefined {
    const hash = hashApiKey(apiKey);
    const key = this.state.apiKeys.find((k) => k.hash === hash);
    return key ? this.state.workspaces[key.workspaceId] : undefined;
  }

  adjustCredits(workspace: Workspace, change: { amount?: number; set?: number }): number {
    const balance = adjustCredits(workspace, change, this.newId, this.clock.iso());
    this.touch();
    return balance;
  }

  async advance(seconds: number): Promise<string> {
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error("seconds must be a number >= 0");
    this.state.clockOffsetMs += Math.round(seconds * 1000);
    this.idempotency.prune(this.clock.now());
    this.manage();
    await this.events.flush?.();
    this.touch();
    return this.clock.iso();
  }

  /** Applies every managers' transition that is due on the simulated clock. */
  manage(): void {
    runManagers({
      state: this.state,
      clock: this.clock,
      rules: this.rules,
      events: this.events,
      newId: this.newId,
      random: this.managersRandom,
    });
  }

  private ensureDefaultWorkspace(): void {
    const hash = hashApiKey(this.apiKey);
    if (this.state.apiKeys.some((k) => k.hash === hash)) return;
    addWorkspace(
      this.state,
      {
        apiKey: this.apiKey,
        credits: this.options.credits ?? DEFAULT_CREDITS,
        email: "sandbox@sandbox.example.com",
        planTier: this.rules.defaultPlanTier,
        keyName: "Sandbox key",
      },
      this.newId,
      this.clock.iso(),
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // The request pipeline

  async handle(c: Context<Env>): Promise<Response> {
    const method = c.req.method;
    const fullPath = c.req.path;
    const path = fullPath.slice(API_BASE_PATH.length) || "/";
    const requestId = requestIdOf(c.req.header("x-request-id"));
    const match = this.router.match(method, path);
    const operationId = match.kind === "op" ? match.op.operationId : null;
    const entry: Omit<RequestLogEntry, "index"> = {
      method,
      path: fullPath,
      status: 0,
      at: new Date(this.realNow()).toISOString(),
      operationId,
      request_id: requestId,
      replayed: false,
      dry_run: false,
      fault: null,
    };
    // `Date` is the server's clock, as on any HTTP server: the sandbox's is simulated, and the sync counts
    // lead time from it (API-NOTES §3.4 "in UTC"), so a sandbox set in the past still plans correctly.
    const base = { "x-tokportal-request-id": requestId, date: new Date(this.clock.now()).toUTCString() };

    const fault = this.faults.decide({ operationId, method, path });
    if (fault.delayMs > 0) {
      entry.delay_ms = fault.delayMs;
      await sleep(fault.delayMs);
    }
    if (fault.kind === "drop") {
      entry.fault = fault.label;
      this.log.add(entry);
      return dropConnection(c);
    }
    if (fault.kind === "status") {
      entry.fault = fault.label;
      const answer =
        fault.status === 429
          ? apiError(
              429,
              "RATE_LIMIT_EXCEEDED",
              "Too many requests. Please slow down.",
              { retry_after_seconds: 1 },
              { "retry-after": "1" },
            )
          : apiError(fault.status, codeForStatus(fault.status), "The service is temporarily unavailable.");
      entry.status = answer.status;
      this.log.add(entry);
      return toResponse(answer, base);
    }

    let answer: Answer;
    let extra: Record<string, string> = {};
    try {
      const out = await this.pipeline(c, match, entry);
      answer = out.answer;
      extra = out.headers;
    } catch (err) {
      answer = this.internalError(err);
    }
    entry.status = answer.status;
    if (fault.kind === "drop_after") {
      entry.fault = fault.label;
      this.log.add(entry);
      this.touch();
      return dropConnection(c);
    }
    this.log.add(entry);
    // Any request may change the state: a write directly, a read through the managers catching up.
    this.touch();
    // Expired idempotency records go now and then, so a long-running sandbox does not grow without bound.
    if (++this.handled % 1000 === 0) this.idempotency.prune(this.clock.now());
    return toResponse(answer, { ...base, ...extra });
  }

  private async pipeline(
    c: Context<Env>,
    match: ReturnType<Router["match"]>,
    entry: Omit<RequestLogEntry, "index">,
  ): Promise<{ answer: Answer; headers: Record<string, string> }> {
    const headers: Record<string, string> = {};
    const done = (answer: Answer) => ({ answer, headers });
    if (match.kind === "not_found")
      return done(apiError(404, "NOT_FOUND", `No endpoint ${c.req.method} ${c.req.path}`));
    if (match.kind === "method_not_allowed")
      return done(
        apiError(
          405,
          "METHOD_NOT_ALLOWED",
          `${c.req.method} is not allowed on ${c.req.path}`,
          { allowed: match.allowed },
          { allow: match.allowed.join(", ") },
        ),
      );
    const op = match.op;
    const method = op.method;
    const isWrite = WRITE_METHODS.has(method);
    const reqHeaders = c.req.header();

    // Auth (401s consume no token).
    let key: ApiKeyRecord | undefined;
    let workspace: Workspace | undefined;
    if (!op.public) {
      const presented = reqHeaders["x-api-key"];
      if (!presented) {
        const inQuery = ["api_key", "apiKey", "x-api-key", "key"].some((k) => c.req.query(k) !== undefined);
        return done(
          apiError(
            401,
            "AUTH_MISSING_KEY",
            inQuery
              ? "Send the API key in the X-API-Key header; keys in the URL are refused."
              : "Missing X-API-Key header.",
          ),
        );
      }
      const hash = hashApiKey(presented);
      key = this.state.apiKeys.find((k) => k.hash === hash);
      workspace = key ? this.state.workspaces[key.workspaceId] : undefined;
      if (!key || !workspace) return done(apiError(401, "AUTH_INVALID_KEY", "Invalid API key."));
      if (key.revoked) return done(apiError(401, "AUTH_REVOKED_KEY", "This API key has been revoked."));

      const take = this.buckets.take(key.hash);
      Object.assign(headers, rateHeaders(take));
      if (!take.allowed) {
        return done(
          apiError(
            429,
            "RATE_LIMIT_EXCEEDED",
            "Too many requests. Please slow down.",
            { retry_after_seconds: take.retryAfter },
            { "retry-after": String(take.retryAfter) },
          ),
        );
      }
      if ((key.scope === "read" && isWrite) || (key.scope === "write" && !isWrite)) {
        return done(
          apiError(403, "AUTH_INSUFFICIENT_SCOPE", `This API key has scope "${key.scope}".`, {
            scope: key.scope,
            required: isWrite ? "write" : "read",
          }),
        );
      }
    }

    this.manage();

    // Body.
    const dryRun = isWrite && (reqHeaders["x-tokportal-dry-run"] ?? "").toLowerCase() === "true";
    entry.dry_run = dryRun;
    const idemKey = isWrite ? reqHeaders["idempotency-key"] : undefined;
    if (idemKey !== undefined && SENSITIVE_OPERATIONS.has(op.operationId)) {
      return done(
        apiError(
          400,
          "IDEMPOTENCY_KEY_NOT_ALLOWED_FOR_SENSITIVE_RESPONSE",
          "This operation returns a secret and cannot be replayed: send it without an Idempotency-Key.",
          { operation: op.operationId },
        ),
      );
    }
    if (idemKey !== undefined && !/^[\x20-\x7e]{1,255}$/.test(idemKey)) {
      return done(
        apiError(400, "VALIDATION_ERROR", "Idempotency-Key must be 1 to 255 printable ASCII characters.", {
          field: "Idempotency-Key",
          issues: [],
        }),
      );
    }
    const parsed = await readBody(c, op);
    if ("error" in parsed) return done(parsed.error);

    // Idempotency (a dry run neither reads nor writes the store).
    let idem: IdempotentRequest | undefined;
    if (idemKey !== undefined && key && !dryRun) {
      idem = {
        apiKeyHash: key.hash,
        key: idemKey,
        method,
        path: c.req.path,
        bodyHash: parsed.hash,
      };
      const found = this.idempotency.lookup(idem, this.clock.now());
      if (found.kind === "in_flight")
        return done(
          apiError(
            409,
            "IDEMPOTENCY_KEY_IN_FLIGHT",
            "A request with this Idempotency-Key is still in progress.",
          ),
        );
      if (found.kind === "reused")
        return done(
          apiError(
            409,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was already used for a different request; use a new key.",
            { original_method: found.record.method, original_path: found.record.path },
          ),
        );
      if (found.kind === "replay") {
        entry.replayed = true;
        const r = found.record;
        const body = r.status === 204 ? null : r.body;
        return done({ status: r.status, body, headers: { ...r.headers, "idempotent-replayed": "true" } });
      }
      this.idempotency.begin(idem);
    }

    let answer: Answer | undefined;
    try {
      answer = await this.execute(op, match.params, c, parsed, reqHeaders, key, workspace, dryRun);
      return done(answer);
    } finally {
      if (idem) this.idempotency.finish(idem, answer ?? null, this.clock.iso());
    }
  }

  /** Validation, capacity and the handler; everything here may be stored for an Idempotency-Key. */
  private async execute(
    op: OperationSpec,
    params: Record<string, string>,
    c: Context<Env>,
    parsed: ParsedBody,
    reqHeaders: Record<string, string>,
    key: ApiKeyRecord | undefined,
    workspace: Workspace | undefined,
    dryRun: boolean,
  ): Promise<Answer> {
    // Before validation: whatever the request holds, the client's answer is that this does not exist here.
    const handler = operations[op.operationId];
    if (!handler)
      return apiError(501, "NOT_IMPLEMENTED", `The emulator does not implement ${op.operationId} yet.`, {
        operation: op.operationId,
      });

    const query = queryOf(c);
    const q = this.spec.validateQuery(op.operationId, query);
    if (!q.ok) return validationAnswer(q.issues, "query");
    if (op.bodyContentType === "application/json") {
      const v = this.spec.validateBody(op.operationId, parsed.body);
      if (!v.ok) return validationAnswer(v.issues, "body");
    }

    // Capacity windows.
    const cap = workspace ? capacityOf(op.operationId, parsed.body, this.rules) : undefined;
    if (cap && workspace) {
      const wait = this.capacity.check(`${cap.kind}:${workspace.id}`, cap.limit, cap.count, this.clock.now());
      if (wait > 0) {
        return apiError(
          429,
          "capacity_cooldown",
          `Workspace bundle ${cap.kind === "create" ? "creation" : "publication"} capacity is used up; try again later.`,
          { retry_after_seconds: wait, limit: cap.limit.limit, window_seconds: cap.limit.windowSeconds },
          { "retry-after": String(wait) },
        );
      }
    }

    // Handlers never need the key itself; keeping it out of their reach keeps it out of what they log or echo.
    const { "x-api-key": _key, ...headersWithoutKey } = reqHeaders;
    const req: OpRequest = {
      operationId: op.operationId,
      params,
      query,
      body: parsed.body,
      files: parsed.files,
      headers: headersWithoutKey,
    };
    const run = dryRun ? this.dryRunContext(key, workspace) : this.liveContext(key, workspace);
    let result: OpResult;
    try {
      result = await handler(req, run.ctx);
    } catch (err) {
      if (err instanceof ApiError) return errorAnswer(err);
      return this.internalError(err);
    }
    const status = result.status ?? 200;
    if (cap && workspace && !dryRun && status >= 200 && status < 300) {
      this.capacity.record(`${cap.kind}:${workspace.id}`, cap.count, this.clock.now());
    }
    return resultAnswer(result, dryRun ? run.charged() : undefined);
  }

  private liveContext(key: ApiKeyRecord | undefined, workspace: Workspace | undefined) {
    return { ctx: this.context(this.state, key, workspace, false, this.newId, () => {}), charged: () => 0 };
  }

  /** A dry run: the handler works on a clone with synthetic ids; its charges are only added up. */
  private dryRunContext(key: ApiKeyRecord | undefined, workspace: Workspace | undefined) {
    const clone = dryRunClone(this.state);
    const ws = workspace ? clone.workspaces[workspace.id] : undefined;
    let total = 0;
    const newId = () => `${DRY_RUN_ID_PREFIX}${randomHex(this.dryRunRandom, 12)}`;
    const ctx = this.context(clone, key, ws, true, newId, (amount) => {
      total += amount;
    });
    return { ctx, charged: () => total };
  }

  private context(
    state: EmulatorState,
    key: ApiKeyRecord | undefined,
    workspace: Workspace | undefined,
    dryRun: boolean,
    newId: () => string,
    onDryCharge: (amount: number) => void,
  ): OpContext {
    // Public operations have no workspace; a handler that needs one gets a clear error instead of a crash.
    const ws =
      workspace ??
      new Proxy({} as Workspace, {
        get() {
          throw new Error("this operation is public: it has no workspace");
        },
      });
    const clock = this.clock;
    const events = this.events;
    let dryCharged = 0;
    return {
      state,
      workspace: ws,
      clock,
      rules: this.rules,
      dryRun,
      newId,
      random: this.opsRandom,
      origin: this.origin,
      ...(key ? { apiKey: key } : {}),
      emit(type, data) {
        if (!dryRun && workspace) events.emit(workspace.id, type, data);
      },
      bundle(id: string): Bundle {
        const b = isUuid(id) ? state.bundles[id] : undefined;
        if (!b) throw new ApiError(404, "BUNDLE_NOT_FOUND", `Bundle ${id} was not found.`, { bundle_id: id });
        if (b.workspaceId !== ws.id)
          throw new ApiError(403, "BUNDLE_NOT_OWNED", "This bundle belongs to another workspace.", {
            bundle_id: id,
          });
        return b;
      },
      charge(breakdown, description, bundleId) {
        const amount = Object.entries(breakdown)
          .filter(([k]) => k !== "total")
          .reduce((s, [, v]) => s + v, 0);
        const available = ws.credits - dryCharged;
        if (amount > available) {
          throw new ApiError(
            402,
            "INSUFFICIENT_CREDITS",
            `This needs ${amount} credits; ${available} available.`,
            {
              required: amount,
              available,
              missing: amount - available,
              breakdown,
            },
          );
        }
        if (dryRun) {
          dryCharged += amount;
          onDryCharge(amount);
          return amount;
        }
        ws.credits -= amount;
        ws.ledger.push({
          id: newId(),
          type: "debit",
          amount: -amount,
          description,
          breakdown: { ...breakdown },
          balance_after: ws.credits,
          created_at: clock.iso(),
          ...(bundleId ? { bundle_id: bundleId } : {}),
        });
        return amount;
      },
    };
  }

  private internalError(err: unknown): Answer {
    if (!this.options.quiet)
      process.stderr.write(`[emulator] internal error: ${(err as Error)?.stack ?? err}\n`);
    return apiError(500, "INTERNAL_ERROR", "The emulator hit an internal error; see its log.");
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers of the pipeline

/** Refuses options that cannot mean what the caller intended, without echoing a key. */
function validateOptions(o: EmulatorOptions): void {
  if (o.apiKey !== undefined && !isApiKeyFormat(o.apiKey))
    throw new Error("apiKey must be sk_ followed by 64 lowercase hex characters");
  if (o.credits !== undefined && !(Number.isInteger(o.credits) && o.credits >= 0))
    throw new Error("credits must be an integer >= 0");
  if (o.speed !== undefined && !(Number.isFinite(o.speed) && o.speed >= 0))
    throw new Error("speed must be >= 0");
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new Error("seed must be an integer");
  if (o.bucket !== undefined && !(o.bucket.capacity >= 1 && o.bucket.refillPerSecond >= 0))
    throw new Error("bucket must be {capacity >= 1, refillPerSecond >= 0}");
}

interface ParsedBody {
  body: unknown;
  files: Record<string, UploadedFile>;
  /** Hash of the request's content, for Idempotency-Key comparison. */
  hash: string;
}

async function readBody(c: Context<Env>, op: OperationSpec): Promise<ParsedBody | { error: Answer }> {
  const empty: ParsedBody = { body: undefined, files: {}, hash: sha256Hex("") };
  if (c.req.method === "GET" || c.req.method === "HEAD") return empty;
  const contentType = (c.req.header("content-type") ?? "").toLowerCase();

  if (op.bodyContentType === "multipart/form-data") {
    if (!contentType.startsWith("multipart/form-data")) {
      return {
        error: apiError(400, "VALIDATION_ERROR", "This endpoint takes multipart/form-data.", {
          field: "(body)",
          issues: [],
        }),
      };
    }
    let form: Record<string, string | File | (string | File)[]>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      return {
        error: apiError(400, "VALIDATION_ERROR", "Malformed multipart body.", {
          field: "(body)",
          issues: [],
        }),
      };
    }
    const body: Record<string, string | string[]> = {};
    const files: Record<string, UploadedFile> = {};
    // Hash the content, not the bytes: every client picks a fresh multipart boundary on a retry.
    const digest: string[] = [];
    for (const name of Object.keys(form).sort()) {
      const value = form[name];
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item === "string") {
          const prev = body[name];
          body[name] = prev === undefined ? item : Array.isArray(prev) ? [...prev, item] : [prev, item];
          digest.push(`f:${name}=${item}`);
        } else if (item && !files[name]) {
          const bytes = new Uint8Array(await item.arrayBuffer());
          files[name] = { filename: item.name, contentType: item.type || "application/octet-stream", bytes };
          digest.push(`b:${name}:${item.name}:${item.type}:${sha256Hex(bytes)}`);
        }
      }
    }
    return { body, files, hash: sha256Hex(digest.join("\n")) };
  }

  const raw = await c.req.text();
  // An absent JSON body is validated like any other (the schema says whether one is required).
  if (raw.trim() === "") return empty;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    if (!op.bodyContentType && !contentType.includes("json")) return empty;
    return {
      error: apiError(
        400,
        "VALIDATION_ERROR",
        `The request body is not valid JSON: ${(err as Error).message}`,
        {
          field: "(body)",
          issues: [{ field: "(body)", message: "malformed JSON" }],
        },
      ),
    };
  }
  if (!op.bodyContentType) {
    // Operations without a body ignore an empty one; anything more is a mistake worth telling.
    if (isEmptyJson(value)) return empty;
    return {
      error: apiError(400, "VALIDATION_ERROR", `${op.operationId} takes no request body.`, {
        field: "(body)",
        issues: [{ field: "(body)", message: "this operation takes no request body" }],
      }),
    };
  }
  return { body: value, files: {}, hash: sha256Hex(stableStringify(value)) };
}

function isEmptyJson(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value as object).length === 0;
  return false;
}

/** JSON with sorted keys, so the same content hashes the same whatever order a client wrote it in. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function queryOf(c: Context<Env>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, values] of Object.entries(c.req.queries())) {
    out[k] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return out;
}

function validationAnswer(issues: ValidationIssue[], where: "body" | "query"): Answer {
  const unknown = issues.filter((i) => i.kind === "unknown_field");
  const main = unknown[0] ?? issues[0];
  const code = unknown.length > 0 ? "UNKNOWN_FIELD" : "VALIDATION_ERROR";
  const message =
    unknown.length > 0
      ? `Unknown field${unknown.length > 1 ? "s" : ""}: ${unknown.map((i) => i.field).join(", ")}.`
      : issues.map((i) => i.message).join("; ");
  return apiError(400, code, message || `Invalid request ${where}.`, {
    field: main?.field ?? "(body)",
    fields: [...new Set(issues.map((i) => i.field))],
    location: where,
    issues: issues.map((i) => ({ field: i.field, kind: i.kind, message: i.message })),
  });
}

function capacityOf(
  operationId: string,
  body: unknown,
  rules: EmulatorRules,
):
  | { kind: "create" | "publish"; limit: { limit: number; windowSeconds: number }; count: number }
  | undefined {
  if (operationId === "createBundle" && rules.createCapacity)
    return { kind: "create", limit: rules.createCapacity, count: 1 };
  if (operationId === "createBundlesBulk" && rules.createCapacity) {
    const b = (body ?? {}) as { accounts_count?: unknown; platforms?: unknown };
    const count = (Number(b.accounts_count) || 1) * (Array.isArray(b.platforms) ? b.platforms.length : 1);
    return { kind: "create", limit: rules.createCapacity, count };
  }
  if (operationId === "publishBundle" && rules.publishCapacity)
    return { kind: "publish", limit: rules.publishCapacity, count: 1 };
  return undefined;
}

function resultAnswer(result: OpResult, dryRunCharge: number | undefined): Answer {
  const status = result.status ?? 200;
  const headers = { ...(result.headers ?? {}) };
  if (status === 204) return { status, body: null, headers };
  if (result.text) {
    return {
      status,
      body: result.text.content,
      headers: { "content-type": result.text.contentType, ...headers },
    };
  }
  const body = dryRunCharge !== undefined ? decorateDryRun(result.body ?? {}, dryRunCharge) : result.body;
  return jsonAnswer(status, body ?? null, headers);
}

function rateHeaders(t: TakeResult): Record<string, string> {
  return {
    "x-ratelimit-limit": String(t.limit),
    "x-ratelimit-remaining": String(t.remaining),
    "x-ratelimit-reset": String(t.resetAt),
  };
}

/** Destroys the client's socket without an answer; the client sees a connection error. */
function dropConnection(c: Context<Env>): Response {
  c.env.incoming.socket.destroy();
  return new Response(null, { status: 500 });
}

/**
 * A copy of the state a dry run may scribble on. Upload bytes (base64, often megabytes) and stored
 * idempotency answers dominate the size yet no handler changes them in place, so they are copied one
 * level deep (strings are immutable and shared) instead of deep-cloned on every dry-run request.
 */
export function dryRunClone(state: EmulatorState): EmulatorState {
  const { uploads, idempotency, ...rest } = state;
  const clone = structuredClone(rest) as Omit<EmulatorState, "uploads" | "idempotency">;
  return {
    ...clone,
    uploads: Object.fromEntries(Object.entries(uploads).map(([id, u]) => [id, { ...u }])),
    idempotency: { ...idempotency },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------
// Starting and stopping

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const emu = new Emulator(options);

  const app = new Hono<Env>();
  registerAdmin(app, emu);
  // Media storage (storage.ts): presigned uploads land here; stored objects are served back as a CDN would.
  app.put(`${UPLOAD_ROUTE}:token`, async (c) => {
    const requestId = requestIdOf(c.req.header("x-request-id"));
    try {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      receivePresignedUpload(
        emu.state,
        c.req.param("token"),
        c.req.header("content-type"),
        bytes,
        emu.clock.now(),
      );
      emu.touch();
      return c.body(null, 200);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return toResponse(errorAnswer(err), { "x-tokportal-request-id": requestId });
    }
  });
  app.get(`${STORAGE_ROUTE}*`, (c) => {
    const stored = readStoredObject(emu.state, c.req.path.slice(STORAGE_ROUTE.length));
    if (!stored) return c.text("Not found", 404);
    return c.body(new Uint8Array(stored.bytes), 200, { "content-type": stored.contentType });
  });
  app.all(`${API_BASE_PATH}/*`, (c) => emu.handle(c));
  app.onError((err, c) => {
    emu.warn(`internal error: ${err.stack ?? err.message}`);
    return toResponse(apiError(500, "INTERNAL_ERROR", "The emulator hit an internal error; see its log."), {
      "x-tokportal-request-id": requestIdOf(c.req.header("x-request-id")),
    });
  });
  app.notFound((c) => {
    const requestId = requestIdOf(c.req.header("x-request-id"));
    return toResponse(apiError(404, "NOT_FOUND", `No endpoint ${c.req.method} ${c.req.path}`), {
      "x-tokportal-request-id": requestId,
    });
  });

  const server = createAdaptorServer({ fetch: app.fetch });
  // A dropped connection makes the adapter write into a destroyed socket; that is the point, not an error.
  server.on("clientError", (_err, socket) => socket.destroy());
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const origin = `http://${urlHost}:${port}`;
  emu.origin = origin;

  // Delivery ids stay random: deliveries finish in network order, which must not shift the seeded ids.
  emu.events = new WebhookDispatcher(() => emu.state, emu.clock);

  let stopped = false;
  return {
    url: `${origin}${API_BASE_PATH}`,
    origin,
    apiKey: emu.apiKey,
    port,
    clock: emu.clock,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await emu.events.stop?.();
      await emu.writer?.flush();
    },
    advance: (seconds) => emu.advance(seconds),
    state: () => emu.state,
    reset: () => emu.reset(),
    setFaults: (config) => emu.faults.set(config),
    setRules: (patch) => emu.setRules(patch),
    rules: () => emu.rules,
    createKey: (opts = {}) => emu.createKey(opts),
    requests: (since) => emu.log.since(since),
    clearRequests: () => emu.log.clear(),
    persist: async () => {
      await emu.writer?.flush();
    },
  };
}
