/**
 * The client's public request and result types. Request bodies come from the spec's generated types
 * (src/api/generated/openapi.ts), with defaulted fields made optional to send.
 */
import type { Readable } from "node:stream";
import type { RateLimitSnapshot } from "./errors.ts";
import type { components, operations } from "./generated/openapi.ts";
import type { Charge } from "./parse.ts";
import type { RetryReason } from "./retry.ts";

type Schemas = components["schemas"];

/** An operation of the spec, by its operationId: a name the spec does not have fails typecheck. */
export type OperationId = Extract<keyof operations, string>;
/** Fields the spec gives a default are optional to send (openapi-typescript marks them required). */
type Defaulted<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

export type CreateBundleBody = Defaulted<
  Schemas["CreateBundleRequest"],
  | "platform"
  | "videos_quantity"
  | "edits_quantity"
  | "wants_niche_warming"
  | "wants_deep_warming"
  | "wants_moderation"
  | "auto_finalize_videos"
>;
export type PatchBundleBody = Schemas["PatchBundleRequest"];
export type ConfigureAccountBody = Schemas["ConfigureAccountRequest"];
export type ConfigureVideoBody = Defaulted<Schemas["ConfigureVideoRequest"], "auto_publish">;
export type BatchVideoItem = Omit<ConfigureVideoBody, "auto_publish"> & { position: number };
export interface BatchConfigureBody {
  videos: BatchVideoItem[];
  auto_publish?: boolean;
}
export type PatchVideoBody = Schemas["PatchVideoRequest"];
export type VideoCorrectionsBody = Schemas["VideoCorrectionsRequest"];
export type AccountCorrectionsBody = Schemas["AccountCorrectionsRequest"];
export interface FixDownloadBody {
  video_url?: string;
  carousel_images?: string[];
}
export type UploadImageFromUrlBody = Defaulted<Schemas["UploadImageFromUrlRequest"], "purpose">;
export type CreateWebhookEndpointBody = Defaulted<Schemas["CreateWebhookEndpointRequest"], "enabled">;
/** The event types the published contract lets a subscription name. */
export type WebhookEventType = Schemas["CreateWebhookEndpointRequest"]["events"][number];
export type ImagePurpose = NonNullable<Schemas["UploadImageFromUrlRequest"]["purpose"]>;

type QueryOf<Op extends keyof operations> = operations[Op]["parameters"] extends { query?: infer Q }
  ? {
      [K in keyof NonNullable<Q>]?:
        | Exclude<NonNullable<Q>[K], undefined>
        | Exclude<NonNullable<Q>[K], undefined>[];
    }
  : never;
export type ListBundlesQuery = Omit<QueryOf<"listBundles">, "page" | "per_page">;
export type ExportAnalyticsQuery = QueryOf<"exportAnalyticsVideos">;
export type WebhookDeliveriesQuery = Omit<QueryOf<"listWebhookDeliveries">, "page" | "per_page">;
export type AccountVideoAnalyticsQuery = Omit<QueryOf<"listAccountVideoAnalytics">, "page" | "per_page">;

export type QueryValue = string | number | boolean | undefined | ReadonlyArray<string | number | boolean>;

/** A file to upload: its bytes, the name TokPortal stores and its media type. */
export interface UploadFile {
  data: Uint8Array | Blob;
  filename: string;
  contentType?: string;
}

/**
 * Bytes read from disk as they are sent, so a large file never sits in memory: `open()` gives a fresh
 * stream for each attempt (a stream that was sent cannot be sent again), `size` its Content-Length.
 */
export interface StreamedBytes {
  size: number;
  open(): Readable;
}

/** What the presigned flow's PUT takes: bytes in memory, or a file streamed from disk. */
export interface PresignedFile {
  data: Uint8Array | Blob | StreamedBytes;
  filename: string;
  contentType?: string;
}

export interface CallInput {
  path?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  /** JSON body, validated against the operation's request schema before sending. */
  body?: unknown;
  /** multipart/form-data fields, for the direct uploads and the CSV import. */
  form?: Record<string, string | number | boolean | UploadFile | undefined>;
}

export interface CallOptions {
  /** Required on every write except the six sensitive operations (where it is refused). */
  idempotencyKey?: string;
  /** Send a write without an Idempotency-Key. Such a write is not retried after an ambiguous failure. */
  allowWithoutIdempotencyKey?: boolean;
  /** Sends `X-TokPortal-Dry-Run: true`: TokPortal validates and prices, and changes nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  /** Limit for one attempt, on top of the transport's connect/headers/body timeouts. */
  timeoutMs?: number;
}

/** A write's options: the sync always derives a key (see `idempotencyKey()`), or opts out explicitly. */
export type WriteOptions = CallOptions &
  ({ idempotencyKey: string } | { allowWithoutIdempotencyKey: true } | { dryRun: true });

export interface ApiResponse {
  status: number;
  /** The parsed JSON body (null for an empty body), or the text for non-JSON answers. */
  body: unknown;
  contentType: string;
  requestId: string | null;
  /** TokPortal answered from a completed Idempotency-Key (`Idempotent-Replayed: true`). */
  replayed: boolean;
  rateLimit: RateLimitSnapshot;
  /**
   * Which attempt of the call got this answer (1 = the first). A replay on attempt 1 is an earlier call's
   * answer; a replay on a later attempt is this call's own, whose first answer was lost.
   */
  attempt?: number;
}

/**
 * A write's answer (as stripe-node's `lastResponse` travels with its object): the body's `data`, read with
 * the operation's schema, beside what came with it: the money, whether TokPortal replayed a stored answer,
 * the request id and the attempt that got it.
 */
export interface Answered<T = unknown> extends WriteMeta {
  operationId: OperationId;
  status: number;
  data: T;
  /** Which attempt got the answer (1 = the first; see ApiResponse.attempt). */
  attempt: number;
}

/** What a write's answer carries besides its `data`. */
export interface WriteMeta {
  /** The money fields beside `data` (charged, remaining; would-charge in a dry run). */
  charge: Charge;
  requestId: string | null;
  /** TokPortal answered from a completed Idempotency-Key. */
  replayed: boolean;
  /** TokPortal says the answer is a dry run's (nothing created or charged). */
  dryRun: boolean;
}

export type ClientEvent =
  | { type: "request"; operationId: string; method: string; path: string; requestId: string; attempt: number }
  | {
      type: "response";
      operationId: string;
      requestId: string;
      attempt: number;
      status: number;
      durationMs: number;
      replayed: boolean;
    }
  | {
      type: "retry";
      operationId: string;
      attempt: number;
      reason: RetryReason;
      delayMs: number;
      status: number | null;
      code: string;
    }
  | { type: "failure"; operationId: string; status: number | null; code: string; message: string };

export interface ClientStats {
  /** Calls started, by operationId (retries not counted). */
  calls: Record<string, number>;
  attempts: number;
  retries: number;
  /** 429 RATE_LIMIT_EXCEEDED answers received. */
  rateLimited: number;
  /** 429 capacity_cooldown answers received. */
  cooldowns: number;
  replayed: number;
  failures: number;
  bytesSent: number;
  bytesReceived: number;
}
