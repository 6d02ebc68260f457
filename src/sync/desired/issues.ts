/**
 * Row issues of the desired state: a finding placed on its row and worded, and the spec's own checks
 * (the compiled validators of spec/tokportal-openapi.yaml) turned into findings on sheet columns.
 */
import { loadSpec, type TokPortalSpec, type ValidationIssue } from "../../api/spec.ts";
import { type Finding, finding, renderFinding } from "../../findings/index.ts";
import type { RowIssue, RowRef } from "../types.ts";

let spec: TokPortalSpec | undefined;
/** Loaded on first use: compiling the validators is the slow part, and only once per process. */
export function theSpec(): TokPortalSpec {
  spec ??= loadSpec();
  return spec;
}

/** An error on a row, in the words the sheet shows. */
export function rowIssue(row: RowRef, f: Finding): RowIssue {
  return {
    row,
    status: "error",
    ...(f.column === undefined ? {} : { column: f.column }),
    code: f.code,
    params: f.params,
    message: renderFinding(row.rowNumbers, f),
  };
}

/** Spec violations as findings: the field becomes its column, the API's own words say what is wrong. */
export function specFindings(
  issues: ValidationIssue[],
  columns: Readonly<Record<string, string>>,
): Finding[] {
  return issues.map((i) => {
    const field = i.field.split(".")[0] ?? i.field;
    const column = field === "(body)" ? undefined : (columns[field] ?? field);
    const said = i.message.startsWith(`${i.field} `) ? i.message.slice(i.field.length + 1) : i.message;
    if (i.kind === "unknown_field") return finding("field_not_accepted", column, {});
    if (said.includes('format "uri"')) return finding("not_a_url", column, {});
    return finding("value_refused", column, { field: i.field, said });
  });
}

/** Adds spec findings only for columns that have no hand-written finding yet (those say it better). */
export function addSpecFindings(into: Finding[], found: Finding[]): void {
  if (found.length === 0) return; // nearly every row: no set to build
  const taken = new Set(into.map((i) => i.column));
  for (const i of found) if (!taken.has(i.column)) into.push(i);
}
