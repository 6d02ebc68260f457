/**
 * Write-back: a run's row results → cell patches for the Source (docs/sheet-format.md output columns).
 *
 * Pure. A patch only carries what is new: a value equal (as text) to the cell as read is left out, and a
 * row with nothing new gets no patch at all, so a run that changed nothing writes nothing. A value the
 * result does not know is left out too: an id is never erased because this run did not re-read it, and an
 * analytics cell is never emptied because this run could not measure it.
 */
import type { TypedCampaign } from "../sources/coerce.ts";
import { escapeFormula } from "../sources/formula.ts";
import type { CellPatch, RowKey } from "../sources/types.ts";
import { type AnalyticsValues, METRIC_COLUMNS } from "./analytics-join.ts";
import { videoRowRef } from "./rows.ts";
import type { RowResult } from "./types.ts";

/** Remote values a bundle row shows in single-table mode, on every videos row of the bundle. */
export const SINGLE_TABLE_BUNDLE_RESULT_COLUMNS = [
  "bundle_id",
  "bundle_status",
  "account_status",
  "credits_charged",
] as const;
/** Remote values a bundles row shows: those, and the delivered account (when TokPortal reports it). */
export const BUNDLE_RESULT_COLUMNS = [
  ...SINGLE_TABLE_BUNDLE_RESULT_COLUMNS,
  "saved_account_id",
  "account_username",
  "account_url",
] as const;
/** Remote values a videos row shows. */
export const VIDEO_RESULT_COLUMNS = ["video_id", "position", "video_status", "platform_url"] as const;
/** A videos row's analytics: written only when measured, and never a reason for `synced_at` to move. */
export const ANALYTICS_RESULT_COLUMNS = [...METRIC_COLUMNS, "analytics_at"] as const;
const VIDEO_ROW_COLUMNS = [...VIDEO_RESULT_COLUMNS, ...ANALYTICS_RESULT_COLUMNS] as const;
/**
 * Review columns (src/sync/plan-reviews.ts): TokPortal's current state of what the row shows, so a value
 * the result gives as null is cleared (an issue fixed, a marker part dropped); one it does not give is kept.
 */
export const REVIEW_VIDEO_COLUMNS = [
  "review_status",
  "correction_message",
  "correction_requested_at",
  "download_issue",
  "review_marker",
] as const;
export const REVIEW_BUNDLE_COLUMNS = [
  "account_correction_message",
  "account_correction_requested_at",
  "review_marker",
] as const;

/** Values of `columns` the result gives, null included (a cleared cell). */
function givenValues(result: RowResult, columns: readonly string[]): Record<string, CellValue> {
  const out: Record<string, CellValue> = {};
  for (const c of columns) if (c in result.values) out[c] = result.values[c] ?? null;
  return out;
}

type CellValue = string | number | null;

const asText = (v: CellValue | undefined): string => (v === null || v === undefined ? "" : String(v));

function keyId(key: RowKey): string {
  if ("rowNumber" in key) return `${key.table}#${key.rowNumber}`;
  return key.table === "bundles" ? `b\u0000${key.bundleRef}` : `v\u0000${key.bundleRef}\u0000${key.videoRef}`;
}

/** The row's outputs as read, by table and row number. */
function outputsIndex(campaign: TypedCampaign): Map<string, Record<string, string>> {
  const index = new Map<string, Record<string, string>>();
  for (const r of campaign.bundles) {
    // A single-table bundle is derived from videos rows and has no cells of its own.
    if (r.table === "bundles") index.set(`bundles#${r.rowNumber}`, r.outputs);
  }
  for (const r of campaign.videos) index.set(`videos#${r.rowNumber}`, r.outputs);
  return index;
}

/** One target row (or rows, when a duplicate key names several) and the values meant for it. */
interface Draft {
  key: RowKey;
  /** Outputs of every sheet row this key was read from. */
  outputs: Record<string, string>[];
  values: Record<string, CellValue>;
}

class Drafts {
  private readonly byKey = new Map<string, Draft>();

  constructor(private readonly outputs: Map<string, Record<string, string>>) {}

  get(key: RowKey, table: RowKey["table"], rowNumbers: number[]): Draft {
    const id = keyId(key);
    let d = this.byKey.get(id);
    if (!d) {
      d = { key, outputs: [], values: {} };
      this.byKey.set(id, d);
    }
    for (const n of rowNumbers) {
      const out = this.outputs.get(`${table}#${n}`);
      if (out && !d.outputs.includes(out)) d.outputs.push(out);
    }
    return d;
  }

  patches(): CellPatch[] {
    const out: CellPatch[] = [];
    for (const d of this.byKey.values()) {
      const values: Record<string, CellValue> = {};
      for (const [column, value] of Object.entries(d.values)) {
        const wanted = asText(value);
        const reads = d.outputs.length > 0 ? d.outputs : [{}];
        // Compare as text: `42` and "42" are the same cell.
        if (reads.some((o) => !sameCell(o[column] ?? "", value, wanted))) values[column] = value;
      }
      if (Object.keys(values).length > 0) out.push({ key: d.key, values });
    }
    return out;
  }
}

/**
 * A CSV stores remote text that looks like a formula with a leading `'` (sources/formula.ts), so the cell
 * read back as `'=x` already holds the value `=x`: writing it again would change nothing but cost a write.
 */
function sameCell(read: string, value: CellValue, wanted: string): boolean {
  return read === wanted || (typeof value === "string" && read !== wanted && read === escapeFormula(wanted));
}

/** Values of `columns` the result knows (absent, undefined, null and "" are not known: never written). */
function knownValues(result: RowResult, columns: readonly string[]): Record<string, CellValue> {
  const out: Record<string, CellValue> = {};
  for (const c of columns) {
    const v = result.values[c];
    if (v === undefined || v === null || v === "") continue;
    out[c] = v;
  }
  return out;
}

/**
 * sync_status, sync_message (empty → cleared), synced_at (only when changed), sync_fingerprint (synced, or
 * content TokPortal took before a later step failed: see `RowOutcomes.took`).
 */
function syncValues(result: RowResult, now: string): Record<string, CellValue> {
  const out: Record<string, CellValue> = {
    sync_status: result.outcome,
    sync_message: result.message === "" ? null : result.message,
  };
  if (result.changed) out["synced_at"] = now;
  const fp = result.values["sync_fingerprint"];
  // A row that is not synced keeps its old fingerprint, so the next run sees it as changed and retries;
  // the results carry one for such a row only when TokPortal already holds its content.
  if (typeof fp === "string" && fp !== "") out["sync_fingerprint"] = fp;
  return out;
}

const isBundleResult = (r: RowResult): boolean => r.row.key.table === "bundles";

/** The sheet shows an earlier successful sync of the row: a synced status, or a TokPortal id. */
function hadResult(outputs: Record<string, string>[]): boolean {
  return outputs.some(
    (o) => o["sync_status"] === "synced" || (o["bundle_id"] ?? "") !== "" || (o["video_id"] ?? "") !== "",
  );
}

/**
 * A row that synced before and fails now keeps its ids, statuses and fingerprint (none is erased: see
 * `knownValues` and `syncValues`); its message says so, so nobody reads the error as "nothing exists".
 */
export function keptMessage(message: string): string {
  if (message === "" || message.includes("the earlier result is kept")) return message;
  const retries = "; the next run retries.";
  if (message.endsWith(retries))
    return `${message.slice(0, -retries.length)}; the earlier result is kept; the next run retries.`;
  return `${message.replace(/\.?$/, "")}; the earlier result is kept.`;
}

function joinMessages(...parts: string[]): string {
  const kept: string[] = [];
  for (const p of parts) {
    if (p === "" || kept.some((k) => k.includes(p))) continue;
    for (let i = kept.length - 1; i >= 0; i--) if (p.includes(kept[i]!)) kept.splice(i, 1);
    kept.push(p);
  }
  return kept.join("; ");
}

/**
 * The cell patches for a run's results. `now` (ISO) is what `synced_at` gets on rows this run changed.
 * Single-table mode: a bundle has no row of its own; its outputs go on each of its videos rows, and its
 * sync_status / sync_message too when the bundle is in error.
 */
export function resultPatches(rows: RowResult[], campaign: TypedCampaign, now: string): CellPatch[] {
  const drafts = new Drafts(outputsIndex(campaign));
  const videoResults = new Map<string, RowResult>();
  for (const r of rows) if (!isBundleResult(r)) videoResults.set(keyId(r.row.key), r);

  for (const r of rows) {
    const ref = r.row;
    if (isBundleResult(r) && campaign.singleTable && ref.table === "videos") continue;
    const bundle = isBundleResult(r);
    const draft = drafts.get(ref.key, ref.table, ref.rowNumbers);
    Object.assign(
      draft.values,
      knownValues(r, bundle ? BUNDLE_RESULT_COLUMNS : VIDEO_ROW_COLUMNS),
      // Single-table mode has no cells for the account review: its state shows in account_status.
      bundle && campaign.singleTable
        ? {}
        : givenValues(r, bundle ? REVIEW_BUNDLE_COLUMNS : REVIEW_VIDEO_COLUMNS),
      syncValues(r, now),
    );
    if (r.outcome === "error" && hadResult(draft.outputs))
      draft.values["sync_message"] = keptMessage(r.message) || null;
  }

  if (campaign.singleTable) {
    for (const r of rows) {
      if (!isBundleResult(r) || r.row.table !== "videos") continue;
      const bundleRef = "bundleRef" in r.row.key ? r.row.key.bundleRef : null;
      const bundleValues = knownValues(r, SINGLE_TABLE_BUNDLE_RESULT_COLUMNS);
      for (const v of campaign.videos) {
        if (!("bundleRef" in v.key) || v.key.bundleRef !== bundleRef) continue;
        const draft = drafts.get(v.key, "videos", [v.rowNumber]);
        Object.assign(draft.values, bundleValues);
        if (r.outcome !== "error") continue;
        // Blocked videos already say so; the bundle's own message is what the user must fix.
        const own = videoResults.get(keyId(v.key));
        draft.values["sync_status"] = "error";
        const message = joinMessages(r.message, own?.message ?? "");
        draft.values["sync_message"] = (hadResult(draft.outputs) ? keptMessage(message) : message) || null;
        delete draft.values["sync_fingerprint"];
      }
    }
  }
  return drafts.patches();
}

/**
 * The analytics-only write (`analytics` mode): each measured videos row gets its analytics cells and
 * nothing else (no status, no `synced_at`). `values` is keyed by the videos row's id (`v:<bundle>/<video>`).
 */
export function analyticsPatches(campaign: TypedCampaign, values: Map<string, AnalyticsValues>): CellPatch[] {
  const drafts = new Drafts(outputsIndex(campaign));
  for (const row of campaign.videos) {
    const ref = videoRowRef(row);
    const measured = values.get(ref.id);
    if (!measured) continue;
    const draft = drafts.get(ref.key, ref.table, ref.rowNumbers);
    for (const column of ANALYTICS_RESULT_COLUMNS) {
      const v = measured[column];
      if (v !== undefined && v !== "") draft.values[column] = v;
    }
  }
  return drafts.patches();
}
