/**
 * Findings in words: "Row 7, column target_publish_date: 2026-09-02 is too soon: …". The only place row
 * messages are made from findings.
 */

import { flatText } from "../words.ts";
import { entryOf, type Finding } from "./catalogue.ts";
import { where } from "./where.ts";

/** What is wrong and how to fix it, without saying where (the terminal's tables say where themselves). */
export function findingText(f: Finding): string {
  return entryOf(f.code).text(f.params);
}

/**
 * The finding without the step it names (`step`, when the failed step's rows are told), for where the
 * step is already said: the op's own status line, a later step's block, a dry-run check.
 */
export function withoutStep(f: Finding): Finding {
  if (!("step" in f.params)) return f;
  const { step: _step, ...params } = f.params as Record<string, unknown>;
  return { ...f, params } as Finding;
}

/** The full message for rows `rowNumbers`: where, then the finding's words. */
export function renderFinding(rowNumbers: readonly number[], f: Finding): string {
  const e = entryOf(f.code);
  // Flat: a run keeps a message for every row it tells something (at 100,000 rows waiting for credits,
  // the trees of their parts were 38 MB where the text is 14).
  return flatText(where(rowNumbers, f.column), e.joined ? " " : ": ", e.text(f.params));
}

/** Several findings on one row, in one message (as the sheet's `sync_message` shows them). */
export function renderFindings(rowNumbers: readonly number[], findings: readonly Finding[]): string {
  return findings.map((f) => renderFinding(rowNumbers, f)).join("; ");
}
