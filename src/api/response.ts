/**
 * Reading what came back: the rate-limit headers, Retry-After, an error envelope (or whatever a proxy put in
 * its place), and a success body as JSON or text.
 */
import type { RateLimitSnapshot } from "./errors.ts";
import { TokPortalError } from "./errors.ts";
import { isObject, unreadable } from "./parse.ts";
import type { HttpResponse } from "./transport.ts";

export function readRateLimit(headers: Record<string, string>): RateLimitSnapshot {
  const num = (name: string): number | null => {
    const v = headers[name];
    if (v === undefined || v.trim() === "") return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  };
  return {
    limit: num("x-ratelimit-limit"),
    remaining: num("x-ratelimit-remaining"),
    reset: num("x-ratelimit-reset"),
  };
}

/** Retry-After in seconds (a number or an HTTP date); the header wins over the body (docs/tokportal-api.md). */
export function readRetryAfter(
  headers: Record<string, string>,
  details: Record<string, unknown>,
): number | null {
  const h = headers["retry-after"];
  if (h !== undefined) {
    if (/^\d+(\.\d+)?$/.test(h.trim())) return Number(h);
    const at = Date.parse(h);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  const d = details.retry_after_seconds;
  return typeof d === "number" && Number.isFinite(d) && d >= 0 ? d : null;
}

export function httpError(
  operationId: string,
  res: HttpResponse,
  requestId: string | null,
  rateLimit: RateLimitSnapshot,
): TokPortalError {
  const contentType = res.headers["content-type"] ?? "";
  const text = new TextDecoder().decode(res.body);
  let json: unknown;
  try {
    json = contentType.includes("json") || /^\s*[{[]/.test(text) ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const envelope = isObject(json) && isObject(json.error) ? json.error : null;
  const code = envelope && typeof envelope.code === "string" ? envelope.code : `HTTP_${res.status}`;
  const details = envelope && isObject(envelope.details) ? envelope.details : {};
  const serverMessage =
    envelope && typeof envelope.message === "string"
      ? envelope.message
      : `HTTP ${res.status} with ${contentType ? `a ${contentType.split(";")[0]}` : "an unreadable"} body`;
  return new TokPortalError({
    kind: "http",
    status: res.status,
    code,
    message: `${operationId}: ${serverMessage} [${code}, HTTP ${res.status}${requestId ? `, request ${requestId}` : ""}]`,
    operationId,
    details,
    requestId,
    retryAfterSeconds: readRetryAfter(res.headers, details),
    rateLimit,
    ...(envelope ? {} : { bodySnippet: snippet(text) }),
  });
}

export function decodeSuccess(
  operationId: string,
  res: HttpResponse,
  requestId: string,
): { body: unknown; contentType: string } {
  const contentType = res.headers["content-type"] ?? "";
  if (res.status === 204 || res.body.byteLength === 0) return { body: null, contentType };
  const text = new TextDecoder().decode(res.body);
  if (!contentType.includes("json")) {
    // A JSON answer without its content type still reads; anything else is handed over as text.
    if (!/^\s*[{[]/.test(text)) return { body: text, contentType };
  }
  try {
    return { body: JSON.parse(text), contentType };
  } catch {
    throw unreadable(
      { operationId, requestId, status: res.status },
      "the body is not valid JSON",
      snippet(text),
    );
  }
}

/** A short, single-line excerpt of a body (HTML tags dropped), for messages about unreadable answers. */
function snippet(text: string): string {
  return text
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 200);
}
