/**
 * The little A1 notation the sources need: column letters (also how CSV problems name a column, so a user
 * opening the file in a spreadsheet finds it), always-quoted tab titles (the Sheets API's A1 notation: quoting even
 * safe titles avoids names like `A1` being read as cells), and the grid size Google echoes back when a
 * whole tab is read (`videos!A1:Z1000`).
 *
 * The fake Sheets server in test/support has its own A1 code on purpose: a fake that shared this module
 * could not catch a bug in it.
 */

/** 0 → `A`, 25 → `Z`, 26 → `AA`. */
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

/** `A` → 0, `AA` → 26. */
export function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export function quoteTitle(title: string): string {
  return `'${title.replaceAll("'", "''")}'`;
}

/** `'tab'!C5:F7` from a zero-based column span and 1-based rows. */
export function rangeA1(
  title: string,
  firstRow: number,
  lastRow: number,
  firstCol: number,
  lastCol: number,
): string {
  const a = `${columnLetters(firstCol)}${firstRow}`;
  const b = `${columnLetters(lastCol)}${lastRow}`;
  return `${quoteTitle(title)}!${a === b ? a : `${a}:${b}`}`;
}

/** The bottom-right corner of an echoed range (`'My tab'!A1:Z1000` → 1000 rows, 26 columns), or null. */
export function echoedExtent(range: string | null | undefined): { rows: number; columns: number } | null {
  if (!range) return null;
  const m = /([A-Z]+)(\d+)$/.exec(range);
  if (!m) return null;
  return { rows: Number(m[2]), columns: columnIndex(m[1] as string) + 1 };
}
