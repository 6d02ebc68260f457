/**
 * What the planner decides about rows, and how those decisions become exactly one PlannedRow per row.
 * Each stage returns notes (an issue, a waiting note, something to know, remote values) next to its ops;
 * `gatherRows` reads them once, at the end, with the ops that serve each row and the budget's verdict.
 */
import { type Finding, type RowFinding, renderFinding } from "../findings/index.ts";
import type { DesiredState, PlannedRow, PlanOp, RowIssue, RowRef, SyncStatus } from "./types.ts";

export type IssueStatus = RowIssue["status"];
type Remote = PlannedRow["remote"];

export type RowNote =
  | { kind: "issue"; row: RowRef; status: IssueStatus; finding: Finding }
  /** Why a row with nothing wrong still waits (a bundle not publishable yet). */
  | { kind: "waiting"; row: RowRef; finding: Finding }
  /** Said on a synced row (e.g. only its ref could be set on an already published slot). */
  | { kind: "info"; row: RowRef; finding: Finding }
  /** Known remote values (output column → value). */
  | { kind: "remote"; row: RowRef; values: Remote };

export function issue(row: RowRef, status: IssueStatus, finding: Finding): RowNote {
  return { kind: "issue", row, status, finding };
}

/** A stage's decision: at most one op, and what it says about rows. */
export interface Decided {
  op: PlanOp | null;
  notes: RowNote[];
}

/** error > locked > pending > skipped: the worst issue decides a row's outcome. */
const SEVERITY: Record<IssueStatus, number> = { error: 4, locked: 3, pending: 2, skipped: 1 };

export function worse(a: IssueStatus | undefined, b: IssueStatus): IssueStatus {
  return a !== undefined && SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/** An error or locked row gets no call; a row only waiting or skipped may still have other rows' ops. */
export function isBlocking(status: IssueStatus | null | undefined): boolean {
  return status === "error" || status === "locked";
}

/** The worst status of each row with a desired-state issue. */
export function worstOfIssues(issues: readonly RowIssue[]): Map<string, IssueStatus> {
  const out = new Map<string, IssueStatus>();
  for (const i of issues) out.set(i.row.id, worse(out.get(i.row.id), i.status));
  return out;
}

/** What one bundle's planning returned, as far as its rows are concerned. */
export interface BundleDecisions {
  bundleRef: string;
  ops: readonly PlanOp[];
  /** Rows whose outcome may depend on this bundle's ops. */
  rows: readonly RowRef[];
  /** Rows placed on slots this plan buys (their position is only a promise). */
  newSlotRows: readonly string[];
  notes: readonly RowNote[];
}

/**
 * What a row's notes said, kept only for the rows that have something to say. The row's issues have their
 * `status` set, and the message of each is at the same index: no object per issue.
 */
interface Said {
  issues: RowFinding[];
  messages: string[];
  waiting: Finding | null;
  info: Finding | null;
}

const TABLE_ORDER: Record<string, number> = { bundles: 0, videos: 1 };
/** Shared by the rows nothing serves and the rows with nothing to say (most of them): never mutated. */
const NO_OPS: readonly string[] = [];
const NOTHING_SAID: RowFinding[] = [];
const NO_MESSAGES: string[] = [];
/** The remote values of a row no note told anything about (frozen: a note's values replace it). */
const NO_REMOTE: Remote = Object.freeze({}) as Remote;

/** Adds an issue to what a row said: its lists are replaced, never pushed into (they start shared). */
function noteIssue(said: Said, finding: RowFinding, message: string): void {
  said.issues = said.issues.concat(finding);
  said.messages = said.messages.concat(message);
}

export interface GatheredRows {
  rows: PlannedRow[];
  /** By row id: the findings its message says (absent for a synced row with nothing to say). */
  findings: Map<string, RowFinding[]>;
}

/**
 * One PlannedRow per row: the desired state's issues, then each bundle's notes and ops in sheet order,
 * folded in as each bundle is planned (`add`), so a bundle's notes are never held past its own planning.
 * A bundle the budget left out (with why) serves no row: its rows wait for credits.
 *
 * A row is tracked as the synced PlannedRow it becomes when nothing is said about it (most rows): its
 * fingerprint, remote values and ops are set in place, and `finish` returns that same object. Only a row
 * with something said gets a record of it (`said`) and, at the end, a PlannedRow of its own. At 400,000 rows
 * a separate draft per row was 50 MB that lived through the whole planning and then died at once.
 */
export class RowGatherer {
  private readonly rows = new Map<string, PlannedRow>();
  private readonly said = new Map<string, Said>();

  constructor(private readonly desired: DesiredState) {
    for (const i of desired.issues) {
      const finding: RowFinding = {
        code: i.code,
        ...(i.column === undefined ? {} : { column: i.column }),
        params: i.params,
        status: i.status,
      } as RowFinding;
      this.track(i.row);
      noteIssue(this.saidOf(i.row), finding, i.message);
    }
  }

  /** One bundle's decisions; `why` when the budget left the bundle out. */
  add(p: BundleDecisions, why: Finding | undefined): void {
    const b = this.desired.bundles.get(p.bundleRef);
    if (b?.row) this.track(b.row, b.fingerprint);
    for (const v of b?.videos ?? []) this.track(v.row, v.fingerprint);
    for (const n of p.notes) {
      if (n.kind === "issue") this.addIssue(n.row, n.status, n.finding);
      else if (n.kind === "waiting") this.saidOf(n.row).waiting = n.finding;
      else if (n.kind === "info") this.saidOf(n.row).info = n.finding;
      else {
        const d = this.track(n.row);
        // The first note's values are taken as they are; later ones are merged into a record of the row's
        // own (a frozen record, as NO_REMOTE is, is shared by rows: it is copied first).
        if (d.remote === NO_REMOTE) d.remote = n.values;
        else if (Object.isFrozen(d.remote)) d.remote = { ...d.remote, ...n.values };
        else Object.assign(d.remote, n.values);
      }
    }
    if (why === undefined) {
      this.serve(p.ops);
      return;
    }
    const served = new Set(p.ops.flatMap((op) => op.rows));
    const creates = p.ops.some((op) => op.kind === "createBundle");
    const promised = new Set(p.newSlotRows);
    // One finding for every row the bundle leaves waiting (each row's message says its own rows).
    const pending: RowFinding = { ...why, status: "pending" };
    for (const row of p.rows) {
      // Rows this bundle had nothing to do for keep their outcome.
      if (!served.has(row.id)) continue;
      const d = this.track(row);
      // A slot that will not be bought has no position to show. Copied without it rather than deleted:
      // a delete turns the object into a slow dictionary, ten times its size, for every row waiting.
      if ((creates || promised.has(row.id)) && "position" in d.remote) {
        const { position: _position, ...rest } = d.remote;
        d.remote = rest;
      }
      if (!isBlocking(worst(this.said.get(row.id)))) this.addIssue(row, "pending", why, pending);
    }
  }

  finish(): GatheredRows {
    return build([...this.rows.values()], this.said);
  }

  /**
   * Each op's id on the rows it serves. A row's op list is never changed in place, so rows served by the
   * same ops share one list: a bundle's video rows mostly do (its creation, its configure batch, its
   * publish). Each list is made once, of exactly its length (concat), not one per row grown by push.
   */
  private serve(ops: readonly PlanOp[]): void {
    const extended = new Map<readonly string[], Map<string, readonly string[]>>();
    for (const op of ops) {
      for (const id of op.rows) {
        const d = this.rows.get(id);
        if (!d) throw new Error(`planner: row ${id} was not registered`);
        if (d.ops.includes(op.id)) continue;
        let byOp = extended.get(d.ops);
        if (!byOp) {
          byOp = new Map();
          extended.set(d.ops, byOp);
        }
        let next = byOp.get(op.id);
        if (!next) {
          next = d.ops.concat(op.id);
          byOp.set(op.id, next);
        }
        d.ops = next;
      }
    }
  }

  private track(row: RowRef, fingerprint: string | null = null): PlannedRow {
    let d = this.rows.get(row.id);
    if (!d) {
      d = { row, outcome: "synced", message: "", fingerprint, remote: NO_REMOTE, ops: NO_OPS };
      this.rows.set(row.id, d);
    } else if (fingerprint !== null) d.fingerprint = fingerprint;
    return d;
  }

  private saidOf(row: RowRef): Said {
    this.track(row);
    let s = this.said.get(row.id);
    if (!s) {
      s = { issues: NOTHING_SAID, messages: NO_MESSAGES, waiting: null, info: null };
      this.said.set(row.id, s);
    }
    return s;
  }

  private addIssue(row: RowRef, status: IssueStatus, f: Finding, said: RowFinding = { ...f, status }): void {
    noteIssue(this.saidOf(row), said, renderFinding(row.rowNumbers, f));
  }
}

function worst(s: Said | undefined): IssueStatus | null {
  let w: IssueStatus | null = null;
  for (const i of s?.issues ?? NOTHING_SAID)
    if (w === null || SEVERITY[i.status as IssueStatus] > SEVERITY[w]) w = i.status as IssueStatus;
  return w;
}

/** Sheet order: bundles table first, then by row number (a single-table bundle, its first videos row). */
function sheetOrder(row: RowRef): number {
  const first = row.rowNumbers.length === 1 ? row.rowNumbers[0]! : Math.min(...row.rowNumbers);
  return (TABLE_ORDER[row.key.table] ?? 2) * 2 ** 32 + first;
}

function build(tracked: PlannedRow[], saidOf: ReadonlyMap<string, Said>): GatheredRows {
  // Sorted by a key computed once per row; ties keep the order rows were tracked in, so a single-table
  // bundle row comes before the videos rows it shares numbers with.
  const keys = Float64Array.from(tracked, (r) => sheetOrder(r.row));
  const order = Uint32Array.from(tracked.keys()).sort((a, b) => keys[a]! - keys[b]! || a - b);
  const findings = new Map<string, RowFinding[]>();
  const rows = Array.from(order, (i): PlannedRow => {
    const d = tracked[i]!;
    const s = saidOf.get(d.row.id);
    if (!s) return d;
    const w = worst(s);
    let outcome: SyncStatus = "synced";
    let said: RowFinding[] = s.info ? [{ ...s.info, status: "info" }] : NOTHING_SAID;
    let message = s.info ? renderFinding(d.row.rowNumbers, s.info) : "";
    let fingerprint = d.fingerprint;
    if (w !== null) {
      outcome = w;
      message = s.messages.length === 1 ? s.messages[0]! : s.messages.join("; ");
      said = s.issues;
      fingerprint = null;
    } else if (s.waiting !== null) {
      // Not synced yet: the next run looks at the row again (its account is read and compared).
      outcome = "pending";
      message = renderFinding(d.row.rowNumbers, s.waiting);
      said = [{ ...s.waiting, status: "pending" }];
      fingerprint = null;
    }
    // The code (and column) of what the message starts with, so `--json` carries it beside the words.
    // Written out per case rather than spread (one shape per case, no clone per row); the keys stay in the
    // order the plan file shows them.
    const lead = said[0];
    const { row, remote, ops } = d;
    if (!lead) return { row, outcome, message, fingerprint, remote, ops };
    findings.set(row.id, said);
    if (lead.column === undefined)
      return { row, outcome, message, code: lead.code, fingerprint, remote, ops };
    return { row, outcome, message, code: lead.code, column: lead.column, fingerprint, remote, ops };
  });
  return { rows, findings };
}
