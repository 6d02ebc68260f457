/**
 * Values that came from TokPortal are data. Written into a CSV, a text starting with `=`, `+`, `-`, `@`,
 * tab or carriage return would be run as a formula by Excel, LibreOffice or Sheets on import (CSV
 * injection), so such text is prefixed with `'`, which spreadsheets treat as "this cell is text".
 *
 * Decision on numbers: a patch value of type `number` is one we produced (views, credits, a position) and is
 * written as the number it is, so `-5` stays a number a spreadsheet can sum. A *string* that looks like a
 * number (`"-5"`, `"+1"`, `"-2+3"`) came from remote text and is escaped like any other string.
 *
 * User cells are never passed through here: cells the tool does not write keep their exact text, including
 * formulas the user typed.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** True when a spreadsheet would treat this text as a formula (or start of one). */
export function looksLikeFormula(text: string): boolean {
  return FORMULA_START.test(text);
}

/** Makes a text inert for spreadsheets. Idempotent: escaping an escaped text changes nothing. */
export function escapeFormula(text: string): string {
  return looksLikeFormula(text) ? `'${text}` : text;
}

/** A patch value as the CSV cell text: numbers as numbers, text escaped, null as empty. */
export function encodeCsvValue(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  return escapeFormula(value);
}
