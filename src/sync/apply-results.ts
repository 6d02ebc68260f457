/**
 * Per-row bookkeeping of an apply. Each row starts from what the planner knows (its planned outcome,
 * message and remote values); successful ops merge their values in, and the first failure decides the
 * row's outcome. Values are only ever added or replaced, never dropped, so a row keeps the ids it got
 * even when a later step of its bundle fails.
 */
import { type Finding, findingText, renderFinding } from "../findings/index.ts";
import type { Plan, PlannedRow, RowResult, SyncStatus } from "./types.ts";

type Value = string | number | null;

interface RowState {
  planned: PlannedRow;
  values: Record<string, Value>;
  changed: boolean;
  creditsCharged: number;
  failure: { outcome: SyncStatus; finding: Finding } | null;
  notes: Finding[];
  /** TokPortal holds the row's content as planned (see `took`). */
  taken: boolean;
  /** What the row says after this run instead of its plan's message (see `says`). */
  said: Finding | null;
}

/** What each row of the plan ends up showing after apply (not the planner's plan-rows book). */
export class RowOutcomes {
  private readonly rows = new Map<string, RowState>();

  constructor(plan: Plan) {
    for (const planned of plan.rows) {
      this.rows.set(planned.row.id, {
        planned,
        values: { ...planned.remote },
        changed: false,
        creditsCharged: 0,
        failure: null,
        notes: [],
        taken: false,
        said: null,
      });
    }
  }

  has(rowId: string): boolean {
    return this.rows.has(rowId);
  }

  planned(rowId: string): PlannedRow | undefined {
    return this.rows.get(rowId)?.planned;
  }

  value(rowId: string, column: string): Value | undefined {
    return this.rows.get(rowId)?.values[column];
  }

  /** Row ids of one bundle's videos rows (`v:<bundleRef>/…`), in plan order. */
  videoRowsOf(bundleRef: string): string[] {
    const prefix = `v:${bundleRef}/`;
    return [...this.rows.keys()].filter((id) => id.startsWith(prefix));
  }

  /** A successful write for the row: its values are merged and its remote state changed in this run. */
  merge(rowId: string, values: Record<string, Value | undefined>, changed = true): void {
    const state = this.rows.get(rowId);
    if (!state) return;
    for (const [k, v] of Object.entries(values)) if (v !== undefined) state.values[k] = v;
    if (changed) state.changed = true;
  }

  /**
   * TokPortal took the row's content as planned (its slot configured with it): the row's fingerprint is
   * written even when a later step of its bundle fails, so the next run does not take the row for changed.
   * Otherwise a publish whose answer was lost leaves a released slot under an old fingerprint, and the
   * row would be locked as a change TokPortal no longer takes.
   */
  took(rowId: string): void {
    const state = this.rows.get(rowId);
    if (state) state.taken = true;
  }

  /**
   * The row's message after this run, in place of its plan's: what the next run's plan will say of the
   * state this run's write left (a correction note sent: "corrections asked on …"), so a rerun with
   * nothing changed writes no cell either.
   */
  says(rowId: string, finding: Finding): void {
    const state = this.rows.get(rowId);
    if (state) state.said = finding;
  }

  /** The first failure of a row decides its outcome; later ones (skips after it) add nothing. */
  fail(rowId: string, outcome: SyncStatus, finding: Finding): void {
    const state = this.rows.get(rowId);
    if (!state || state.failure) return;
    state.failure = { outcome, finding };
  }

  failed(rowId: string): boolean {
    return this.rows.get(rowId)?.failure != null;
  }

  /** Something the user should know even though the row synced (an adoption, a moved date). */
  note(rowId: string, finding: Finding): void {
    this.rows.get(rowId)?.notes.push(finding);
  }

  /**
   * Credits this run charged for the row. `credits_charged` shows the bundle's total: the previous cell
   * plus this run's charge (`recorded` adds a charge the sheet never saw without counting it for this run,
   * e.g. a create replayed after a crash that lost its answer).
   */
  charge(rowId: string, credits: number, recorded = 0, stored: number | null = null): void {
    const state = this.rows.get(rowId);
    if (!state || credits + recorded <= 0) return;
    state.creditsCharged += credits;
    // The planner's value, else the sheet's cell (a single-table bundle keeps it on its first videos row).
    const previous = Number(state.values.credits_charged ?? stored ?? 0);
    state.values.credits_charged = (Number.isFinite(previous) ? previous : 0) + credits + recorded;
  }

  results(): RowResult[] {
    return [...this.rows.values()].map((s) => {
      const outcome = s.failure ? s.failure.outcome : s.planned.outcome;
      // Notes read on from the row's message (which already says which row).
      const notes = s.notes.map(findingText);
      const lead = s.failure?.finding ?? s.said;
      const message = lead
        ? [renderFinding(s.planned.row.rowNumbers, lead), ...notes].join(" ")
        : [s.planned.message, ...notes].filter((m) => m !== "").join(" ");
      const values = { ...s.values };
      if ((outcome === "synced" || s.taken) && s.planned.fingerprint !== null)
        values.sync_fingerprint = s.planned.fingerprint;
      return {
        row: s.planned.row,
        outcome,
        message,
        ...leadingCode(s),
        values,
        changed: s.changed,
        creditsCharged: s.creditsCharged,
      };
    });
  }
}

/** The code (and column) of what the row's message starts with: its failure, its plan, or its first note. */
function leadingCode(s: RowState): Pick<RowResult, "code" | "column"> {
  const f = s.failure?.finding ?? s.said;
  if (f) return f.column === undefined ? { code: f.code } : { code: f.code, column: f.column };
  if (s.planned.code !== undefined) {
    const column = s.planned.column;
    return column === undefined ? { code: s.planned.code } : { code: s.planned.code, column };
  }
  const note = s.notes[0];
  if (!note) return {};
  return note.column === undefined ? { code: note.code } : { code: note.code, column: note.column };
}
