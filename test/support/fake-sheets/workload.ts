import type { CellPatch, SheetRow } from "../../../src/sources/types.ts";

/**
 * The write-back a sync makes after a cold run: seven output cells on every videos row. Shared by the
 * 10,000-row request-count test and the Sheets write-back benchmark, so both measure the same work.
 */
export function outputPatchesFor(rows: readonly SheetRow[]): CellPatch[] {
  return rows.map((r, i) => ({
    key: { table: "videos", bundleRef: r.cells["bundle_ref"] ?? "", videoRef: r.cells["video_ref"] ?? "" },
    values: {
      video_id: `0b7c2f1e-${String(i).padStart(4, "0")}-4a5b-9c8d-123456789abc`,
      video_status: "in_review",
      views: i * 7,
      likes: i,
      sync_status: "synced",
      synced_at: "2026-11-28T12:00:00.000Z",
      sync_fingerprint: `fp${String(i).padStart(14, "0")}`,
    },
  }));
}
