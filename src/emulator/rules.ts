/** The simulated service's tunables and their defaults. */
import type { EmulatorRules } from "./context.ts";
import type { PlanTier } from "./model.ts";

export const DEFAULT_RULES: EmulatorRules = {
  createCapacity: null,
  publishCapacity: null,
  defaultPlanTier: "marketer",
  managers: { acceptAfterSeconds: 600, postAtHourUtc: 17, autoFinalizeAfterHours: 72, downloadIssueShare: 0 },
};

export type RulesPatch = Partial<Omit<EmulatorRules, "managers">> & {
  managers?: Partial<EmulatorRules["managers"]>;
};

const TIERS: PlanTier[] = ["starter", "creator", "marketer"];

/** `base` with `patch` applied; throws a readable error for a value that cannot work. */
export function mergeRules(base: EmulatorRules, patch: RulesPatch = {}): EmulatorRules {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch))
    throw new Error("rules must be an object");
  const out: EmulatorRules = { ...base, managers: { ...base.managers, ...(patch.managers ?? {}) } };
  for (const k of ["createCapacity", "publishCapacity"] as const) {
    if (!(k in patch)) continue;
    const v = patch[k];
    if (v !== null && !(v && Number.isInteger(v.limit) && v.limit > 0 && v.windowSeconds > 0))
      throw new Error(`rules.${k} must be null or {limit: positive integer, windowSeconds: > 0}`);
    out[k] = v ? { limit: v.limit, windowSeconds: v.windowSeconds } : null;
  }
  if (patch.defaultPlanTier !== undefined) {
    if (!TIERS.includes(patch.defaultPlanTier))
      throw new Error(`rules.defaultPlanTier must be one of ${TIERS.join(", ")}`);
    out.defaultPlanTier = patch.defaultPlanTier;
  }
  for (const [k, v] of Object.entries(out.managers)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new Error(`rules.managers.${k} must be a number >= 0`);
  }
  return out;
}
