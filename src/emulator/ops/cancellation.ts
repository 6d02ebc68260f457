/**
 * What TokPortal's side does when it ends a bundle's work (docs/tokportal-api.md §6): a bundle cancelled
 * (terminal: no more writes are taken), or a delivered account banned after a validated ban, which cancels
 * every bundle on that account. Not API-driven: the admin API (`admin.ts`) drives it in the sandbox.
 */
import type { Bundle, EmulatorState } from "../model.ts";

/** Where the transitions are told: the webhook events of the workspace. */
export interface CancelEnv {
  state: EmulatorState;
  now: string;
  emit: (workspaceId: string, type: string, data: Record<string, unknown>) => void;
}

/** Cancels a bundle with TokPortal's reason; a bundle already closed is left as it is. Returns it. */
export function cancelBundle(env: CancelEnv, bundleId: string, reason: string | null): Bundle {
  const bundle = env.state.bundles[bundleId];
  if (!bundle) throw new Error(`no bundle ${bundleId}`);
  if (bundle.status === "cancelled" || bundle.status === "archived") return bundle;
  const previous = bundle.status;
  bundle.status = "cancelled";
  bundle.cancellation_reason = reason;
  bundle.cancelled_at = env.now;
  bundle.updated_at = env.now;
  env.emit(bundle.workspaceId, "bundle.cancelled", {
    bundle_id: bundle.id,
    bundle_type: bundle.bundle_type,
    platform: bundle.platform,
    status: "cancelled",
    previous_status: previous,
    reason,
    external_ref: bundle.external_ref,
  });
  return bundle;
}

/**
 * A validated ban of a delivered account: the account is banned, its own bundle's account too, and every
 * bundle on it (its own and the videos_only ones posting from it) is cancelled with the reason.
 */
export function banAccount(env: CancelEnv, savedAccountId: string, reason: string | null): Bundle[] {
  const saved = env.state.savedAccounts[savedAccountId];
  if (!saved) throw new Error(`no account ${savedAccountId}`);
  saved.status = "banned";
  const cancelled: Bundle[] = [];
  for (const bundle of Object.values(env.state.bundles)) {
    const own = bundle.id === saved.bundle_id || bundle.saved_account_id === saved.id;
    if (!own && bundle.account_id !== saved.id) continue;
    if (own && bundle.account) bundle.account.status = "banned";
    if (own) {
      env.emit(bundle.workspaceId, "account.banned", {
        bundle_id: bundle.id,
        saved_account_id: saved.id,
        username: saved.username,
        platform: saved.platform,
        reason,
        appeal_status: "no_appeal_banned",
        banned_at: env.now,
      });
    }
    cancelled.push(cancelBundle(env, bundle.id, reason));
  }
  return cancelled;
}
