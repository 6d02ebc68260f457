/**
 * The cell parsers: one sheet cell → a typed value or a finding (with its words for a sheet user). Pure,
 * never throw on bad input; coerce.ts applies them column by column.
 */
import { type Finding, type FindingCode, finding, findingText, type ParamsOf } from "../findings/index.ts";

export type DateFormat = "YYYY-MM-DD" | "DD/MM/YYYY" | "MM/DD/YYYY";
export const DATE_FORMATS: readonly DateFormat[] = ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY"];

export type Parsed<T> = { ok: true; value: T } | { ok: false; finding: Finding; message: string };

export function fail<C extends FindingCode>(
  code: C,
  params: ParamsOf<C>,
): { ok: false; finding: Finding; message: string } {
  const f = finding(code, undefined, params);
  return { ok: false, finding: f, message: findingText(f) };
}

const TRUE_WORDS = new Set(["yes", "y", "true", "1", "x"]);
const FALSE_WORDS = new Set(["no", "n", "false", "0"]);

/** `undefined` when the cell is blank (not set). */
export function parseBoolean(cell: string): Parsed<boolean | undefined> {
  const v = cell.trim().toLowerCase();
  if (v === "") return { ok: true, value: undefined };
  if (TRUE_WORDS.has(v)) return { ok: true, value: true };
  if (FALSE_WORDS.has(v)) return { ok: true, value: false };
  return fail("not_boolean", { value: cell.trim() });
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  // Date.UTC rolls invalid days over (Feb 30 → Mar 2); a real date survives the round trip.
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/**
 * A calendar date as `YYYY-MM-DD`. ISO dates are always accepted; `format` adds the one day/month order the
 * campaign uses (a sheet cannot be read unambiguously with both DD/MM and MM/DD).
 */
export function parseDate(cell: string, format: DateFormat = "YYYY-MM-DD"): Parsed<string | undefined> {
  // A campaign's dates repeat (a few hundred distinct days over 100,000 rows), and each date cell is parsed
  // twice (read, then typed): remember good answers, which also makes equal dates one string in memory.
  const known = GOOD_DATES[format];
  const hit = known.get(cell);
  if (hit !== undefined) return hit;
  const parsed = parseDateUncached(cell, format);
  if (parsed.ok && known.size < GOOD_DATES_MAX) known.set(cell, parsed);
  return parsed;
}

/** Parsed results are read, never modified, by every caller: one object may answer every equal cell. */
const GOOD_DATES: Record<DateFormat, Map<string, Parsed<string | undefined>>> = {
  "YYYY-MM-DD": new Map(),
  "DD/MM/YYYY": new Map(),
  "MM/DD/YYYY": new Map(),
};
const GOOD_DATES_MAX = 20_000;

function parseDateUncached(cell: string, format: DateFormat): Parsed<string | undefined> {
  const v = cell.trim();
  if (v === "") return { ok: true, value: undefined };
  let year: number;
  let month: number;
  let day: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v);
  const slashed = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(v);
  if (iso) {
    year = Number(iso[1]);
    month = Number(iso[2]);
    day = Number(iso[3]);
  } else if (slashed && format !== "YYYY-MM-DD") {
    const a = Number(slashed[1]);
    const b = Number(slashed[2]);
    year = Number(slashed[3]);
    [day, month] = format === "DD/MM/YYYY" ? [a, b] : [b, a];
  } else if (slashed) {
    return fail("date_ambiguous", { value: v, format });
  } else {
    return fail("not_a_date", { value: v, format });
  }
  if (!isRealDate(year, month, day)) {
    return fail("date_not_real", { value: v, format });
  }
  return { ok: true, value: `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` };
}

export function parseInteger(cell: string, min?: number, max?: number): Parsed<number | undefined> {
  const v = cell.trim();
  if (v === "") return { ok: true, value: undefined };
  const range = { value: v, min: min ?? null, max: max ?? null };
  if (!/^[+-]?\d+$/.test(v)) return fail("not_a_whole_number", range);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
    return fail("number_out_of_range", range);
  }
  return { ok: true, value: n };
}

/** `;`-separated list; items are trimmed and empty items dropped. Blank → undefined. */
export function parseList(cell: string, maxItems?: number): Parsed<string[] | undefined> {
  const items = cell
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0) return { ok: true, value: undefined };
  if (maxItems !== undefined && items.length > maxItems) {
    return fail("too_many_items", { count: items.length, max: maxItems });
  }
  return { ok: true, value: items };
}

/** Case-insensitive match against the allowed values; the canonical spelling is returned. */
export function parseEnum<T extends string>(cell: string, values: readonly T[]): Parsed<T | undefined> {
  const v = cell.trim();
  if (v === "") return { ok: true, value: undefined };
  const found = lowercaseIndex(values).get(v.toLowerCase()) as T | undefined;
  if (found !== undefined) return { ok: true, value: found };
  return fail("value_not_allowed", { value: v, allowed: values });
}

/** An enum's values by their lower case (the first of equals wins, as a scan would): built once per list. */
const LOWERCASE = new WeakMap<readonly string[], Map<string, string>>();
function lowercaseIndex(values: readonly string[]): Map<string, string> {
  let index = LOWERCASE.get(values);
  if (index === undefined) {
    index = new Map();
    for (const x of values) if (!index.has(x.toLowerCase())) index.set(x.toLowerCase(), x);
    LOWERCASE.set(values, index);
  }
  return index;
}
