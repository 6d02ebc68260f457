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

type Described = Record<string, Pick<CodeEntry<never>, "status" | "meaning" | "fix">>;

const cell = (text: string) => text.replaceAll("|", "\\|");

function table(codes: Described): string[] {
  const lines = ["| code | row status | meaning | fix |", "|---|---|---|---|"];
  for (const [code, e] of Object.entries(codes)) {
    lines.push(`| \`${code}\` | ${e.status} | ${cell(e.meaning)} | ${cell(e.fix)} |`);
  }
  return lines;
}

/** The catalogue's groups in the order the page gives them, each with its heading and any words before it. */
const SECTIONS: readonly { title: string; intro?: string[]; codes: Described }[] = [
  { title: "Found in the sheet alone (before any call)", codes: CELL_CODES },
  { title: "Found against TokPortal (by the planner)", codes: PLAN_CODES },
  {
    title: "Found while applying (TokPortal's answers, uploads, steps not run)",
    intro: [
      "TokPortal's own code and message are parameters of these (`tpCode`, `message`), so `sync --json` keeps",
      "them; `step` names the step that failed when the message is said on that step's rows.",
      "",
    ],
    codes: APPLY_CODES,
  },
  { title: "Ordering accounts: warming, follow-up orders, countries, cancelled bundles", codes: ORDER_CODES },
  { title: "Reviews, download problems and pull backs", codes: REVIEW_CODES },
];

export function findingCodesMarkdown(): string {
  return [
    "Each `sync_message` is made from a finding: a stable code, the column at fault and the values involved.",
    "`validate --json` carries each problem's `code` and `params` next to its `message`, and the rows of",
    "`plan --json` and `sync --json` carry the `code` (and `column`) their message starts with; the words may",
    "improve between versions, the codes stay. `info` findings are said on rows that sync; `warning` ones are notes",
    "of `validate`. Row status is the usual one; `bundle_row_blocked` takes its bundles row's.",
    "",
    ...SECTIONS.flatMap((s) => [`### ${s.title}`, "", ...(s.intro ?? []), ...table(s.codes), ""]),
    "### Why a plan step is made (the `reason` column of `plan`)",
    "",
    "| code | meaning |",
    "|---|---|",
    ...Object.entries(REASONS).map(([code, e]) => `| \`${code}\` | ${cell(e.meaning)} |`),
  ].join("\n");
}
