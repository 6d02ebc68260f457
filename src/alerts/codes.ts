/**
 * The conditions an alert reports, by stable code. A condition opens (a message says so) and later closes
 * (a message says it recovered); nothing is sent while it stays as it was. Row conditions are kept per
 * row, so a second bad paste while the first is still open is news, and an unchanged sheet is not.
 * Their words are in src/alerts/words.ts; tests assert the codes.
 */
export const ALERT_CODES = [
  "run_failed",
  "row_error",
  "row_locked",
  "row_pending_long",
  "balance_low",
  "credits_expiring",
  "credits_waiting",
] as const;

export type AlertCode = (typeof ALERT_CODES)[number];

/** The codes that are one per row (their condition's key carries the row's id). */
export const ROW_CODES: ReadonlySet<AlertCode> = new Set<AlertCode>([
  "row_error",
  "row_locked",
  "row_pending_long",
]);

/** A row as an alert names it: where it is and what its `sync_message` says. */
export interface AlertRow {
  id: string;
  table: string;
  rowNumbers: number[];
  column: string | null;
  /** The finding code of the row's message (docs/sheet-format.md), null when it has none. */
  findingCode: string | null;
  message: string;
}

export type AlertParams = Readonly<Record<string, string | number | null>>;

/** A condition that holds: since when, with the values it opened with. */
export interface OpenCondition {
  key: string;
  code: AlertCode;
  since: string;
  params: AlertParams;
  row?: AlertRow;
}
