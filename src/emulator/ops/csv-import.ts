/**
 * CSV import of video configurations (docs/tokportal-api.md §15): one row per position, the same rules as PUT, and
 * per-row errors instead of one failure for the file. Rows are numbered from 1, the first data line after
 * the header; blank lines keep their number and are ignored.
 */
import Papa from "papaparse";
import { loadSpec } from "../../api/spec.ts";
import { ApiError, type OpContext } from "../context.ts";
import type { Bundle, VideoSlot } from "../model.ts";
import { bundleStatusError, isBundleClosed, slotAt } from "./domain.ts";
import { configureSlot, type VideoInput } from "./video-config.ts";

export interface CsvImportResult {
  imported: number;
  skipped: number;
  errors: Array<{ row: number; message: string }>;
  configured: VideoSlot[];
  credits_charged: number;
}

const TEXT_COLUMNS = [
  "video_type",
  "description",
  "name",
  "video_url",
  "carousel_title",
  "story_image_url",
  "story_repost_url",
  "tiktok_sound_url",
  "editing_instructions",
  "external_ref",
  "instagram_content_type",
  "instagram_location",
  "instagram_audio_name",
] as const;
const LIST_COLUMNS = ["carousel_images", "instagram_collaborators"] as const;
const INT_COLUMNS = ["volume_original_sound", "volume_added_sound"] as const;
const BOOL_COLUMNS = [
  "instagram_add_to_story",
  "ai_content_disclaimer",
  "disclose_as_ads",
  "instant_repost_as_story",
];
/** Newer flags the vendored ConfigureVideoRequest does not list yet; checked here, not by the schema. */
const NEWER_FIELDS = [
  "ai_content_disclaimer",
  "disclose_as_ads",
  "instant_repost_as_story",
  "story_image_url",
  "story_repost_url",
];

class RowError extends Error {}

function parseBool(column: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["true", "1", "yes", "y"].includes(v)) return true;
  if (["false", "0", "no", "n"].includes(v)) return false;
  throw new RowError(`${column} must be true or false (got "${raw}").`);
}

/** A full date string is accepted too; its UTC calendar day is the target. */
function parseDate(raw: string): string {
  const v = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new RowError(`target_publish_date must be YYYY-MM-DD (got "${raw}").`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** One CSV row to a position and configure input; blank cells are "not provided". */
function rowToInput(row: Record<string, string>): { position: number; input: VideoInput } {
  const cell = (name: string) => {
    const v = row[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const positionRaw = cell("position");
  if (positionRaw === undefined) throw new RowError("position is required.");
  const position = Number(positionRaw);
  if (!Number.isInteger(position) || position < 1) {
    throw new RowError(`position must be a whole number from 1 (got "${positionRaw}").`);
  }
  const input: Record<string, unknown> = {};
  for (const name of TEXT_COLUMNS) {
    const v = cell(name);
    if (v !== undefined) input[name] = v;
  }
  for (const name of LIST_COLUMNS) {
    const v = cell(name);
    if (v !== undefined) {
      input[name] = v
        .split(";")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    }
  }
  for (const name of INT_COLUMNS) {
    const v = cell(name);
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new RowError(`${name} must be a whole number (got "${v}").`);
    input[name] = n;
  }
  for (const name of BOOL_COLUMNS) {
    const v = cell(name);
    if (v !== undefined) input[name] = parseBool(name, v);
  }
  const date = cell("target_publish_date") ?? cell("target_publish_start_date");
  if (date !== undefined) input.target_publish_date = parseDate(date);
  const checked = Object.fromEntries(Object.entries(input).filter(([k]) => !NEWER_FIELDS.includes(k)));
  const result = loadSpec().validateSchema("ConfigureVideoRequest", checked);
  if (!result.ok) throw new RowError(result.issues.map((i) => i.message).join("; "));
  return { position, input: input as VideoInput };
}

export function importVideosCsv(ctx: OpContext, bundle: Bundle, text: string): CsvImportResult {
  if (isBundleClosed(bundle)) {
    throw bundleStatusError(bundle, "import videos into", ["pending_setup", "published", "accepted"]);
  }
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ""), {
    header: true,
    // Blank lines are kept while parsing so row numbers match the data lines the user sees.
    skipEmptyLines: false,
    transformHeader: (h) => h.trim().toLowerCase().replace(/\s+/g, "_"),
  });
  if (!parsed.meta.fields?.includes("position")) {
    throw new ApiError(400, "VALIDATION_ERROR", "The CSV needs a header row with a 'position' column.", {
      field: "file",
      columns: parsed.meta.fields ?? [],
    });
  }
  const result: CsvImportResult = { imported: 0, skipped: 0, errors: [], configured: [], credits_charged: 0 };
  const seen = new Map<number, number>();
  parsed.data.forEach((row, index) => {
    const rowNumber = index + 1;
    if (Object.values(row).every((v) => typeof v !== "string" || v.trim() === "")) return;
    try {
      const { position, input } = rowToInput(row);
      const earlier = seen.get(position);
      if (earlier !== undefined)
        throw new RowError(`position ${position} was already used on row ${earlier}.`);
      seen.set(position, rowNumber);
      const slot = slotAt(bundle, position);
      const outcome = configureSlot(ctx, bundle, slot, input);
      result.imported++;
      result.credits_charged += outcome.credits_charged;
      result.configured.push(slot);
    } catch (err) {
      if (!(err instanceof RowError) && !(err instanceof ApiError)) throw err;
      result.skipped++;
      result.errors.push({ row: rowNumber, message: err.message });
    }
  });
  return result;
}
