/**
 * configureVideos: a batch of slots configured in one call (charged per video). Local media files, and
 * carousel and story images given as URLs (they take storage paths), are uploaded first: an item whose
 * upload fails fails alone and the others still go. Per-item outcomes come back in the answer's `results`,
 * each settling its own row; an answer without them (docs/tokportal-api.md §7) is settled by reading the
 * bundle's slots back. When every item fails, the bundle's later steps are skipped.
 */
import type { BatchResult, BatchVideoItem, Video } from "../../api/index.ts";
import { finding } from "../../findings/index.ts";
import { describeCode, describeError, isAuthFailure, uploadReason } from "../apply-errors.ts";
import { sentItem } from "../configure-entry.ts";
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

/**
 * Media that is uploaded first, only during `sync`: a local file, or a carousel image that is not yet a
 * storage path (a URL is stored with the image from-URL upload).
 */
export function hasLocalMedia(entry: ConfigureVideoItem): boolean {
  return (
    entry.media.video_url?.kind === "file" ||
    (entry.media.carousel_images ?? []).some((m) => m.kind !== "storage") ||
    (entry.media.story_image_url !== undefined && entry.media.story_image_url.kind !== "storage")
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
    if (sent.length === 0) return finding("needs_upload", undefined, { what: "every_item" });
    return [
      request(
        op,
        ctx,
        sent.map((entry) => ({ entry, item: sentItem(entry) })),
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
      for (const r of ready) ctx.failRow(r.entry.rowId, failure.outcome, failure.finding);
      throw new HandledFailure(error, failure);
    }
    const { ok, unread } = await settleItems(op, ctx, ready, res);
    const failed = op.items.length - ok;
    // An answer that names no charge and is known to have configured nothing took nothing: the plan's price
    // is not booked. When the outcome could not be read back, the price is booked: the budget must not
    // assume TokPortal charged nothing when it may have configured (and charged) every item.
    const unpriced = ok === 0 && unread === 0 && res.charge.credits_charged == null;
    const outcome = bookCharge(
      ctx,
      op,
      unpriced ? { ...res, charge: { ...res.charge, credits_charged: 0 } } : res,
    );
    return {
      ...outcome,
      ...(failed > 0 ? { message: `${ok} of ${op.items.length} configured` } : {}),
      failedItems: ok === 0,
    };
  },
};

/**
 * Each item's result on its row; returns how many were configured. Items the answer does not mention (or
 * an answer without `results`) are settled from the bundle's slots as read back.
 */
async function settleItems(
  op: Op,
  ctx: StepContext,
  ready: readonly Ready[],
  res: Answer<BatchResult>,
): Promise<{ ok: number; unread: number }> {
  const result = res.data;
  const byPosition = new Map((result.results ?? []).map((r) => [r.position, r]));
  let ok = 0;
  const unsaid: Ready[] = [];
  for (const r of ready) {
    const { entry } = r;
    const item = byPosition.get(entry.position);
    if (!item) {
      unsaid.push(r);
      continue;
    }
    if (item.success) {
      ok++;
      configured(ctx, entry.rowId, {
        position: item.position,
        status: item.status ?? "configured",
        id: item.video_id ?? null,
      });
      continue;
    }
    const err = item.error;
    const failure = describeCode(
      err?.code ?? "UNKNOWN",
      err?.message ?? "no reason given",
      err?.details ?? {},
      null,
      op.kind,
    );
    ctx.failRow(entry.rowId, failure.outcome, failure.finding);
  }
  if (unsaid.length === 0) return { ok, unread: 0 };
  const fromSlots = await settleFromSlots(ctx, unsaid);
  return fromSlots === null ? { ok, unread: unsaid.length } : { ok: ok + fromSlots, unread: 0 };
}

function configured(
  ctx: StepContext,
  rowId: string,
  slot: { position: number; status: string; id: string | null },
): void {
  ctx.book.merge(rowId, {
    video_id: slot.id ?? undefined,
    video_status: slot.status,
    position: slot.position,
  });
  if (slot.status === "configured") ctx.bundle.configured.add(rowId);
  ctx.book.took(rowId);
}

/** Statuses a slot reaches only after a configure. */
const PAST_CONFIGURE = new Set([
  "configured",
  "published",
  "accepted",
  "in_review",
  "finalized",
  "pending_corrections",
]);

/**
 * The items TokPortal's answer did not settle, read off the bundle's slots: a slot past `pending` that holds
 * what was sent (type, description, date, ref) was configured by this call; any other did not take it, and
 * its row says so (the next run plans it again from what TokPortal then has). Null when the slots could not
 * be read: then nobody knows what the call did.
 */
async function settleFromSlots(ctx: StepContext, items: readonly Ready[]): Promise<number | null> {
  let slots: Video[];
  try {
    slots = await ctx.readSlots();
  } catch (error) {
    if (isAuthFailure(error)) throw error;
    const why = error instanceof Error ? error.message : String(error);
    for (const { entry } of items)
      ctx.failRow(
        entry.rowId,
        "error",
        finding("unsettled_unreadable", undefined, { position: entry.position, error: why }),
      );
    return null;
  }
  const byPosition = new Map(slots.map((s) => [s.position, s]));
  let ok = 0;
  for (const { entry, item } of items) {
    const slot = byPosition.get(entry.position);
    if (slot && PAST_CONFIGURE.has(slot.status) && holds(slot, item)) {
      ok++;
      configured(ctx, entry.rowId, { position: slot.position, status: slot.status, id: slot.id ?? null });
      continue;
    }
    ctx.failRow(
      entry.rowId,
      "error",
      finding("unsettled_not_held", undefined, { position: entry.position, status: slot?.status ?? null }),
    );
  }
  return ok;
}

/** The slot holds what the item sent: the fields TokPortal keeps as sent (media URLs it re-hosts). */
function holds(slot: Video, item: BatchVideoItem): boolean {
  const same = (sent: unknown, kept: unknown) => sent === undefined || sent === null || sent === kept;
  return (
    same(item.video_type, slot.video_type) &&
    same(item.description, slot.description) &&
    same(item.target_publish_date, slot.target_publish_date ?? slot.target_publish_start_date) &&
    same(item.external_ref, slot.external_ref)
  );
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
      const failed =
        error instanceof UploadError
          ? finding("upload_failed", mediaColumn(entry, error.file), {
              file: error.file,
              reason: uploadReason(error),
            })
          : finding("item_not_prepared", undefined, {
              message: error instanceof Error ? error.message : String(error),
            });
      ctx.failRow(entry.rowId, "error", failed);
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
  const item = sentItem(entry);
  const media = entry.media;
  if (media.video_url?.kind === "file") {
    item.video_url = await ctx.uploader.resolve(media.video_url, "video", bundleId, bundleRef);
  }
  if (media.carousel_images?.some((m) => m.kind !== "storage")) {
    item.carousel_images = await Promise.all(
      media.carousel_images.map((m) => ctx.uploader.resolve(m, "carousel", bundleId, bundleRef)),
    );
  }
  // A story's image is stored like a carousel image, and sent as its storage path (docs/tokportal-api.md §9).
  if (media.story_image_url !== undefined && media.story_image_url.kind !== "storage") {
    item.story_image_url = await ctx.uploader.resolve(media.story_image_url, "carousel", bundleId, bundleRef);
  }
  return item;
}

function mediaColumn(entry: ConfigureVideoItem, file: string): string | undefined {
  const m = entry.media;
  if (m.video_url?.kind === "file" && m.video_url.path.endsWith(file)) return "video_url";
  if (m.carousel_images?.some((x) => (x.kind === "file" ? x.path.endsWith(file) : x.value === file)))
    return "carousel_images";
  const story = m.story_image_url;
  if (story && (story.kind === "file" ? story.path.endsWith(file) : story.value === file))
    return "story_image_url";
  return undefined;
}
