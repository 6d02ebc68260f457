export {
  CATALOGUE,
  type Finding,
  type FindingCode,
  finding,
  type ParamsOf,
  type RowFinding,
} from "./catalogue.ts";
export type { FindingStatus } from "./entry.ts";
export { CONFIGURE_REASONS, REASONS, type ReasonCode, reasonText } from "./reasons.ts";
export { findingText, renderFinding, renderFindings } from "./render.ts";
export { rowList, where } from "./where.ts";
