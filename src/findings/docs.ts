/**
 * The finding codes section of docs/sheet-format.md, generated from the catalogue (a test keeps the two
 * equal): every code with the status it gives its row, its meaning and its fix.
 */
import { CELL_CODES } from "./codes-cells.ts";
import { PLAN_CODES } from "./codes-plan.ts";
import type { CodeEntry } from "./entry.ts";

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
    "`validate --json` and `sync --json` carry the code next to the words; the words may improve between",
    "versions, the codes stay. `info` findings are said on rows that sync; `warning` ones are notes of `validate`.",
    "",
    "### Found in the sheet alone (before any call)",
    "",
    ...table(CELL_CODES as unknown as Record<string, CodeEntry<never>>),
    "",
    "### Found against TokPortal (by the planner)",
    "",
    ...table(PLAN_CODES as unknown as Record<string, CodeEntry<never>>),
  ].join("\n");
}
