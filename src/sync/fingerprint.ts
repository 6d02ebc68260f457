/**
 * Content fingerprints: what `sync_fingerprint` cells hold, and what idempotency keys are derived from.
 * Canonical JSON (object keys sorted, undefined members dropped) so that key order and absent-vs-undefined
 * never change the hash; bump the `v1-` prefix if the canonical form ever changes.
 */
import { hash } from "node:crypto";
import { flatText } from "../words.ts";

export const FINGERPRINT_VERSION = "v1";

/**
 * JSON text with object keys sorted at every depth and `undefined` members dropped, otherwise as
 * JSON.stringify writes it (undefined in an array or at the top is `null`; Maps are written as objects).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return JSON.stringify(value.toString());
    case "undefined":
    case "function":
    case "symbol":
      return "null";
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonicalJson(value[i]);
    return `${out}]`;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return canonicalJson(toJSON.call(value));
  const record = value instanceof Map ? Object.fromEntries(value) : (value as Record<string, unknown>);
  const keys = sortInPlace(Object.keys(record));
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    out += `${first ? "" : ","}${quotedKey(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * The keys in the order `Array.prototype.sort` gives strings (by UTF-16 code units, which `<` compares),
 * by insertion in place: an object has a few keys, often already in order, and the built-in sort allocates
 * a work array per call (a fifth of all the memory a 100,000-row plan allocated went to it).
 */
function sortInPlace(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    if (keys[j]! <= k) continue;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

// Rows repeat the same few keys (the column names): quote each once, not once per row.
const QUOTED = new Map<string, string>();
function quotedKey(k: string): string {
  let q = QUOTED.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (QUOTED.size < 10_000) QUOTED.set(k, q);
  }
  return q;
}

/** `"v1-"` + the first 16 hex digits of SHA-256 over the canonical JSON of `value`. */
export function fingerprintOf(value: unknown): string {
  // The 16 digits from the digest's first 8 bytes: a slice of the 64-digit text would keep all 64 alive
  // for as long as the fingerprint (one per row, kept by the desired state and the plan).
  const digest = hash("sha256", canonicalJson(value), "buffer");
  return flatText(FINGERPRINT_VERSION, "-", digest.toString("hex", 0, 8));
}
