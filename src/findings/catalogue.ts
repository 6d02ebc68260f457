/**
 * Every finding code: what it means, how to fix it, and its words. A finding is data (code, column,
 * parameters); the words are made from it here only, so the sheet's `sync_message`, the terminal and
 * `--json` all say the same, and docs/sheet-format.md lists the codes from this table.
 */
import { APPLY_CODES } from "./codes-apply.ts";
import { CELL_CODES } from "./codes-cells.ts";
import { ORDER_CODES } from "./codes-orders.ts";
import { PLAN_CODES } from "./codes-plan.ts";
import { REVIEW_CODES } from "./codes-review.ts";
import type { CodeEntry, FindingStatus, ParamValue } from "./entry.ts";

export const CATALOGUE = {
  ...CELL_CODES,
  ...PLAN_CODES,
  ...APPLY_CODES,
  ...ORDER_CODES,
  ...REVIEW_CODES,
};

export type FindingCode = keyof typeof CATALOGUE;
export type ParamsOf<C extends FindingCode> = Parameters<(typeof CATALOGUE)[C]["text"]>[0];

/** One thing found about a row, before it is put in words. */
export interface Finding<C extends FindingCode = FindingCode> {
  code: C;
  /** The sheet column at fault, when one is. */
  column?: string;
  params: C extends FindingCode ? ParamsOf<C> : never;
}

/** A finding with the status it gives its row (most codes have one status; a few depend on context). */
export interface RowFinding extends Finding {
  status: FindingStatus;
}

export function finding<C extends FindingCode>(
  code: C,
  column: string | undefined,
  params: ParamsOf<C>,
): Finding {
  return (column === undefined ? { code, params } : { code, column, params }) as Finding;
}

export function entryOf(code: FindingCode): CodeEntry<Readonly<Record<string, ParamValue | undefined>>> {
  return CATALOGUE[code] as unknown as CodeEntry<Readonly<Record<string, ParamValue | undefined>>>;
}
