/**
 * Routing refusals, then who is calling: the key (401s consume no token), the token bucket (its headers go
 * on every authenticated answer, 429s included) and the key's scope. Then the managers catch up to the
 * simulated clock, so the handler sees the world as it is now.
 */
import type { TakeResult } from "../bucket.ts";
import { apiError } from "../envelope.ts";
import { hashApiKey } from "../state.ts";
import { matchUnlisted } from "../unlisted.ts";
import type { Emulator } from "../world.ts";
import { answerWith, type Stage, WRITE_METHODS } from "./call.ts";

/** 404 and 405 for what the spec does not route, unless TokPortal has it beyond the spec (→ 501 later). */
export const routeStage: Stage = async (c, next) => {
  const call = c.get("call");
  const { match } = call;
  if (match.kind !== "op") call.unlisted = matchUnlisted(c.req.method, call.path);
  if (call.unlisted) {
    call.entry.operationId = call.unlisted.operation;
    await next();
    return;
  }
  if (match.kind === "not_found")
    return answerWith(c, apiError(404, "NOT_FOUND", `No endpoint ${c.req.method} ${c.req.path}`));
  if (match.kind === "method_not_allowed")
    return answerWith(
      c,
      apiError(
        405,
        "METHOD_NOT_ALLOWED",
        `${c.req.method} is not allowed on ${c.req.path}`,
        { allowed: match.allowed },
        { allow: match.allowed.join(", ") },
      ),
    );
  await next();
};

export function authStage(world: Emulator): Stage {
  return async (c, next) => {
    const call = c.get("call");
    const op = call.op;
    if ((op && !op.public) || call.unlisted) {
      const presented = c.req.header("x-api-key");
      if (!presented) {
        const inQuery = ["api_key", "apiKey", "x-api-key", "key"].some((k) => c.req.query(k) !== undefined);
        return answerWith(
          c,
          apiError(
            401,
            "AUTH_MISSING_KEY",
            inQuery
              ? "Send the API key in the X-API-Key header; keys in the URL are refused."
              : "Missing X-API-Key header.",
          ),
        );
      }
      const hash = hashApiKey(presented);
      const key = world.state.apiKeys.find((k) => k.hash === hash);
      const workspace = key ? world.state.workspaces[key.workspaceId] : undefined;
      if (!key || !workspace) return answerWith(c, apiError(401, "AUTH_INVALID_KEY", "Invalid API key."));
      if (key.revoked)
        return answerWith(c, apiError(401, "AUTH_REVOKED_KEY", "This API key has been revoked."));

      const take = world.buckets.take(key.hash);
      Object.assign(call.headers, rateHeaders(take));
      if (!take.allowed) {
        return answerWith(
          c,
          apiError(
            429,
            "RATE_LIMIT_EXCEEDED",
            "Too many requests. Please slow down.",
            { retry_after_seconds: take.retryAfter },
            { "retry-after": String(take.retryAfter) },
          ),
        );
      }
      const isWrite = WRITE_METHODS.has(c.req.method);
      if ((key.scope === "read" && isWrite) || (key.scope === "write" && !isWrite)) {
        return answerWith(
          c,
          apiError(403, "AUTH_INSUFFICIENT_SCOPE", `This API key has scope "${key.scope}".`, {
            scope: key.scope,
            required: isWrite ? "write" : "read",
          }),
        );
      }
      call.key = key;
      call.workspace = workspace;
    }
    // Auth and the bucket apply first, as for the spec's own operations this sandbox does not implement.
    if (call.unlisted) {
      const { operation, method, path } = call.unlisted;
      return answerWith(
        c,
        apiError(
          501,
          "NOT_IMPLEMENTED",
          `The emulator does not implement ${operation} (${method} ${path}).`,
          {
            operation,
            method,
            path,
          },
        ),
      );
    }
    world.manage();
    await next();
  };
}

function rateHeaders(t: TakeResult): Record<string, string> {
  return {
    "x-ratelimit-limit": String(t.limit),
    "x-ratelimit-remaining": String(t.remaining),
    "x-ratelimit-reset": String(t.resetAt),
  };
}
