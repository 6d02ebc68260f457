/**
 * Typed cells of the fake Sheets server, how written values become cells (RAW vs USER_ENTERED) and how
 * cells are rendered back (valueRenderOption × dateTimeRenderOption).
 *
 * Formulas are stored, never evaluated: FORMULA rendering returns the formula text; FORMATTED_VALUE and
 * UNFORMATTED_VALUE return the placeholder string `FORMULA_PLACEHOLDER` so a test can tell a formula from
 * a text cell that happens to start with `=`.
 */

export type Cell =
  | { t: "s"; v: string }
  | { t: "n"; v: number; format?: "date" | "datetime" | "percent" }
  | { t: "b"; v: boolean }
  | { t: "f"; f: string };

export type CellValue = string | number | boolean;
export type ValueInputOption = "RAW" | "USER_ENTERED";
export type ValueRenderOption = "FORMATTED_VALUE" | "UNFORMATTED_VALUE" | "FORMULA";
export type DateTimeRenderOption = "SERIAL_NUMBER" | "FORMATTED_STRING";

export const FORMULA_PLACEHOLDER = "#UNEVALUATED_FORMULA";

const DAY_MS = 86_400_000;
/** Sheets' day 0 (the Sheets API's serial dates): 1899-12-30, which makes 1900 correctly not a leap year. */
const EPOCH_MS = Date.UTC(1899, 11, 30);

export function serialFromUtc(ms: number): number {
  return (ms - EPOCH_MS) / DAY_MS;
}

export function utcFromSerial(serial: number): number {
  return Math.round(EPOCH_MS + serial * DAY_MS);
}

const NUMBER = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const ISO_DATE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

function dateCell(y: number, mo: number, d: number, h?: number, mi?: number, s?: number): Cell | null {
  const ms = Date.UTC(y, mo - 1, d, h ?? 0, mi ?? 0, s ?? 0);
  const back = new Date(ms);
  // Reject 2026-02-30 and friends the way Sheets does: they stay text.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return { t: "n", v: serialFromUtc(ms), format: h === undefined ? "date" : "datetime" };
}

/** What typing `text` into a cell produces (en_US locale), or null for "clear the cell". */
export function parseUserEntered(text: string): Cell | null {
  if (text === "") return null;
  if (text.startsWith("'")) return { t: "s", v: text.slice(1) };
  if (text.startsWith("=")) return { t: "f", f: text };
  const trimmed = text.trim();
  const upper = trimmed.toUpperCase();
  if (upper === "TRUE" || upper === "FALSE") return { t: "b", v: upper === "TRUE" };
  if (trimmed !== "" && /\d/.test(trimmed)) {
    if (trimmed.endsWith("%") && NUMBER.test(trimmed.slice(0, -1))) {
      return { t: "n", v: Number(trimmed.slice(0, -1).replaceAll(",", "")) / 100, format: "percent" };
    }
    if (NUMBER.test(trimmed)) return { t: "n", v: Number(trimmed.replaceAll(",", "")) };
    const iso = ISO_DATE.exec(trimmed);
    if (iso) {
      const [, y, mo, d, h, mi, s] = iso;
      const cell = dateCell(
        Number(y),
        Number(mo),
        Number(d),
        h === undefined ? undefined : Number(h),
        mi === undefined ? undefined : Number(mi),
        s === undefined ? undefined : Number(s),
      );
      if (cell) return cell;
    }
    const us = US_DATE.exec(trimmed);
    if (us) {
      const cell = dateCell(Number(us[3]), Number(us[1]), Number(us[2]));
      if (cell) return cell;
    }
  }
  return { t: "s", v: text };
}

/**
 * One value from a request's `values` array → the new cell. `undefined` means "leave the cell as it is"
 * (Google skips JSON null); `null` means "clear it" (Google clears on an empty string).
 */
export function inputCell(value: unknown, option: ValueInputOption): Cell | null | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "boolean") return { t: "b", v: value };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("Invalid value: a number must be finite");
    return { t: "n", v: value };
  }
  if (typeof value === "string") {
    if (option === "RAW") return value === "" ? null : { t: "s", v: value };
    return parseUserEntered(value);
  }
  throw new TypeError(`Invalid value at data.values: ${JSON.stringify(value)}`);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** en_US-like display of a date serial: ISO dates, because that is what our campaigns type. */
export function formatSerial(serial: number, format: "date" | "datetime"): string {
  const d = new Date(utcFromSerial(serial));
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (format === "date") return date;
  return `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function formatNumber(cell: Extract<Cell, { t: "n" }>): string {
  if (cell.format === "date" || cell.format === "datetime") return formatSerial(cell.v, cell.format);
  if (cell.format === "percent") return `${Number((cell.v * 100).toFixed(2))}%`;
  return String(Number(cell.v.toPrecision(15)));
}

/** Renders one stored cell for a read. */
export function renderCell(
  cell: Cell | undefined,
  valueRender: ValueRenderOption,
  dateRender: DateTimeRenderOption,
): CellValue {
  if (cell === undefined) return "";
  switch (cell.t) {
    case "s":
      return cell.v;
    case "b":
      return valueRender === "FORMATTED_VALUE" ? (cell.v ? "TRUE" : "FALSE") : cell.v;
    case "f":
      return valueRender === "FORMULA" ? cell.f : FORMULA_PLACEHOLDER;
    case "n": {
      if (valueRender === "FORMATTED_VALUE") return formatNumber(cell);
      const isDate = cell.format === "date" || cell.format === "datetime";
      // dateTimeRenderOption is ignored for FORMATTED_VALUE (the Sheets API's serial dates), used otherwise.
      if (isDate && dateRender === "FORMATTED_STRING") return formatNumber(cell);
      return cell.v;
    }
  }
}

/** A cell as written into a test's seed grid: JS values are stored as typed (RAW). */
export function seedCell(value: CellValue | null | undefined, option: ValueInputOption): Cell | null {
  const cell = inputCell(value, option);
  return cell === undefined ? null : cell;
}
