/**
 * Turning a call into an HTTP request: path parameters filled in, the query serialized (repeated keys for
 * lists), the body validated against the spec, and the headers TokPortal expects. Anything wrong is
 * collected and thrown as one `RequestValidationError` naming every field, before a byte is sent.
 */
import { readFileSync } from "node:fs";
import { FormData } from "undici";
import { RequestValidationError } from "./errors.ts";
import {
  type OperationSpec,
  SENSITIVE_OPERATIONS,
  type TokPortalSpec,
  type ValidationIssue,
} from "./spec.ts";
import type { CallInput, CallOptions } from "./types.ts";

export const CLIENT_NAME = "tokportal-sync";
export const CLIENT_VERSION = readPackageVersion();

/** Where and as whom requests go. */
export interface RequestTarget {
  spec: TokPortalSpec;
  /** The base URL, e.g. `https://app.tokportal.com/api/ext`. */
  base: URL;
  apiKey: string;
}

export interface Prepared {
  op: OperationSpec;
  url: URL;
  /** Everything but X-Request-ID, which is per attempt. */
  headers: Record<string, string>;
  /** A fresh body per attempt (a multipart stream is consumed by the first send). */
  body: () => string | FormData | undefined;
  bytes: number;
  /** Whether a second attempt cannot apply the call twice (a read, a keyed write, a dry run). */
  safeToRepeat: boolean;
}

/** Builds the request for one call, or throws a RequestValidationError listing every problem. */
export function prepareRequest(
  target: RequestTarget,
  op: OperationSpec,
  input: CallInput,
  options: CallOptions,
): Prepared {
  const id = op.operationId;
  const issues: ValidationIssue[] = [];
  // Path
  const params = input.path ?? {};
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === "") {
      issues.push({ kind: "invalid", field: `path.${name}`, message: `path.${name} is required` });
      return "_";
    }
    return encodeURIComponent(String(value));
  });
  // Query
  const search = new URLSearchParams();
  const asText: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(input.query ?? {})) {
    if (value === undefined) continue;
    const values = (Array.isArray(value) ? value : [value]).map(String);
    for (const v of values) search.append(key, v);
    asText[key] = Array.isArray(value) ? values : (values[0] ?? "");
  }
  const q = target.spec.validateQuery(id, asText);
  for (const i of q.issues) issues.push({ ...i, field: `query.${i.field}` });
  // Body
  let body: () => string | FormData | undefined = () => undefined;
  let bytes = 0;
  const headers: Record<string, string> = {
    // JSON for everything except the exports (CSV, HTML), which answer in text.
    accept: "application/json, text/*;q=0.5",
    "x-tokportal-client": `${CLIENT_NAME}/${CLIENT_VERSION}`,
  };
  if (op.bodyContentType === "application/json") {
    const b = target.spec.validateBody(id, input.body ?? {});
    issues.push(...b.issues);
    const json = JSON.stringify(input.body ?? {});
    bytes = Buffer.byteLength(json);
    body = () => json;
    headers["content-type"] = "application/json";
  } else if (op.bodyContentType === "multipart/form-data") {
    if (!input.form) issues.push({ kind: "invalid", field: "form", message: "form is required" });
    else {
      const { build, size, problems } = formBody(input.form);
      issues.push(...problems);
      body = build;
      bytes = size;
    }
  } else if (input.body !== undefined || input.form !== undefined) {
    issues.push({ kind: "invalid", field: "(body)", message: `${id} takes no request body` });
  }
  // Idempotency
  const isWrite = op.method !== "GET";
  const sensitive = SENSITIVE_OPERATIONS.has(id);
  const key = options.idempotencyKey;
  if (key !== undefined) {
    if (!isWrite || sensitive)
      issues.push({
        kind: "invalid",
        field: "Idempotency-Key",
        message: sensitive
          ? `Idempotency-Key is refused on ${id}: its response carries a secret`
          : `Idempotency-Key has no meaning on a ${op.method}`,
      });
    else if (!/^[\x21-\x7e]{1,255}$/.test(key))
      issues.push({
        kind: "invalid",
        field: "Idempotency-Key",
        message: "Idempotency-Key must be 1-255 visible ASCII characters",
      });
    else headers["idempotency-key"] = key;
  } else if (isWrite && !sensitive && !options.allowWithoutIdempotencyKey && !options.dryRun) {
    issues.push({
      kind: "invalid",
      field: "Idempotency-Key",
      message: `Idempotency-Key is required on ${id} (derive one with idempotencyKey(), or pass allowWithoutIdempotencyKey)`,
    });
  }
  if (issues.length > 0) throw new RequestValidationError(id, issues);
  if (options.dryRun) headers["x-tokportal-dry-run"] = "true";
  if (!op.public) headers["x-api-key"] = target.apiKey;
  const url = new URL(`${target.base.pathname.replace(/\/$/, "")}${path}`, target.base.origin);
  url.search = search.toString();
  return {
    op,
    url,
    headers,
    body,
    bytes,
    safeToRepeat: !isWrite || key !== undefined || options.dryRun === true,
  };
}

function formBody(form: NonNullable<CallInput["form"]>): {
  build: () => FormData;
  size: number;
  problems: ValidationIssue[];
} {
  const problems: ValidationIssue[] = [];
  let size = 0;
  const parts: Array<[string, string | { blob: Blob; filename: string }]> = [];
  for (const [name, value] of Object.entries(form)) {
    if (value === undefined) continue;
    if (typeof value === "object") {
      if (!value.filename)
        problems.push({
          kind: "invalid",
          field: `${name}.filename`,
          message: `${name}.filename is required`,
        });
      const blob =
        value.data instanceof Blob
          ? value.data
          : new Blob([value.data], { type: value.contentType ?? "application/octet-stream" });
      size += blob.size;
      parts.push([name, { blob, filename: value.filename }]);
    } else {
      const s = String(value);
      if (s === "") problems.push({ kind: "invalid", field: name, message: `${name} is empty` });
      size += Buffer.byteLength(s);
      parts.push([name, s]);
    }
  }
  // A FormData is rebuilt per attempt: its stream is consumed by the first send.
  const build = () => {
    const fd = new FormData();
    for (const [name, v] of parts) {
      if (typeof v === "string") fd.append(name, v);
      else fd.append(name, v.blob, v.filename);
    }
    return fd;
  };
  return { build, size, problems };
}

/** The caller's signal and the per-attempt timeout, as one signal for the transport. */
export function attemptSignal(options: CallOptions): { signal?: AbortSignal } {
  const signals: AbortSignal[] = [];
  if (options.signal) signals.push(options.signal);
  if (options.timeoutMs !== undefined) signals.push(AbortSignal.timeout(options.timeoutMs));
  if (signals.length === 0) return {};
  return { signal: signals.length === 1 ? signals[0]! : AbortSignal.any(signals) };
}

function readPackageVersion(): string {
  // src/api/request.ts and dist/api/request.js both sit two levels below the package root.
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === CLIENT_NAME && typeof pkg.version === "string") return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return "unknown";
}
