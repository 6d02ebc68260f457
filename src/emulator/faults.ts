/**
 * Fault injection: seeded, so a failing run can be replayed exactly. Every request under /api/ext draws
 * the same number of random values whatever the outcome, so the sequence of outcomes depends only on the
 * seed and the number of requests, never on which faults happened to fire.
 */
import {
  type FaultConfig,
  type FaultResponse,
  type FaultRewrite,
  type FaultRule,
  parseFaultConfig,
} from "./fault-config.ts";
import { prng } from "./random.ts";

export type { FaultConfig, FaultResponse, FaultRewrite, FaultRule } from "./fault-config.ts";

export type FaultOutcome =
  | { kind: "none"; delayMs: number }
  | { kind: "drop"; delayMs: number; label: string }
  | { kind: "drop_after"; delayMs: number; label: string }
  | { kind: "status"; delayMs: number; status: number; label: string }
  | { kind: "respond"; delayMs: number; response: FaultResponse; label: string }
  | { kind: "rewrite"; delayMs: number; rewrite: FaultRewrite; label: string };

/** What a rule can match a request by. */
export interface FaultRequest {
  operationId: string | null;
  method: string;
  /** Under /api/ext, without the query. */
  path: string;
  /** A write carrying `X-TokPortal-Dry-Run: true`. */
  dryRun: boolean;
}

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
    this.config = parseFaultConfig(config);
    this.random = prng(this.seed);
    this.counter = 0;
    this.ruleHits = (config.rules ?? []).map(() => 0);
  }

  get(): FaultConfig {
    return structuredClone(this.config);
  }

  decide(req: FaultRequest): FaultOutcome {
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
      if (rule.action === "respond" && rule.response)
        return { kind: "respond", delayMs, response: rule.response, label: "rule:respond" };
      if (rule.action === "rewrite" && rule.rewrite)
        return { kind: "rewrite", delayMs, rewrite: rule.rewrite, label: "rule:rewrite" };
      if (rule.action === "drop" || rule.action === "drop_after")
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

function ruleMatches(rule: FaultRule, req: FaultRequest) {
  if (rule.operationId !== undefined && rule.operationId !== req.operationId) return false;
  if (rule.method !== undefined && rule.method.toUpperCase() !== req.method) return false;
  if (rule.path !== undefined && !pathMatches(rule.path, req.path)) return false;
  if (rule.dryRun !== undefined && rule.dryRun !== req.dryRun) return false;
  return true;
}

/** Exact, except that a `*` segment stands for any one segment. */
function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split("/");
  const got = path.split("/");
  return want.length === got.length && want.every((seg, i) => seg === "*" || seg === got[i]);
}
