/**
 * The check of a TokPortal webhook delivery (docs/tokportal-api.md §13): the `TokPortal-Signature` header
 * is `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, several `v1` values are allowed (secret
 * rotation), and a timestamp further than the tolerance (300 s by default) from our clock is refused, so a
 * captured delivery cannot be replayed later. Pure: no clock, no I/O.
 *
 * The HMAC is checked before the timestamp: `t` is signed, so a refusal for the timestamp means a genuine
 * delivery that is late (or a replay), and a refusal for the HMAC means someone without the secret.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "tokportal-signature";
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Why a delivery was refused: stable codes for logs and tests (words in `REFUSAL_WORDS`). */
export type RefusalCode =
  | "signature_missing"
  | "signature_malformed"
  | "signature_mismatch"
  | "timestamp_outside_tolerance"
  | "body_too_large"
  | "body_unreadable"
  | "method_not_allowed";

export const REFUSAL_WORDS: Record<RefusalCode, string> = {
  signature_missing: "no TokPortal-Signature header",
  signature_malformed: "the TokPortal-Signature header is not t=<unix>,v1=<hex>",
  signature_mismatch: "the signature does not match any configured webhook secret",
  timestamp_outside_tolerance: "the signature's timestamp is too far from now (late delivery or replay)",
  body_too_large: "the body is larger than a TokPortal event can be",
  body_unreadable: "the body is not a TokPortal event (JSON with id, type and data)",
  method_not_allowed: "only POST is accepted",
};

/** The HTTP status each refusal is answered with. */
export const REFUSAL_STATUS: Record<RefusalCode, number> = {
  signature_missing: 401,
  signature_malformed: 400,
  signature_mismatch: 401,
  timestamp_outside_tolerance: 400,
  body_too_large: 413,
  body_unreadable: 400,
  method_not_allowed: 405,
};

export interface ParsedSignature {
  timestamp: number;
  /** Lower-case hex digests, 64 characters each. */
  signatures: string[];
}

/** The header's parts, or null when it has no usable `t` or no well-formed `v1`. */
export function parseSignatureHeader(header: string): ParsedSignature | null {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0) return null;
  return { timestamp, signatures };
}

export type VerifyResult =
  | { ok: true; timestamp: number /** Which of the secrets signed it. */; secretIndex: number }
  | { ok: false; code: RefusalCode };

export interface VerifyOptions {
  /** The secrets to try, in order (one per TokPortal subscription the service receives). */
  secrets: readonly string[];
  /** Our clock, ms since the epoch. */
  nowMs: number;
  toleranceSeconds?: number;
}

/** Checks one delivery's signature header against its raw body, as received (no re-serialisation). */
export function verifySignature(
  rawBody: Buffer,
  header: string | string[] | undefined,
  options: VerifyOptions,
): VerifyResult {
  const value = Array.isArray(header) ? header.join(",") : header;
  if (!value) return { ok: false, code: "signature_missing" };
  const parsed = parseSignatureHeader(value);
  if (!parsed) return { ok: false, code: "signature_malformed" };
  const given = parsed.signatures.map((s) => Buffer.from(s, "hex"));
  const prefix = Buffer.from(`${parsed.timestamp}.`);
  let match = -1;
  // Every secret and every v1 is compared (constant time each), so the time taken does not tell which
  // secret, or which part of a digest, was close.
  options.secrets.forEach((secret, index) => {
    const expected = createHmac("sha256", secret).update(prefix).update(rawBody).digest();
    for (const g of given) {
      if (g.length === expected.length && timingSafeEqual(g, expected) && match < 0) match = index;
    }
  });
  if (match < 0) return { ok: false, code: "signature_mismatch" };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(options.nowMs / 1000 - parsed.timestamp) > tolerance)
    return { ok: false, code: "timestamp_outside_tolerance" };
  return { ok: true, timestamp: parsed.timestamp, secretIndex: match };
}

/** A delivery's envelope, as far as the receiver reads it. */
export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string | null;
  data: Record<string, unknown>;
}

/** The envelope of a verified body, or null when it is not one (not JSON, no id or type). */
export function readEvent(rawBody: Buffer): WebhookEvent | null {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.id !== "string" || b.id === "" || b.id.length > 200) return null;
  if (typeof b.type !== "string" || b.type === "") return null;
  const data = typeof b.data === "object" && b.data !== null && !Array.isArray(b.data) ? b.data : {};
  return {
    id: b.id,
    type: b.type,
    createdAt: typeof b.created_at === "string" ? b.created_at : null,
    data: data as Record<string, unknown>,
  };
}

/**
 * The event ids seen lately, oldest dropped first: a replay of a delivery (same id) inside the signature's
 * tolerance is recognised. Kept in memory only: a replay after a restart costs at most one extra refresh
 * (a refresh reads TokPortal's state, it never acts on an event's content), and the timestamp check
 * already refuses anything older than the tolerance.
 */
export class RecentIds {
  private readonly ids = new Map<string, true>();

  constructor(private readonly capacity = 10_000) {}

  /** True when `id` was already seen (and it is now the newest); false when it is new (now remembered). */
  seen(id: string): boolean {
    const had = this.ids.delete(id);
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return had;
  }

  get size(): number {
    return this.ids.size;
  }
}
