/**
 * Idempotency keys derived from what a write is for, not from when it is sent (docs/tokportal-api.md §4).
 *
 * The same (prefix, row ref, operation, content fingerprint) always gives the same key, so a retry, or a
 * whole rerun after a crash, replays TokPortal's stored answer instead of creating or charging again; a
 * changed row gives a new fingerprint and so a new key. The key is a hash: refs may hold client names and
 * the header ends up in TokPortal's logs.
 */
import { createHash } from "node:crypto";

export interface IdempotencyParts {
  /** The config's `ref_prefix` (one campaign's refs never collide with another's). */
  prefix: string;
  /** The row's ref: `bundle_ref`, or `bundle_ref/video_ref` for a video. */
  ref: string;
  /** What the write does, e.g. `createBundle` or `configureVideos:batch`. */
  operation: string;
  /** The fingerprint of the row content the write sends. */
  fingerprint: string;
}

/** `tps_` + 32 hex characters (128 bits of SHA-256): short, header-safe and stable across runs. */
export function idempotencyKey(parts: IdempotencyParts): string {
  // JSON of an array keeps the parts apart: ("a|b","c") and ("a","b|c") hash differently.
  const canonical = JSON.stringify([parts.prefix, parts.ref, parts.operation, parts.fingerprint]);
  return `tps_${createHash("sha256").update(canonical).digest("hex").slice(0, 32)}`;
}
