/**
 * addVideoSlots / addEditSlots: more slots bought for a bundle. The rows served and the reason (which names
 * the count it starts from) are part of the key: two runs that each need "2 more" must not replay one
 * another. A rerun after a crash does not need the replay: it reads the count the lost answer set and plans
 * no second purchase.
 */
import type { AddSlotsResult } from "../../api/index.ts";
import { bookCharge, bundleIdOf } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepContext, StepOutcome, StepRequest } from "./step.ts";

type Op = OpOf<"addVideoSlots" | "addEditSlots">;

/** The key: the body sent, the rows served and the reason. */
function keyOf(op: Op, ctx: KeyContext): StepRequest["key"] {
  const body = { quantity: op.quantity };
  return { ref: op.bundleRef, content: [bundleIdOf(ctx), body, op.rows, op.reason] };
}

function videoSlots(op: Op, ctx: KeyContext): StepRequest<AddSlotsResult> {
  return {
    write: (api, options) => api.bundles.addVideoSlots(bundleIdOf(ctx), op.quantity, options),
    key: keyOf(op, ctx),
  };
}

function editSlots(op: Op, ctx: KeyContext): StepRequest<Record<string, unknown>> {
  return {
    write: (api, options) => api.bundles.addEditSlots(bundleIdOf(ctx), op.quantity, options),
    key: keyOf(op, ctx),
  };
}

function bought(op: Op, ctx: StepContext, outcome: StepOutcome, message: string): StepOutcome {
  for (const rowId of op.rows) ctx.book.merge(rowId, {}, true);
  return { ...outcome, message };
}

export const addVideoSlots: Step<"addVideoSlots"> = {
  charged: true,
  dryRun: (op, ctx) => [videoSlots(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(videoSlots(op, ctx));
    const slots = res.data;
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
  dryRun: (op, ctx) => [editSlots(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(editSlots(op, ctx));
    return bought(op, ctx, bookCharge(ctx, op, res), `${op.quantity} edit slot(s) added`);
  },
};
