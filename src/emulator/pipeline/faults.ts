/**
 * Injected faults (faults.ts decides, seeded): latency, a dropped connection before or after the work,
 * an error status or a chosen answer instead of any work, or the real answer rewritten after the work. Never applied to /__emulator/*, which does not pass here.
 */
import { apiError, codeForStatus } from "../envelope.ts";
import { chosenAnswer, headerEditsOf, rewrittenAnswer } from "../fault-answers.ts";
import type { Emulator } from "../world.ts";
import { type Stage, WRITE_METHODS } from "./call.ts";

export function faultStage(world: Emulator): Stage {
  return async (c, next) => {
    const call = c.get("call");
    const fault = world.faults.decide({
      operationId: call.entry.operationId,
      method: c.req.method,
      path: call.path,
      dryRun:
        WRITE_METHODS.has(c.req.method) &&
        (c.req.header("x-tokportal-dry-run") ?? "").toLowerCase() === "true",
    });
    if (fault.delayMs > 0) {
      call.entry.delay_ms = fault.delayMs;
      await sleep(fault.delayMs);
    }
    if (fault.kind === "drop") {
      call.entry.fault = fault.label;
      call.drop = "before";
      return;
    }
    if (fault.kind === "status") {
      call.entry.fault = fault.label;
      call.answer =
        fault.status === 429
          ? apiError(
              429,
              "RATE_LIMIT_EXCEEDED",
              "Too many requests. Please slow down.",
              { retry_after_seconds: 1 },
              { "retry-after": "1" },
            )
          : apiError(fault.status, codeForStatus(fault.status), "The service is temporarily unavailable.");
      return;
    }
    if (fault.kind === "respond") {
      call.entry.fault = fault.label;
      call.answer = chosenAnswer(fault.response);
      call.headerEdits = headerEditsOf(fault.response.headers, undefined);
      return;
    }
    await next();
    if (fault.kind === "rewrite" && call.answer) {
      call.entry.fault = fault.label;
      call.answer = rewrittenAnswer(call.answer, fault.rewrite);
      call.headerEdits = headerEditsOf(fault.rewrite.headers, fault.rewrite.removeHeaders);
    }
    if (fault.kind === "drop_after") {
      call.entry.fault = fault.label;
      call.drop = "after";
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
