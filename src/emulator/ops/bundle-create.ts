/**
 * Ordering bundles: the rules of POST /bundles and POST /bundles/bulk, pricing, and the one debit taken
 * at checkout (docs/tokportal-api.md §6, §5). Every rule runs before anything is written or charged.
 */
import { ApiError, type OpContext, type OpRequest } from "../context.ts";
import type { Bundle, BundleType, Platform } from "../model.ts";
import { findSavedAccount } from "./accounts.ts";
import { canonicalCountry, isOpenForNewAccounts, OPEN_COUNTRIES } from "./countries.ts";
import { bodyOf, emitBundleEvent, newAccount, newSlot } from "./domain.ts";
import { markBundleAdded } from "./due-index.ts";
import { type BundleOrder, type CostBreakdown, chargeItems, priceOrder, sumBreakdowns } from "./pricing.ts";
import { reviewMode } from "./views.ts";

/** A bundle to create, after every rule has passed (nothing is written before all of them pass). */
interface PlannedBundle {
  bundle_type: BundleType;
  platform: Platform;
  country: string;
  title: string | null;
  external_ref: string | null;
  from_bulk: boolean;
  order: BundleOrder;
  auto_finalize_videos: boolean;
  niche_warming_instructions: string | null;
  advanced_warming_terms: string[];
  account_id: string | null;
  price: CostBreakdown;
}

export function validationError(
  field: string,
  message: string,
  extra: Record<string, unknown> = {},
): ApiError {
  return new ApiError(400, "VALIDATION_ERROR", message, { field, ...extra });
}

export function intOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) ? value : fallback;
}

export function strOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function requireOpenCountry(input: unknown): string {
  if (typeof input !== "string" || input.trim() === "") {
    throw validationError("country", "country is required unless bundle_type is videos_only.");
  }
  const country = canonicalCountry(input);
  if (!isOpenForNewAccounts(country)) {
    throw new ApiError(400, "COUNTRY_NOT_ENABLED", `Country "${input}" is not open for new accounts.`, {
      country: input,
      enabled_countries: OPEN_COUNTRIES.map((c) => c.code),
    });
  }
  return country;
}

/** Warming options (legacy niche warming, or the newer advanced warming outside the vendored spec). */
function planWarming(
  b: Record<string, unknown>,
  newAccountBundle: boolean,
): { niche: boolean; instructions: string | null; terms: string[]; termsCount: number } {
  if (b.wants_deep_warming === true) {
    throw new ApiError(
      400,
      "DEEP_WARMING_DEPRECATED",
      "Deep warming is discontinued; use advanced warming.",
      {
        field: "wants_deep_warming",
      },
    );
  }
  const niche = b.wants_niche_warming === true;
  const advanced =
    b.wants_advanced_warming === true ||
    b.advanced_warming_terms !== undefined ||
    b.advanced_warming_terms_count !== undefined;
  if (niche && advanced) {
    throw new ApiError(
      400,
      "WARMING_CONFLICT",
      "Choose either advanced warming or legacy niche warming, not both.",
      { fields: ["wants_niche_warming", "wants_advanced_warming"] },
    );
  }
  if ((niche || advanced) && !newAccountBundle) {
    throw validationError("wants_niche_warming", "Warming applies only to bundles that create an account.");
  }
  let terms: string[] = [];
  let termsCount = 0;
  if (advanced) {
    if (Array.isArray(b.advanced_warming_terms)) {
      terms = b.advanced_warming_terms.filter((t): t is string => typeof t === "string");
      if (
        terms.length !== b.advanced_warming_terms.length ||
        terms.some((t) => t.length < 2 || t.length > 50)
      ) {
        throw new ApiError(
          400,
          "ADVANCED_WARMING_TERMS",
          "Each warming term must be a string of 2-50 chars.",
          {
            field: "advanced_warming_terms",
          },
        );
      }
      termsCount = terms.length;
    } else {
      termsCount = intOr(b.advanced_warming_terms_count, 0);
    }
    if (termsCount < 3 || termsCount > 30 || termsCount % 3 !== 0) {
      throw new ApiError(
        400,
        "ADVANCED_WARMING_TERMS",
        "Advanced warming needs 3 to 30 targets, in multiples of 3.",
        { field: "advanced_warming_terms_count", purchased_terms_count: termsCount },
      );
    }
  }
  const instructions = niche ? strOrNull(b.niche_warming_instructions) : null;
  return { niche, instructions, terms, termsCount };
}

/** Applies every createBundle rule to a request body; throws the first violation. */
function planSingle(ctx: OpContext, b: Record<string, unknown>): PlannedBundle {
  const bundleType = b.bundle_type as BundleType;
  if ((b.platform as string | undefined) === "youtube") {
    throw new ApiError(400, "YOUTUBE_DELAYED", "YouTube accounts cannot be ordered through the API yet.", {
      field: "platform",
    });
  }
  let platform: Platform = (b.platform as Platform | undefined) ?? "tiktok";
  const videos = intOr(b.videos_quantity, 0);
  const edits = intOr(b.edits_quantity, 0);
  if (bundleType !== "account_only" && videos <= 0) {
    throw validationError(
      "videos_quantity",
      `videos_quantity must be greater than 0 for ${bundleType} bundles.`,
    );
  }
  if (bundleType === "account_only" && videos > 0) {
    throw validationError(
      "videos_quantity",
      "account_only bundles have no video slots; use account_and_videos.",
    );
  }
  if (edits > videos) {
    throw validationError("edits_quantity", "edits_quantity cannot exceed videos_quantity.", {
      edits_quantity: edits,
      videos_quantity: videos,
    });
  }
  const accountId = strOrNull(b.account_id);
  let country: string;
  if (bundleType === "videos_only") {
    if (!accountId) {
      throw validationError(
        "account_id",
        "account_id (a saved account) is required for videos_only bundles.",
      );
    }
    const saved = findSavedAccount(ctx, accountId);
    if (saved.status !== "active") {
      throw new ApiError(409, "ACCOUNT_INVALID_STATUS", `Saved account is ${saved.status}.`, {
        account_id: accountId,
        current_status: saved.status,
      });
    }
    if (b.platform !== undefined && b.platform !== saved.platform) {
      throw validationError("platform", `The saved account is on ${saved.platform}.`, {
        account_platform: saved.platform,
      });
    }
    platform = saved.platform;
    country = saved.country;
  } else {
    if (accountId) {
      throw new ApiError(
        400,
        "ACCOUNT_ID_NOT_ALLOWED",
        "account_id is allowed only on videos_only bundles.",
        {
          field: "account_id",
          bundle_type: bundleType,
        },
      );
    }
    country = requireOpenCountry(b.country);
  }
  const newAccountBundle = bundleType !== "videos_only";
  const warming = planWarming(b, newAccountBundle);
  const externalRef = strOrNull(b.external_ref);
  if (newAccountBundle && externalRef !== null) {
    const existing = findByRef(ctx, externalRef);
    if (existing) {
      throw new ApiError(
        409,
        "DUPLICATE_ACCOUNT_BUNDLE",
        `A bundle with external_ref "${externalRef}" already exists.`,
        { existing_bundle_id: existing.id, external_ref: externalRef, existing_status: existing.status },
      );
    }
  }
  const order: BundleOrder = {
    newAccount: newAccountBundle,
    videos,
    edits,
    nicheWarming: warming.niche,
    advancedWarmingTerms: warming.termsCount,
  };
  return {
    bundle_type: bundleType,
    platform,
    country,
    title: strOrNull(b.title),
    external_ref: externalRef,
    from_bulk: false,
    order,
    auto_finalize_videos: b.auto_finalize_videos !== false,
    niche_warming_instructions: warming.instructions,
    advanced_warming_terms: warming.terms,
    account_id: bundleType === "videos_only" ? accountId : null,
    price: priceOrder(order),
  };
}

/** The oldest non-bulk bundle of this workspace carrying `ref`, if any (refs are unique among those). */
export function findByRef(ctx: OpContext, ref: string, exceptId?: string): Bundle | undefined {
  for (const bundle of Object.values(ctx.state.bundles)) {
    if (
      bundle.workspaceId === ctx.workspace.id &&
      !bundle.from_bulk &&
      bundle.external_ref === ref &&
      bundle.id !== exceptId
    ) {
      return bundle;
    }
  }
  return undefined;
}

/** Writes a planned bundle into the state, slots and account record included. */
function materialize(ctx: OpContext, plan: PlannedBundle, id: string): Bundle {
  const now = ctx.clock.iso();
  const bundle: Bundle = {
    id,
    workspaceId: ctx.workspace.id,
    title: plan.title,
    bundle_type: plan.bundle_type,
    platform: plan.platform,
    country: plan.country,
    status: "pending_setup",
    external_ref: plan.external_ref,
    from_bulk: plan.from_bulk,
    videos_quantity: plan.order.videos,
    edits_quantity: plan.order.edits,
    auto_finalize_videos: plan.auto_finalize_videos,
    wants_niche_warming: plan.order.nicheWarming,
    niche_warming_instructions: plan.niche_warming_instructions,
    advanced_warming_terms_count: plan.order.advancedWarmingTerms,
    advanced_warming_terms: plan.advanced_warming_terms,
    account_id: plan.account_id,
    saved_account_id: null,
    account: plan.order.newAccount ? newAccount(plan.niche_warming_instructions) : null,
    videos: [],
    published_at: null,
    accepted_at: null,
    completed_at: null,
    created_at: now,
    updated_at: now,
  };
  for (let position = 1; position <= plan.order.videos; position++) {
    bundle.videos.push(newSlot(ctx.newId(), id, position, now));
  }
  ctx.state.bundles[id] = bundle;
  markBundleAdded(ctx.state, id);
  emitBundleEvent(ctx, "bundle.created", bundle, null);
  return bundle;
}

/** The `data` of a create answer. */
function createdView(bundle: Bundle): Record<string, unknown> {
  return {
    id: bundle.id,
    bundle_id: bundle.id,
    bundle_type: bundle.bundle_type,
    platform: bundle.platform,
    country: bundle.country,
    status: bundle.status,
    videos_quantity: bundle.videos_quantity,
    edits_quantity: bundle.edits_quantity,
    review_mode: reviewMode(bundle),
    title: bundle.title,
    external_ref: bundle.external_ref,
    auto_finalize_videos: bundle.auto_finalize_videos,
    from_bulk: bundle.from_bulk,
    account_id: bundle.account_id,
    created_at: bundle.created_at,
  };
}

function describe(plan: PlannedBundle): string {
  const parts: string[] = [];
  const platform = plan.platform === "tiktok" ? "TikTok" : "Instagram";
  if (plan.order.newAccount) parts.push(`1 ${platform} account`);
  if (plan.order.videos > 0) parts.push(`${plan.order.videos} video${plan.order.videos === 1 ? "" : "s"}`);
  if (plan.order.edits > 0) parts.push(`${plan.order.edits} edit${plan.order.edits === 1 ? "" : "s"}`);
  if (plan.order.nicheWarming) parts.push("niche warming");
  if (plan.order.advancedWarmingTerms > 0) parts.push(`${plan.order.advancedWarmingTerms} warming targets`);
  return `Bundle created: ${parts.join(", ")}`;
}

export function createBundle(req: OpRequest, ctx: OpContext) {
  const plan = planSingle(ctx, bodyOf(req.body));
  const id = ctx.newId();
  // Nothing is written until the charge succeeds: a 402 leaves no bundle behind.
  const charged = chargeFor(ctx, plan.price, describe(plan), id);
  const bundle = materialize(ctx, plan, id);
  return {
    status: 201,
    body: {
      data: createdView(bundle),
      credits_charged: charged,
      credits_remaining: ctx.workspace.credits,
      cost_breakdown: plan.price,
    },
  };
}

function chargeFor(ctx: OpContext, price: CostBreakdown, description: string, bundleId?: string): number {
  return ctx.charge(chargeItems(price), description, bundleId);
}

export function createBundlesBulk(req: OpRequest, ctx: OpContext) {
  const b = bodyOf(req.body);
  const platforms = (b.platforms as Platform[]) ?? [];
  if (new Set(platforms).size !== platforms.length) {
    throw validationError("platforms", "platforms must not repeat.");
  }
  const accounts = intOr(b.accounts_count, 1);
  const uploadAccounts = intOr(b.upload_accounts_count, 0);
  const videosPer = intOr(b.videos_per_account, 0);
  if (uploadAccounts > accounts) {
    throw validationError("upload_accounts_count", "upload_accounts_count cannot exceed accounts_count.", {
      upload_accounts_count: uploadAccounts,
      accounts_count: accounts,
    });
  }
  if (uploadAccounts > 0 && videosPer <= 0) {
    throw validationError(
      "videos_per_account",
      "videos_per_account must be > 0 when upload_accounts_count > 0.",
    );
  }
  if (videosPer > 0 && uploadAccounts === 0) {
    throw validationError(
      "upload_accounts_count",
      "videos_per_account needs upload_accounts_count > 0 (how many accounts per platform get video slots).",
    );
  }
  const country = requireOpenCountry(b.country);
  const warming = planWarming(b, true);
  const externalRef = strOrNull(b.external_ref);
  const plans: PlannedBundle[] = [];
  for (const platform of platforms) {
    for (let i = 0; i < accounts; i++) {
      const withVideos = i < uploadAccounts;
      const order: BundleOrder = {
        newAccount: true,
        videos: withVideos ? videosPer : 0,
        edits: 0,
        nicheWarming: warming.niche,
        advancedWarmingTerms: warming.termsCount,
      };
      plans.push({
        bundle_type: withVideos ? "account_and_videos" : "account_only",
        platform,
        country,
        title: null,
        external_ref: externalRef,
        from_bulk: true,
        order,
        auto_finalize_videos: b.auto_finalize_videos !== false,
        niche_warming_instructions: warming.instructions,
        advanced_warming_terms: warming.terms,
        account_id: null,
        price: priceOrder(order),
      });
    }
  }
  const total = sumBreakdowns(plans.map((p) => p.price));
  // One check against the balance for the whole batch: all bundles or none.
  const charged = chargeFor(ctx, total, `Bulk bundles created: ${plans.length} accounts in ${country}`);
  const bundles = plans.map((plan) => materialize(ctx, plan, ctx.newId()));
  return {
    status: 201,
    body: {
      data: {
        bundles: bundles.map(createdView),
        bundle_ids: bundles.map((x) => x.id),
        total_bundles: bundles.length,
      },
      credits_charged: charged,
      credits_remaining: ctx.workspace.credits,
      cost_breakdown: total,
    },
  };
}
