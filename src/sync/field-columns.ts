/**
 * TokPortal's field names → the sheet's column names, where they differ. A message must name a column the
 * person can find: `videos_quantity` is nowhere in the sheet, `video_slots` is. Shared by the local spec
 * checks (desired.ts) and TokPortal's own refusals (apply-errors.ts).
 */
import type { OpKind } from "./types.ts";

/** Fields of the bundle's requests (create, settings, slots, account profile). */
export const BUNDLE_FIELD_COLUMNS: Readonly<Record<string, string>> = {
  videos_quantity: "video_slots",
  edits_quantity: "edit_slots",
  profile_picture_url: "profile_picture",
  external_ref: "bundle_ref",
};

/** Fields of a video slot's requests. */
export const VIDEO_FIELD_COLUMNS: Readonly<Record<string, string>> = { external_ref: "video_ref" };

const VIDEO_OPS: ReadonlySet<OpKind> = new Set<OpKind>([
  "configureVideos",
  "patchVideo",
  "publishVideos",
  "unscheduleVideo",
  "fixDownload",
  "requestVideoCorrections",
]);

/**
 * The column a field named by TokPortal stands for, in a request of `kind`. A batch item's field may come
 * as `videos.2.description`: its last part is the column. Undefined for any other nested field, whose
 * column cannot be told.
 */
export function columnOfField(field: string, kind: OpKind): string | undefined {
  const name = /^videos\.\d+\.([a-z_]+)$/.exec(field)?.[1] ?? field;
  if (name.includes(".")) return undefined;
  const columns = VIDEO_OPS.has(kind) ? VIDEO_FIELD_COLUMNS : BUNDLE_FIELD_COLUMNS;
  return columns[name] ?? name;
}
