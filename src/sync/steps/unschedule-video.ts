/** unscheduleVideo: a slot cleared back to `pending` (destructive; planned only with `--prune`). */
import { bundleIdOf, fromState, videoRef } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

function request(op: OpOf<"unscheduleVideo">, ctx: KeyContext): StepRequest {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.videos.unschedule(id, op.position, options),
    key: { ref: videoRef(op), content: [id, op.kind, [op.position], op.reason, fromState(ctx, op.rows)] },
  };
}

export const unscheduleVideo: Step<"unscheduleVideo"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    for (const rowId of op.rows) ctx.book.merge(rowId, { video_status: "pending" });
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
