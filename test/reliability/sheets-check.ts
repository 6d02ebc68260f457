/**
 * Checks one sync's write-back against what the sheet had to end up holding, row by row (rows followed by
 * their `tag`, see sheets-user.ts):
 *   - a row the run patched holds, in its output columns, what it held at the read plus the patch;
 *   - every other row's output cells are as they were at the read (a difference is a misplaced cell);
 *   - a row without a tag (blank) stays blank; the user's cells are as the user last typed them;
 *   - ids and positions match the emulator for the ref, and sync_status matches the run's outcome.
 * A row without a ref is patched by its row number at read time: it may also be left alone (reported as
 * not found), but nothing may land anywhere else.
 */
import type { CellPatch, RowKey } from "../../src/sources/types.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { isBlankRecord, type TabRecords, userCells } from "./sheets-user.ts";

/** What the read saw of a tab: tag by 1-based row number, and each tag's output cells. */
export interface ReadSnapshot {
  tagAt: Map<number, string>;
  outputs: Map<string, Record<string, string>>;
}

export function snapshot(recs: TabRecords, outputs: ReadonlySet<string>): ReadSnapshot {
  const tagAt = new Map<number, string>();
  const out = new Map<string, Record<string, string>>();
  recs.rows.forEach((r, i) => {
    const tag = r["tag"] ?? "";
    if (tag === "") return;
    tagAt.set(i + 2, tag);
    out.set(tag, outputCells(r, outputs));
  });
  return { tagAt, outputs: out };
}

function outputCells(r: Record<string, string>, outputs: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).filter(([k, v]) => outputs.has(k) && v !== ""));
}

export interface CheckCounts {
  /** Output cells that differ from the read on a row no patch was meant for, or non-empty cells on blank rows. */
  misplaced: number;
  /** Output cells of a patched row that do not hold the patch (or the read's value where none was patched). */
  wrong: number;
  /** User-typed cells that changed (or disappeared) without the user doing it. */
  userCellsChanged: number;
  /** bundle_id / video_id / position cells that disagree with the emulator for their ref. */
  idMismatches: number;
  /** Rows whose sync_status is not the run's outcome for their ref. */
  statusMismatches: number;
}

export interface Remote {
  bundleId(bundleRef: string): string | undefined;
  slot(bundleRef: string, videoRef: string): { id: string; position: number } | undefined;
}

export interface CheckInput {
  table: "bundles" | "videos";
  now: TabRecords;
  read: ReadSnapshot;
  outputs: ReadonlySet<string>;
  /** Tag → the user's cells as they must be now. */
  expected: Map<string, Record<string, string>>;
  patches: readonly CellPatch[];
  report: RunReport;
  remote: Remote;
}

const refsMatch = (key: RowKey, r: Record<string, string>): boolean => {
  if ("rowNumber" in key) return false;
  if ((r["bundle_ref"] ?? "").trim() !== key.bundleRef) return false;
  return key.table === "bundles" || (r["video_ref"] ?? "").trim() === key.videoRef;
};

function diff(a: Record<string, string>, b: Record<string, string>): number {
  let n = 0;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if ((a[k] ?? "") !== (b[k] ?? "")) n++;
  return n;
}

export function checkTab(c: CheckInput): CheckCounts {
  const counts: CheckCounts = {
    misplaced: 0,
    wrong: 0,
    userCellsChanged: 0,
    idMismatches: 0,
    statusMismatches: 0,
  };
  const patches = c.patches.filter((p) => p.key.table === c.table);
  const outcome = new Map<string, string>();
  for (const row of c.report.rows) {
    if (row.row.table === c.table && !("rowNumber" in row.row.key))
      outcome.set(JSON.stringify(row.row.key), row.outcome);
  }
  const seen = new Set<string>();

  c.now.rows.forEach((r) => {
    const tag = r["tag"] ?? "";
    if (tag === "") {
      if (!isBlankRecord(r)) counts.misplaced += Object.values(r).filter((v) => v !== "").length;
      return;
    }
    seen.add(tag);
    counts.userCellsChanged += diff(userCells(r, c.outputs), c.expected.get(tag) ?? {});

    const before = c.read.outputs.get(tag) ?? {};
    const now = outputCells(r, c.outputs);
    const byRef = patches.filter((p) => refsMatch(p.key, r));
    const byNumber = patches.filter((p) => "rowNumber" in p.key && c.read.tagAt.get(p.key.rowNumber) === tag);
    const meant = [...byRef, ...byNumber];
    if (meant.length === 0) {
      counts.misplaced += diff(now, before);
    } else {
      const after = { ...before };
      for (const p of meant) {
        for (const [k, v] of Object.entries(p.values)) {
          if (v === null || v === "") delete after[k];
          else after[k] = String(v);
        }
      }
      // A row found by its row number alone may be skipped (reported as not found), never half-written.
      const skipped = byRef.length === 0 && diff(now, before) === 0;
      if (!skipped) counts.wrong += diff(now, after);
    }

    const bundleRef = (r["bundle_ref"] ?? "").trim();
    if (c.table === "bundles") {
      const id = bundleRef === "" ? undefined : c.remote.bundleId(bundleRef);
      if (id !== undefined && r["bundle_id"] !== id) counts.idMismatches++;
    } else {
      const slot = bundleRef === "" ? undefined : c.remote.slot(bundleRef, (r["video_ref"] ?? "").trim());
      if (slot && r["video_id"] !== slot.id) counts.idMismatches++;
      if (slot && r["position"] !== String(slot.position)) counts.idMismatches++;
    }
    const key: RowKey =
      c.table === "bundles"
        ? { table: "bundles", bundleRef }
        : { table: "videos", bundleRef, videoRef: (r["video_ref"] ?? "").trim() };
    const expectedStatus = outcome.get(JSON.stringify(key));
    if (expectedStatus !== undefined && r["sync_status"] !== expectedStatus) counts.statusMismatches++;
  });

  // A tagged row that is gone lost the user's cells.
  for (const [tag, cells] of c.expected)
    if (!seen.has(tag)) counts.userCellsChanged += Object.keys(cells).length;
  return counts;
}
