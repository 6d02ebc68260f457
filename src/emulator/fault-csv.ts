/**
 * The CSV edit of a `rewrite` fault rule: the analytics export with other header spellings, columns
 * dropped or added, as another service (or another version of TokPortal) could write it.
 */
import Papa from "papaparse";
import type { FaultCsvEdit } from "./fault-config.ts";

export function editCsv(body: string, edit: FaultCsvEdit): string {
  const parsed = Papa.parse<string[]>(body, { skipEmptyLines: true });
  const [header = [], ...rows] = parsed.data;
  const omit = new Set(edit.omit ?? []);
  const keep = header.map((_, i) => i).filter((i) => !omit.has(header[i] ?? ""));
  const added = Object.entries(edit.add ?? {});
  const names = [
    ...keep.map((i) => {
      const name = header[i] ?? "";
      return edit.rename?.[name] ?? name;
    }),
    ...added.map(([name]) => name),
  ];
  const out = rows.map((row) => [...keep.map((i) => row[i] ?? ""), ...added.map(([, value]) => value)]);
  // Papa.unparse of no rows writes no header either; the header alone is still an answer.
  return `${Papa.unparse([names, ...out], { newline: "\n" })}\n`;
}
