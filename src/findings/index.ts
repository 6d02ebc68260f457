export {
  CATALOGUE,
  type Finding,
  type FindingCode,
  finding,
  type ParamsOf,
  type RowFinding,
} from "./catalogue.ts";
export { STEP_WORDS } from "./codes-apply.ts";
export type { FindingStatus } from "./entry.ts";
export { CONFIGURE_REASONS, REASONS, type ReasonCode, reasoned, reasonText } from "./reasons.ts";
export { findingText, renderFinding, renderFindings, withoutStep } from "./render.ts";
export { rowList, where } from "./where.ts";
