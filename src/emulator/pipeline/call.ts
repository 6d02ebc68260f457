/**
 * What the pipeline's stages share about one request under /api/ext. Each stage is a Hono middleware: it
 * either answers (sets `call.answer` and does not call `next`) or lets the request go on, and may look at
 * the answer on the way back. `request.ts` turns the final answer into the HTTP response.
 */
import type { HttpBindings } from "@hono/node-server";
import type { Context, MiddlewareHandler } from "hono";
import type { loadSpec, OperationSpec } from "../../api/spec.ts";
import type { UploadedFile } from "../context.ts";
import { type Answer, apiError, type HeaderEdits } from "../envelope.ts";
import type { ApiKeyRecord, Workspace } from "../model.ts";
import type { RequestLogEntry } from "../request-log.ts";
import type { RouteMatch } from "../router.ts";
import type { UnlistedOperation } from "../unlisted.ts";

export const API_BASE_PATH = "/api/ext";

/** The compiled spec: operations and their validators. */
export type EmulatorSpec = ReturnType<typeof loadSpec>;

export const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface ParsedBody {
  body: unknown;
  files: Record<string, UploadedFile>;
  /** Hash of the request's content, for Idempotency-Key comparison. */
  hash: string;
}

export interface Call {
  requestId: string;
  /** The path under /api/ext. */
  path: string;
  match: RouteMatch;
  entry: Omit<RequestLogEntry, "index">;
  /** Headers every answer of this request carries beyond the common ones (rate-limit headers). */
  headers: Record<string, string>;
  /** The answer, once a stage has one. */
  answer?: Answer;
  /** A fault rule's header edits, applied over every header the answer gets (rate and common included). */
  headerEdits?: HeaderEdits;
  /** Destroy the socket instead of answering: before any work, or after the work is done. */
  drop?: "before" | "after";
  /** Set once routing succeeded. */
  op?: OperationSpec;
  params: Record<string, string>;
  /** An operation TokPortal has beyond the spec (answered 501 once the caller is authenticated). */
  unlisted?: UnlistedOperation;
  key?: ApiKeyRecord;
  workspace?: Workspace;
  dryRun: boolean;
  parsed?: ParsedBody;
}

export type Env = { Bindings: HttpBindings; Variables: { call: Call } };
export type Stage = MiddlewareHandler<Env>;

/** The call of a routed request (stages after routing only). */
export function routed(c: Context<Env>): Call & { op: OperationSpec } {
  const call = c.get("call");
  if (!call.op) throw new Error("pipeline stage ran before routing");
  return call as Call & { op: OperationSpec };
}

/** Ends the request with this answer (the stage returns without calling `next`). */
export function answerWith(c: Context<Env>, answer: Answer): void {
  c.get("call").answer = answer;
}

/**
 * A stage whose unexpected throw becomes a 500 in the envelope, answered and logged by the pipeline like
 * any other answer (left to Hono, it would bypass the request log and the stages' bookkeeping).
 */
export function guarded(stage: Stage, warn: (message: string) => void): Stage {
  return async (c, next) => {
    try {
      await stage(c, next);
    } catch (err) {
      warn(`internal error: ${(err as Error)?.stack ?? err}`);
      c.get("call").answer = internalError();
    }
  };
}

export function internalError(): Answer {
  return apiError(500, "INTERNAL_ERROR", "The emulator hit an internal error; see its log.");
}
