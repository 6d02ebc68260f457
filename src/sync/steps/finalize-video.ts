/**
 * finalizeVideo: `review=approve` on a video in review. Approving happens once per video, so the key is
 * the video's own (a rerun after a lost answer is answered from TokPortal's store).
 */
import { videoIdOf } from "./review-settle.ts";
import { bundleIdOf, videoRef } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

type Op = OpOf<"finalizeVideo">;

function request(op: Op, ctx: KeyContext): StepRequest<Record<string, unknown>> {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.videos.finalize(id, op.position, options),
    key: { ref: videoRef(op), content: [id, op.kind, op.position, videoIdOf(ctx, op.rows[0])] },
  };
}

export const finalizeVideo: Step<"finalizeVideo"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    const status = typeof res.data.status === "string" ? res.data.status : "finalized";
    for (const rowId of op.rows) ctx.book.merge(rowId, { video_status: status, review_status: "approved" });
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
