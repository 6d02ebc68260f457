/**
 * The answers of `respond` and `rewrite` fault rules: a chosen answer instead of the handler's, or the
 * handler's answer edited (status, body fields by dotted path, whole body, headers).
 */
import { type Answer, type HeaderEdits, jsonAnswer } from "./envelope.ts";
import type { FaultResponse, FaultRewrite } from "./fault-config.ts";

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
  } else if (rw.json !== undefined || rw.omit || rw.set) {
    let value: unknown = rw.json;
    if (value === undefined) value = parseJson(answer.body);
    // A body that is not JSON (CSV, an empty 204) has no fields to edit: it goes out as it was.
    if (value !== undefined) {
      value = structuredClone(value);
      for (const path of rw.omit ?? []) value = omitPath(value, splitPath(path));
      for (const [path, v] of Object.entries(rw.set ?? {})) value = setPath(value, splitPath(path), v);
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

/**
 * Deletes the field at `path` (an array element by its index; `*` stands for every element or field, as in
 * `data.*.saved_account_id`); a missing path changes nothing.
 */
export function omitPath(value: unknown, path: string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined || !isContainer(value)) return value;
  if (head === "*") return eachChild(value, rest, (child) => omitPath(child, rest));
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
 * Sets the field at `path`, creating the objects on the way (`*` sets it in every element or field that
 * exists); setting the empty path replaces all.
 */
export function setPath(value: unknown, path: string[], to: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return to;
  if (head === "*")
    return isContainer(value) ? eachChild(value, rest, (child) => setPath(child, rest, to)) : value;
  const container: Record<string, unknown> = isContainer(value) ? value : {};
  if (Array.isArray(container) && Number.isInteger(Number(head))) {
    const i = Number(head);
    container[i] = setPath(container[i], rest, to);
    return container;
  }
  container[head] = setPath(container[head], rest, to);
  return container;
}

/** `*` in a path: `edit` applied to every child of an array or object (deleting a whole child is not one). */
function eachChild(
  value: Record<string, unknown>,
  rest: string[],
  edit: (child: unknown) => unknown,
): unknown {
  if (rest.length === 0) return value;
  for (const key of Object.keys(value)) value[key] = edit(value[key]);
  return value;
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
