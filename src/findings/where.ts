/**
 * Where a finding is, in the words every message starts with: "Row 7", "Rows 3, 4, 9" (a single-table
 * bundle lives on its videos rows), then ", column x" when one column is at fault. The one copy of that
 * wording for row messages, the terminal and the sheet.
 */

/** "Row 7", "Rows 3, 4", "Row ?" (no number known); with ", column x" when a column is given. */
export function where(rowNumbers: readonly number[], column?: string): string {
  const head =
    rowNumbers.length === 0
      ? "Row ?"
      : rowNumbers.length === 1
        ? `Row ${rowNumbers[0]}`
        : `Rows ${rowNumbers.join(", ")}`;
  return column ? `${head}, column ${column}` : head;
}

/** "row 7" / "rows 7, 8": rows named inside a sentence. */
export function rowList(rowNumbers: readonly number[]): string {
  return rowNumbers.length === 1 ? `row ${rowNumbers[0]}` : `rows ${rowNumbers.join(", ")}`;
}
