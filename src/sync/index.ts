/**
 * The sync engine (DESIGN.md §2): what the CLI and other callers import. `runSync` is the whole run; the
 * stages are exported for callers that want one of them alone (a plan printer, a dry check).
 */
export { type ApplyOptions, applyPlan } from "./apply.ts";
export { buildDesired } from "./desired.ts";
export { fingerprintOf } from "./fingerprint.ts";
export { planSync } from "./plan.ts";
export {
  assertPlanCurrent,
  inputsFingerprint,
  PlanFileError,
  PlanStaleError,
  parsePlanFile,
  serializePlan,
} from "./plan-file.ts";
export { fetchActual } from "./remote.ts";
export { bundleRowRef, rowRefOf, videoRowRef } from "./rows.ts";
export { plannedResult, type RunOptions, RunRefusedError, runSync } from "./run.ts";
export * from "./types.ts";
export { BUNDLE_RESULT_COLUMNS, resultPatches, VIDEO_RESULT_COLUMNS } from "./writeback.ts";
