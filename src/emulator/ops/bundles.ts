/**
 * Bundles after ordering: listing, details, settings, publication and extra slots
 * (docs/tokportal-api.md §6, §8, §7). Creation lives in bundle-create.ts.
 */
import { ApiError, type OpContext, type OpRequest, type OpTable } from "../context.ts";
import { all, first, paginate } from "../paginate.ts";
import { CREDIT_COSTS } from "../prices.ts";
import {
  createBundle,
  createBundlesBulk,
  findByRef,
  intOr,
  strOrNull,
  validationError,
} from "./bundle-create.ts";
import { canonicalCountry } from "./countries.ts";
import { bodyOf, bundleStatusError, isBundleClosed, newSlot, touch } from "./domain.ts";
import type { CostBreakdown } from "./pricing.ts";
import { adjustedFields, tryPublishBundle } from "./publishing.ts";
import { publishBlockers } from "./readiness.ts";
import { bundleView } from "./views.ts";

const LIST_FILTERS = ["status", "bundle_type", "platform", "account_status"] as const;

function listValues(value: string | string[] | undefined): string[] {
  return all(value)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

function listBundles(req: OpRequest, ctx: OpContext) {
  const filters = LIST_FILTERS.map((name) => [name, listValues(req.query[name])] as const).filter(
    ([, values]) => values.length > 0,
  );
  const ref = first(req.query.external_ref);
  const countries = listValues(req.query.country).map(canonicalCountry);
  // Insertion order is creation order (ties on the clock included), so newest first is the reverse.
  const items = Object.values(ctx.state.bundles)
    .filter((bundle) => bundle.workspaceId === ctx.workspace.id)
    .reverse()
    .sort((a, b) => (a.created_at === b.created_at ? 0 : a.created_at < b.created_at ? 1 : -1))
    .filter((bundle) => {
      for (const [name, values] of filters) {
        const actual = name === "account_status" ? (bundle.account?.status ?? null) : bundle[name];
        if (actual === null || !values.includes(actual)) return false;
      }
      if (ref !== undefined && bundle.external_ref !== ref) return false;
      if (countries.length > 0 && !countries.includes(bundle.country)) return false;
      return true;
    });
  const page = paginate(items, req.query);
  return { body: { data: page.data.map(bundleView), pagination: page.pagination } };
}

function getBundle(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  return { body: { data: bundleView(bundle) } };
}

function updateBundle(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const b = bodyOf(req.body);
  if ("external_ref" in b && typeof b.external_ref === "string" && b.external_ref !== bundle.external_ref) {
    const existing = findByRef(ctx, b.external_ref, bundle.id);
    if (existing) {
      throw new ApiError(
        409,
        "DUPLICATE_EXTERNAL_REF",
        `external_ref "${b.external_ref}" is already in use.`,
        {
          field: "external_ref",
          existing_bundle_id: existing.id,
        },
      );
    }
  }
  if ("title" in b) bundle.title = strOrNull(b.title);
  if ("external_ref" in b) bundle.external_ref = strOrNull(b.external_ref);
  if (typeof b.auto_finalize_videos === "boolean") bundle.auto_finalize_videos = b.auto_finalize_videos;
  touch(ctx, bundle);
  return { body: { data: bundleView(bundle) } };
}

function publishBundle(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const outcome = tryPublishBundle(ctx, bundle);
  if (!outcome.published) {
    const statusBlocker = outcome.blockers.find(
      (x) => x.code === "BUNDLE_ALREADY_PUBLISHED" || x.code === "BUNDLE_INVALID_STATUS",
    );
    throw new ApiError(
      409,
      statusBlocker?.code ?? "BUNDLE_NOT_READY",
      statusBlocker?.message ??
        `Bundle is not ready to publish: ${outcome.blockers.map((x) => x.code).join(", ")}.`,
      { ready: false, blockers: outcome.blockers, current_status: bundle.status },
    );
  }
  return {
    body: {
      data: {
        id: bundle.id,
        bundle_id: bundle.id,
        status: bundle.status,
        published_at: bundle.published_at,
        account_status: bundle.account?.status ?? null,
        videos_published: outcome.videos.length,
        ...adjustedFields(outcome.adjusted),
      },
    },
  };
}

function getBundlePublishReadiness(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const blockers = publishBlockers(bundle);
  return {
    body: { data: { bundle_id: bundle.id, status: bundle.status, ready: blockers.length === 0, blockers } },
  };
}

function unpublishBundle(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  if (bundle.status !== "published" && bundle.status !== "published_priority") {
    throw bundleStatusError(bundle, "unpublish", ["published", "published_priority"]);
  }
  const now = touch(ctx, bundle);
  bundle.status = "pending_setup";
  bundle.published_at = null;
  if (bundle.account?.status === "published") {
    bundle.account.status = "configured";
    bundle.account.published_at = null;
  }
  for (const slot of bundle.videos) {
    if (slot.status === "published") {
      slot.status = "configured";
      slot.published_at = null;
      slot.updated_at = now;
    }
  }
  return {
    body: { data: { id: bundle.id, bundle_id: bundle.id, status: bundle.status, unpublished_at: now } },
  };
}

function quantityOf(req: OpRequest): number {
  return intOr(bodyOf(req.body).quantity, 0);
}

function addVideoSlots(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const quantity = quantityOf(req);
  if (bundle.bundle_type === "account_only") {
    throw validationError("quantity", "account_only bundles cannot take video slots.", {
      bundle_type: bundle.bundle_type,
    });
  }
  if (isBundleClosed(bundle)) {
    throw bundleStatusError(bundle, "add video slots to", ["pending_setup", "published", "accepted"]);
  }
  const price: CostBreakdown = {
    account_creation: 0,
    video_slots: quantity * CREDIT_COSTS.video_upload,
    edit_slots: 0,
    advanced_warming: 0,
    total: quantity * CREDIT_COSTS.video_upload,
  };
  const charged = ctx.charge({ video_slots: price.video_slots }, `Video slots added: ${quantity}`, bundle.id);
  const now = touch(ctx, bundle);
  const start = bundle.videos.reduce((max, v) => Math.max(max, v.position), 0);
  const positions: number[] = [];
  for (let i = 1; i <= quantity; i++) {
    bundle.videos.push(newSlot(ctx.newId(), bundle.id, start + i, now));
    positions.push(start + i);
  }
  bundle.videos_quantity += quantity;
  return {
    body: {
      data: { bundle_id: bundle.id, added: quantity, positions, videos_quantity: bundle.videos_quantity },
      credits_charged: charged,
      credits_remaining: ctx.workspace.credits,
      cost_breakdown: price,
    },
  };
}

function addEditSlots(req: OpRequest, ctx: OpContext) {
  const bundle = ctx.bundle(req.params.id ?? "");
  const quantity = quantityOf(req);
  if (isBundleClosed(bundle)) {
    throw bundleStatusError(bundle, "add edit slots to", ["pending_setup", "published", "accepted"]);
  }
  if (bundle.edits_quantity + quantity > bundle.videos_quantity) {
    throw validationError("quantity", "edits_quantity cannot exceed videos_quantity.", {
      edits_quantity: bundle.edits_quantity,
      requested: quantity,
      videos_quantity: bundle.videos_quantity,
    });
  }
  const amount = quantity * CREDIT_COSTS.video_edit;
  const charged = ctx.charge({ edit_slots: amount }, `Edit slots added: ${quantity}`, bundle.id);
  touch(ctx, bundle);
  bundle.edits_quantity += quantity;
  return {
    body: {
      data: {
        bundle_id: bundle.id,
        added: quantity,
        edits_quantity: bundle.edits_quantity,
        videos_quantity: bundle.videos_quantity,
      },
      credits_charged: charged,
      credits_remaining: ctx.workspace.credits,
      cost_breakdown: {
        account_creation: 0,
        video_slots: 0,
        edit_slots: amount,
        advanced_warming: 0,
        total: amount,
      },
    },
  };
}

export const bundleOps: OpTable = {
  createBundle,
  createBundlesBulk,
  listBundles,
  getBundle,
  updateBundle,
  publishBundle,
  getBundlePublishReadiness,
  unpublishBundle,
  addVideoSlots,
  addEditSlots,
};
