/** The shape of one code in the catalogue: what it means, how to fix it, and its words for a row. */

/** What a finding does to its row: an issue's status, `info` on a row that syncs, `warning` for notes. */
export type FindingStatus = "error" | "locked" | "pending" | "skipped" | "info" | "warning";

/** Parameters are plain data, so a finding can be saved, compared and sent as JSON. */
export type ParamValue = string | number | boolean | null | readonly string[] | readonly number[];

export interface CodeEntry<P> {
  status: FindingStatus;
  /** One sentence: what is wrong (or what is going on). */
  meaning: string;
  /** One sentence: what the user does about it. */
  fix: string;
  /** The message reads on from the row without a colon ("Row 7 changed, but …"). */
  joined?: boolean;
  /** The words after "Row 7, column x: ", naming the values at fault and the fix. */
  text: (p: P) => string;
}

/** Declares an entry with its parameter type (the catalogue derives each code's parameters from it). */
export function code<P extends Readonly<Record<string, ParamValue | undefined>>>(
  entry: CodeEntry<P>,
): CodeEntry<P> {
  return entry;
}

/** No parameters. */
export type None = Readonly<Record<string, never>>;
