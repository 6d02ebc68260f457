/**
 * Asserting a row's finding as data: its code, its column and the parameters it was made from. The words
 * are checked only as the catalogue renders them (src/findings/), so a test fails on a wrong code, column
 * or value, not on a reworded sentence.
 */
import { expect } from "vitest";
import {
  type FindingCode,
  finding,
  findingText,
  type ParamsOf,
  renderFinding,
} from "../../src/findings/index.ts";

/** A row result, a plan row, or a desired-state issue: something that carries a coded message. */
interface Coded {
  row: { id: string; rowNumbers: number[] };
  message: string;
  code?: FindingCode;
  column?: string;
}

/** The rendered words of `code` on `rowNumbers`, with its column and parameters. */
export function rendered<C extends FindingCode>(
  rowNumbers: readonly number[],
  code: C,
  column: string | undefined,
  params: ParamsOf<C>,
): string {
  return renderFinding(rowNumbers, finding(code, column, params));
}

/**
 * The row's message is exactly that finding, on its own rows: the code and column it carries, and the
 * parameters its words were made from.
 */
export function expectFinding<C extends FindingCode>(
  r: Coded,
  code: C,
  column: string | undefined,
  params: ParamsOf<C>,
): void {
  expect({ code: r.code, column: r.column }, r.row.id).toEqual({ code, column });
  expect(r.message, r.row.id).toBe(rendered(r.row.rowNumbers, code, column, params));
}

/** As `expectFinding`, for a message that goes on after the finding (notes, or further findings). */
export function expectLeadingFinding<C extends FindingCode>(
  r: Coded,
  code: C,
  column: string | undefined,
  params: ParamsOf<C>,
): void {
  expect({ code: r.code, column: r.column }, r.row.id).toEqual({ code, column });
  expect(r.message.startsWith(rendered(r.row.rowNumbers, code, column, params)), r.message).toBe(true);
}

/**
 * A note on a row that synced (an adoption, a date TokPortal moved): its code, and its words reading on
 * without naming the row again.
 */
export function expectNote<C extends FindingCode>(
  r: Coded,
  code: C,
  column: string | undefined,
  params: ParamsOf<C>,
): void {
  expect({ code: r.code, column: r.column }, r.row.id).toEqual({ code, column });
  expect(r.message, r.row.id).toBe(findingText(finding(code, column, params)));
}

/** The result of row `id` in a run report (or an apply report), which must have one. */
export function resultOf<R extends { row: { id: string } }>(report: { rows: readonly R[] }, id: string): R {
  const r = report.rows.find((x) => x.row.id === id);
  if (!r) throw new Error(`no result for row ${id}`);
  return r;
}
