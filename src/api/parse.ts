/**
 * Tolerant readers for TokPortal's responses.
 *
 * Most response schemas in the spec are a bare `object` (docs/tokportal-api.md), so we read only the fields the
 * sync uses, keep every other field as it came (loose objects), and accept the known variants: `data.id` or
 * `data.bundle_id`, the old and new credit balance shapes. A field we need that is missing or of the wrong
 * type fails with an error naming the operation, the field and the request id; an optional field of the
 * wrong type reads as absent rather than failing the whole call, and a number sent as a numeric string is
 * read as that number (docs/tokportal-api.md, the rule for inferred shapes).
 */
import { z } from "zod";
import { TokPortalError } from "./errors.ts";

export interface ReadContext {
  operationId: string;
  requestId: string | null;
  status: number;
}

export function unreadable(ctx: ReadContext, what: string, bodySnippet?: string): TokPortalError {
  return new TokPortalError({
    kind: "response",
    status: ctx.status,
    code: "UNREADABLE_RESPONSE",
    message: `${ctx.operationId}: cannot read TokPortal's response: ${what}${ctx.requestId ? ` (request ${ctx.requestId})` : ""}`,
    operationId: ctx.operationId,
    requestId: ctx.requestId,
    retryable: false,
    ...(bodySnippet === undefined ? {} : { bodySnippet }),
  });
}

/** Parses `value` (found at `at`, e.g. "data") with `schema`, or throws naming the first bad field. */
export function read<S extends z.ZodType>(
  schema: S,
  value: unknown,
  ctx: ReadContext,
  at: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [at, ...(issue?.path ?? []).map(String)].filter(Boolean).join(".");
  // Zod's own wording ("Invalid input: expected string, received undefined") becomes plain words; a
  // message written in a schema (e.g. naming an alternative key) is kept.
  const own = issue?.message && !issue.message.startsWith("Invalid input") ? issue.message : undefined;
  const found = valueAt(value, issue?.path ?? []);
  const why = own ?? (found === undefined ? "is missing" : `is ${describeValue(found)}, which is not usable`);
  throw unreadable(ctx, `${path} ${why}`.trim());
}

/** The value at a parse issue's path (undefined where the path leaves the document). */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

/** The `data` member of a JSON envelope (`{"data": …}`). */
export function readData(body: unknown, ctx: ReadContext): unknown {
  if (!isObject(body)) throw unreadable(ctx, "the body is not a JSON object");
  if (!("data" in body)) throw unreadable(ctx, "data is missing");
  return body.data;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------------------
// Building blocks

/** An optional field: null, absent or of the wrong type all read as "not given". */
function opt<T extends z.ZodType>(schema: T) {
  return schema.nullish().catch(undefined);
}
const text = z.string();
/** A number written as a JSON string (`"38"`, `"-2.5"`): read as that number, anything else as it is. */
function numeric(v: unknown): unknown {
  return typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
}
/**
 * Numbers sometimes arrive as numeric strings (`"credits_charged": "38"`): the value is kept, not dropped
 * as "not given". Anything else that is not a finite number (`null`, `"n/a"`) is not a number.
 */
const num = z.preprocess(numeric, z.number().finite());
const flag = z.boolean();
/** Whole numbers likewise; positions must not be lost to that. */
const int = z.preprocess(numeric, z.number().int());

/** Copies an alternative id key (`bundle_id`, `video_id`) into `id` when `id` is absent. */
function withId(alternative: string) {
  return (v: unknown) =>
    isObject(v) && v.id == null && v[alternative] != null ? { ...v, id: v[alternative] } : v;
}

const ApiErrorItem = z.looseObject({
  code: text.catch("UNKNOWN"),
  message: text.catch(""),
  details: opt(z.record(z.string(), z.unknown())),
});

// ---------------------------------------------------------------------------------------------------------
// Bundles

export const BundleSchema = z.preprocess(
  withId("bundle_id"),
  z.looseObject({
    id: z.string({ error: "is missing (and so is bundle_id)" }).min(1),
    external_ref: opt(text),
    title: opt(text),
    status: opt(text),
    bundle_type: opt(text),
    platform: opt(text),
    country: opt(text),
    videos_quantity: opt(num),
    edits_quantity: opt(num),
    videos_configured_count: opt(num),
    account_configured: opt(flag),
    account_status: opt(text),
    is_published: opt(flag),
    auto_finalize_videos: opt(flag),
    saved_account_id: opt(text),
    published_at: opt(text),
    created_at: opt(text),
    updated_at: opt(text),
  }),
);
export type Bundle = z.output<typeof BundleSchema>;

const CostBreakdown = z.record(z.string(), num).catch({});

/**
 * The money fields TokPortal puts beside `data` on charging writes (docs/tokportal-api.md §2). A plain object
 * schema: unknown siblings (and `data` itself) are dropped, so a Charge holds only money.
 */
export const ChargeSchema = z.object({
  credits_charged: opt(num),
  credits_remaining: opt(num),
  cost_breakdown: opt(CostBreakdown),
  dry_run: opt(flag),
  dry_run_notice: opt(text),
  credits_would_charge: opt(num),
});
export type Charge = z.output<typeof ChargeSchema>;

export const AccountSchema = z.looseObject({
  username: opt(text),
  visible_name: opt(text),
  biography: opt(text),
  profile_picture_url: opt(text),
  link_in_bio: opt(text),
  status: opt(text),
  configured_at: opt(text),
  correction_comment: opt(text),
  correction_requested_at: opt(text),
});
export type BundleAccount = z.output<typeof AccountSchema>;

/** `data.account` when nested (documented), else `data` itself; the bundle-level status is kept. */
export function readAccount(data: unknown, ctx: ReadContext): BundleAccount {
  if (!isObject(data)) throw unreadable(ctx, "data is not an object");
  const inner = isObject(data.account) ? { status: data.status, ...data.account } : data;
  return read(AccountSchema, inner, ctx, isObject(data.account) ? "data.account" : "data");
}

export const ReadinessSchema = z.looseObject({
  ready: z.boolean(),
  blockers: z.array(ApiErrorItem).catch([]),
});
export type Readiness = z.output<typeof ReadinessSchema>;

export const AdjustedVideo = z.looseObject({
  video_id: opt(text),
  position: opt(int),
  previous_date: opt(text),
  new_date: opt(text),
});

export const PublishBundleSchema = z.looseObject({
  status: opt(text),
  published_at: opt(text),
  adjusted_videos: z.array(AdjustedVideo).catch([]),
});
export type PublishBundleResult = z.output<typeof PublishBundleSchema>;

export const AddSlotsSchema = z.looseObject({
  added: opt(num),
  positions: z.array(int).catch([]),
  videos_quantity: opt(num),
});
export type AddSlotsResult = z.output<typeof AddSlotsSchema>;

// ---------------------------------------------------------------------------------------------------------
// Videos

export const VideoSchema = z.preprocess(
  withId("video_id"),
  z.looseObject({
    position: int,
    status: text,
    id: opt(text),
    bundle_id: opt(text),
    external_ref: opt(text),
    name: opt(text),
    video_type: opt(text),
    description: opt(text),
    target_publish_date: opt(text),
    target_publish_start_date: opt(text),
    target_publish_end_date: opt(text),
    video_url: opt(text),
    carousel_images: opt(z.array(text)),
    platform_url: opt(text),
    download_issue: opt(flag),
    download_issue_comment: opt(text),
    correction_message: opt(text),
    correction_requested_at: opt(text),
    published_at: opt(text),
    finalized_at: opt(text),
  }),
);
export type Video = z.output<typeof VideoSchema>;

/** An answer that is not an object at all (`"data": "ok"`) says nothing per item, as one without `results`. */
export const BatchResultSchema = z.preprocess(
  (v) => (isObject(v) ? v : {}),
  z.looseObject({
    configured: opt(num),
    failed: opt(num),
    /** Per-item outcomes (inferred: docs/tokportal-api.md §7); without them the sync reads the slots back. */
    results: opt(
      z.array(
        z.looseObject({
          position: int,
          success: flag,
          video_id: opt(text),
          status: opt(text),
          error: opt(ApiErrorItem),
        }),
      ),
    ),
    published: z.unknown().optional(),
  }),
);
export type BatchResult = z.output<typeof BatchResultSchema>;

export const PublishVideoSchema = z.looseObject({
  video_id: opt(text),
  position: opt(int),
  status: opt(text),
  date_adjusted: opt(flag),
  original_date: opt(text),
  new_date: opt(text),
});
export type PublishVideoResult = z.output<typeof PublishVideoSchema>;

export const PublishAllSchema = z.looseObject({
  videos_published: opt(num),
  video_ids: z.array(text).catch([]),
  adjusted_videos: z.array(AdjustedVideo).catch([]),
});
export type PublishAllResult = z.output<typeof PublishAllSchema>;

// ---------------------------------------------------------------------------------------------------------
// Uploads

/** What both direct uploads describe besides their address. */
const uploadedFile = {
  filename: opt(text),
  size_bytes: opt(num),
  content_type: opt(text),
};

export const UploadedVideoSchema = z.looseObject({ public_url: text, ...uploadedFile });
export type UploadedVideo = z.output<typeof UploadedVideoSchema>;

/** `carousel_images` and `profile_picture_url` take the `storage_path` (docs/tokportal-api.md §9). */
export const UploadedImageSchema = z.looseObject({
  storage_path: text,
  public_url: opt(text),
  ...uploadedFile,
});
export type UploadedImage = z.output<typeof UploadedImageSchema>;

export const PresignedSchema = z.looseObject({
  upload_url: text,
  public_url: opt(text),
  storage_path: opt(text),
});
export type Presigned = z.output<typeof PresignedSchema>;

// ---------------------------------------------------------------------------------------------------------
// Credits, analytics, webhooks

/** `data.costs` (current) or a flat `data` (older page); `contract_bundle_allowance` when present. */
export const CreditCostsSchema = z.preprocess(
  (v) => (isObject(v) && !isObject(v.costs) ? { costs: v } : v),
  z.looseObject({
    costs: z.record(z.string(), z.unknown()).transform((r) => {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(r)) {
        const n = numeric(v);
        if (typeof n === "number" && Number.isFinite(n)) out[k] = n;
      }
      return out;
    }),
    contract_bundle_allowance: z.unknown().optional(),
  }),
);
export type CreditCosts = z.output<typeof CreditCostsSchema>;

/** Current `total_credits`, older `credits`, or MeResponse-like `credits.balance`. */
export const CreditBalanceSchema = z.preprocess(
  (v) => {
    if (!isObject(v) || typeof numeric(v.total_credits) === "number") return v;
    if (typeof numeric(v.credits) === "number") return { ...v, total_credits: v.credits };
    if (isObject(v.credits) && typeof numeric(v.credits.balance) === "number")
      return { ...v, total_credits: v.credits.balance };
    return v;
  },
  z.looseObject({
    total_credits: z.preprocess(numeric, z.number({ error: "is missing (and so is credits)" }).finite()),
    expiring_within_7_days: opt(num),
    last_updated: opt(text),
  }),
);
export type CreditBalance = z.output<typeof CreditBalanceSchema>;

export const CreditTransactionSchema = z.looseObject({
  id: opt(text),
  type: opt(text),
  amount: num,
  description: opt(text),
  breakdown: opt(z.record(z.string(), z.unknown())),
  balance_after: opt(num),
  created_at: opt(text),
});
export type CreditTransaction = z.output<typeof CreditTransactionSchema>;

/** Metrics may be absent ("unavailable", never zero: docs/tokportal-api.md §10), so every one is optional. */
export const VideoAnalyticsSchema = z.looseObject({
  video_id: opt(text),
  bundle_id: opt(text),
  position: opt(int),
  platform: opt(text),
  platform_url: opt(text),
  upload_date: opt(text),
  views: opt(num),
  likes: opt(num),
  comments: opt(num),
  shares: opt(num),
  bookmarks: opt(num),
  engagement_rate: opt(num),
  scraped_at: opt(text),
});
export type VideoAnalytics = z.output<typeof VideoAnalyticsSchema>;

export const WebhookEventsSchema = z.looseObject({
  events: z.array(
    z.looseObject({
      type: text,
      category: opt(text),
      availability: opt(text),
      description: opt(text),
    }),
  ),
});
export type WebhookEvents = z.output<typeof WebhookEventsSchema>;

/** A webhook endpoint (subscription) as listed: never its secret (docs/tokportal-api.md §13). */
export const WebhookEndpointSchema = z.looseObject({
  id: text,
  url: text,
  events: z.array(text).catch([]),
  description: opt(text),
  enabled: opt(flag),
  created_at: opt(text),
});
export type WebhookEndpoint = z.output<typeof WebhookEndpointSchema>;

/** `POST /webhooks`'s answer: the endpoint and, only here, its `signing_secret`. */
export const CreatedWebhookEndpointSchema = WebhookEndpointSchema.extend({
  signing_secret: z.string({ error: "is missing: TokPortal answers the signing secret once, here" }).min(1),
});
export type CreatedWebhookEndpoint = z.output<typeof CreatedWebhookEndpointSchema>;

/** One delivery attempt; the record's shape is inferred (docs/tokportal-api.md §13), so all but the id is optional. */
export const WebhookDeliverySchema = z.looseObject({
  id: text,
  event_id: opt(text),
  event_type: opt(text),
  success: opt(flag),
  response_status: opt(int),
  attempt: opt(int),
  duration_ms: opt(num),
  error: opt(text),
  created_at: opt(text),
  delivered_at: opt(text),
});
export type WebhookDelivery = z.output<typeof WebhookDeliverySchema>;

/** `pagination.total_pages`, or null when the block is absent or unreadable. */
export function readTotalPages(body: unknown): number | null {
  if (!isObject(body) || !isObject(body.pagination)) return null;
  const n = body.pagination.total_pages;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

/** A list `data` array whose items each pass `item`; the item index is named when one does not. */
export function readList<S extends z.ZodType>(body: unknown, item: S, ctx: ReadContext): z.output<S>[] {
  const data = readData(body, ctx);
  if (!Array.isArray(data)) throw unreadable(ctx, "data is not a list");
  return data.map((v, i) => read(item, v, ctx, `data.${i}`));
}
