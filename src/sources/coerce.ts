/**
 * Typed coercion of sheet cells. Pure: every function returns a value or a finding (with its words for a
 * sheet user), never throws on bad input. The per-cell parsers live in cell-parsers.ts.
 */
import { type Finding, type FindingCode, finding, renderFinding } from "../findings/index.ts";
import {
  type DateFormat,
  fail,
  type Parsed,
  parseBoolean,
  parseDate,
  parseEnum,
  parseInteger,
  parseList,
} from "./cell-parsers.ts";

// ——— Rows → typed values ———

import {
  type BUNDLE_TYPES,
  type ColumnSpec,
  type INSTAGRAM_CONTENT_TYPES,
  inputColumns,
  outputColumns,
  type PLATFORMS,
  SINGLE_TABLE_BUNDLE_INPUT_COLUMNS,
  type VIDEO_TYPES,
} from "./columns.ts";
import { recordMaker } from "./records.ts";
import type { CampaignTables, RowKey, SheetRow, TableName } from "./types.ts";

/** A problem with one row, to be shown next to it (`sync_status` = error, `sync_message` = message). */
export interface RowProblem {
  table: TableName;
  rowNumber: number;
  /** Canonical column name, when one column is at fault. */
  column?: string;
  code: FindingCode;
  params: Finding["params"];
  /** The finding in words: names the row and the column, says what is wrong and how to fix it. */
  message: string;
}

export type TypedValue = string | number | boolean | string[];

export interface CoerceOptions {
  dateFormat?: DateFormat;
  /** The videos table carries the bundle columns (there is no bundles table). */
  singleTable?: boolean;
}

function parseCell(spec: ColumnSpec, cell: string, dateFormat: DateFormat): Parsed<TypedValue | undefined> {
  const t = spec.type;
  switch (t.kind) {
    case "boolean":
      return parseBoolean(cell);
    case "date":
      return parseDate(cell, dateFormat);
    case "integer":
      return parseInteger(cell, t.min, t.max);
    case "list":
      return parseList(cell, t.maxItems);
    case "enum":
      return parseEnum(cell, t.values);
    case "text": {
      const v = cell.trim();
      if (v === "") return { ok: true, value: undefined };
      if (t.maxLength !== undefined && v.length > t.maxLength) {
        return fail("text_too_long", { length: v.length, max: t.maxLength });
      }
      return { ok: true, value: v };
    }
  }
}

function rowProblem(row: { table: TableName; rowNumber: number }, f: Finding): RowProblem {
  return {
    table: row.table,
    rowNumber: row.rowNumber,
    ...(f.column === undefined ? {} : { column: f.column }),
    code: f.code,
    params: f.params,
    message: renderFinding([row.rowNumber], f),
  };
}

const SPEC_MAPS = new Map<string, Map<string, ColumnSpec>>();
function specsFor(table: TableName, singleTable: boolean): Map<string, ColumnSpec> {
  const id = `${table}:${singleTable}`;
  let m = SPEC_MAPS.get(id);
  if (!m) {
    m = new Map(inputColumns({ table, singleTable }).map((c) => [c.name, c]));
    SPEC_MAPS.set(id, m);
  }
  return m;
}

/**
 * One row's input cells as typed values (blank cells are absent) and its problems. Columns in error are
 * absent too, so a caller that ignores the problems cannot send a bad value.
 */
export function coerceRow(
  row: SheetRow,
  opts: CoerceOptions = {},
): { values: Record<string, TypedValue>; problems: RowProblem[] } {
  const dateFormat = opts.dateFormat ?? "YYYY-MM-DD";
  const values: Record<string, TypedValue> = {};
  const problems: RowProblem[] = [];
  const specs = specsFor(row.table, opts.singleTable ?? false);
  for (const name in row.cells) {
    const spec = specs.get(name);
    const cell = row.cells[name];
    if (spec === undefined || cell === undefined || cell === "") continue;
    const parsed = parseCell(spec, cell, dateFormat);
    if (!parsed.ok) {
      problems.push(rowProblem(row, { ...parsed.finding, column: spec.name }));
      continue;
    }
    if (parsed.value !== undefined) values[spec.name] = parsed.value;
  }
  const required = row.table === "bundles" ? ["bundle_ref"] : ["video_ref", "bundle_ref"];
  for (const name of required) {
    if ((row.cells[name] ?? "") === "") {
      problems.push(rowProblem(row, finding("ref_missing", name, { column: name })));
    }
  }
  return { values, problems: problems.length === 0 ? NO_PROBLEMS : problems };
}

/**
 * Shared by every row without a problem (nearly all: one array fewer per row). Frozen: a problem found
 * later replaces a row's list (`withProblem`), never pushes into this one.
 */
const NO_PROBLEMS: RowProblem[] = Object.freeze([]) as unknown as RowProblem[];
function withProblem(row: { problems: RowProblem[] }, problem: RowProblem): void {
  row.problems = [...row.problems, problem];
}

export type BundleType = (typeof BUNDLE_TYPES)[number];
export type Platform = (typeof PLATFORMS)[number];
export type VideoType = (typeof VIDEO_TYPES)[number];
export type InstagramContentType = (typeof INSTAGRAM_CONTENT_TYPES)[number];

/** The bundle and account settings (bundles row, or the bundle columns of a single-table videos row). */
export interface BundleSettings {
  bundle_type?: BundleType;
  platform?: Platform;
  country?: string;
  account_id?: string;
  title?: string;
  auto_finalize_videos?: boolean;
  edit_slots?: number;
  video_slots?: number;
  username?: string;
  visible_name?: string;
  biography?: string;
  profile_picture?: string;
  link_in_bio?: string;
  advanced_warming_terms?: string[];
  advanced_warming_terms_count?: number;
  niche_warming_instructions?: string;
  deep_warming?: boolean;
  account_bundle_ref?: string;
  account_review?: ReviewAction;
  account_review_note?: string;
  account_review_fields?: string[];
  publish?: boolean;
}

export type ReviewAction = "approve" | "changes";

export interface BundleInput extends BundleSettings {
  bundle_ref: string;
  /** Rows this bundle comes from (one in a bundles table; its videos rows in single-table mode). */
  rowNumbers: number[];
}

export interface VideoInput {
  video_ref: string;
  bundle_ref: string;
  position?: number;
  video_type?: VideoType;
  description?: string;
  target_publish_date?: string;
  video_url?: string;
  carousel_images?: string[];
  carousel_title?: string;
  tiktok_sound_url?: string;
  name?: string;
  editing_instructions?: string;
  volume_original_sound?: number;
  volume_added_sound?: number;
  instagram_content_type?: InstagramContentType;
  instagram_location?: string;
  instagram_collaborators?: string[];
  instagram_audio_name?: string;
  instagram_add_to_story?: boolean;
  story_image_url?: string;
  story_repost_url?: string;
  ai_content_disclaimer?: boolean;
  disclose_as_ads?: boolean;
  instant_repost_as_story?: boolean;
  publish?: boolean;
  review?: ReviewAction;
  review_note?: string;
  review_fields?: string[];
}

/** A row as the engine sees it: typed inputs, the outputs as read (text), its key, and its problems. */
export interface TypedRow<T> {
  table: TableName;
  rowNumber: number;
  key: RowKey;
  /** Null when the row cannot be used (e.g. its ref is missing); `problems` says why. */
  input: T | null;
  /** Output column → cell text as read. */
  outputs: Record<string, string>;
  problems: RowProblem[];
}

export interface TypedCampaign {
  /**
   * No bundles table: each bundle is derived from the videos rows that share its bundle_ref. Such a bundle
   * has no row of its own, so its outputs (bundle_id, bundle_status, …) are written through the keys of
   * the videos rows listed in `input.rowNumbers` (a bundles key would find no row).
   */
  singleTable: boolean;
  bundles: TypedRow<BundleInput>[];
  videos: TypedRow<VideoInput>[];
  /** Every row problem, in table then row order. */
  problems: RowProblem[];
}

function keyOf(row: SheetRow): RowKey {
  const b = row.cells["bundle_ref"] ?? "";
  if (row.table === "bundles")
    return b ? { table: "bundles", bundleRef: b } : { table: "bundles", rowNumber: row.rowNumber };
  const v = row.cells["video_ref"] ?? "";
  return b && v
    ? { table: "videos", bundleRef: b, videoRef: v }
    : { table: "videos", rowNumber: row.rowNumber };
}

function outputsOf(row: SheetRow, singleTable: boolean): Record<string, string> {
  const present = SCRATCH;
  present.length = 0;
  let filled = false;
  for (const c of outputColumns({ table: row.table, singleTable })) {
    const v = row.cells[c];
    if (v === undefined) continue;
    present.push(c);
    if (v !== "") filled = true;
  }
  const shape = outputShape(present);
  if (!filled) return shape.blank;
  const out = shape.make();
  for (const c of shape.names) out[c] = row.cells[c]!;
  return out;
}

/**
 * The output columns a table has, and how its rows' records are made: every row of a table has the same
 * ones, so there are a few shapes per run. A row whose output cells are all blank (every row of a campaign
 * not synced yet) shares the shape's frozen blank record: which columns the sheet has still shows
 * (`"followers" in outputs`). Records are made compact (records.ts): a synced row has thirty of them.
 */
interface OutputShape {
  names: readonly string[];
  blank: Record<string, string>;
  make: () => Record<string, string>;
}
const SHAPES: OutputShape[] = [];
const SCRATCH: string[] = [];
function outputShape(names: readonly string[]): OutputShape {
  for (const s of SHAPES) {
    if (s.names.length === names.length && s.names.every((n, i) => n === names[i])) return s;
  }
  const make = recordMaker(names);
  const shape = { names: [...names], blank: Object.freeze(make()), make };
  if (SHAPES.length < 64) SHAPES.push(shape);
  return shape;
}

const BUNDLE_SETTING_NAMES = SINGLE_TABLE_BUNDLE_INPUT_COLUMNS.map((c) => c.name);
const BUNDLE_SETTING_SET = new Set(BUNDLE_SETTING_NAMES);

function settingsFrom(values: Record<string, TypedValue>, fromVideosRow: boolean): BundleSettings {
  const s: Record<string, TypedValue> = {};
  for (const name of BUNDLE_SETTING_NAMES) {
    const v = values[name];
    if (v === undefined) continue;
    s[name === "publish_bundle" ? "publish" : name] = v;
  }
  if (!fromVideosRow && values["publish"] !== undefined) s["publish"] = values["publish"]!;
  return s as BundleSettings;
}

function describeValue(v: TypedValue): string {
  return Array.isArray(v) ? v.join(";") : String(v);
}

/**
 * The whole campaign as typed rows, with the checks that need more than one row: duplicate refs, and —
 * in single-table mode — rows of one bundle that disagree on a bundle column (blank cells state nothing;
 * every stated value must be the same). Never throws.
 */
export function coerceCampaign(tables: CampaignTables, opts: CoerceOptions = {}): TypedCampaign {
  const singleTable = tables.bundles === null;
  const o: CoerceOptions = { ...opts, singleTable };
  const bundles: TypedRow<BundleInput>[] = [];
  const videos: TypedRow<VideoInput>[] = [];

  for (const row of tables.bundles ?? []) {
    const { values, problems } = coerceRow(row, o);
    const ref = row.cells["bundle_ref"] ?? "";
    bundles.push({
      table: "bundles",
      rowNumber: row.rowNumber,
      key: keyOf(row),
      input: ref ? { ...settingsFrom(values, false), bundle_ref: ref, rowNumbers: [row.rowNumber] } : null,
      outputs: outputsOf(row, false),
      problems,
    });
  }
  const settingsByRow = new Map<number, Record<string, TypedValue>>();
  for (const row of tables.videos) {
    const { values, problems } = coerceRow(row, o);
    const ok = (row.cells["bundle_ref"] ?? "") !== "" && (row.cells["video_ref"] ?? "") !== "";
    // With a bundles table every value is the video's: the row's values are its input as they are.
    const input: Record<string, TypedValue> = singleTable ? {} : values;
    if (singleTable) {
      for (const k in values) {
        if (!BUNDLE_SETTING_SET.has(k) || k === "publish") input[k] = values[k]!;
      }
    }
    if (singleTable) settingsByRow.set(row.rowNumber, values);
    videos.push({
      table: "videos",
      rowNumber: row.rowNumber,
      key: keyOf(row),
      input: ok ? (input as unknown as VideoInput) : null,
      outputs: outputsOf(row, singleTable),
      problems,
    });
  }

  markDuplicates(
    bundles,
    (r) => r.input?.bundle_ref,
    "bundle_ref",
    (ref) => ({ bundleRef: ref, videoRef: null }),
  );
  markDuplicates(
    videos,
    (r) => (r.input ? `${r.input.bundle_ref}\u0000${r.input.video_ref}` : undefined),
    "video_ref",
    (k) => ({ bundleRef: k.split("\u0000")[0] ?? "", videoRef: k.split("\u0000")[1] ?? "" }),
  );

  const derived = singleTable ? bundlesFromVideos(videos, settingsByRow) : [];
  // Derived bundles repeat their rows' problems; the flat list names each problem once.
  const problems = [...bundles, ...videos].flatMap((r) => r.problems);
  bundles.push(...derived);
  return { singleTable, bundles, videos, problems };
}

function markDuplicates<T>(
  rows: TypedRow<T>[],
  keyOf: (r: TypedRow<T>) => string | undefined,
  column: string,
  refs: (key: string) => { bundleRef: string; videoRef: string | null },
): void {
  // A row alone with its key (nearly all of them) is stored as itself: no array per row.
  const groups = new Map<string, TypedRow<T> | TypedRow<T>[]>();
  for (const r of rows) {
    const k = keyOf(r);
    if (k === undefined) continue;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, r);
    else if (Array.isArray(g)) g.push(r);
    else groups.set(k, [g, r]);
  }
  for (const [k, g] of groups) {
    if (!Array.isArray(g)) continue;
    const rows = g.map((r) => r.rowNumber);
    for (const r of g) withProblem(r, rowProblem(r, finding("ref_duplicate", column, { ...refs(k), rows })));
  }
}

/** Single-table mode: one bundle per bundle_ref, from the bundle columns its videos rows state. */
function bundlesFromVideos(
  videos: TypedRow<VideoInput>[],
  settingsByRow: Map<number, Record<string, TypedValue>>,
): TypedRow<BundleInput>[] {
  const groups = new Map<string, TypedRow<VideoInput>[]>();
  for (const v of videos) {
    if (!v.input) continue;
    const g = groups.get(v.input.bundle_ref) ?? [];
    g.push(v);
    groups.set(v.input.bundle_ref, g);
  }
  const out: TypedRow<BundleInput>[] = [];
  for (const [ref, g] of groups) {
    const merged: Record<string, TypedValue> = {};
    const firstRow = new Map<string, number>();
    let agree = true;
    for (const v of g) {
      const values = settingsByRow.get(v.rowNumber) ?? {};
      for (const name of BUNDLE_SETTING_NAMES) {
        const value = values[name];
        if (value === undefined) continue;
        const prev = merged[name];
        if (prev === undefined) {
          merged[name] = value;
          firstRow.set(name, v.rowNumber);
        } else if (describeValue(prev) !== describeValue(value)) {
          agree = false;
          const params = {
            value: describeValue(value),
            other: describeValue(prev),
            otherRow: firstRow.get(name) ?? 0,
            bundleRef: ref,
            column: name,
          };
          withProblem(v, rowProblem(v, finding("bundle_value_disagrees", name, params)));
        }
      }
    }
    // A bad bundle cell in any of its rows makes the bundle unusable: never create it without that value.
    const problems = g.flatMap((v) => v.problems.filter((p) => p.column && BUNDLE_SETTING_SET.has(p.column)));
    out.push({
      table: "videos",
      rowNumber: g[0]!.rowNumber,
      key: { table: "bundles", bundleRef: ref },
      input:
        agree && problems.length === 0
          ? { ...settingsFrom(merged, true), bundle_ref: ref, rowNumbers: g.map((v) => v.rowNumber) }
          : null,
      outputs: {},
      problems,
    });
  }
  return out;
}
