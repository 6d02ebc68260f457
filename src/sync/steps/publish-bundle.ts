/**
 * publishBundle: the bundle released to TokPortal's team, with every configured slot. A refusal (409 not
 * ready) is stored under its key, so the key carries the rows' planned state and the positions released.
 */
import { TokPortalError } from "../../api/errors.ts";
import type { PublishBundleResult } from "../../api/index.ts";
import { finding } from "../../findings/index.ts";
import { bundleIdOf, noteAdjusted, rowState } from "./settle.ts";
import {
  type Answer,
  HandledFailure,
  type KeyContext,
  type OpOf,
  type Step,
  type StepRequest,
} from "./step.ts";

type Op = OpOf<"publishBundle">;

function request(op: Op, ctx: KeyContext): StepRequest<PublishBundleResult> {
  const id = bundleIdOf(ctx);
  const positions = [...ctx.bundle.configured].map((rowId) => ctx.book.value(rowId, "position") ?? null);
  return {
    write: (api, options) => api.bundles.publish(id, options),
    key: { ref: op.bundleRef, content: [id, op.kind, positions, rowState(ctx, op)] },
  };
}

export const publishBundle: Step<"publishBundle"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    // A bundle publish releases every configured slot: one whose update failed would go out with its old
    // content, for good. The bundle waits until those rows are fixed.
    const stale = [...ctx.bundle.initial].filter((rowId) => ctx.book.failed(rowId));
    if (stale.length > 0) {
      const rows = stale.flatMap((rowId) => ctx.book.planned(rowId)?.row.rowNumbers ?? []);
      throw new HandledFailure(null, {
        outcome: "pending",
        finding: finding("stale_rows_unpublished", undefined, { step: op.kind, rows }),
      });
    }
    const released = [...ctx.bundle.configured];
    let res: Answer<PublishBundleResult>;
    try {
      res = await ctx.send(request(op, ctx));
    } catch (error) {
      // Published already (by hand, or by a run whose answer was lost): what the row asks for is done.
      if (!(error instanceof TokPortalError) || error.code !== "BUNDLE_ALREADY_PUBLISHED") throw error;
      const current = error.details.current_status;
      const status = typeof current === "string" ? current : "published";
      for (const rowId of op.rows)
        if (rowId.startsWith("b:")) ctx.book.merge(rowId, { bundle_status: status }, false);
      return { charged: 0, remaining: null, message: `already ${status}`, replayed: error.replayed };
    }
    const published = res.data;
    const accountStatus = typeof published.account_status === "string" ? published.account_status : undefined;
    for (const rowId of op.rows) {
      if (rowId.startsWith("b:"))
        ctx.book.merge(rowId, {
          bundle_status: published.status ?? undefined,
          account_status: accountStatus,
        });
      else if (!ctx.book.failed(rowId)) ctx.book.merge(rowId, {});
    }
    for (const rowId of released) ctx.book.merge(rowId, { video_status: "published" });
    ctx.bundle.configured.clear();
    noteAdjusted(ctx.book, op.bundleRef, published.adjusted_videos);
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
