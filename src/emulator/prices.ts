/**
 * TokPortal's current price table (docs/tokportal-api.md §5), in credits. `GET /credit-costs` serves it and every
 * charged operation prices itself from it, so the two can never disagree.
 */
export { type CreditItem, STANDARD_CREDIT_COSTS as CREDIT_COSTS } from "../api/prices.ts";
