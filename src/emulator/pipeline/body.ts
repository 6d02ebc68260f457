/**
 * Reading a request body once: JSON (malformed → 400, a body sent to an operation that takes none → 400)
 * or multipart (fields and files), with a hash of its content for Idempotency-Key comparison.
 */
import type { Context } from "hono";
import type { OperationSpec } from "../../api/spec.ts";
import type { UploadedFile } from "../context.ts";
import { type Answer, apiError } from "../envelope.ts";
import { sha256Hex } from "../idempotency.ts";
import type { Env, ParsedBody } from "./call.ts";

export async function readBody(c: Context<Env>, op: OperationSpec): Promise<ParsedBody | { error: Answer }> {
  const empty: ParsedBody = { body: undefined, files: {}, hash: sha256Hex("") };
  if (c.req.method === "GET" || c.req.method === "HEAD") return empty;
  const contentType = (c.req.header("content-type") ?? "").toLowerCase();

  if (op.bodyContentType === "multipart/form-data") {
    if (!contentType.startsWith("multipart/form-data")) {
      return {
        error: apiError(400, "VALIDATION_ERROR", "This endpoint takes multipart/form-data.", {
          field: "(body)",
          issues: [],
        }),
      };
    }
    let form: Record<string, string | File | (string | File)[]>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      return {
        error: apiError(400, "VALIDATION_ERROR", "Malformed multipart body.", {
          field: "(body)",
          issues: [],
        }),
      };
    }
    const body: Record<string, string | string[]> = {};
    const files: Record<string, UploadedFile> = {};
    // Hash the content, not the bytes: every client picks a fresh multipart boundary on a retry.
    const digest: string[] = [];
    for (const name of Object.keys(form).sort()) {
      const value = form[name];
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item === "string") {
          const prev = body[name];
          body[name] = prev === undefined ? item : Array.isArray(prev) ? [...prev, item] : [prev, item];
          digest.push(`f:${name}=${item}`);
        } else if (item && !files[name]) {
          const bytes = new Uint8Array(await item.arrayBuffer());
          files[name] = { filename: item.name, contentType: item.type || "application/octet-stream", bytes };
          digest.push(`b:${name}:${item.name}:${item.type}:${sha256Hex(bytes)}`);
        }
      }
    }
    return { body, files, hash: sha256Hex(digest.join("\n")) };
  }

  const raw = await c.req.text();
  // An absent JSON body is validated like any other (the schema says whether one is required).
  if (raw.trim() === "") return empty;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    if (!op.bodyContentType && !contentType.includes("json")) return empty;
    return {
      error: apiError(
        400,
        "VALIDATION_ERROR",
        `The request body is not valid JSON: ${(err as Error).message}`,
        {
          field: "(body)",
          issues: [{ field: "(body)", message: "malformed JSON" }],
        },
      ),
    };
  }
  if (!op.bodyContentType) {
    // Operations without a body ignore an empty one; anything more is a mistake worth telling.
    if (isEmptyJson(value)) return empty;
    return {
      error: apiError(400, "VALIDATION_ERROR", `${op.operationId} takes no request body.`, {
        field: "(body)",
        issues: [{ field: "(body)", message: "this operation takes no request body" }],
      }),
    };
  }
  return { body: value, files: {}, hash: sha256Hex(stableStringify(value)) };
}

function isEmptyJson(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value as object).length === 0;
  return false;
}

/** JSON with sorted keys, so the same content hashes the same whatever order a client wrote it in. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
