/**
 * Cells as Sheets returns them with UNFORMATTED_VALUE + SERIAL_NUMBER (numbers, booleans, strings) →
 * the text a user would have typed, which is what the rest of the engine reads.
 */

const DAY_MS = 86_400_000;
/** Sheets' day 0: 1899-12-30 (so 1900 is correctly not a leap year). */
const EPOCH_MS = Date.UTC(1899, 11, 30);

/** A date serial (days since 1899-12-30; a fraction is the time of day) → `YYYY-MM-DD`. */
export function serialToDate(serial: number): string {
  const d = new Date(EPOCH_MS + Math.floor(serial) * DAY_MS);
  const y = String(d.getUTCFullYear()).padStart(4, "0");
  const m = String(d.getUTCMonth() + 1).padStart(2, "0");
  const day = String(d.getUTCDate()).padStart(2, "0");
  return `${y}-${m}-${day}`;
}

/** A number as a user would type it: no float noise (0.1 + 0.2 → 0.3), no exponent for ordinary sizes. */
export function numberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  const clean = Number(n.toPrecision(15));
  if (Math.abs(clean) >= 1e-6) return String(clean);
  return clean.toFixed(20).replace(/0+$/, "").replace(/\.$/, "");
}

/**
 * One cell → text. `isDate` is true for date columns: a number there is a serial date (Sheets turned
 * what the user typed into one) and becomes `YYYY-MM-DD`. Booleans (checkboxes) read TRUE / FALSE, as
 * Sheets shows them.
 */
export function cellText(value: unknown, isDate: boolean): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return "";
    return isDate && value >= 1 && value < 2_958_466 ? serialToDate(value) : numberText(value);
  }
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  return String(value).trim();
}

/** The text a written value will read back as, for "did this cell change?". */
export function patchText(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return numberText(value);
  return value.trim();
}
