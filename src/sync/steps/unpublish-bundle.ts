/**
 * unpublishBundle: `publish=no` on a bundle published and not yet accepted. Destructive (nothing is
 * refunded): planned only with the run's confirmation. The key carries the state it changes from, as for
 * every free state-setting step, so a bundle published again later can be unpublished again.
 */
import { finding } from "../../findings/index.ts";
import { bundleIdOf, fromState } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

type Op = OpOf<"unpublishBundle">;

function request(op: Op, ctx: KeyContext): StepRequest<Record<string, unknown>> {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.bundles.unpublish(id, options),
    key: { ref: op.bundleRef, content: [id, op.kind, fromState(ctx, op.rows)] },
  };
}

export const unpublishBundle: Step<"unpublishBundle"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    const status = typeof res.data.status === "string" ? res.data.status : "pending_setup";
    for (const rowId of op.rows) {
      ctx.book.merge(rowId, { bundle_status: status });
      ctx.book.note(rowId, finding("bundle_unpublished", undefined, {}));
    }
    // Released slots go back to `configured` with the bundle (docs/tokportal-api.md §8).
    for (const rowId of ctx.book.videoRowsOf(op.bundleRef)) {
      if (ctx.book.value(rowId, "video_status") === "published")
        ctx.book.merge(rowId, { video_status: "configured" });
    }
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
