/**
 * The OpContext a handler works through: the live world, or in a dry run a throw-away copy with
 * synthetic ids whose charges are only added up.
 */
import { ApiError, type OpContext } from "./context.ts";
import type { ApiKeyRecord, Bundle, EmulatorState, Workspace } from "./model.ts";
import { markBundleTouched } from "./ops/due-index.ts";
import { DRY_RUN_ID_PREFIX, isUuid, randomHex } from "./random.ts";
import type { Emulator } from "./world.ts";

export interface OpRun {
  ctx: OpContext;
  /** What a dry run would have charged (0 on a live run). */
  charged(): number;
}

export function liveRun(
  world: Emulator,
  key: ApiKeyRecord | undefined,
  workspace: Workspace | undefined,
): OpRun {
  return {
    ctx: opContext(world, world.state, key, workspace, false, world.newId, () => {}),
    charged: () => 0,
  };
}

export function dryRun(
  world: Emulator,
  key: ApiKeyRecord | undefined,
  workspace: Workspace | undefined,
): OpRun {
  const clone = dryRunClone(world.state);
  const ws = workspace ? clone.workspaces[workspace.id] : undefined;
  let total = 0;
  const newId = () => `${DRY_RUN_ID_PREFIX}${randomHex(world.dryRunRandom, 12)}`;
  const ctx = opContext(world, clone, key, ws, true, newId, (amount) => {
    total += amount;
  });
  return { ctx, charged: () => total };
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

function opContext(
  world: Emulator,
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
  const clock = world.clock;
  const events = world.events;
  let dryCharged = 0;
  return {
    state,
    workspace: ws,
    clock,
    rules: world.rules,
    dryRun,
    newId,
    random: world.opsRandom,
    origin: world.origin,
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
      // The handler may change it: its managers' due time is worked out again (ops/due-index.ts).
      markBundleTouched(state, b.id);
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
