/**
 * The `review_marker` cell: short digests of what a row already told TokPortal, so a rerun (or a run after
 * a crash that lost the write-back) never sends it again. `c:` is the last correction note sent (with its
 * fields), `m:` the media TokPortal reported it could not download. The cell reads `c:…;m:…`.
 */

import { hash } from "node:crypto";
import { canonicalJson } from "./fingerprint.ts";

export type MarkerKind = "c" | "m";

/** `c:` or `m:` and 12 hex digits of the value's canonical hash. */
export function markerOf(kind: MarkerKind, value: unknown): string {
  // One-shot hash (no Hash object per call: the desired state makes one marker per videos row).
  return `${kind}:${hash("sha256", canonicalJson(value), "buffer").toString("hex", 0, 6)}`;
}

/** The part of a kind the cell holds (`c:…`), or null. */
export function markerPart(cell: string | undefined, kind: MarkerKind): string | null {
  for (const part of (cell ?? "").split(";")) {
    const p = part.trim();
    if (p.startsWith(`${kind}:`)) return p;
  }
  return null;
}

/** The cell with its `kind` part replaced by `part` (or dropped when null); parts in c, m order. */
export function withMarker(cell: string | undefined, kind: MarkerKind, part: string | null): string {
  const parts: Record<MarkerKind, string | null> = {
    c: markerPart(cell, "c"),
    m: markerPart(cell, "m"),
  };
  parts[kind] = part;
  return [parts.c, parts.m].filter((p) => p !== null).join(";");
}
