/**
 * The emulator's state: plain JSON-serializable records, so `--state FILE` can persist the whole world
 * and a dry run can work on a structured clone and throw it away.
 *
 * Shapes follow docs/tokportal-api.md (§5–§10). Timestamps are ISO strings taken from the
 * emulator clock, never from Date.now(), so tests that fix the clock are deterministic.
 */

export type Platform = "tiktok" | "instagram";
export type BundleType = "account_only" | "account_and_videos" | "videos_only";
export type BundleStatus =
  | "pending_setup"
  | "published"
  | "published_priority"
  | "accepted"
  | "completed"
  | "cancelled"
  | "archived";
export type AccountStatus =
  | "pending"
  | "configured"
  | "published"
  | "in_review"
  | "pending_corrections"
  | "finalized"
  /** A validated ban (ops/cancellation.ts): its bundle is cancelled with it. */
  | "banned";
export type VideoStatus =
  | "pending"
  | "configured"
  | "published"
  | "accepted"
  | "in_review"
  | "pending_corrections"
  | "finalized"
  | "cancelled";
export type PlanTier = "starter" | "creator" | "marketer";

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** SHA-256 hex of the key; the key itself is never stored, as TokPortal does. */
  hash: string;
  workspaceId: string;
  scope: "*" | "read" | "write";
  revoked: boolean;
}

export interface LedgerEntry {
  id: string;
  type: "debit" | "credit";
  /** Negative for debits. */
  amount: number;
  description: string;
  breakdown: Record<string, number>;
  balance_after: number;
  created_at: string;
  /** The bundle the entry paid for, when there is one. */
  bundle_id?: string;
}

export interface AccountConfig {
  status: AccountStatus;
  username: string | null;
  visible_name: string | null;
  biography: string | null;
  profile_picture_url: string | null;
  link_in_bio: string | null;
  niche_warming_instructions: string | null;
  configured_at: string | null;
  published_at: string | null;
  in_review_at: string | null;
  finalized_at: string | null;
  correction_comment: string | null;
  /** When corrections were requested (ops/managers.ts re-delivers the account a day later). */
  correction_requested_at?: string | null;
}

/** A video slot. Content fields echo ConfigureVideoRequest; null means "not set". */
export interface VideoSlot {
  id: string;
  bundle_id: string;
  position: number;
  status: VideoStatus;
  video_type: "video" | "carousel" | "story" | null;
  name: string | null;
  description: string | null;
  video_url: string | null;
  carousel_images: string[];
  carousel_title: string | null;
  story_image_url: string | null;
  story_repost_url: string | null;
  tiktok_sound_url: string | null;
  volume_original_sound: number | null;
  volume_added_sound: number | null;
  /** Sound volume costs 1 credit the first time it is set on a slot. */
  volume_charged: boolean;
  /** instant_repost_as_story / story_repost_url cost 1 credit each, once per slot (ops/video-config.ts). */
  instant_repost_charged?: boolean;
  story_repost_charged?: boolean;
  editing_instructions: string | null;
  external_ref: string | null;
  instagram_content_type: "reel" | "post" | null;
  instagram_location: string | null;
  instagram_collaborators: string[];
  instagram_audio_name: string | null;
  instagram_add_to_story: boolean;
  ai_content_disclaimer: boolean;
  disclose_as_ads: boolean;
  instant_repost_as_story: boolean;
  target_publish_date: string | null;
  target_publish_start_date: string | null;
  target_publish_end_date: string | null;
  platform_url: string | null;
  /** When the manager posted it (set once by ops/managers.ts; analytics grow from this moment). */
  posted_at?: string | null;
  download_issue: boolean;
  download_issue_comment: string | null;
  correction_message: string | null;
  correction_requested_at: string | null;
  configured_at: string | null;
  published_at: string | null;
  accepted_at: string | null;
  in_review_at: string | null;
  finalized_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Bundle {
  id: string;
  workspaceId: string;
  title: string | null;
  bundle_type: BundleType;
  platform: Platform;
  country: string;
  status: BundleStatus;
  external_ref: string | null;
  /** True for bundles made by POST /bundles/bulk: their shared ref is a label, not a unique key. */
  from_bulk: boolean;
  videos_quantity: number;
  edits_quantity: number;
  auto_finalize_videos: boolean;
  wants_niche_warming: boolean;
  niche_warming_instructions: string | null;
  /** Advanced niche warming (newer API, outside the vendored spec): targets bought, and the terms if given. */
  advanced_warming_terms_count?: number;
  advanced_warming_terms?: string[];
  /** For videos_only bundles: the saved account the videos go to. */
  account_id: string | null;
  /** Set once the account is delivered (account in_review onward). */
  saved_account_id: string | null;
  account: AccountConfig | null;
  videos: VideoSlot[];
  published_at: string | null;
  accepted_at: string | null;
  completed_at: string | null;
  /** Why TokPortal cancelled the bundle (a validated ban, …), and when; absent while it is not cancelled. */
  cancellation_reason?: string | null;
  cancelled_at?: string | null;
  created_at: string;
  updated_at: string;
}

/** A delivered account (what GET /accounts lists), created when a bundle's account reaches in_review. */
export interface SavedAccount {
  id: string;
  workspaceId: string;
  platform: Platform;
  country: string;
  username: string;
  bundle_id: string;
  status: "active" | "banned";
  created_at: string;
}

export interface UploadRecord {
  id: string;
  workspaceId: string;
  kind: "video" | "image";
  bundle_id: string;
  purpose: "carousel" | "profile_picture" | null;
  filename: string;
  content_type: string;
  size_bytes: number;
  /** Path under the emulator's storage, e.g. `carousel-images/<ws>/<bundle>/photo-1.jpg`. */
  storage_path: string;
  /** False until the bytes arrive (presigned flow). */
  complete: boolean;
  /** Bytes as base64, kept in state so --state FILE restores uploaded media too (null: not kept, see storage.ts). */
  data_base64: string | null;
  /** SHA-256 (hex) of the bytes received by a presigned PUT. */
  sha256?: string;
  created_at: string;
  /** Presigned flow: the secret part of the upload URL (single use: `complete` refuses a second PUT). */
  upload_token?: string | null;
  /** Presigned flow: when the upload URL stops working (simulated clock). */
  upload_expires_at?: string | null;
  /** from-url uploads: where the image came from (the emulator never fetches other origins). */
  source_url?: string | null;
}

export interface WebhookEndpoint {
  id: string;
  workspaceId: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  signing_secret: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  /** The exact JSON body sent, kept for retries. */
  payload: string;
  success: boolean;
  response_status: number | null;
  attempt: number;
  duration_ms: number | null;
  error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface IdempotencyRecord {
  /** `${apiKeyHash}:${idempotencyKey}` */
  key: string;
  method: string;
  path: string;
  bodyHash: string;
  status: number;
  body: string;
  headers: Record<string, string>;
  created_at: string;
}

export interface Workspace {
  id: string;
  email: string;
  company_name: string | null;
  credits: number;
  plan_tier: PlanTier;
  ledger: LedgerEntry[];
}

export interface EmulatorState {
  /** Bumped when the shape changes, so an old --state file is refused with a clear message. */
  version: 1;
  workspaces: Record<string, Workspace>;
  apiKeys: ApiKeyRecord[];
  bundles: Record<string, Bundle>;
  savedAccounts: Record<string, SavedAccount>;
  uploads: Record<string, UploadRecord>;
  webhooks: Record<string, WebhookEndpoint>;
  deliveries: WebhookDelivery[];
  idempotency: Record<string, IdempotencyRecord>;
  /** Monotonic counters for ids and names that must be deterministic under a seed. */
  counters: Record<string, number>;
  /** The simulated clock's offset from the base time, in ms, accumulated by POST /__emulator/advance. */
  clockOffsetMs: number;
}
