/**
 * requestVideoCorrections: `review=changes` with a note not sent before. The key is the video and the
 * note's digest, so the same note is never sent twice (TokPortal replays it); the row keeps the digest in
 * `review_marker`, so a later run does not plan it again either.
 */

import type { Video } from "../../api/index.ts";
import { finding } from "../../findings/index.ts";
import { markSent, videoIdOf } from "./review-settle.ts";
import { bundleIdOf, videoRef } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepRequest } from "./step.ts";

type Op = OpOf<"requestVideoCorrections">;

function request(op: Op, ctx: KeyContext): StepRequest<Video> {
  const id = bundleIdOf(ctx);
  const body = { comment: op.comment, ...(Object.keys(op.fields).length > 0 ? { fields: op.fields } : {}) };
  return {
    write: (api, options) => api.videos.corrections(id, op.position, body, options),
    key: {
      ref: videoRef(op),
      content: [id, op.kind, op.position, videoIdOf(ctx, op.rows[0]), op.marker],
    },
  };
}

export const requestVideoCorrections: Step<"requestVideoCorrections"> = {
  charged: false,
  dryRun: (op, ctx) => [request(op, ctx)],
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx));
    const video = res.data;
    for (const rowId of op.rows) {
      ctx.book.merge(rowId, {
        video_status: video.status,
        review_status: "changes_requested",
        correction_message: video.correction_message ?? op.comment,
        correction_requested_at: video.correction_requested_at ?? undefined,
        review_marker: markSent(ctx, rowId, op.marker),
      });
      // What the next run's plan says of a sent note (plan-reviews.ts), said now: a rerun writes nothing.
      ctx.book.says(
        rowId,
        finding("corrections_requested", undefined, {
          what: "video",
          at: video.correction_requested_at ?? "",
        }),
      );
    }
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
