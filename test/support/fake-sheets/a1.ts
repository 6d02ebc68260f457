/**
 * A1 notation for the fake Sheets server: parsing what clients send and formatting what Google answers.
 *
 * Supported forms (the Sheets API's A1 notation): `Tab!A1:B2`, `'My Tab'!A1:B2` (quotes doubled inside), `Tab!A:A`,
 * `Tab!1:2`, open-ended `Tab!A5:A` / `Tab!A5:5`, a single cell `Tab!C3`, a bare `Tab` (whole tab) and a
 * bare cell range `A1:B2` (first tab). Named ranges are not supported.
 *
 * Written independently of src/sources/a1.ts on purpose, even where the code is the same: a fake that
 * shared the client's A1 code would agree with the client's bugs instead of catching them.
 */

/** Zero-based, end-exclusive; `null` end = up to the edge of the grid. */
export interface ParsedRange {
  /** Null when the range names no tab (a bare `A1:B2`): the first tab. */
  sheet: string | null;
  startRow: number;
  endRow: number | null;
  startCol: number;
  endCol: number | null;
}

export class A1Error extends Error {}

/** `A` → 0, `Z` → 25, `AA` → 26. */
export function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

/** 0 → `A`, 26 → `AA`. */
export function columnLetters(index: number): string {
  let n = index + 1;
  let out = "";
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(65 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

const CELL = /^([A-Za-z]{1,3})?([1-9][0-9]*)?$/;

interface CellRef {
  col: number | null;
  row: number | null;
}

function parseCell(text: string): CellRef | null {
  const m = CELL.exec(text);
  if (!m || (m[1] === undefined && m[2] === undefined)) return null;
  return {
    col: m[1] === undefined ? null : columnIndex(m[1]),
    row: m[2] === undefined ? null : Number(m[2]) - 1,
  };
}

/** Parses the part after `!` (or a bare range). Returns null when it is not cell notation. */
export function parseCells(text: string): Omit<ParsedRange, "sheet"> | null {
  const parts = text.split(":");
  if (parts.length > 2) return null;
  const start = parseCell(parts[0] ?? "");
  if (!start) return null;
  if (parts.length === 1) {
    // A single cell needs both a column and a row; `A` or `5` alone is not a range.
    if (start.col === null || start.row === null) return null;
    return { startRow: start.row, endRow: start.row + 1, startCol: start.col, endCol: start.col + 1 };
  }
  const end = parseCell(parts[1] ?? "");
  if (!end) return null;
  // `1:2` (rows) and `A:B` (columns) must be symmetric in what they name.
  if ((start.col === null) !== (end.col === null) && start.row === null) return null;
  const startRow = start.row ?? 0;
  const startCol = start.col ?? 0;
  const endRow = end.row === null ? null : end.row + 1;
  const endCol = end.col === null ? null : end.col + 1;
  if ((endRow !== null && endRow <= startRow) || (endCol !== null && endCol <= startCol)) return null;
  return { startRow, endRow, startCol, endCol };
}

/** Splits `'It''s'!A1` into the title `It's` and `A1`. Returns null when there is no `!`-qualified tab. */
function splitSheet(range: string): { sheet: string; rest: string | null } | null {
  if (range.startsWith("'")) {
    let i = 1;
    let title = "";
    while (i < range.length) {
      const ch = range[i];
      if (ch === "'") {
        if (range[i + 1] === "'") {
          title += "'";
          i += 2;
          continue;
        }
        break;
      }
      title += ch;
      i++;
    }
    if (i >= range.length) throw new A1Error(`Unable to parse range: ${range}`);
    const after = range.slice(i + 1);
    if (after === "") return { sheet: title, rest: null };
    if (!after.startsWith("!")) throw new A1Error(`Unable to parse range: ${range}`);
    return { sheet: title, rest: after.slice(1) };
  }
  const bang = range.lastIndexOf("!");
  if (bang < 0) return null;
  return { sheet: range.slice(0, bang), rest: range.slice(bang + 1) };
}

/**
 * Parses a range the way the server does: a bare word that is a tab title means the whole tab, otherwise
 * it must be cell notation on the first tab. `titles` are the spreadsheet's tab titles.
 */
export function parseRange(range: string, titles: readonly string[]): ParsedRange {
  const whole = { startRow: 0, endRow: null, startCol: 0, endCol: null };
  const split = splitSheet(range.trim());
  if (split) {
    if (split.rest === null || split.rest === "") return { sheet: split.sheet, ...whole };
    const cells = parseCells(split.rest);
    if (!cells) throw new A1Error(`Unable to parse range: ${range}`);
    return { sheet: split.sheet, ...cells };
  }
  if (titles.includes(range)) return { sheet: range, ...whole };
  const cells = parseCells(range);
  if (!cells) throw new A1Error(`Unable to parse range: ${range}`);
  return { sheet: null, ...cells };
}

/** Google quotes a title in answers unless it is a plain word that cannot be mistaken for a cell. */
export function quoteTitle(title: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(title) && !/^[A-Za-z]{1,3}[0-9]+$/.test(title)) return title;
  return `'${title.replaceAll("'", "''")}'`;
}

/** Formats a closed, zero-based, end-exclusive rectangle as Google echoes it (`Tab!A1:C3`, or `Tab!B2`). */
export function formatRange(
  title: string,
  r: { startRow: number; endRow: number; startCol: number; endCol: number },
): string {
  const a = `${columnLetters(r.startCol)}${r.startRow + 1}`;
  const b = `${columnLetters(r.endCol - 1)}${r.endRow}`;
  return `${quoteTitle(title)}!${a === b ? a : `${a}:${b}`}`;
}
