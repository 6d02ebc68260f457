/** The TokPortal client: what the rest of the project imports (see client.ts for how a call runs). */
export {
  CLIENT_NAME,
  CLIENT_VERSION,
  clientOptionsFromEnv,
  PRODUCTION_BASE_URL,
  TokPortalClient,
  type TokPortalClientOptions,
} from "./client.ts";
export {
  CAPACITY_COOLDOWN,
  CapacityCooldownError,
  codeIn,
  type ErrorKind,
  type RateLimitSnapshot,
  RequestValidationError,
  sameCode,
  scrubSecrets,
  TokPortalError,
  TokPortalWaitTooLongError,
  WAIT_EXCEEDS_CEILING,
  type WaitAsked,
} from "./errors.ts";
export { type IdempotencyParts, idempotencyKey } from "./idempotency.ts";
export { type PageOf, type PaginateOptions, paginate } from "./paginate.ts";
export type {
  AddSlotsResult,
  BatchResult,
  Bundle,
  BundleAccount,
  Charge,
  CreatedWebhookEndpoint,
  CreditBalance,
  CreditCosts,
  CreditTransaction,
  PublishAllResult,
  PublishBundleResult,
  PublishVideoResult,
  Readiness,
  UploadedImage,
  UploadedVideo,
  Video,
  VideoAnalytics,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEvents,
} from "./parse.ts";
export { type GateClock, RateGate, type RateGateOptions, systemClock } from "./rate-gate.ts";
export { DEFAULT_MAX_WAIT_MS, DEFAULT_RETRY, type RetryOptions } from "./retry.ts";
export { loadSpec, SENSITIVE_OPERATIONS } from "./spec.ts";
export type * from "./types.ts";
