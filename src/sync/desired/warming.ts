/**
 * Warming on a bundles row: advanced warming (its terms as a `;` list in `advanced_warming_terms`, or how
 * many TokPortal picks in `advanced_warming_terms_count`), or the legacy niche warming
 * (`niche_warming_instructions`). TokPortal takes one kind per bundle (WARMING_CONFLICT), only with a new
 * account, and no longer takes deep warming (docs/tokportal-api.md §6). Pure: cells → findings and the
 * create fields they become.
 */
import type { CreateBundleBody } from "../../api/index.ts";
import { type Finding, finding } from "../../findings/index.ts";
import type { BundleInput } from "../../sources/coerce.ts";

/** The create fields warming adds (none when the row asks for no warming). */
export type WarmingFields = Pick<
  CreateBundleBody,
  | "wants_advanced_warming"
  | "advanced_warming_terms"
  | "advanced_warming_terms_count"
  | "wants_niche_warming"
  | "niche_warming_instructions"
>;

export const WARMING_COLUMNS = [
  "advanced_warming_terms",
  "advanced_warming_terms_count",
  "niche_warming_instructions",
] as const;

const MIN_TERMS = 3;
const MAX_TERMS = 30;

export function checkWarming(
  input: BundleInput,
  videosOnly: boolean,
): { issues: Finding[]; fields: WarmingFields } {
  const issues: Finding[] = [];
  if (input.deep_warming === true) issues.push(finding("deep_warming_deprecated", "deep_warming", {}));
  const filled = WARMING_COLUMNS.filter((c) => input[c] !== undefined);
  if (filled.length === 0) return { issues, fields: {} };
  if (videosOnly) {
    for (const column of filled) issues.push(finding("warming_on_videos_only", column, {}));
    return { issues, fields: {} };
  }
  if (filled.length > 1) {
    // Named on the later column of the pair: the first is what the row "has", the second what conflicts.
    const [first, second] = filled as unknown as [string, string];
    issues.push(finding("warming_conflict", second, { column: second, other: first }));
    return { issues, fields: {} };
  }
  const terms = input.advanced_warming_terms;
  if (terms !== undefined) {
    const trimmed = terms.map((t) => t.trim()).filter((t) => t !== "");
    if (!validCount(trimmed.length)) {
      issues.push(finding("warming_terms_count", "advanced_warming_terms", { count: trimmed.length }));
    }
    const bad = trimmed.find((t) => t.length < 2 || t.length > 50);
    if (bad !== undefined)
      issues.push(finding("warming_term_length", "advanced_warming_terms", { term: bad }));
    return { issues, fields: { wants_advanced_warming: true, advanced_warming_terms: trimmed } };
  }
  const count = input.advanced_warming_terms_count;
  if (count !== undefined) {
    if (!validCount(count)) {
      issues.push(finding("warming_terms_count", "advanced_warming_terms_count", { count }));
    }
    return { issues, fields: { wants_advanced_warming: true, advanced_warming_terms_count: count } };
  }
  const instructions = input.niche_warming_instructions ?? "";
  return { issues, fields: { wants_niche_warming: true, niche_warming_instructions: instructions } };
}

function validCount(n: number): boolean {
  return n >= MIN_TERMS && n <= MAX_TERMS && n % 3 === 0;
}

/** What a bundle was ordered with, in words a message can show ("3 advanced warming terms", "no warming"). */
export function warmingSummary(fields: {
  wants_advanced_warming?: unknown;
  advanced_warming_terms?: unknown;
  advanced_warming_terms_count?: unknown;
  wants_niche_warming?: unknown;
}): string {
  const terms = Array.isArray(fields.advanced_warming_terms) ? fields.advanced_warming_terms.length : 0;
  const count =
    typeof fields.advanced_warming_terms_count === "number" ? fields.advanced_warming_terms_count : 0;
  const n = Math.max(terms, count);
  if (fields.wants_advanced_warming === true || n > 0) return `advanced warming on ${n} terms`;
  if (fields.wants_niche_warming === true) return "legacy niche warming";
  return "no warming";
}
