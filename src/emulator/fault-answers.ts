/**
 * The answers of `respond` and `rewrite` fault rules: a chosen answer instead of the handler's, or the
 * handler's answer edited (status, body fields by dotted path, whole body, CSV columns, headers).
 */
import { type Answer, type HeaderEdits, jsonAnswer } from "./envelope.ts";
import type { FaultResponse, FaultRewrite } from "./fault-config.ts";
import { editCsv } from "./fault-csv.ts";

export function chosenAnswer(r: FaultResponse): Answer {
  const headers = lowerKeys(r.headers ?? {});
  if (r.text !== undefined)
    return {
      status: r.status,
      body: r.text,
      headers: { "content-type": "text/plain; charset=utf-8", ...headers },
    };
  if (r.json === undefined) return { status: r.status, body: null, headers };
  return jsonAnswer(r.status, r.json, headers);
}

export function rewrittenAnswer(answer: Answer, rw: FaultRewrite): Answer {
  let status = rw.status ?? answer.status;
  const headers = { ...answer.headers };
  let body = answer.body;
  if (rw.text !== undefined) {
    body = rw.text;
    headers["content-type"] = "text/plain; charset=utf-8";
  } else if (rw.csv) {
    // Only a CSV answer has columns to edit; any other goes out as it was.
    if (body !== null && (headers["content-type"] ?? "").startsWith("text/csv")) body = editCsv(body, rw.csv);
  } else if (rw.json !== undefined || rw.omit || rw.set || rw.stringify) {
    let value: unknown = rw.json;
    if (value === undefined) value = parseJson(answer.body);
    // A body that is not JSON (CSV, an empty 204) has no fields to edit: it goes out as it was.
    if (value !== undefined) {
      value = structuredClone(value);
      for (const path of rw.omit ?? []) value = omitPath(value, splitPath(path));
      for (const [path, v] of Object.entries(rw.set ?? {})) value = setPath(value, splitPath(path), v);
      for (const path of rw.stringify ?? []) value = stringifyPath(value, splitPath(path));
      body = JSON.stringify(value);
      headers["content-type"] = "application/json; charset=utf-8";
      if (status === 204) status = 200;
    }
  }
  for (const name of rw.removeHeaders ?? []) delete headers[name.toLowerCase()];
  return { status, body, headers };
}

/** The header edits a rule makes over the whole answer, the pipeline's own headers included. */
export function headerEditsOf(
  set: Record<string, string> | undefined,
  remove: string[] | undefined,
): HeaderEdits {
  return { set: lowerKeys(set ?? {}), remove: (remove ?? []).map((h) => h.toLowerCase()) };
}

function parseJson(body: string | null): unknown {
  if (body === null || body === "") return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split(".");
}

function isContainer(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** The keys of a container (array indexes as strings), for a `*` segment. */
function keysOf(v: Record<string, unknown>): string[] {
  return Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
}

/**
 * Deletes the field at `path` (an array element by its index); a `*` segment stands for every element or
 * field there. A missing path changes nothing.
 */
export function omitPath(value: unknown, path: string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined || !isContainer(value)) return value;
  if (head === "*") {
    if (rest.length > 0) for (const k of keysOf(value)) value[k] = omitPath(value[k], rest);
    else if (Array.isArray(value)) value.length = 0;
    else for (const k of keysOf(value)) delete value[k];
    return value;
  }
  if (Array.isArray(value)) {
    const i = Number(head);
    if (!Number.isInteger(i) || i < 0 || i >= value.length) return value;
    if (rest.length === 0) value.splice(i, 1);
    else value[i] = omitPath(value[i], rest);
    return value;
  }
  if (!(head in value)) return value;
  if (rest.length === 0) delete value[head];
  else value[head] = omitPath(value[head], rest);
  return value;
}

/**
 * Sets the field at `path`, creating the objects on the way; setting the empty path replaces all. A `*`
 * segment sets it in every element or field that is there (and creates none).
 */
export function setPath(value: unknown, path: string[], to: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return to;
  if (head === "*") {
    if (isContainer(value)) for (const k of keysOf(value)) value[k] = setPath(value[k], rest, to);
    return value;
  }
  if (rest[0] === "*" && !(isContainer(value) && head in value)) return value;
  const container: Record<string, unknown> = isContainer(value) ? value : {};
  if (Array.isArray(container) && Number.isInteger(Number(head))) {
    const i = Number(head);
    container[i] = setPath(container[i], rest, to);
    return container;
  }
  container[head] = setPath(container[head], rest, to);
  return container;
}

/** Turns the number at `path` into its string (`36` → `"36"`); `*` as in omitPath. Anything else stays. */
export function stringifyPath(value: unknown, path: string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return typeof value === "number" ? String(value) : value;
  if (!isContainer(value)) return value;
  for (const k of head === "*" ? keysOf(value) : [head])
    if (k in value) value[k] = stringifyPath(value[k], rest);
  return value;
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
