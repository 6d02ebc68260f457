/**
 * requestAccountCorrections: `account_review=changes` with a note not sent before; keyed by the note's
 * digest and remembered in the bundles row's `review_marker`, as for videos (request-video-corrections.ts).
 */
import { finding } from "../../findings/index.ts";
import { markSent } from "./review-settle.ts";
import { bundleIdOf } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

type Op = OpOf<"requestAccountCorrections">;

function request(op: Op, ctx: KeyContext): StepRequest<Record<string, unknown>> {
  const id = bundleIdOf(ctx);
  const body = { comment: op.comment, ...(Object.keys(op.fields).length > 0 ? { fields: op.fields } : {}) };
  return {
    write: (api, options) => api.account.corrections(id, body, options),
    key: { ref: op.bundleRef, content: [id, op.kind, op.marker] },
  };
}

export const requestAccountCorrections: Step<"requestAccountCorrections"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    const account = (res.data.account ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    for (const rowId of op.rows) {
      ctx.book.merge(rowId, {
        account_status: text(account.status) ?? "pending_corrections",
        account_correction_message: text(account.correction_comment) ?? op.comment,
        account_correction_requested_at: text(account.correction_requested_at),
        review_marker: markSent(ctx, rowId, op.marker),
      });
      // What the next run's plan says of a sent note (plan-reviews.ts), said now: a rerun writes nothing.
      ctx.book.says(
        rowId,
        finding("corrections_requested", undefined, {
          what: "account",
          at: text(account.correction_requested_at) ?? "",
        }),
      );
    }
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
