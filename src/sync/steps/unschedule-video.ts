/**
 * unscheduleVideo: a slot cleared back to `pending` (destructive). Planned for an orphan slot with
 * `--prune`, or for a released video whose row sets `publish` back to `no` (with the run's confirmation):
 * that row's content is configured again by the next run.
 */
import { finding } from "../../findings/index.ts";
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
    const pulledBack = op.reasonCode === "unschedule_publish_no";
    for (const rowId of op.rows) {
      // The cleared slot no longer carries the row: the next run places and configures it again.
      ctx.book.merge(
        rowId,
        pulledBack ? { video_status: "pending", video_id: null } : { video_status: "pending" },
      );
      if (pulledBack)
        ctx.book.note(rowId, finding("unscheduled_reconfigure", undefined, { position: op.position }));
    }
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
