/**
 * configureVideos: a batch of slots configured in one call (charged per video). Local media files are
 * uploaded first: an item whose file fails fails alone and the others still go. Per-item failures come back
 * in the answer's `results`, each settling its own row; when every item fails, the bundle's later steps
 * are skipped.
 */
import type { BatchResult, BatchVideoItem } from "../../api/index.ts";
import { describeCode, describeError, isAuthFailure, STEP_WORDS } from "../apply-errors.ts";
import type { ConfigureVideoItem } from "../types.ts";
import { UploadError } from "../uploads.ts";
import { bookCharge, bundleIdOf, fromState } from "./settle.ts";
import {
  type Answer,
  HandledFailure,
  type KeyContext,
  type OpOf,
  type Step,
  type StepContext,
  type StepRequest,
} from "./step.ts";

type Op = OpOf<"configureVideos">;
interface Ready {
  entry: ConfigureVideoItem;
  item: BatchVideoItem;
}

/** A local file among an item's media: it is uploaded only during `sync`. */
export function hasLocalMedia(entry: ConfigureVideoItem): boolean {
  return (
    entry.media.video_url?.kind === "file" ||
    (entry.media.carousel_images ?? []).some((m) => m.kind === "file")
  );
}

/** The batch of the items that are ready; one item's key names its video, a larger batch the bundle. */
function request(op: Op, ctx: KeyContext, ready: readonly Ready[]): StepRequest<BatchResult> {
  const id = bundleIdOf(ctx);
  const body = { videos: ready.map((r) => r.item) };
  const single = ready.length === 1 && ready[0] ? ready[0].entry : null;
  const ref = single ? `${op.bundleRef}/${single.videoRef}` : op.bundleRef;
  const from = fromState(
    ctx,
    ready.map((r) => r.entry.rowId),
  );
  return {
    write: (api, options) => api.videos.batch(id, body, options),
    key: { ref, content: [id, body, from] },
  };
}

export const configureVideos: Step<"configureVideos"> = {
  charged: true,
  dryRun(op, ctx) {
    const sent = op.items.filter((entry) => !hasLocalMedia(entry));
    if (sent.length === 0) return "every video has a local media file, uploaded only by sync";
    return [
      request(
        op,
        ctx,
        sent.map((entry) => ({ entry, item: entry.item })),
      ),
    ];
  },
  async run(op, ctx) {
    const id = bundleIdOf(ctx);
    // Media first: an item whose file cannot be uploaded fails alone; the others still go.
    const prepared = await Promise.all(op.items.map((entry) => prepareItem(ctx, entry, id, op.bundleRef)));
    const ready: Ready[] = [];
    for (const p of prepared) if (p.item) ready.push({ entry: p.entry, item: p.item });
    if (ready.length === 0)
      return { charged: 0, remaining: null, failedItems: true, message: "no item could be sent" };
    let res: Answer<BatchResult>;
    try {
      res = await ctx.send(request(op, ctx, ready));
    } catch (error) {
      if (isAuthFailure(error)) throw error;
      // The whole call failed: every item's row says so (rows whose media already failed keep that).
      const failure = describeError(error, op.kind);
      for (const r of ready)
        ctx.failRow(
          r.entry.rowId,
          failure.outcome,
          `${STEP_WORDS[op.kind]} failed: ${failure.text}`,
          failure.column,
        );
      throw new HandledFailure(error, failure);
    }
    const ok = settleItems(op, ctx, ready, res);
    const failed = op.items.length - ok;
    const outcome = bookCharge(ctx, op, res);
    return {
      ...outcome,
      ...(failed > 0 ? { message: `${ok} of ${op.items.length} configured` } : {}),
      failedItems: ok === 0,
    };
  },
};

/** Each item's result on its row; returns how many were configured. */
function settleItems(op: Op, ctx: StepContext, ready: readonly Ready[], res: Answer<BatchResult>): number {
  const result = res.data;
  const byPosition = new Map(result.results.map((r) => [r.position, r]));
  let ok = 0;
  for (const { entry } of ready) {
    const r = byPosition.get(entry.position);
    if (!r) {
      ctx.failRow(
        entry.rowId,
        "error",
        `TokPortal's answer did not mention position ${entry.position}; the next run checks it again.`,
      );
      continue;
    }
    if (r.success) {
      ok++;
      ctx.book.merge(entry.rowId, {
        video_id: r.video_id ?? undefined,
        video_status: r.status ?? "configured",
        position: r.position,
      });
      if ((r.status ?? "configured") === "configured") ctx.bundle.configured.add(entry.rowId);
      continue;
    }
    const err = r.error;
    const failure = describeCode(
      err?.code ?? "UNKNOWN",
      err?.message ?? "no reason given",
      err?.details ?? {},
      null,
      op.kind,
    );
    ctx.failRow(entry.rowId, failure.outcome, failure.text, failure.column);
  }
  return ok;
}

function prepareItem(
  ctx: StepContext,
  entry: ConfigureVideoItem,
  bundleId: string,
  bundleRef: string,
): Promise<{ entry: ConfigureVideoItem; item: BatchVideoItem | null }> {
  return resolveItem(ctx, entry, bundleId, bundleRef).then(
    (item) => ({ entry, item }),
    (error: unknown) => {
      if (isAuthFailure(error instanceof UploadError ? error.cause : error)) {
        throw error instanceof UploadError ? error.cause : error;
      }
      const column = error instanceof UploadError ? mediaColumn(entry, error.file) : undefined;
      const text = error instanceof Error ? error.message : String(error);
      ctx.failRow(entry.rowId, "error", `${text}.`, column);
      return { entry, item: null };
    },
  );
}

async function resolveItem(
  ctx: StepContext,
  entry: ConfigureVideoItem,
  bundleId: string,
  bundleRef: string,
): Promise<BatchVideoItem> {
  const item: BatchVideoItem = { ...entry.item };
  const media = entry.media;
  if (media.video_url?.kind === "file") {
    item.video_url = await ctx.uploader.resolve(media.video_url, "video", bundleId, bundleRef);
  }
  if (media.carousel_images?.some((m) => m.kind === "file")) {
    item.carousel_images = await Promise.all(
      media.carousel_images.map((m) => ctx.uploader.resolve(m, "carousel", bundleId, bundleRef)),
    );
  }
  return item;
}

function mediaColumn(entry: ConfigureVideoItem, file: string): string | undefined {
  const m = entry.media;
  if (m.video_url?.kind === "file" && m.video_url.path.endsWith(file)) return "video_url";
  if (m.carousel_images?.some((x) => x.kind === "file" && x.path.endsWith(file))) return "carousel_images";
  return undefined;
}
