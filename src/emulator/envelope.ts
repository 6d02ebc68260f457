/** TokPortal's answer shapes: the error envelope and the dry-run decoration (docs/tokportal-api.md §2, §3). */
import { ApiError } from "./context.ts";
import { randomHex } from "./random.ts";

export const API_VERSION = "2026-05-25";

/** Sent on every answer, errors, replays and injected faults included (docs/tokportal-api.md §1). */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "x-tokportal-api-version": API_VERSION,
  "x-tokportal-api-stability": "stable",
};

const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** The client's X-Request-ID when it is safe printable ASCII of at most 128 chars, else `req_` + 32 hex. */
export function requestIdOf(sent: string | undefined): string {
  if (sent && REQUEST_ID_PATTERN.test(sent)) return sent;
  return `req_${randomHex(Math.random, 32)}`;
}

/** What the core sends: a status, a body already encoded, and the headers specific to this answer. */
export interface Answer {
  status: number;
  body: string | null;
  headers: Record<string, string>;
}

export function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return {
    status,
    body: JSON.stringify(value),
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  };
}

export function errorAnswer(err: ApiError): Answer {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.details !== undefined) error.details = err.details;
  return jsonAnswer(err.status, { error }, err.headers ?? {});
}

export function apiError(
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
): Answer {
  return errorAnswer(new ApiError(status, code, message, details, headers));
}

export const DRY_RUN_NOTICE = "Simulated: nothing was created, changed or charged.";

/** Adds the dry-run fields to a JSON object body; other bodies are returned as they are. */
export function decorateDryRun(body: unknown, wouldCharge: number): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  return {
    ...body,
    dry_run: true,
    dry_run_notice: DRY_RUN_NOTICE,
    credits_charged: 0,
    credits_would_charge: wouldCharge,
  };
}

/** Default error codes for statuses the core answers without a handler (faults, for instance). */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "VALIDATION_ERROR";
    case 401:
      return "AUTH_INVALID_KEY";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 408:
      return "REQUEST_TIMEOUT";
    case 409:
      return "CONFLICT";
    case 429:
      return "RATE_LIMIT_EXCEEDED";
    case 502:
      return "BAD_GATEWAY";
    case 503:
      return "SERVICE_UNAVAILABLE";
    case 504:
      return "GATEWAY_TIMEOUT";
    default:
      return "INTERNAL_ERROR";
  }
}

/** Last-word header edits of a fault rule: set over every other header, then removed. */
export interface HeaderEdits {
  set: Record<string, string>;
  remove: string[];
}

export function toResponse(answer: Answer, extra: Record<string, string>, edits?: HeaderEdits): Response {
  const headers = { ...answer.headers, ...COMMON_HEADERS, ...extra, ...(edits?.set ?? {}) };
  for (const name of edits?.remove ?? []) delete headers[name];
  return new Response(answer.body, { status: answer.status, headers });
}
