/**
 * The finding codes section of docs/sheet-format.md, generated from the catalogue (a test keeps the two
 * equal): every code with the status it gives its row, its meaning and its fix.
 */
import { APPLY_CODES } from "./codes-apply.ts";
import { CELL_CODES } from "./codes-cells.ts";
import { ORDER_CODES } from "./codes-orders.ts";
import { PLAN_CODES } from "./codes-plan.ts";
import { REVIEW_CODES } from "./codes-review.ts";
import type { CodeEntry } from "./entry.ts";
import { REASONS } from "./reasons.ts";

function table(codes: Record<string, CodeEntry<never>>): string[] {
  const lines = ["| code | row status | meaning | fix |", "|---|---|---|---|"];
  for (const [code, e] of Object.entries(codes)) {
    const cell = (text: string) => text.replaceAll("|", "\\|");
    lines.push(`| \`${code}\` | ${e.status} | ${cell(e.meaning)} | ${cell(e.fix)} |`);
  }
  return lines;
}

export function findingCodesMarkdown(): string {
  return [
    "Each `sync_message` is made from a finding: a stable code, the column at fault and the values involved.",
    "`validate --json` carries each problem's `code` and `params` next to its `message`, and the rows of",
    "`plan --json` and `sync --json` carry the `code` (and `column`) their message starts with; the words may",
    "improve between versions, the codes stay. `info` findings are said on rows that sync; `warning` ones are notes",
    "of `validate`. Row status is the usual one; `bundle_row_blocked` takes its bundles row's.",
    "",
    "### Found in the sheet alone (before any call)",
    "",
    ...table(CELL_CODES as unknown as Record<string, CodeEntry<never>>),
    "",
    "### Found against TokPortal (by the planner)",
    "",
    ...table(PLAN_CODES as unknown as Record<string, CodeEntry<never>>),
    "",
    "### Found while applying (TokPortal's answers, uploads, steps not run)",
    "",
    "TokPortal's own code and message are parameters of these (`tpCode`, `message`), so `sync --json` keeps",
    "them; `step` names the step that failed when the message is said on that step's rows.",
    "",
    ...table(APPLY_CODES as unknown as Record<string, CodeEntry<never>>),
    "",
    "### Ordering accounts: warming, follow-up orders, countries, cancelled bundles",
    "",
    ...table(ORDER_CODES as unknown as Record<string, CodeEntry<never>>),
    "",
    "### Reviews, download problems and pull backs",
    "",
    ...table(REVIEW_CODES as unknown as Record<string, CodeEntry<never>>),
    "",
    "### Why a plan step is made (the `reason` column of `plan`)",
    "",
    "| code | meaning |",
    "|---|---|",
    ...Object.entries(REASONS).map(([code, e]) => `| \`${code}\` | ${e.meaning.replaceAll("|", "\\|")} |`),
  ].join("\n");
}
