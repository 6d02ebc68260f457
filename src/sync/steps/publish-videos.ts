/**
 * publishVideos: slots released to the account manager, all at once (`all`) or one call per position. A
 * position whose row failed in this run is held back: its slot still holds the old content. The keys carry
 * the rows' planned state, as a stored refusal must not answer a later, fixed release.
 */
import type { PublishAllResult, PublishVideoResult } from "../../api/index.ts";
import { bundleIdOf, movedDate, noteAdjusted, rowState, rowsAt } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepContext, StepOutcome, StepRequest } from "./step.ts";

type Op = OpOf<"publishVideos">;

function allRequest(op: Op, ctx: KeyContext): StepRequest<PublishAllResult> {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.videos.publishAll(id, options),
    key: { ref: op.bundleRef, content: [id, op.kind, op.positions, rowState(ctx, op)] },
  };
}

/** One position's release; its key names the video when one row sits at that position. */
function oneRequest(op: Op, ctx: KeyContext, position: number): StepRequest<PublishVideoResult> {
  const id = bundleIdOf(ctx);
  const rows = rowsAt(ctx.book, op, position);
  const ref = rows.length === 1 && rows[0] ? rows[0].slice(2) : op.bundleRef;
  return {
    write: (api, options) => api.videos.publish(id, position, options),
    key: { ref, content: [id, op.kind, [position], rowState(ctx, op)] },
  };
}

export const publishVideos: Step<"publishVideos"> = {
  charged: false,
  dryRun: (op, ctx) => (op.all ? [allRequest(op, ctx)] : op.positions.map((p) => oneRequest(op, ctx, p))),
  async run(op, ctx) {
    // A position whose row failed in this run is not released: its slot holds the old content.
    const positions = op.positions.filter(
      (p) => !rowsAt(ctx.book, op, p).some((rowId) => ctx.book.failed(rowId)),
    );
    const held = op.positions.length - positions.length;
    if (op.all && held === 0) return publishAll(op, ctx);
    // One by one: the plan asked for these positions, or a publish-all would take a failed row's slot too.
    let replayed = false;
    for (const position of positions) {
      const res = await ctx.send(oneRequest(op, ctx, position));
      replayed ||= res.replayed;
      const one = res.data;
      for (const rowId of rowsAt(ctx.book, op, position)) {
        ctx.book.merge(rowId, {
          video_status: one.status ?? "published",
          video_id: one.video_id ?? undefined,
        });
        if (one.date_adjusted && one.original_date && one.new_date) {
          ctx.book.note(rowId, movedDate(one.original_date, one.new_date));
        }
      }
    }
    return {
      charged: 0,
      remaining: null,
      replayed,
      ...(held > 0
        ? { message: `${positions.length} released, ${held} held back (their update failed)` }
        : {}),
    };
  },
};

async function publishAll(op: Op, ctx: StepContext): Promise<StepOutcome> {
  const res = await ctx.send(allRequest(op, ctx));
  const all = res.data;
  const ids = new Set(all.video_ids);
  for (const rowId of ctx.book.videoRowsOf(op.bundleRef)) {
    const videoId = ctx.book.value(rowId, "video_id");
    const position = ctx.book.value(rowId, "position");
    const byId = typeof videoId === "string" && ids.has(videoId);
    const byPosition = ids.size === 0 && typeof position === "number" && op.positions.includes(position);
    if (byId || byPosition) ctx.book.merge(rowId, { video_status: "published" });
  }
  for (const rowId of op.rows) ctx.book.merge(rowId, {});
  noteAdjusted(ctx.book, op.bundleRef, all.adjusted_videos);
  return {
    charged: 0,
    remaining: null,
    replayed: res.replayed,
    message: `${all.videos_published ?? ids.size} released`,
  };
}
