/**
 * The simulated world: the state (workspaces, bundles, ledger, uploads), the simulated clock, the managers
 * that move published work forward, and the per-key stores the pipeline consults (token buckets, capacity
 * windows, Idempotency-Key records). It knows nothing of HTTP; `app.ts` serves it and `pipeline/` decides
 * what a request may do to it.
 */
import { type BucketConfig, DEFAULT_BUCKET, TokenBuckets } from "./bucket.ts";
import { CapacityWindows } from "./capacity.ts";
import { parseStartTime, type SimulatedClock, simulatedClock } from "./clock.ts";
import type { EmulatorRules, EventSink } from "./context.ts";
import { type FaultConfig, FaultInjector } from "./faults.ts";
import { IdempotencyStore } from "./idempotency.ts";
import type { ApiKeyRecord, EmulatorState, PlanTier, Workspace } from "./model.ts";
import { forgetDueIndex } from "./ops/due-index.ts";
import { runManagers } from "./ops/managers.ts";
import { loadStateFile, StateWriter } from "./persist.ts";
import { prng, randomSeed, seededUuid, streamSeed } from "./random.ts";
import { RequestLog } from "./request-log.ts";
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

/** Drops events: the sink before the server is listening. */
const DROP_EVENTS: EventSink = { emit() {} };

export interface StoppableSink extends EventSink {
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
  readonly buckets: TokenBuckets;
  readonly capacity = new CapacityWindows();
  readonly idempotency: IdempotencyStore;
  /** The random stream handlers draw from (ids and media of the simulated work). */
  readonly opsRandom: () => number;
  /** The random stream of dry-run ids, apart so a dry run never shifts the real ids. */
  readonly dryRunRandom: () => number;
  readonly realNow: () => number;
  writer: StateWriter | undefined;
  private readonly seed: number;
  private readonly managersRandom: () => number;

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
    // A jump is rare and may follow changes made to the state directly (tests do): look at every bundle.
    forgetDueIndex(this.state);
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
}

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
