/** patchBundle: the bundle's settings changed in place (free; the key carries the state it changes from). */
import type { Bundle } from "../../api/index.ts";
import { bundleIdOf, fromState, mergeBundle } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

function request(op: OpOf<"patchBundle">, ctx: KeyContext): StepRequest<Bundle> {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.bundles.patch(id, op.body, options),
    key: { ref: op.bundleRef, content: [id, op.body, fromState(ctx, op.rows)] },
  };
}

export const patchBundle: Step<"patchBundle"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    mergeBundle(ctx.book, op, res.data);
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
