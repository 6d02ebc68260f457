/**
 * The tabs the sync keeps for itself beside the campaign: the run log (`sync_runs`) and the analytics
 * history (`analytics_history`); in CSV, the files `sync-runs.csv` and `analytics-history.csv` beside the
 * videos file. Unlike the campaign tabs they belong to the sync entirely: the engine hands the snapshot
 * their whole new content, and the source writes only the cells that differ from what it read (in the
 * same write request as the campaign write-back; see docs/google-sheets.md). Pure: no I/O here.
 */

/** One cell to write (the shape of write-plan.ts's `CellWrite`, kept here so types.ts has no import circle). */
export interface ExtraCell {
  /** 1-based row. */
  row: number;
  /** 0-based column. */
  col: number;
  value: string | number;
}

export type ExtraTabName = "sync_runs" | "analytics_history";

export const EXTRA_TABS: readonly ExtraTabName[] = ["sync_runs", "analytics_history"];

/** The CSV file of each extra tab, beside the campaign's videos file. */
export const EXTRA_FILES: Record<ExtraTabName, string> = {
  sync_runs: "sync-runs.csv",
  analytics_history: "analytics-history.csv",
};

/** What a read saw of an extra tab: its rows as text (the header is `rows[0]`). */
export interface ExtraTable {
  rows: string[][];
}

/** Which extra tabs a source keeps (config `run_log` / `analytics_history`); absent = none. */
export type ExtraTabsOption = Partial<Record<ExtraTabName, boolean>> & {
  /** The run log's cap on data rows (default `RUN_LOG_MAX_ROWS`). */
  runLogMaxRows?: number;
};

export const RUN_LOG_MAX_ROWS = 1000;

/** An extra tab's new content: header first; numbers stay numbers where the store has them. */
export interface ExtraWrite {
  tab: ExtraTabName;
  rows: (string | number)[][];
}

/** The extra tabs as read: null for one that does not exist yet (created on its first write). */
export type ExtraReads = Map<ExtraTabName, ExtraTable | null>;

const text = (v: string | number | undefined): string => (v === undefined ? "" : String(v));

/**
 * The cells to write so that `read` becomes `want`: changed cells, and cleared cells where `read` had more
 * rows or longer rows. Rows are 1-based, as `CellWrite` has them.
 */
export function extraCellWrites(read: ExtraTable | null, want: ExtraWrite): ExtraCell[] {
  const before = read?.rows ?? [];
  const out: ExtraCell[] = [];
  const height = Math.max(before.length, want.rows.length);
  for (let r = 0; r < height; r++) {
    const old = before[r] ?? [];
    const now = want.rows[r] ?? [];
    const width = Math.max(old.length, now.length);
    for (let c = 0; c < width; c++) {
      const value = now[c] ?? "";
      if (text(old[c]) !== text(value)) out.push({ row: r + 1, col: c, value });
    }
  }
  return out;
}

/** Reads the extra tabs an option asks for, from what the store returned (absent = missing tab). */
export function extraReadsOf(option: ExtraTabsOption | undefined, found: Map<ExtraTabName, string[][]>) {
  const reads: ExtraReads = new Map();
  for (const tab of EXTRA_TABS) {
    if (!option?.[tab]) continue;
    const rows = found.get(tab);
    reads.set(tab, rows === undefined ? null : { rows });
  }
  return reads;
}
