/** Creating and shaping the emulator's state: fresh worlds, workspaces and API keys. */
import { randomBytes } from "node:crypto";
import { sha256Hex } from "./idempotency.ts";
import type { ApiKeyRecord, EmulatorState, PlanTier, Workspace } from "./model.ts";

/** The public sandbox key: fine to print, as the real sandbox documents its own. */
export const DEFAULT_API_KEY = `sk_${"0".repeat(64)}`;
export const DEFAULT_CREDITS = 10_000;
export const STATE_VERSION = 1;

const KEY_PATTERN = /^sk_[0-9a-f]{64}$/;

export function isApiKeyFormat(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/** A fresh key; secrets come from the OS, never from the seeded simulation streams. */
export function generateApiKey(): string {
  return `sk_${randomBytes(32).toString("hex")}`;
}

export function emptyState(): EmulatorState {
  return {
    version: STATE_VERSION,
    workspaces: {},
    apiKeys: [],
    bundles: {},
    savedAccounts: {},
    uploads: {},
    webhooks: {},
    deliveries: [],
    idempotency: {},
    counters: {},
    clockOffsetMs: 0,
  };
}

export interface NewWorkspace {
  apiKey: string;
  credits: number;
  email: string;
  planTier: PlanTier;
  scope?: ApiKeyRecord["scope"];
  keyName?: string;
}

/** Adds a workspace holding `credits` (with an opening ledger entry) and its first key. */
export function addWorkspace(
  state: EmulatorState,
  spec: NewWorkspace,
  newId: () => string,
  nowIso: string,
): { workspace: Workspace; key: ApiKeyRecord } {
  const workspace: Workspace = {
    id: newId(),
    email: spec.email,
    company_name: null,
    credits: spec.credits,
    plan_tier: spec.planTier,
    ledger: [],
  };
  if (spec.credits > 0) {
    workspace.ledger.push({
      id: newId(),
      type: "credit",
      amount: spec.credits,
      description: "Sandbox opening balance",
      breakdown: { sandbox_topup: spec.credits },
      balance_after: spec.credits,
      created_at: nowIso,
    });
  }
  state.workspaces[workspace.id] = workspace;
  const key: ApiKeyRecord = {
    id: newId(),
    name: spec.keyName ?? "Sandbox key",
    hash: hashApiKey(spec.apiKey),
    workspaceId: workspace.id,
    scope: spec.scope ?? "*",
    revoked: false,
  };
  state.apiKeys.push(key);
  return { workspace, key };
}

/** Adds (or, with `set`, replaces) a workspace's balance, recording the change in its ledger. */
export function adjustCredits(
  workspace: Workspace,
  change: { amount?: number; set?: number },
  newId: () => string,
  nowIso: string,
): number {
  const target = change.set !== undefined ? change.set : workspace.credits + (change.amount ?? 0);
  const delta = target - workspace.credits;
  workspace.credits = target;
  if (delta !== 0) {
    workspace.ledger.push({
      id: newId(),
      type: delta > 0 ? "credit" : "debit",
      amount: delta,
      description: change.set !== undefined ? "Sandbox balance set" : "Sandbox top-up",
      breakdown: { sandbox_adjustment: delta },
      balance_after: target,
      created_at: nowIso,
    });
  }
  return target;
}
