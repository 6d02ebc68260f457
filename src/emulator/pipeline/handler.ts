/**
 * The last stage: the operation's handler (ops/*.ts) on the live world, or in a dry run on a throw-away
 * copy, and its result put in TokPortal's envelope.
 */
import { ApiError, type OpRequest, type OpResult } from "../context.ts";
import { type Answer, decorateDryRun, errorAnswer, jsonAnswer } from "../envelope.ts";
import { dryRun, liveRun } from "../op-context.ts";
import { operations } from "../ops/index.ts";
import type { Emulator } from "../world.ts";
import { answerWith, internalError, routed, type Stage } from "./call.ts";
import { queryOf } from "./validation.ts";

export function handlerStage(world: Emulator): Stage {
  return async (c) => {
    const call = routed(c);
    const handler = operations[call.op.operationId];
    if (!handler) throw new Error(`no handler for ${call.op.operationId}`);
    // Handlers never need the key itself; keeping it out of their reach keeps it out of what they log or echo.
    const { "x-api-key": _key, ...headersWithoutKey } = c.req.header();
    const req: OpRequest = {
      operationId: call.op.operationId,
      params: call.params,
      query: queryOf(c.req.queries()),
      body: call.parsed?.body,
      files: call.parsed?.files ?? {},
      headers: headersWithoutKey,
    };
    const run = call.dryRun
      ? dryRun(world, call.key, call.workspace)
      : liveRun(world, call.key, call.workspace);
    let result: OpResult;
    try {
      result = await handler(req, run.ctx);
    } catch (err) {
      if (err instanceof ApiError) return answerWith(c, errorAnswer(err));
      world.warn(`internal error: ${(err as Error)?.stack ?? err}`);
      return answerWith(c, internalError());
    }
    answerWith(c, resultAnswer(result, call.dryRun ? run.charged() : undefined));
  };
}

function resultAnswer(result: OpResult, dryRunCharge: number | undefined): Answer {
  const status = result.status ?? 200;
  const headers = { ...(result.headers ?? {}) };
  if (status === 204) return { status, body: null, headers };
  if (result.text) {
    return {
      status,
      body: result.text.content,
      headers: { "content-type": result.text.contentType, ...headers },
    };
  }
  const body = dryRunCharge !== undefined ? decorateDryRun(result.body ?? {}, dryRunCharge) : result.body;
  return jsonAnswer(status, body ?? null, headers);
}
