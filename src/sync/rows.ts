/**
 * Stable row identities (RowRef) for typed rows. Every stage names rows by these ids, so they are built
 * here only: `b:<bundle_ref>`, `v:<bundle_ref>/<video_ref>`, `row:<table>:<rowNumber>` (no usable ref).
 */
import type { BundleInput, TypedRow, VideoInput } from "../sources/coerce.ts";
import { flatText } from "../words.ts";
import type { RowRef } from "./types.ts";

/**
 * A bundles row, or the bundle derived from videos rows in single-table mode (row.table "videos", key
 * table "bundles"): the latter answers for all its videos rows.
 */
export function bundleRowRef(row: TypedRow<BundleInput>): RowRef {
  const key = row.key;
  const id = "bundleRef" in key ? flatText("b:", key.bundleRef) : `row:${row.table}:${row.rowNumber}`;
  const derived = row.table === "videos" && key.table === "bundles";
  const rowNumbers = derived && row.input ? [...row.input.rowNumbers] : [row.rowNumber];
  return { id, table: row.table, rowNumbers, key };
}

export function videoRowRef(row: TypedRow<VideoInput>): RowRef {
  const key = row.key;
  const id =
    "videoRef" in key
      ? flatText("v:", key.bundleRef, "/", key.videoRef)
      : `row:${row.table}:${row.rowNumber}`;
  return { id, table: row.table, rowNumbers: [row.rowNumber], key };
}

/** Either kind: the key tells which (a derived single-table bundle has a bundles key on a videos row). */
export function rowRefOf(row: TypedRow<BundleInput> | TypedRow<VideoInput>): RowRef {
  return row.key.table === "bundles"
    ? bundleRowRef(row as TypedRow<BundleInput>)
    : videoRowRef(row as TypedRow<VideoInput>);
}
