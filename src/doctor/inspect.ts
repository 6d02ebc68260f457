/**
 * Judging one answer against what the sync relies on, with the sync's own readers (src/api/parse.ts): a
 * field its schema requires and the answer lacks makes the answer unreadable; an optional field the sync
 * uses that is absent (or of a type it cannot use, which the readers take as absent) is a difference the
 * sync works around. Pure: an answer in, findings out.
 */
import Papa from "papaparse";
import type { z } from "zod";
import { isObject, readTotalPages, valueAt } from "../api/parse.ts";
import { canonicalHeader } from "../sync/analytics-join.ts";
import type { Finding } from "./checks.ts";

export interface ObjectSpec {
  /** The sync's reader of `data` (or of the whole body with `at: ""`). */
  schema: z.ZodType;
  /** Optional fields the sync uses; absent ones are differences. Dotted paths reach inside (`costs.x`). */
  uses?: readonly string[];
  /** Of `uses`, those the sync cannot do without: absent, the answer is unreadable rather than different. */
  critical?: readonly string[];
  /** Where the schema applies: `data` (default) or the whole body (""). */
  at?: "data" | "";
  /** The part of `data` the sync reads, when it is nested (the account's profile in `data.account`). */
  view?: (data: unknown) => { value: unknown; at: string };
}

/** A missing required field, or one of the wrong type, named by its path from the body. */
function schemaFinding(error: z.ZodError, value: unknown, prefix: string): Finding {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).map((p) => (typeof p === "number" ? "[]" : String(p)));
  const subject = [prefix, ...path]
    .filter(Boolean)
    .join(".")
    .replace(/\.\[\]/g, "[]");
  const found = valueAt(value, issue?.path ?? []);
  return { code: found === undefined ? "missing" : "wrong_type", subject, severity: "unreadable" };
}

function get(value: unknown, dotted: string): { present: boolean; value: unknown } {
  let v: unknown = value;
  for (const key of dotted.split(".")) {
    if (!isObject(v) || !(key in v)) return { present: false, value: undefined };
    v = v[key];
  }
  return { present: true, value: v };
}

/**
 * Optional fields: absent → `missing`; present, not null, yet read as absent by the sync's reader →
 * `wrong_type`. `raw` is what TokPortal sent, `parsed` what the reader made of it.
 */
function usedFields(
  raw: unknown,
  parsed: unknown,
  spec: { uses?: readonly string[]; critical?: readonly string[] },
  prefix: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const field of spec.uses ?? []) {
    const r = get(raw, field);
    const subject = `${prefix}.${field}`;
    const severity = spec.critical?.includes(field) ? "unreadable" : "differs";
    if (!r.present) findings.push({ code: "missing", subject, severity });
    else if (r.value !== null && get(parsed, field).value == null)
      findings.push({ code: "wrong_type", subject, severity });
  }
  return findings;
}

/** The `data` object of an answer, read with the sync's schema. */
export function inspectObject(body: unknown, spec: ObjectSpec): Finding[] {
  if (spec.at === "") {
    const result = spec.schema.safeParse(body);
    if (!result.success) return [schemaFinding(result.error, body, "")];
    return usedFields(body, result.data, spec, "").map((f) => ({
      ...f,
      subject: f.subject?.replace(/^\./, ""),
    }));
  }
  if (!isObject(body) || !("data" in body)) return [{ code: "no_envelope", severity: "unreadable" }];
  const { value, at } = spec.view ? spec.view(body.data) : { value: body.data, at: "data" };
  const result = spec.schema.safeParse(value);
  if (!result.success) return [schemaFinding(result.error, value, at)];
  return usedFields(value, result.data, spec, at);
}

export interface ListSpec {
  item: z.ZodType;
  uses?: readonly string[];
  critical?: readonly string[];
  /** The list is paginated: its answer should carry `pagination.total_pages`. */
  paginated?: boolean;
}

/** A `data` list: every item read with the sync's item schema; a used field absent from any item counts. */
export function inspectList(body: unknown, spec: ListSpec): Finding[] {
  if (!isObject(body) || !("data" in body)) return [{ code: "no_envelope", severity: "unreadable" }];
  if (!Array.isArray(body.data)) return [{ code: "not_list", subject: "data", severity: "unreadable" }];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const item of body.data) {
    const result = spec.item.safeParse(item);
    if (!result.success) return [schemaFinding(result.error, item, "data[]")];
    for (const f of usedFields(item, result.data, spec, "data[]")) {
      const key = `${f.code}:${f.subject}`;
      if (!seen.has(key)) findings.push(f);
      seen.add(key);
    }
  }
  if (spec.paginated && readTotalPages(body) === null)
    findings.push({ code: "no_pagination", subject: "pagination.total_pages", severity: "differs" });
  return findings;
}

/**
 * What every answer to a dry run must say: that it was one. Without `dry_run: true` TokPortal may have
 * ignored the header and acted; the doctor then sends no further write.
 */
export function dryRunFindings(body: unknown, charging: boolean): Finding[] {
  const findings: Finding[] = [];
  if (!isObject(body) || body.dry_run !== true)
    findings.push({ code: "no_dry_run_marker", subject: "dry_run", severity: "differs" });
  if (charging && !(isObject(body) && typeof body.credits_would_charge === "number"))
    findings.push({ code: "no_would_charge", subject: "credits_would_charge", severity: "differs" });
  return findings;
}

/** What the sync reads from the export: a column to join on, and the metrics. */
export interface CsvHeader {
  findings: Finding[];
  /** The header's column names as sent. */
  columns: string[];
}

export function inspectCsvHeader(body: unknown, contentType: string, metrics: readonly string[]): CsvHeader {
  if (typeof body !== "string" || contentType.includes("json"))
    return { findings: [{ code: "not_csv", severity: "unreadable" }], columns: [] };
  const first = body.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  const parsed = Papa.parse<string[]>(first, { header: false });
  const columns = (parsed.data[0] ?? []).map(String).filter((c) => c.trim() !== "");
  // Matched exactly as the sync's reader matches them (`View Count` is `views`).
  const have = new Set(columns.map((c) => canonicalHeader(c)).filter((c) => c !== null));
  const findings: Finding[] = [];
  if (!have.has("video_id") && !have.has("platform_url"))
    findings.push({ code: "csv_no_join_key", subject: "video_id", severity: "unreadable" });
  for (const m of metrics)
    if (!have.has(m)) findings.push({ code: "csv_no_metric", subject: m, severity: "differs" });
  return { findings, columns };
}
