/**
 * The planner's notebook of rows: what each sheet row will show once the plan is applied. Every stage of
 * the planner writes here (an issue, a waiting note, the ops serving it, the remote values it knows), and
 * `build()` turns it into exactly one PlannedRow per row.
 */
import type { PlannedRow, RowIssue, RowRef, SyncStatus } from "./types.ts";

export type IssueStatus = RowIssue["status"];

/** error > locked > pending > skipped: the worst issue decides a row's outcome. */
const SEVERITY: Record<IssueStatus, number> = { error: 4, locked: 3, pending: 2, skipped: 1 };

/** "Row 7", "Rows 7, 8" (a single-table bundle), with ", column c" when a column is at fault. */
export function where(row: RowRef, column?: string): string {
  const n = row.rowNumbers;
  const rows = n.length === 1 ? `Row ${n[0]}` : `Rows ${n.join(", ")}`;
  return column === undefined ? rows : `${rows}, column ${column}`;
}

/** "row 7" / "rows 7, 8", for listing rows inside a sentence. */
export function rowWords(rows: readonly RowRef[]): string {
  const numbers = rows.flatMap((r) => r.rowNumbers);
  return numbers.length === 1 ? `row ${numbers[0]}` : `rows ${numbers.join(", ")}`;
}

type Remote = PlannedRow["remote"];

interface Draft {
  row: RowRef;
  issues: Array<{ status: IssueStatus; message: string }>;
  /** Why a row with nothing wrong still waits (a bundle not publishable yet). */
  waiting: string | null;
  /** Said on a synced row (e.g. only its ref could be set on an already published slot). */
  info: string | null;
  fingerprint: string | null;
  remote: Remote;
  ops: string[];
}

const TABLE_ORDER: Record<string, number> = { bundles: 0, videos: 1 };

export class RowBook {
  private readonly drafts = new Map<string, Draft>();

  /** Registers a row (idempotent); `fingerprint` is what `sync_fingerprint` gets once the row is synced. */
  track(row: RowRef, fingerprint: string | null = null): void {
    const d = this.drafts.get(row.id);
    if (d) {
      if (fingerprint !== null) d.fingerprint = fingerprint;
      return;
    }
    this.drafts.set(row.id, {
      row,
      issues: [],
      waiting: null,
      info: null,
      fingerprint,
      remote: {},
      ops: [],
    });
  }

  issue(row: RowRef, status: IssueStatus, message: string): void {
    this.track(row);
    this.get(row.id).issues.push({ status, message });
  }

  /** The worst issue status of a row, or null when it has none. */
  worst(rowId: string): IssueStatus | null {
    const d = this.drafts.get(rowId);
    if (!d || d.issues.length === 0) return null;
    return d.issues.reduce((a, b) => (SEVERITY[b.status] > SEVERITY[a.status] ? b : a)).status;
  }

  /** An error or locked row gets no call; a row only waiting or skipped may still have other rows' ops. */
  blocked(rowId: string): boolean {
    const w = this.worst(rowId);
    return w === "error" || w === "locked";
  }

  waiting(row: RowRef, message: string): void {
    this.track(row);
    this.get(row.id).waiting = message;
  }

  info(row: RowRef, message: string): void {
    this.track(row);
    this.get(row.id).info = message;
  }

  remote(row: RowRef, values: Remote): void {
    this.track(row);
    Object.assign(this.get(row.id).remote, values);
  }

  remoteOf(rowId: string): Remote {
    return this.get(rowId).remote;
  }

  serve(rowIds: readonly string[], opId: string): void {
    for (const id of rowIds) {
      const d = this.get(id);
      if (!d.ops.includes(opId)) d.ops.push(opId);
    }
  }

  hasOps(rowId: string): boolean {
    return this.get(rowId).ops.length > 0;
  }

  /** Drops every op of a row (its bundle was left out of the plan). */
  clearOps(rowId: string): void {
    this.get(rowId).ops = [];
  }

  build(): PlannedRow[] {
    const drafts = [...this.drafts.values()];
    // Sheet order: bundles table first, then by row number; a single-table bundle row comes before the
    // videos rows it shares numbers with (stable sort keeps insertion order).
    drafts.sort(
      (a, b) =>
        (TABLE_ORDER[a.row.key.table] ?? 2) - (TABLE_ORDER[b.row.key.table] ?? 2) ||
        Math.min(...a.row.rowNumbers) - Math.min(...b.row.rowNumbers),
    );
    return drafts.map((d) => {
      const worst = this.worst(d.row.id);
      let outcome: SyncStatus = "synced";
      let message = d.info ?? "";
      let fingerprint = d.fingerprint;
      if (worst !== null) {
        outcome = worst;
        message = d.issues.map((i) => i.message).join("; ");
        fingerprint = null;
      } else if (d.waiting !== null) {
        // Not synced yet: the next run looks at the row again (its account is read and compared).
        outcome = "pending";
        message = d.waiting;
        fingerprint = null;
      }
      return { row: d.row, outcome, message, fingerprint, remote: d.remote, ops: d.ops };
    });
  }

  private get(id: string): Draft {
    const d = this.drafts.get(id);
    if (!d) throw new Error(`planner: row ${id} was not registered`);
    return d;
  }
}
