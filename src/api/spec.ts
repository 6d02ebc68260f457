/**
 * The TokPortal contract, loaded from spec/tokportal-openapi.yaml with spec/overlay.yaml merged in (the
 * fields TokPortal takes that the published contract lacks; see spec-overlay.ts).
 *
 * Both sides of the wire use this module: the client validates what it is about to send, the emulator
 * validates what it receives. Validators are compiled from the spec's own component schemas with Ajv2020,
 * so a change to the vendored spec (or the overlay) changes both at once and nothing is copied by hand.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsPlugin from "ajv-formats";
import { parse as parseYaml } from "yaml";
import { applyOverlay, OVERLAY_PATH, type Overlay, parseOverlay } from "./spec-overlay.ts";

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = (formatsPlugin as unknown as { default: typeof formatsPlugin.default }).default;

export const SPEC_PATH = fileURLToPath(new URL("../../spec/tokportal-openapi.yaml", import.meta.url));

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface OperationSpec {
  operationId: string;
  method: HttpMethod;
  /** Path template relative to the base URL, e.g. `/bundles/{id}/videos/{position}`. */
  path: string;
  /** True when the spec says the operation needs no API key. */
  public: boolean;
  /** Content type of the request body, when the operation takes one. */
  bodyContentType?: "application/json" | "multipart/form-data";
  /** Names of the query parameters the spec declares. */
  queryParams: string[];
  pathParams: string[];
}

/** A single problem found in a request, named by its field (JSON pointer without the leading slash). */
export interface ValidationIssue {
  /** `unknown_field` for a property the schema does not allow, `invalid` for any other violation. */
  kind: "unknown_field" | "invalid";
  field: string;
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  issues: ValidationIssue[];
}

interface RawOperation {
  operationId?: string;
  security?: unknown[];
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: object }>;
  requestBody?: { content: Record<string, { schema: object }> };
}

interface RawSpec {
  info: { version: string };
  paths: Record<string, Record<string, RawOperation>>;
  components: { schemas: Record<string, object> };
}

const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Operations that return secrets; TokPortal refuses an Idempotency-Key on them (docs/tokportal-api.md §4). */
export const SENSITIVE_OPERATIONS: ReadonlySet<string> = new Set([
  "retrieveAccountVerificationCode",
  "revealAccountCredentials",
  "createWebhookEndpoint",
  "uploadImage",
  "uploadVideo",
  "createAnalyticsReport",
]);

export class TokPortalSpec {
  readonly version: string;
  readonly operations: ReadonlyMap<string, OperationSpec>;
  private readonly raw: RawSpec;
  private readonly ajv: Ajv2020;
  private readonly bodyValidators = new Map<string, ValidateFunction | null>();
  private readonly queryValidators = new Map<string, ValidateFunction>();
  private readonly schemaValidators = new Map<string, ValidateFunction>();

  constructor(raw: RawSpec) {
    this.raw = raw;
    this.version = raw.info.version;
    // useDefaults stays off: a validator must never change what is sent or received. validateSchema is
    // off: the meta-schema does not look inside `components` (not a keyword), so checking the document
    // below against it found nothing, and compiling the meta-schema took ~60 ms at every start.
    this.ajv = new Ajv2020({
      allErrors: true,
      strict: false,
      useDefaults: false,
      validateFormats: true,
      validateSchema: false,
    });
    addFormats(this.ajv);
    this.ajv.addSchema({
      $id: "tokportal",
      components: normalize(raw.components),
    });
    const ops = new Map<string, OperationSpec>();
    for (const [path, item] of Object.entries(raw.paths)) {
      for (const method of METHODS) {
        const op = item[method.toLowerCase()];
        if (!op?.operationId) continue;
        const contentTypes = Object.keys(op.requestBody?.content ?? {});
        ops.set(op.operationId, {
          operationId: op.operationId,
          method,
          path,
          public: Array.isArray(op.security) && op.security.length === 0,
          bodyContentType: contentTypes[0] as OperationSpec["bodyContentType"],
          queryParams: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
          pathParams: (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name),
        });
      }
    }
    this.operations = ops;
  }

  operation(operationId: string): OperationSpec {
    const op = this.operations.get(operationId);
    if (!op) throw new Error(`Unknown TokPortal operation "${operationId}"`);
    return op;
  }

  /** Validates a JSON request body; operations without a JSON body accept only an absent body. */
  validateBody(operationId: string, body: unknown): ValidationResult {
    const validate = this.bodyValidator(operationId);
    if (!validate) return { ok: true, issues: [] };
    return toResult(validate, body);
  }

  /** Validates query parameters (strings, or string arrays for repeated keys) against their schemas. */
  validateQuery(operationId: string, query: Record<string, string | string[] | undefined>): ValidationResult {
    const validate = this.queryValidator(operationId);
    const schemas = this.querySchemas(operationId);
    const scalars: Record<string, unknown> = {};
    const repeated: Array<[string, unknown]> = [];
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      // Repeated keys (platform=a&platform=b) arrive as arrays; each item must fit the schema.
      if (Array.isArray(value))
        for (const v of value) repeated.push([key, coerceQueryValue(schemas[key], v)]);
      else scalars[key] = coerceQueryValue(schemas[key], value);
    }
    const result = toResult(validate, scalars);
    for (const [key, item] of repeated) {
      const one = toResult(validate, { ...scalars, [key]: item });
      result.issues.push(...one.issues.filter((i) => i.field === key));
    }
    return { ok: result.issues.length === 0, issues: result.issues };
  }

  /** Validates any value against a named component schema, e.g. `ConfigureVideoRequest`. */
  validateSchema(schemaName: string, value: unknown): ValidationResult {
    let validate = this.schemaValidators.get(schemaName);
    if (!validate) {
      if (!this.raw.components.schemas[schemaName]) throw new Error(`Unknown schema "${schemaName}"`);
      validate = this.ajv.compile({ $ref: `tokportal#/components/schemas/${schemaName}` });
      this.schemaValidators.set(schemaName, validate);
    }
    return toResult(validate, value);
  }

  /** The raw JSON Schema of a component, for callers that need limits such as maxLength. */
  componentSchema(schemaName: string): Record<string, unknown> | undefined {
    return this.raw.components.schemas[schemaName] as Record<string, unknown> | undefined;
  }

  private bodyValidator(operationId: string): ValidateFunction | null {
    if (this.bodyValidators.has(operationId)) return this.bodyValidators.get(operationId) ?? null;
    const op = this.operation(operationId);
    let validate: ValidateFunction | null = null;
    if (op.bodyContentType === "application/json") {
      const raw = this.rawOperation(op);
      const schema = raw.requestBody?.content["application/json"]?.schema as { $ref?: string } | undefined;
      if (schema?.$ref) validate = this.ajv.compile({ $ref: `tokportal${schema.$ref}` });
      else if (schema) validate = this.ajv.compile(normalize(schema));
    }
    this.bodyValidators.set(operationId, validate);
    return validate;
  }

  private queryValidator(operationId: string): ValidateFunction {
    const existing = this.queryValidators.get(operationId);
    if (existing) return existing;
    const raw = this.rawOperation(this.operation(operationId));
    const properties: Record<string, object> = {};
    const required: string[] = [];
    for (const p of raw.parameters ?? []) {
      if (p.in !== "query") continue;
      properties[p.name] = p.schema ?? {};
      if (p.required) required.push(p.name);
    }
    // Unknown query parameters are tolerated, as TokPortal's own CLI forwards extra flags as queries.
    const validate = this.ajv.compile({ type: "object", properties, required, additionalProperties: true });
    this.queryValidators.set(operationId, validate);
    return validate;
  }

  private querySchemas(operationId: string): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const p of this.rawOperation(this.operation(operationId)).parameters ?? []) {
      if (p.in === "query") out[p.name] = (p.schema ?? {}) as Record<string, unknown>;
    }
    return out;
  }

  private rawOperation(op: OperationSpec): RawOperation {
    const raw = this.raw.paths[op.path]?.[op.method.toLowerCase()];
    if (!raw) throw new Error(`Spec has no ${op.method} ${op.path}`);
    return raw;
  }
}

/** The spec as validated: the two fixes below applied to every schema, leaving the file as vendored. */
function normalize<T>(schema: T): T {
  return acceptStoragePaths(mergeClosedAllOf(schema));
}

/**
 * The spec writes batch items as `allOf: [ConfigureVideo fields (additionalProperties: false), {position}]`.
 * Under JSON Schema each branch is checked alone, so the first branch rejects `position` and no item
 * could ever pass. Merging object-only `allOf` branches into one object schema gives the intended
 * contract: the union of properties and required keys, closed if any branch was closed. A property
 * described by several branches must satisfy all of them, as it did under `allOf`.
 */
function mergeClosedAllOf<T>(node: T): T {
  if (Array.isArray(node)) return node.map(mergeClosedAllOf) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = mergeClosedAllOf(v);
  const branches = out.allOf;
  if (!Array.isArray(branches) || !branches.every(isPlainObjectSchema)) return out as T;
  const properties: Record<string, unknown> = {};
  const required = new Set<string>();
  let closed = false;
  for (const b of branches) {
    for (const [name, schema] of Object.entries((b.properties as Record<string, unknown>) ?? {})) {
      const seen = properties[name];
      properties[name] =
        seen === undefined || JSON.stringify(seen) === JSON.stringify(schema)
          ? schema
          : { allOf: [seen, schema] };
    }
    for (const r of (b.required as string[] | undefined) ?? []) required.add(r);
    if (b.additionalProperties === false) closed = true;
  }
  const { allOf: _allOf, ...rest } = out;
  return {
    ...rest,
    type: "object",
    properties,
    required: [...required],
    ...(closed ? { additionalProperties: false } : {}),
  } as T;
}

/** Only these keywords, so merging cannot drop a constraint (a `$ref`, `anyOf`, pattern… stops it). */
function isPlainObjectSchema(b: unknown): b is Record<string, unknown> {
  if (b === null || typeof b !== "object") return false;
  const schema = b as Record<string, unknown>;
  if (schema.type !== "object") return false;
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties !== "boolean")
    return false;
  return Object.keys(schema).every((k) =>
    ["type", "properties", "required", "additionalProperties"].includes(k),
  );
}

/**
 * `carousel_images` items are typed `format: uri` in the spec, yet TokPortal takes the image upload's
 * `storage_path` there (`carousel-images/<org>/<bundle>/photo.jpg`, docs/tokportal-api.md §9), which
 * is not a URI. Only the format goes; an empty string is neither a URI nor a path, so items must be
 * non-empty. Everything else about the field (type, 1–20 items) is kept.
 */
function acceptStoragePaths<T>(node: T): T {
  if (Array.isArray(node)) return node.map(acceptStoragePaths) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    const items = (v as { items?: { format?: string } } | null)?.items;
    if (k === "carousel_images" && items?.format === "uri") {
      const { format: _uri, ...rest } = items;
      out[k] = { ...(v as object), items: { ...rest, minLength: 1 } };
    } else out[k] = acceptStoragePaths(v);
  }
  return out as T;
}

/** Query values arrive as text: turn those that the schema types as numbers or booleans into them. */
function coerceQueryValue(schema: Record<string, unknown> | undefined, value: string): unknown {
  const type = schema?.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

function toResult(validate: ValidateFunction, value: unknown): ValidationResult {
  if (validate(value)) return { ok: true, issues: [] };
  return { ok: false, issues: describeErrors(validate.errors ?? []) };
}

/** Turns Ajv errors into one issue per field, worded for a person. */
export function describeErrors(errors: ErrorObject[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // anyOf/allOf wrappers repeat what their branches already said.
    if (e.keyword === "anyOf" || e.keyword === "allOf" || e.keyword === "oneOf" || e.keyword === "if")
      continue;
    const base = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
    let issue: ValidationIssue;
    if (e.keyword === "additionalProperties") {
      const prop = String((e.params as { additionalProperty: string }).additionalProperty);
      const field = base ? `${base}.${prop}` : prop;
      issue = { kind: "unknown_field", field, message: `${field} is not a known field` };
    } else if (e.keyword === "required") {
      const prop = String((e.params as { missingProperty: string }).missingProperty);
      const field = base ? `${base}.${prop}` : prop;
      issue = { kind: "invalid", field, message: `${field} is required` };
    } else {
      const field = base || "(body)";
      issue = { kind: "invalid", field, message: `${field} ${e.message ?? "is invalid"}` };
    }
    const key = `${issue.kind}:${issue.field}:${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

let cached: TokPortalSpec | undefined;

/**
 * The vendored spec with the overlay merged, parsed and compiled once per process. Another spec file is
 * read as it is, unless an overlay file is given for it.
 */
export function loadSpec(
  path: string = SPEC_PATH,
  overlayPath: string | null = path === SPEC_PATH ? OVERLAY_PATH : null,
): TokPortalSpec {
  const standard = path === SPEC_PATH && overlayPath === OVERLAY_PATH;
  if (standard && cached) return cached;
  const spec = new TokPortalSpec(readContract(path, overlayPath));
  if (standard) cached = spec;
  return spec;
}

/** The contract as a document: the spec file with the overlay applied (what `gen:types` also reads). */
export function readContract<T = RawSpec>(
  path: string = SPEC_PATH,
  overlayPath: string | null = path === SPEC_PATH ? OVERLAY_PATH : null,
): T {
  const kept = path === SPEC_PATH || overlayPath === OVERLAY_PATH ? readParsedSpec() : null;
  const raw = parseContractFile(path, kept) as T & object;
  return overlayPath === null ? raw : applyOverlay(raw, overlayOf(overlayPath, kept));
}

/**
 * Where the vendored spec's parsed form is kept: parsing 768 KB of YAML costs about half a second, and
 * every CLI start pays it, while the same document as JSON parses in milliseconds. `npm run gen:types`
 * writes it; it is used only while it was made from the YAML as it is now (its hash), so an edited spec is
 * never read stale. The overlay's parsed form is kept there too, the same way: parsing its few kilobytes
 * of YAML still cost ~30 ms of every start.
 */
export const SPEC_JSON_PATH = fileURLToPath(new URL("../../spec/tokportal-openapi.json", import.meta.url));

export interface ParsedSpecFile {
  /** sha256 of the YAML text it was parsed from. */
  source_sha256: string;
  document: object;
  /** spec/overlay.yaml parsed, with the sha256 of its text. */
  overlay?: { source_sha256: string; document: Overlay };
}

function parseContractFile(path: string, kept: ParsedSpecFile | null): object {
  const text = readFileSync(path, "utf8");
  if (path === SPEC_PATH && kept?.source_sha256 === sha256(text)) return kept.document;
  return parseYaml(text) as object;
}

function overlayOf(path: string, kept: ParsedSpecFile | null): Overlay {
  const text = readFileSync(path, "utf8");
  if (path === OVERLAY_PATH && kept?.overlay?.source_sha256 === sha256(text)) return kept.overlay.document;
  return parseOverlay(text);
}

function readParsedSpec(): ParsedSpecFile | null {
  try {
    return JSON.parse(readFileSync(SPEC_JSON_PATH, "utf8")) as ParsedSpecFile;
  } catch {
    return null;
  }
}

/** The parsed form of the vendored spec as `gen:types` writes it to SPEC_JSON_PATH. */
export function parsedSpecFile(): ParsedSpecFile {
  const text = readFileSync(SPEC_PATH, "utf8");
  const overlay = readFileSync(OVERLAY_PATH, "utf8");
  return {
    source_sha256: sha256(text),
    document: parseYaml(text) as object,
    overlay: { source_sha256: sha256(overlay), document: parseOverlay(overlay) },
  };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
