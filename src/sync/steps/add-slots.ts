/**
 * addVideoSlots / addEditSlots: more slots bought for a bundle. The rows served and the reason (which names
 * the count it starts from) are part of the key: two runs that each need "2 more" must not replay one
 * another. A rerun after a crash does not need the replay: it reads the count the lost answer set and plans
 * no second purchase.
 */
import { AddSlotsSchema } from "../../api/parse.ts";
import { bookCharge, bundleIdOf, readAnswer } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepContext, StepOutcome, StepRequest } from "./step.ts";

type Op = OpOf<"addVideoSlots" | "addEditSlots">;

function request(op: Op, ctx: KeyContext): StepRequest {
  const id = bundleIdOf(ctx);
  const body = { quantity: op.quantity };
  return {
    operationId: op.kind,
    input: { path: { id }, body },
    key: { ref: op.bundleRef, content: [id, body, op.rows, op.reason] },
  };
}

function bought(op: Op, ctx: StepContext, outcome: StepOutcome, message: string): StepOutcome {
  for (const rowId of op.rows) ctx.book.merge(rowId, {}, true);
  return { ...outcome, message };
}

export const addVideoSlots: Step<"addVideoSlots"> = {
  charged: true,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    const slots = readAnswer(res, AddSlotsSchema);
    return bought(
      op,
      ctx,
      bookCharge(ctx, op, res),
      `${slots.positions.length || op.quantity} slot(s) added`,
    );
  },
};

export const addEditSlots: Step<"addEditSlots"> = {
  charged: true,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    return bought(op, ctx, bookCharge(ctx, op, res), `${op.quantity} edit slot(s) added`);
  },
};
