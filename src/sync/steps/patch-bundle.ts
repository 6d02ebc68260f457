/** patchBundle: the bundle's settings changed in place (free; the key carries the state it changes from). */
import { BundleSchema } from "../../api/parse.ts";
import { bundleIdOf, fromState, mergeBundle, readAnswer } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

function request(op: OpOf<"patchBundle">, ctx: KeyContext): StepRequest {
  const id = bundleIdOf(ctx);
  return {
    operationId: "updateBundle",
    input: { path: { id }, body: op.body },
    key: { ref: op.bundleRef, content: [id, op.body, fromState(ctx, op.rows)] },
  };
}

export const patchBundle: Step<"patchBundle"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    mergeBundle(ctx.book, op, readAnswer(res, BundleSchema));
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
