/**
 * Dry run and Idempotency-Key. A sensitive operation refuses a key before anything happens; a replay of a
 * completed request answers its stored status, body and headers here; what the inner stages answer is
 * stored on the way back. A dry run neither reads nor writes the store. The body is read here (malformed
 * JSON is refused just before the key is looked up), since the key's record compares content.
 */
import { SENSITIVE_OPERATIONS } from "../../api/spec.ts";
import { apiError } from "../envelope.ts";
import type { IdempotentRequest } from "../idempotency.ts";
import type { Emulator } from "../world.ts";
import { readBody } from "./body.ts";
import { answerWith, routed, type Stage, WRITE_METHODS } from "./call.ts";

const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export function idempotencyStage(world: Emulator): Stage {
  return async (c, next) => {
    const call = routed(c);
    const op = call.op;
    const isWrite = WRITE_METHODS.has(op.method);
    call.dryRun = isWrite && (c.req.header("x-tokportal-dry-run") ?? "").toLowerCase() === "true";
    call.entry.dry_run = call.dryRun;
    const idemKey = isWrite ? c.req.header("idempotency-key") : undefined;
    if (idemKey !== undefined && SENSITIVE_OPERATIONS.has(op.operationId)) {
      return answerWith(
        c,
        apiError(
          400,
          "IDEMPOTENCY_KEY_NOT_ALLOWED_FOR_SENSITIVE_RESPONSE",
          "This operation returns a secret and cannot be replayed: send it without an Idempotency-Key.",
          { operation: op.operationId },
        ),
      );
    }
    if (idemKey !== undefined && !KEY_PATTERN.test(idemKey)) {
      return answerWith(
        c,
        apiError(400, "VALIDATION_ERROR", "Idempotency-Key must be 1 to 255 printable ASCII characters.", {
          field: "Idempotency-Key",
          issues: [],
        }),
      );
    }
    const parsed = await readBody(c, op);
    if ("error" in parsed) return answerWith(c, parsed.error);
    call.parsed = parsed;

    if (idemKey === undefined || !call.key || call.dryRun) {
      // Not `return next()`: its value is the context, which Hono would take for the response.
      await next();
      return;
    }
    const idem: IdempotentRequest = {
      apiKeyHash: call.key.hash,
      key: idemKey,
      method: op.method,
      path: c.req.path,
      bodyHash: parsed.hash,
    };
    const found = world.idempotency.lookup(idem, world.clock.now());
    if (found.kind === "in_flight")
      return answerWith(
        c,
        apiError(
          409,
          "IDEMPOTENCY_KEY_IN_FLIGHT",
          "A request with this Idempotency-Key is still in progress.",
        ),
      );
    if (found.kind === "reused")
      return answerWith(
        c,
        apiError(
          409,
          "IDEMPOTENCY_KEY_REUSED",
          "This Idempotency-Key was already used for a different request; use a new key.",
          { original_method: found.record.method, original_path: found.record.path },
        ),
      );
    if (found.kind === "replay") {
      call.entry.replayed = true;
      const r = found.record;
      const body = r.status === 204 ? null : r.body;
      return answerWith(c, {
        status: r.status,
        body,
        headers: { ...r.headers, "idempotent-replayed": "true" },
      });
    }
    world.idempotency.begin(idem);
    try {
      await next();
    } finally {
      world.idempotency.finish(idem, call.answer ?? null, world.clock.iso());
    }
  };
}
