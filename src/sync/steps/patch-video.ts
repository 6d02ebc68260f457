/** patchVideo: a slot's ref or name changed in place (free; the key carries the state it changes from). */
import type { Video } from "../../api/index.ts";
import { bundleIdOf, fromState, videoRef } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

function request(op: OpOf<"patchVideo">, ctx: KeyContext): StepRequest<Video> {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.videos.patch(id, op.position, op.body, options),
    key: { ref: videoRef(op), content: [id, op.position, op.body, fromState(ctx, op.rows)] },
  };
}

export const patchVideo: Step<"patchVideo"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    const video = res.data;
    for (const rowId of op.rows) {
      ctx.book.merge(rowId, {
        video_id: video.id ?? undefined,
        video_status: video.status,
        position: video.position,
      });
    }
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
