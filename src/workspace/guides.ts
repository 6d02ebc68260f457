/**
 * What `init` puts on a column to guide the person typing into it, derived from the column catalogue
 * (src/sources/columns.ts) and its words (src/sources/column-docs.ts), never listed by hand: a data
 * validation rule per column type and a note for its header cell. Pure.
 *
 * Strict (the cell refuses the value) only where nothing else can ever be right: the closed lists of an
 * enum and whole-number ranges. Elsewhere a warning mark only, because the reader accepts more than one
 * spelling (`yes`/`TRUE`, `US`/`USA`, a date in the config's `date_format`). Either way the sync's own row
 * checks stay the authority: validation is a guide, and values written by the API or pasted still reach
 * the sync, which reports them with their row code.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { countryKey, tokportalCountry } from "../api/countries.ts";
import { BUNDLE_INPUT_DOCS, OUTPUT_DOCS, VIDEO_INPUT_DOCS } from "../sources/column-docs.ts";
import { type ColumnSpec, describeType, SYNC_STATUSES, type TableMode } from "../sources/columns.ts";

export type ValidationRule = sheets_v4.Schema$DataValidationRule;
export type SyncStatusName = (typeof SYNC_STATUSES)[number];

/**
 * Lead time TokPortal asks for (docs/tokportal-api.md): 3 days while the account is being created,
 * 1 day once it is delivered. Only words here: the planner checks it.
 */
const LEAD_TIME_HELP =
  "A date (YYYY-MM-DD, or the config's date_format). TokPortal needs it at least 3 days ahead while the account is being created, 1 day once it is delivered.";

export interface GuideContext {
  /** The country codes offered in the `country` dropdown (TokPortal's, or the catalogue's). */
  countries: readonly string[];
}

function oneOf(values: readonly string[], strict: boolean, help: string): ValidationRule {
  return {
    condition: { type: "ONE_OF_LIST", values: values.map((v) => ({ userEnteredValue: v })) },
    strict,
    showCustomUi: true,
    inputMessage: help,
  };
}

/** The validation rule of an input column, or null when its type has none worth showing (text, lists). */
export function validationRule(spec: ColumnSpec, ctx: GuideContext): ValidationRule | null {
  const type = spec.type;
  if (spec.name === "country") {
    return ctx.countries.length === 0
      ? null
      : oneOf(ctx.countries, false, "A country code: pick one, or type an ISO code (US, FR, GBR).");
  }
  switch (type.kind) {
    case "enum":
      return oneOf(type.values, true, `One of ${type.values.join(", ")}.`);
    case "boolean":
      return {
        condition: { type: "BOOLEAN" },
        strict: false,
        inputMessage: "Ticked = yes. yes/no and TRUE/FALSE are read too.",
      };
    case "date":
      return { condition: { type: "DATE_IS_VALID" }, strict: false, inputMessage: LEAD_TIME_HELP };
    case "integer":
      if (type.min === undefined || type.max === undefined) return null;
      return {
        condition: {
          type: "NUMBER_BETWEEN",
          values: [{ userEnteredValue: String(type.min) }, { userEnteredValue: String(type.max) }],
        },
        strict: true,
        inputMessage: sentence(describeType(type)),
      };
    default:
      return null;
  }
}

const sentence = (words: string): string => `${words.charAt(0).toUpperCase()}${words.slice(1)}.`;

const plain = (markdown: string): string => markdown.replaceAll("`", "");

/** The header note of a column: what it means and its rules, in the words of docs/sheet-format.md. */
export function headerNote(mode: TableMode, spec: ColumnSpec | undefined, name: string): string {
  if (spec) {
    const docs =
      mode.table === "bundles"
        ? BUNDLE_INPUT_DOCS
        : mode.singleTable
          ? { ...BUNDLE_INPUT_DOCS, ...VIDEO_INPUT_DOCS }
          : VIDEO_INPUT_DOCS;
    const doc = docs[name];
    const lines = [plain(doc?.meaning ?? name), `Allowed: ${describeType(spec.type)}.`];
    if (doc) lines.push(`Blank: ${plain(doc.blank)}.`);
    if (spec.required) lines.push("Required.");
    return lines.join("\n");
  }
  return `${plain(OUTPUT_DOCS[name] ?? name)}\nWritten by tokportal-sync: edits are overwritten.`;
}

/** Light backgrounds a person reads at a glance: green done, yellow waiting, orange locked, red error. */
export const STATUS_COLOURS: Readonly<Record<SyncStatusName, sheets_v4.Schema$Color>> = {
  synced: { red: 0.85, green: 0.94, blue: 0.83 },
  pending: { red: 1, green: 0.95, blue: 0.8 },
  locked: { red: 0.99, green: 0.86, blue: 0.72 },
  error: { red: 0.96, green: 0.8, blue: 0.8 },
  skipped: { red: 0.93, green: 0.93, blue: 0.93 },
};

/** The shade of output columns (a pale blue-grey: "not yours to type in"). */
export const OUTPUT_SHADE: sheets_v4.Schema$Color = { red: 0.91, green: 0.94, blue: 0.97 };

export const PROTECTION_DESCRIPTION = "written by tokportal-sync: edits are overwritten";

export { SYNC_STATUSES };

/**
 * The codes of a `/countries` answer (`{data: [{code, name}]}`), one per country as TokPortal stores it
 * (its aliases `US`/`GB` fold into `USA`/`UK`), sorted; null when the answer holds none.
 */
export function countriesFromAnswer(body: unknown): string[] | null {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return null;
  const codes = new Set<string>();
  for (const item of data) {
    const code = (item as { code?: unknown } | null)?.code;
    if (typeof code !== "string" || code.trim() === "") continue;
    codes.add(countryKey(code) === null ? code.trim().toUpperCase() : tokportalCountry(code));
  }
  return codes.size > 0 ? [...codes].sort() : null;
}
