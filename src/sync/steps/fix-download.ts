/**
 * fixDownload: the row's new media for a slot TokPortal could not download. A local file is uploaded
 * first, a carousel image stored from its URL. TokPortal re-hosts it, clears the issue and moves the
 * target date to tomorrow (docs/tokportal-api.md §7): the row says so, and the sheet keeps its own date.
 */
import type { FixDownloadBody, Video } from "../../api/index.ts";
import { finding } from "../../findings/index.ts";
import { withMarker } from "../review-marker.ts";
import { markerNow, videoIdOf } from "./review-settle.ts";
import { bundleIdOf, videoRef } from "./settle.ts";
import type { KeyContext, OpOf, Step, StepContext, StepRequest } from "./step.ts";

type Op = OpOf<"fixDownload">;

function request(op: Op, ctx: KeyContext, body: FixDownloadBody): StepRequest<Video> {
  const id = bundleIdOf(ctx);
  return {
    write: (api, options) => api.videos.fixDownload(id, op.position, body, options),
    // The cells and the files' identities: the same new media is sent once.
    key: {
      ref: videoRef(op),
      content: [id, op.kind, op.position, videoIdOf(ctx, op.rows[0]), op.body, op.media],
    },
  };
}

async function resolved(op: Op, ctx: StepContext): Promise<FixDownloadBody> {
  const id = bundleIdOf(ctx);
  if (op.body.video_url !== undefined && op.media.video_url) {
    return { video_url: await ctx.uploader.resolve(op.media.video_url, "video", id, op.bundleRef) };
  }
  if (op.body.carousel_images !== undefined && op.media.carousel_images) {
    const images = op.media.carousel_images;
    return {
      carousel_images: await Promise.all(
        images.map((m) => ctx.uploader.resolve(m, "carousel", id, op.bundleRef)),
      ),
    };
  }
  return op.body;
}

export const fixDownload: Step<"fixDownload"> = {
  charged: false,
  dryRun: (op, ctx) => {
    const local =
      op.media.video_url?.kind === "file" ||
      (op.media.carousel_images ?? []).some((m) => m.kind !== "storage");
    return local ? finding("needs_upload", undefined, { what: "item" }) : [request(op, ctx, op.body)];
  },
  async run(op, ctx) {
    const res = await ctx.send(request(op, ctx, await resolved(op, ctx)));
    const video = res.data;
    for (const rowId of op.rows) {
      ctx.book.merge(rowId, {
        video_status: video.status,
        download_issue: null,
        review_marker: withMarker(markerNow(ctx, rowId), "m", null) || null,
      });
      ctx.book.note(rowId, finding("download_fixed", undefined, { date: video.target_publish_date ?? "" }));
    }
    return { charged: 0, remaining: null, replayed: res.replayed };
  },
};
