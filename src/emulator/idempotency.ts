/**
 * Idempotency-Key (docs/tokportal-api.md §4): a completed write replays its stored answer and runs nothing again.
 * Records live in the state (so they survive --state restarts); in-flight keys only in memory.
 */
import { createHash } from "node:crypto";
import type { EmulatorState, IdempotencyRecord } from "./model.ts";

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export type IdempotencyLookup =
  | { kind: "miss" }
  | { kind: "replay"; record: IdempotencyRecord }
  | { kind: "reused"; record: IdempotencyRecord }
  | { kind: "in_flight" };

export interface IdempotentRequest {
  apiKeyHash: string;
  key: string;
  method: string;
  path: string;
  bodyHash: string;
}

export class IdempotencyStore {
  private readonly inFlight = new Set<string>();

  constructor(private readonly getState: () => EmulatorState) {}

  lookup(req: IdempotentRequest, nowMs: number): IdempotencyLookup {
    const id = storeKey(req);
    if (this.inFlight.has(id)) return { kind: "in_flight" };
    const state = this.getState();
    const record = state.idempotency[id];
    if (!record) return { kind: "miss" };
    if (Date.parse(record.created_at) + IDEMPOTENCY_TTL_MS <= nowMs) {
      delete state.idempotency[id];
      return { kind: "miss" };
    }
    const same = record.method === req.method && record.path === req.path && record.bodyHash === req.bodyHash;
    return same ? { kind: "replay", record } : { kind: "reused", record };
  }

  begin(req: IdempotentRequest): void {
    this.inFlight.add(storeKey(req));
  }

  /** Ends the in-flight mark; stores the answer when it is worth replaying (2xx and 4xx except 429). */
  finish(
    req: IdempotentRequest,
    answer: { status: number; body: string | null; headers: Record<string, string> } | null,
    nowIso: string,
  ): void {
    const id = storeKey(req);
    this.inFlight.delete(id);
    if (!answer || !isStorable(answer.status)) return;
    const state = this.getState();
    state.idempotency[id] = {
      key: id,
      method: req.method,
      path: req.path,
      bodyHash: req.bodyHash,
      status: answer.status,
      body: answer.body ?? "",
      headers: answer.headers,
      created_at: nowIso,
    };
  }

  /** Drops expired records, so a long-running sandbox does not grow without bound. */
  prune(nowMs: number): void {
    const state = this.getState();
    for (const [id, r] of Object.entries(state.idempotency)) {
      if (Date.parse(r.created_at) + IDEMPOTENCY_TTL_MS <= nowMs) delete state.idempotency[id];
    }
  }

  clearInFlight(): void {
    this.inFlight.clear();
  }
}

export function isStorable(status: number): boolean {
  return (status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 429);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function storeKey(req: IdempotentRequest): string {
  return `${req.apiKeyHash}:${req.key}`;
}
