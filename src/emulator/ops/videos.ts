/**
 * Video slots of a bundle: listing, configuration (single, batch, CSV), release to the managers and the
 * client's actions on posted work (docs/tokportal-api.md §7, §15).
 */
import { ApiError, type OpContext, type OpRequest, type OpTable } from "../context.ts";
import type { Bundle, VideoSlot, VideoStatus } from "../model.ts";
import { importVideosCsv } from "./csv-import.ts";
import {
  bodyOf,
  bundleStatusError,
  emitVideoEvent,
  emptyContent,
  isBundleClosed,
  slotAt,
  touch,
} from "./domain.ts";
import {
  ACTIVE_BUNDLE_STATUSES,
  adjustedFields,
  autoPublish,
  isBundleActive,
  publishSlots,
} from "./publishing.ts";
import { addDays, assertSchedulable, setTargetDate, todayUtc } from "./schedule.ts";
import { configureSlot, isUnreachableUrl, rehostVideoUrl, type VideoInput } from "./video-config.ts";
import { videoView } from "./views.ts";

function bundleAndSlot(req: OpRequest, ctx: OpContext): { bundle: Bundle; slot: VideoSlot } {
  const bundle = ctx.bundle(req.params.id ?? "");
  return { bundle, slot: slotAt(bundle, req.params.position ?? "") };
}

function transitionError(slot: VideoSlot, action: string, allowed: readonly VideoStatus[]): ApiError {
  return new ApiError(
    409,
    "INVALID_STATUS_TRANSITION",
    `Cannot ${action} a video with status '${slot.status}'. The video must be ${allowed.map((s) => `'${s}'`).join(" or ")}.`,
    { position: slot.position, current_status: slot.status, allowed_statuses: [...allowed] },
  );
}

function videoStatusError(slot: VideoSlot, action: string, allowed: readonly VideoStatus[]): ApiError {
  return new ApiError(
    409,
    "VIDEO_INVALID_STATUS",
    `Video status '${slot.status}' does not allow ${action}. Allowed: ${allowed.join(", ")}.`,
    { position: slot.position, current_status: slot.status, allowed_statuses: [...allowed] },
  );
}

function listBundleVideos(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const slots = [...bundle.videos].sort((a, b) => a.position - b.position);
  return { body: { data: slots.map(videoView) } };
}

function getBundleVideo(req: OpRequest, ctx: OpContext) {
  const { slot } = bundleAndSlot(req, ctx);
  return { body: { data: videoView(slot) } };
}

function configureBundleVideo(req: OpRequest, ctx: OpContext) {
  const { bundle, slot } = bundleAndSlot(req, ctx);
  const { auto_publish: autoPublishFlag, ...input } = bodyOf(req.body);
  const outcome = configureSlot(ctx, bundle, slot, input as VideoInput);
  const publish = autoPublishFlag === true ? autoPublish(ctx, bundle, [slot]) : null;
  return {
    body: {
      data: videoView(slot),
      credits_charged: outcome.credits_charged,
      credits_remaining: ctx.workspace.credits,
      ...(publish ? { auto_publish: publish } : {}),
    },
  };
}

/**
 * Labels at any stage; description and date too (docs/tokportal-api.md §7), under the configure's rules:
 * a story has no description, and a date must clear the lead time and the per-day cap. Everything is
 * checked before anything is written.
 */
function patchBundleVideo(req: OpRequest, ctx: OpContext) {
  const { bundle, slot } = bundleAndSlot(req, ctx);
  const b = bodyOf(req.body);
  const description = typeof b.description === "string" ? b.description : undefined;
  const date = typeof b.target_publish_date === "string" ? b.target_publish_date : undefined;
  if (description !== undefined && slot.video_type === "story") {
    throw new ApiError(400, "VALIDATION_ERROR", "A story has no description.", {
      field: "description",
      position: slot.position,
    });
  }
  if (date !== undefined && date !== slot.target_publish_date)
    assertSchedulable(bundle, slot, date, ctx.clock);
  if ("external_ref" in b) slot.external_ref = typeof b.external_ref === "string" ? b.external_ref : null;
  if ("name" in b) slot.name = typeof b.name === "string" ? b.name : null;
  if (description !== undefined) slot.description = description;
  if (date !== undefined) setTargetDate(slot, date);
  touch(ctx, bundle, slot);
  return { body: { data: videoView(slot) } };
}

interface BatchItem extends VideoInput {
  position: number;
  auto_publish?: unknown;
}

function batchConfigureBundleVideos(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const b = bodyOf(req.body);
  const items = (Array.isArray(b.videos) ? b.videos : []) as BatchItem[];
  // Whole-request problems first: nothing is configured when the request itself is wrong.
  const seen = new Set<number>();
  items.forEach((item, index) => {
    if ("auto_publish" in item) {
      throw new ApiError(
        400,
        "VALIDATION_ERROR",
        "auto_publish is a top-level field on this endpoint; move it out of videos[].",
        { field: `videos.${index}.auto_publish` },
      );
    }
    if (seen.has(item.position)) {
      throw new ApiError(400, "VALIDATION_ERROR", `Position ${item.position} appears more than once.`, {
        field: `videos.${index}.position`,
        position: item.position,
      });
    }
    seen.add(item.position);
  });
  if (isBundleClosed(bundle)) {
    throw bundleStatusError(bundle, "configure videos of", ["pending_setup", "published", "accepted"]);
  }
  const results: Record<string, unknown>[] = [];
  const configured: VideoSlot[] = [];
  let charged = 0;
  for (const item of items) {
    const { position, ...input } = item;
    try {
      const slot = slotAt(bundle, position);
      const outcome = configureSlot(ctx, bundle, slot, input);
      charged += outcome.credits_charged;
      configured.push(slot);
      results.push({ position, success: true, video_id: slot.id, status: slot.status });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results.push({
        position,
        success: false,
        error: { code: err.code, message: err.message, details: err.details ?? {} },
      });
    }
  }
  // One publish attempt for the whole call, covering every video it configured.
  const published =
    b.auto_publish === true && configured.length > 0 ? autoPublish(ctx, bundle, configured) : null;
  return {
    body: {
      data: {
        bundle_id: bundle.id,
        configured: configured.length,
        failed: items.length - configured.length,
        results,
        published,
      },
      credits_charged: charged,
      credits_remaining: ctx.workspace.credits,
    },
  };
}

function publishBundleVideo(req: OpRequest, ctx: OpContext) {
  const { bundle, slot } = bundleAndSlot(req, ctx);
  if (!isBundleActive(bundle)) throw bundleStatusError(bundle, "publish videos of", ACTIVE_BUNDLE_STATUSES);
  if (slot.status !== "configured") throw videoStatusError(slot, "publishing", ["configured"]);
  const { adjusted } = publishSlots(ctx, bundle, [slot]);
  const move = adjusted[0];
  return {
    body: {
      data: {
        video_id: slot.id,
        position: slot.position,
        bundle_id: bundle.id,
        status: slot.status,
        target_publish_date: slot.target_publish_date,
        ...(move
          ? {
              date_adjusted: true,
              original_date: move.previous_date,
              new_date: move.new_date,
              hint: `The target date ${move.previous_date} no longer cleared the lead time; it was moved to ${move.new_date}.`,
            }
          : { date_adjusted: false }),
      },
    },
  };
}

function publishAllBundleVideos(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  if (!isBundleActive(bundle)) throw bundleStatusError(bundle, "publish videos of", ACTIVE_BUNDLE_STATUSES);
  const { adjusted, videos } = publishSlots(ctx, bundle, bundle.videos);
  return {
    body: {
      data: {
        bundle_id: bundle.id,
        videos_published: videos.length,
        video_ids: videos.map((v) => v.id),
        dates_adjusted: adjusted.length > 0,
        ...adjustedFields(adjusted),
        ...(adjusted.length > 0
          ? { hint: "Stale target dates were moved to the earliest allowed dates; see adjusted_videos." }
          : {}),
      },
    },
  };
}

/** Statuses from which a slot can be cleared back to `pending` (not once the post is up). */
const CLEARABLE: readonly VideoStatus[] = [
  "pending",
  "configured",
  "published",
  "accepted",
  "pending_corrections",
];

function clearSlot(action: string) {
  return (req: OpRequest, ctx: OpContext) => {
    const { bundle, slot } = bundleAndSlot(req, ctx);
    if (isBundleClosed(bundle)) {
      throw bundleStatusError(bundle, `${action} videos of`, ["pending_setup", "published", "accepted"]);
    }
    if (!CLEARABLE.includes(slot.status)) throw videoStatusError(slot, action, CLEARABLE);
    const previous = slot.status;
    Object.assign(slot, emptyContent());
    slot.status = "pending";
    slot.name = null;
    slot.external_ref = null;
    slot.platform_url = null;
    slot.download_issue = false;
    slot.download_issue_comment = null;
    slot.correction_message = null;
    slot.correction_requested_at = null;
    slot.configured_at = null;
    slot.published_at = null;
    slot.accepted_at = null;
    touch(ctx, bundle, slot);
    return { body: { data: { ...videoView(slot), previous_status: previous } } };
  };
}

function finalizeBundleVideo(req: OpRequest, ctx: OpContext) {
  const { bundle, slot } = bundleAndSlot(req, ctx);
  const allowed: VideoStatus[] = ["accepted", "in_review"];
  if (!allowed.includes(slot.status)) throw transitionError(slot, "finalize", allowed);
  const previous = slot.status;
  const now = touch(ctx, bundle, slot);
  slot.status = "finalized";
  slot.finalized_at = now;
  emitVideoEvent(ctx, "video.finalized", bundle, slot, previous);
  return {
    body: {
      data: {
        video_id: slot.id,
        bundle_id: bundle.id,
        position: slot.position,
        status: slot.status,
        finalized_at: now,
        platform_url: slot.platform_url,
      },
    },
  };
}

function requestBundleVideoCorrections(req: OpRequest, ctx: OpContext) {
  const { bundle, slot } = bundleAndSlot(req, ctx);
  if (slot.status !== "in_review") throw transitionError(slot, "request corrections on", ["in_review"]);
  const b = bodyOf(req.body);
  const now = touch(ctx, bundle, slot);
  slot.status = "pending_corrections";
  slot.correction_message = typeof b.comment === "string" ? b.comment : null;
  slot.correction_requested_at = now;
  emitVideoEvent(ctx, "video.pending_corrections", bundle, slot, "in_review");
  return { body: { data: { ...videoView(slot), correction_fields: b.fields ?? {} } } };
}

function fixBundleVideoDownload(req: OpRequest, ctx: OpContext) {
  const { bundle, slot } = bundleAndSlot(req, ctx);
  if (!slot.download_issue) {
    throw new ApiError(409, "VIDEO_NO_DOWNLOAD_ISSUE", "This video has no download issue to fix.", {
      position: slot.position,
      download_issue: false,
    });
  }
  const b = bodyOf(req.body);
  if (typeof b.video_url === "string") slot.video_url = rehostVideoUrl(ctx, bundle, b.video_url);
  if (Array.isArray(b.carousel_images)) slot.carousel_images = b.carousel_images.map(String);
  // A new link that cannot be fetched either keeps the issue (the date still moves: TokPortal retries).
  const stillBroken = typeof b.video_url === "string" && isUnreachableUrl(b.video_url);
  slot.download_issue = stillBroken;
  slot.download_issue_comment = stillBroken ? "The new video link could not be opened either." : null;
  // The service reschedules a fixed download for tomorrow (docs/tokportal-api.md §7).
  setTargetDate(slot, addDays(todayUtc(ctx.clock), 1));
  touch(ctx, bundle, slot);
  return { body: { data: videoView(slot) } };
}

function importBundleVideosCsv(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const file = req.files.file;
  if (!file) {
    throw new ApiError(400, "VALIDATION_ERROR", "A CSV file is required in the multipart field 'file'.", {
      field: "file",
    });
  }
  const autoPublishRaw = bodyOf(req.body).auto_publish;
  const wantsPublish = autoPublishRaw === true || autoPublishRaw === "true" || autoPublishRaw === "1";
  const result = importVideosCsv(ctx, bundle, new TextDecoder().decode(file.bytes));
  const published =
    wantsPublish && result.configured.length > 0 ? autoPublish(ctx, bundle, result.configured) : null;
  return {
    body: {
      data: {
        imported: result.imported,
        skipped: result.skipped,
        errors: result.errors,
        ...(published ? { published } : {}),
      },
      credits_charged: result.credits_charged,
      credits_remaining: ctx.workspace.credits,
    },
  };
}

export const videoOps: OpTable = {
  listBundleVideos,
  getBundleVideo,
  configureBundleVideo,
  patchBundleVideo,
  batchConfigureBundleVideos,
  publishBundleVideo,
  publishAllBundleVideos,
  resetBundleVideo: clearSlot("reset"),
  unscheduleBundleVideo: clearSlot("unschedule"),
  finalizeBundleVideo,
  requestBundleVideoCorrections,
  fixBundleVideoDownload,
  importBundleVideosCsv,
};
