/**
 * Fault injection: seeded, so a failing run can be replayed exactly. Every request under /api/ext draws
 * the same number of random values whatever the outcome, so the sequence of outcomes depends only on the
 * seed and the number of requests, never on which faults happened to fire.
 */
import { prng } from "./random.ts";

export type FaultAction = "drop" | "drop_after" | "status";

/** A deterministic fault for tests: fires on the next `times` matching requests. */
export interface FaultRule {
  operationId?: string;
  method?: string;
  /** Exact path under /api/ext, e.g. `/bundles`. */
  path?: string;
  action: FaultAction;
  /** For `status`: the HTTP status to answer (default 503). */
  status?: number;
  /** How many matching requests it applies to (default 1; 0 or absent with `always` = every one). */
  times?: number;
  always?: boolean;
}

export interface FaultConfig {
  latencyMs?: number;
  jitterMs?: number;
  /** Fraction of requests answered 500/502/503 before any work. */
  errorRate?: number;
  /** Fraction of requests whose socket is destroyed before handling. */
  dropRate?: number;
  /** Fraction of requests handled fully, then their socket destroyed (the answer is lost). */
  dropAfterRate?: number;
  /** Fraction of requests answered 429 RATE_LIMIT_EXCEEDED. */
  rate429?: number;
  /** Every `everyRequests` requests, the last `length` of them are answered 429. */
  storm?: { everyRequests: number; length: number };
  rules?: FaultRule[];
}

export type FaultOutcome =
  | { kind: "none"; delayMs: number }
  | { kind: "drop"; delayMs: number; label: string }
  | { kind: "drop_after"; delayMs: number; label: string }
  | { kind: "status"; delayMs: number; status: number; label: string };

export class FaultInjector {
  private config: FaultConfig = {};
  private random: () => number;
  private counter = 0;
  private ruleHits: number[] = [];

  constructor(
    private readonly seed: number,
    config: FaultConfig = {},
  ) {
    this.random = prng(seed);
    this.set(config);
  }

  /** Replaces the configuration (an empty object clears it) and restarts the seeded sequence. */
  set(config: FaultConfig): void {
    validateFaults(config);
    this.config = structuredClone(config);
    this.random = prng(this.seed);
    this.counter = 0;
    this.ruleHits = (config.rules ?? []).map(() => 0);
  }

  get(): FaultConfig {
    return structuredClone(this.config);
  }

  decide(req: { operationId: string | null; method: string; path: string }): FaultOutcome {
    const c = this.config;
    const n = this.counter++;
    // Fixed draws per request (see the module comment).
    const rJitter = this.random();
    const rError = this.random();
    const rErrorKind = this.random();
    const rDrop = this.random();
    const rDropAfter = this.random();
    const r429 = this.random();
    const jitter = c.jitterMs ? (rJitter * 2 - 1) * c.jitterMs : 0;
    const delayMs = Math.max(0, Math.round((c.latencyMs ?? 0) + jitter));

    const rules = c.rules ?? [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!rule || !ruleMatches(rule, req)) continue;
      const limit = rule.always ? Number.POSITIVE_INFINITY : (rule.times ?? 1);
      if ((this.ruleHits[i] ?? 0) >= limit) continue;
      this.ruleHits[i] = (this.ruleHits[i] ?? 0) + 1;
      if (rule.action === "status") {
        const status = rule.status ?? 503;
        return { kind: "status", delayMs, status, label: `rule:status:${status}` };
      }
      return { kind: rule.action, delayMs, label: `rule:${rule.action}` };
    }

    if (c.storm && c.storm.everyRequests > 0) {
      const pos = n % c.storm.everyRequests;
      if (pos >= c.storm.everyRequests - c.storm.length)
        return { kind: "status", delayMs, status: 429, label: "storm" };
    }
    if (rError < (c.errorRate ?? 0)) {
      const status = [500, 502, 503][Math.floor(rErrorKind * 3)] ?? 500;
      return { kind: "status", delayMs, status, label: `status:${status}` };
    }
    if (rDrop < (c.dropRate ?? 0)) return { kind: "drop", delayMs, label: "drop" };
    if (r429 < (c.rate429 ?? 0)) return { kind: "status", delayMs, status: 429, label: "rate429" };
    if (rDropAfter < (c.dropAfterRate ?? 0)) return { kind: "drop_after", delayMs, label: "drop_after" };
    return { kind: "none", delayMs };
  }
}

function ruleMatches(rule: FaultRule, req: { operationId: string | null; method: string; path: string }) {
  if (rule.operationId !== undefined && rule.operationId !== req.operationId) return false;
  if (rule.method !== undefined && rule.method.toUpperCase() !== req.method) return false;
  if (rule.path !== undefined && rule.path !== req.path) return false;
  return true;
}

const RATE_KEYS = ["errorRate", "dropRate", "dropAfterRate", "rate429"] as const;

/** Throws a readable error for a configuration that cannot mean what the caller intended. */
export function validateFaults(config: FaultConfig): void {
  if (typeof config !== "object" || config === null || Array.isArray(config))
    throw new Error("faults must be an object");
  for (const k of RATE_KEYS) {
    const v = config[k];
    if (v !== undefined && !(typeof v === "number" && v >= 0 && v <= 1))
      throw new Error(`faults.${k} must be a number between 0 and 1`);
  }
  for (const k of ["latencyMs", "jitterMs"] as const) {
    const v = config[k];
    if (v !== undefined && !(typeof v === "number" && v >= 0)) throw new Error(`faults.${k} must be >= 0`);
  }
  if (config.storm !== undefined) {
    const s = config.storm;
    if (
      !(s && Number.isInteger(s.everyRequests) && Number.isInteger(s.length) && s.length <= s.everyRequests)
    )
      throw new Error("faults.storm must be {everyRequests, length} integers with length <= everyRequests");
  }
  for (const r of config.rules ?? []) {
    if (!r || !["drop", "drop_after", "status"].includes(r.action))
      throw new Error('faults.rules[].action must be "drop", "drop_after" or "status"');
    if (r.status !== undefined && !(Number.isInteger(r.status) && r.status >= 400 && r.status <= 599))
      throw new Error("faults.rules[].status must be an HTTP error status");
  }
}
