/**
 * The client's typed operations: what the sync uses of the spec. A read returns its parsed value; a write
 * returns `Answered`, its parsed `data` with the credits charged, whether TokPortal replayed it and the
 * request id (what stripe-node calls `lastResponse`). Every call goes through the client's `call`.
 */
import type { z } from "zod";
import { type PageOf, type PaginateOptions, paginate } from "./paginate.ts";
import {
  type AddSlotsResult,
  AddSlotsSchema,
  type BatchResult,
  BatchResultSchema,
  type Bundle,
  type BundleAccount,
  BundleSchema,
  ChargeSchema,
  type CreatedWebhookEndpoint,
  CreatedWebhookEndpointSchema,
  type CreditBalance,
  CreditBalanceSchema,
  type CreditCosts,
  CreditCostsSchema,
  type CreditTransaction,
  CreditTransactionSchema,
  isObject,
  PresignedSchema,
  type PublishAllResult,
  PublishAllSchema,
  type PublishBundleResult,
  PublishBundleSchema,
  type PublishVideoResult,
  PublishVideoSchema,
  type ReadContext,
  type Readiness,
  ReadinessSchema,
  read,
  readAccount,
  readData,
  readList,
  readTotalPages,
  type UploadedImage,
  UploadedImageSchema,
  type UploadedVideo,
  UploadedVideoSchema,
  unreadable,
  type Video,
  type VideoAnalytics,
  VideoAnalyticsSchema,
  VideoSchema,
  type WebhookDelivery,
  WebhookDeliverySchema,
  type WebhookEndpoint,
  WebhookEndpointSchema,
  type WebhookEvents,
  WebhookEventsSchema,
} from "./parse.ts";
import type {
  AccountCorrectionsBody,
  AccountVideoAnalyticsQuery,
  Answered,
  ApiResponse,
  BatchConfigureBody,
  CallInput,
  CallOptions,
  ConfigureAccountBody,
  ConfigureVideoBody,
  CreateBundleBody,
  CreateWebhookEndpointBody,
  ExportAnalyticsQuery,
  FixDownloadBody,
  ImagePurpose,
  ListBundlesQuery,
  OperationId,
  PatchBundleBody,
  PatchVideoBody,
  PresignedFile,
  QueryValue,
  UploadFile,
  UploadImageFromUrlBody,
  VideoCorrectionsBody,
  WebhookDeliveriesQuery,
  WriteOptions,
} from "./types.ts";

/** What the typed operations need of the client: its calls, and the PUT of bytes to a presigned URL. */
export interface Caller {
  call(operationId: OperationId, input: CallInput, options: CallOptions): Promise<ApiResponse>;
  putBytes(
    operationId: string,
    uploadUrl: string,
    file: PresignedFile,
    contentType: string,
    options: CallOptions,
  ): Promise<void>;
}

export type TypedOperations = ReturnType<typeof typedOperations>;

/** The typed groups (`bundles`, `account`, `videos`, `uploads`, `credits`, `analytics`, `webhooks`). */
export function typedOperations(api: Caller) {
  const parse = <S extends z.ZodType>(res: ApiResponse, operationId: OperationId, schema: S): z.output<S> => {
    const ctx = ctxOf(res, operationId);
    return read(schema, readData(res.body, ctx), ctx, "data");
  };

  const readObject = async <S extends z.ZodType>(
    operationId: OperationId,
    input: CallInput,
    schema: S,
    options: CallOptions,
  ): Promise<z.output<S>> => parse(await api.call(operationId, input, options), operationId, schema);

  /** A write: its answer's `data` read by `readOut`, with the metadata beside it. */
  const answer = async <T>(
    operationId: OperationId,
    input: CallInput,
    options: WriteOptions,
    readOut: (data: unknown, ctx: ReadContext) => T,
  ): Promise<Answered<T>> => {
    const res = await api.call(operationId, input, options);
    const ctx = ctxOf(res, operationId);
    const charge = read(ChargeSchema, res.body, ctx, "");
    return {
      operationId,
      status: res.status,
      data: readOut(readData(res.body, ctx), ctx),
      charge,
      requestId: res.requestId,
      replayed: res.replayed,
      dryRun: charge.dry_run === true,
      attempt: res.attempt ?? 1,
    };
  };

  /** Every item of a paginated list, page after page. */
  const list = <S extends z.ZodType>(
    operationId: OperationId,
    path: Record<string, string>,
    query: Record<string, QueryValue>,
    item: S,
    options: CallOptions,
    key?: (item: z.output<S>) => string,
  ): AsyncGenerator<z.output<S>> => {
    const fetchPage = async (page: number, perPage: number): Promise<PageOf<z.output<S>>> => {
      const res = await api.call(
        operationId,
        { path, query: { ...query, page, per_page: perPage } },
        options,
      );
      return {
        items: readList(res.body, item, ctxOf(res, operationId)),
        totalPages: readTotalPages(res.body),
      };
    };
    const paging: PaginateOptions<z.output<S>> = { operationId, ...(key ? { key } : {}) };
    return paginate(fetchPage, paging);
  };

  const bundles = {
    /** Every bundle (per_page=100), each once; `query` filters (e.g. `external_ref`). */
    list: (query: ListBundlesQuery = {}, options: CallOptions = {}): AsyncGenerator<Bundle> =>
      list("listBundles", {}, query, BundleSchema, options, (b) => b.id),
    get: async (id: string, options: CallOptions = {}): Promise<Bundle> =>
      readObject("getBundle", { path: { id } }, BundleSchema, options),
    create: (body: CreateBundleBody, options: WriteOptions): Promise<Answered<Bundle>> =>
      answer("createBundle", { body }, options, schema(BundleSchema)),
    patch: (id: string, body: PatchBundleBody, options: WriteOptions): Promise<Answered<Bundle>> =>
      answer("updateBundle", { path: { id }, body }, options, schema(BundleSchema)),
    publish: (id: string, options: WriteOptions): Promise<Answered<PublishBundleResult>> =>
      answer("publishBundle", { path: { id } }, options, schema(PublishBundleSchema)),
    /** Back to `pending_setup`, not yet accepted only; nothing is refunded (docs/tokportal-api.md §8). */
    unpublish: (id: string, options: WriteOptions): Promise<Answered<Record<string, unknown>>> =>
      answer("unpublishBundle", { path: { id } }, options, looseObject),
    publishReadiness: async (id: string, options: CallOptions = {}): Promise<Readiness> =>
      readObject("getBundlePublishReadiness", { path: { id } }, ReadinessSchema, options),
    addVideoSlots: (id: string, quantity: number, options: WriteOptions): Promise<Answered<AddSlotsResult>> =>
      answer("addVideoSlots", { path: { id }, body: { quantity } }, options, schema(AddSlotsSchema)),
    addEditSlots: (
      id: string,
      quantity: number,
      options: WriteOptions,
    ): Promise<Answered<Record<string, unknown>>> =>
      answer("addEditSlots", { path: { id }, body: { quantity } }, options, looseObject),
  };

  const account = {
    get: async (bundleId: string, options: CallOptions = {}): Promise<BundleAccount> => {
      const res = await api.call("getBundleAccount", { path: { id: bundleId } }, options);
      return readAccount(readData(res.body, ctxOf(res, "getBundleAccount")), ctxOf(res, "getBundleAccount"));
    },
    configure: (
      bundleId: string,
      body: ConfigureAccountBody,
      options: WriteOptions,
    ): Promise<Answered<BundleAccount>> =>
      answer("configureBundleAccount", { path: { id: bundleId }, body }, options, readAccount),
    /** The client's approval of a delivered account (`in_review` → `finalized`). */
    finalize: (bundleId: string, options: WriteOptions): Promise<Answered<Record<string, unknown>>> =>
      answer("finalizeBundleAccount", { path: { id: bundleId } }, options, looseObject),
    /** Sends the account back to its manager with a comment (`in_review` → `pending_corrections`). */
    corrections: (
      bundleId: string,
      body: AccountCorrectionsBody,
      options: WriteOptions,
    ): Promise<Answered<Record<string, unknown>>> =>
      answer("requestBundleAccountCorrections", { path: { id: bundleId }, body }, options, looseObject),
  };

  const videos = {
    /** Every slot of a bundle, ordered by position (this list is not paginated). */
    list: async (bundleId: string, options: CallOptions = {}): Promise<Video[]> => {
      const res = await api.call("listBundleVideos", { path: { id: bundleId } }, options);
      return readList(res.body, VideoSchema, ctxOf(res, "listBundleVideos"));
    },
    get: async (bundleId: string, position: number, options: CallOptions = {}): Promise<Video> =>
      readObject("getBundleVideo", { path: { id: bundleId, position } }, VideoSchema, options),
    configure: (
      bundleId: string,
      position: number,
      body: ConfigureVideoBody,
      options: WriteOptions,
    ): Promise<Answered<Video>> =>
      answer(
        "configureBundleVideo",
        { path: { id: bundleId, position }, body },
        options,
        schema(VideoSchema),
      ),
    /** Several slots in one call; per-position failures come back in `results`, not as an error. */
    batch: (
      bundleId: string,
      body: BatchConfigureBody,
      options: WriteOptions,
    ): Promise<Answered<BatchResult>> =>
      answer(
        "batchConfigureBundleVideos",
        { path: { id: bundleId }, body },
        options,
        schema(BatchResultSchema),
      ),
    patch: (
      bundleId: string,
      position: number,
      body: PatchVideoBody,
      options: WriteOptions,
    ): Promise<Answered<Video>> =>
      answer("patchBundleVideo", { path: { id: bundleId, position }, body }, options, schema(VideoSchema)),
    publish: (
      bundleId: string,
      position: number,
      options: WriteOptions,
    ): Promise<Answered<PublishVideoResult>> =>
      answer("publishBundleVideo", { path: { id: bundleId, position } }, options, schema(PublishVideoSchema)),
    publishAll: (bundleId: string, options: WriteOptions): Promise<Answered<PublishAllResult>> =>
      answer("publishAllBundleVideos", { path: { id: bundleId } }, options, schema(PublishAllSchema)),
    /** Destructive: the slot goes back to `pending` and loses its content (only with `--prune`). */
    unschedule: (
      bundleId: string,
      position: number,
      options: WriteOptions,
    ): Promise<Answered<Record<string, unknown>>> =>
      answer("unscheduleBundleVideo", { path: { id: bundleId, position } }, options, looseObject),
  };

  /** The client's review of posted videos, and the fix of media TokPortal could not download. */
  const review = {
    finalize: (
      bundleId: string,
      position: number,
      options: WriteOptions,
    ): Promise<Answered<Record<string, unknown>>> =>
      answer("finalizeBundleVideo", { path: { id: bundleId, position } }, options, looseObject),
    corrections: (
      bundleId: string,
      position: number,
      body: VideoCorrectionsBody,
      options: WriteOptions,
    ): Promise<Answered<Video>> =>
      answer(
        "requestBundleVideoCorrections",
        { path: { id: bundleId, position }, body },
        options,
        schema(VideoSchema),
      ),
    fixDownload: (
      bundleId: string,
      position: number,
      body: FixDownloadBody,
      options: WriteOptions,
    ): Promise<Answered<Video>> =>
      answer(
        "fixBundleVideoDownload",
        { path: { id: bundleId, position }, body },
        options,
        schema(VideoSchema),
      ),
  };

  const uploads = {
    /** multipart upload of a video file; `public_url` goes into `video_url`. */
    videoDirect: (
      bundleId: string,
      file: UploadFile,
      options: WriteOptions,
    ): Promise<Answered<UploadedVideo>> =>
      answer(
        "uploadVideoDirect",
        { form: { file, bundle_id: bundleId } },
        options,
        schema(UploadedVideoSchema),
      ),
    /** multipart upload of an image; `storage_path` goes into `carousel_images` / `profile_picture_url`. */
    imageDirect: (
      bundleId: string,
      file: UploadFile,
      purpose: ImagePurpose | undefined,
      options: WriteOptions,
    ): Promise<Answered<UploadedImage>> =>
      answer(
        "uploadImageDirect",
        { form: { file, bundle_id: bundleId, purpose } },
        options,
        schema(UploadedImageSchema),
      ),
    /** Presigned flow: ask for an upload URL (a sensitive operation: no Idempotency-Key), then PUT the bytes. */
    video: async (
      bundleId: string,
      file: PresignedFile,
      options: CallOptions = {},
    ): Promise<{ public_url: string }> => {
      const contentType = file.contentType ?? "video/mp4";
      const res = await api.call(
        "uploadVideo",
        { body: { filename: file.filename, content_type: contentType, bundle_id: bundleId } },
        options,
      );
      const presigned = parse(res, "uploadVideo", PresignedSchema);
      if (!presigned.public_url) throw unreadable(ctxOf(res, "uploadVideo"), "data.public_url is missing");
      await api.putBytes("uploadVideo", presigned.upload_url, file, contentType, options);
      return { public_url: presigned.public_url };
    },
    image: async (
      bundleId: string,
      file: PresignedFile,
      purpose: ImagePurpose | undefined,
      options: CallOptions = {},
    ): Promise<{ storage_path: string; public_url: string | undefined }> => {
      const contentType = file.contentType ?? "image/jpeg";
      const res = await api.call(
        "uploadImage",
        { body: { filename: file.filename, content_type: contentType, bundle_id: bundleId, purpose } },
        options,
      );
      const presigned = parse(res, "uploadImage", PresignedSchema);
      if (!presigned.storage_path)
        throw unreadable(ctxOf(res, "uploadImage"), "data.storage_path is missing");
      await api.putBytes("uploadImage", presigned.upload_url, file, contentType, options);
      return { storage_path: presigned.storage_path, public_url: presigned.public_url ?? undefined };
    },
    imageFromUrl: (body: UploadImageFromUrlBody, options: WriteOptions): Promise<Answered<UploadedImage>> =>
      answer("uploadImageFromUrl", { body }, options, schema(UploadedImageSchema)),
  };

  const credits = {
    costs: async (options: CallOptions = {}): Promise<CreditCosts> =>
      readObject("getCreditCosts", {}, CreditCostsSchema, options),
    balance: async (options: CallOptions = {}): Promise<CreditBalance> =>
      readObject("getCreditBalance", {}, CreditBalanceSchema, options),
    history: (options: CallOptions = {}): AsyncGenerator<CreditTransaction> =>
      list("listCreditTransactions", {}, {}, CreditTransactionSchema, options),
  };

  const analytics = {
    /** The CSV export, as text (joined by video id in the sync). 403 when the plan lacks the tier. */
    exportVideosCsv: async (query: ExportAnalyticsQuery = {}, options: CallOptions = {}): Promise<string> => {
      const res = await api.call("exportAnalyticsVideos", { query }, options);
      if (typeof res.body !== "string")
        throw unreadable(ctxOf(res, "exportAnalyticsVideos"), "expected CSV text, got JSON");
      return res.body;
    },
    accountVideos: (
      accountId: string,
      query: AccountVideoAnalyticsQuery = {},
      options: CallOptions = {},
    ): AsyncGenerator<VideoAnalytics> =>
      list("listAccountVideoAnalytics", { id: accountId }, query, VideoAnalyticsSchema, options),
    video: async (videoId: string, options: CallOptions = {}): Promise<VideoAnalytics> =>
      readObject("getVideoAnalytics", { path: { id: videoId } }, VideoAnalyticsSchema, options),
  };

  const webhooks = {
    events: async (options: CallOptions = {}): Promise<WebhookEvents> =>
      readObject("listWebhookEvents", {}, WebhookEventsSchema, options),
    /**
     * Subscribes a URL; the answer holds the signing secret, once. A sensitive operation: TokPortal refuses
     * an Idempotency-Key on it, so it is sent without one and not retried after an ambiguous failure (a
     * second try would meet 409 "already exists" and the secret would be lost with the first answer).
     */
    create: async (
      body: CreateWebhookEndpointBody,
      options: CallOptions = {},
    ): Promise<CreatedWebhookEndpoint> =>
      readObject("createWebhookEndpoint", { body }, CreatedWebhookEndpointSchema, {
        ...options,
        allowWithoutIdempotencyKey: true,
      }),
    list: (options: CallOptions = {}): AsyncGenerator<WebhookEndpoint> =>
      list("listWebhookEndpoints", {}, {}, WebhookEndpointSchema, options, (w) => w.id),
    /** Newest first (docs/tokportal-api.md §13). */
    deliveries: (
      webhookId: string,
      query: WebhookDeliveriesQuery = {},
      options: CallOptions = {},
    ): AsyncGenerator<WebhookDelivery> =>
      list("listWebhookDeliveries", { id: webhookId }, query, WebhookDeliverySchema, options, (d) => d.id),
  };

  return { bundles, account, videos: { ...videos, ...review }, uploads, credits, analytics, webhooks };
}

/** Reads a write's `data` with its schema. */
function schema<S extends z.ZodType>(s: S): (data: unknown, ctx: ReadContext) => z.output<S> {
  return (data, ctx) => read(s, data, ctx, "data");
}

/** A write whose `data` the sync does not read: any object (an empty one when it is not). */
function looseObject(data: unknown): Record<string, unknown> {
  return isObject(data) ? data : {};
}

function ctxOf(res: ApiResponse, operationId: string): ReadContext {
  return { operationId, requestId: res.requestId, status: res.status };
}
