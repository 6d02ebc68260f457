/**
 * The outermost stage: request id, routing, the request log and the response. Every answer, refusals and
 * injected faults included, gets the request id, the common headers and a `Date` from the simulated clock.
 */

import type { Context } from "hono";
import { requestIdOf, toResponse } from "../envelope.ts";
import type { Router } from "../router.ts";
import type { Emulator } from "../world.ts";
import { API_BASE_PATH, type Call, type Env, internalError, type Stage } from "./call.ts";

export function requestStage(world: Emulator, router: Router): Stage {
  let handled = 0;
  return async (c, next) => {
    const method = c.req.method;
    const fullPath = c.req.path;
    const path = fullPath.slice(API_BASE_PATH.length) || "/";
    const requestId = requestIdOf(c.req.header("x-request-id"));
    const match = router.match(method, path);
    const call: Call = {
      requestId,
      path,
      match,
      entry: {
        method,
        path: fullPath,
        status: 0,
        at: new Date(world.realNow()).toISOString(),
        operationId: match.kind === "op" ? match.op.operationId : null,
        request_id: requestId,
        replayed: false,
        dry_run: false,
        fault: null,
      },
      headers: {},
      params: match.kind === "op" ? match.params : {},
      dryRun: false,
      ...(match.kind === "op" ? { op: match.op } : {}),
    };
    c.set("call", call);
    // `Date` is the server's clock, as on any HTTP server: the sandbox's is simulated, and the sync counts
    // lead time from it (docs/tokportal-api.md §1), so a sandbox set in the past still plans correctly.
    const base = { "x-tokportal-request-id": requestId, date: new Date(world.clock.now()).toUTCString() };

    await next();

    if (call.drop === "before") {
      world.log.add(call.entry);
      return dropConnection(c);
    }
    const answer = call.answer ?? internalError();
    call.entry.status = answer.status;
    world.log.add(call.entry);
    // Any request may change the state: a write directly, a read through the managers catching up.
    world.touch();
    if (call.drop === "after") return dropConnection(c);
    // Expired idempotency records go now and then, so a long-running sandbox does not grow without bound.
    if (++handled % 1000 === 0) world.idempotency.prune(world.clock.now());
    return toResponse(answer, { ...base, ...call.headers }, call.headerEdits);
  };
}

/** Destroys the client's socket without an answer; the client sees a connection error. */
function dropConnection(c: Context<Env>): Response {
  c.env.incoming.socket.destroy();
  return new Response(null, { status: 500 });
}
