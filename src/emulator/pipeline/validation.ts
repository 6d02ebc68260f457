/**
 * What the operation accepts: an operation without a handler answers 501 before anything is validated;
 * the query and JSON body are checked against the spec; bundle creation and publication must fit the
 * workspace's capacity windows, which count the request once the handler has succeeded.
 */
import type { ValidationIssue } from "../../api/spec.ts";
import type { EmulatorRules } from "../context.ts";
import { type Answer, apiError } from "../envelope.ts";
import { operations } from "../ops/index.ts";
import type { Emulator } from "../world.ts";
import { answerWith, type EmulatorSpec, routed, type Stage } from "./call.ts";

export function validationStage(world: Emulator, spec: EmulatorSpec): Stage {
  return async (c, next) => {
    const call = routed(c);
    const op = call.op;
    // Before validation: whatever the request holds, the client's answer is that this does not exist here.
    if (!operations[op.operationId])
      return answerWith(
        c,
        apiError(501, "NOT_IMPLEMENTED", `The emulator does not implement ${op.operationId} yet.`, {
          operation: op.operationId,
        }),
      );

    const q = spec.validateQuery(op.operationId, queryOf(c.req.queries()));
    if (!q.ok) return answerWith(c, validationAnswer(q.issues, "query"));
    if (op.bodyContentType === "application/json") {
      const v = spec.validateBody(op.operationId, call.parsed?.body);
      if (!v.ok) return answerWith(c, validationAnswer(v.issues, "body"));
    }

    const workspace = call.workspace;
    const cap = workspace ? capacityOf(op.operationId, call.parsed?.body, world.rules) : undefined;
    if (!cap || !workspace) {
      // Not `return next()`: its value is the context, which Hono would take for the response.
      await next();
      return;
    }
    const windowKey = `${cap.kind}:${workspace.id}`;
    const wait = world.capacity.check(windowKey, cap.limit, cap.count, world.clock.now());
    if (wait > 0) {
      return answerWith(
        c,
        apiError(
          429,
          "capacity_cooldown",
          `Workspace bundle ${cap.kind === "create" ? "creation" : "publication"} capacity is used up; try again later.`,
          { retry_after_seconds: wait, limit: cap.limit.limit, window_seconds: cap.limit.windowSeconds },
          { "retry-after": String(wait) },
        ),
      );
    }
    await next();
    const status = call.answer?.status ?? 500;
    if (!call.dryRun && status >= 200 && status < 300)
      world.capacity.record(windowKey, cap.count, world.clock.now());
  };
}

/** Query parameters as handlers see them: repeated keys are arrays. */
export function queryOf(queries: Record<string, string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, values] of Object.entries(queries)) {
    out[k] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return out;
}

function validationAnswer(issues: ValidationIssue[], where: "body" | "query"): Answer {
  const unknown = issues.filter((i) => i.kind === "unknown_field");
  const main = unknown[0] ?? issues[0];
  const code = unknown.length > 0 ? "UNKNOWN_FIELD" : "VALIDATION_ERROR";
  const message =
    unknown.length > 0
      ? `Unknown field${unknown.length > 1 ? "s" : ""}: ${unknown.map((i) => i.field).join(", ")}.`
      : issues.map((i) => i.message).join("; ");
  return apiError(400, code, message || `Invalid request ${where}.`, {
    field: main?.field ?? "(body)",
    fields: [...new Set(issues.map((i) => i.field))],
    location: where,
    issues: issues.map((i) => ({ field: i.field, kind: i.kind, message: i.message })),
  });
}

function capacityOf(
  operationId: string,
  body: unknown,
  rules: EmulatorRules,
):
  | { kind: "create" | "publish"; limit: { limit: number; windowSeconds: number }; count: number }
  | undefined {
  if (operationId === "createBundle" && rules.createCapacity)
    return { kind: "create", limit: rules.createCapacity, count: 1 };
  if (operationId === "createBundlesBulk" && rules.createCapacity) {
    const b = (body ?? {}) as { accounts_count?: unknown; platforms?: unknown };
    const count = (Number(b.accounts_count) || 1) * (Array.isArray(b.platforms) ? b.platforms.length : 1);
    return { kind: "create", limit: rules.createCapacity, count };
  }
  if (operationId === "publishBundle" && rules.publishCapacity)
    return { kind: "publish", limit: rules.publishCapacity, count: 1 };
  return undefined;
}
