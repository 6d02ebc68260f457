/**
 * The credit budget of one apply: never start a charged call that could take the run past `max_credits`
 * or past the balance. Bundles run in parallel, so a charge is reserved synchronously before its call
 * (nothing can slip in between the check and the reservation) and settled or released when the call ends.
 *
 * Pure bookkeeping: no I/O, no clock.
 */

export interface BudgetLimits {
  /** Credits this run may spend (null = no budget). */
  maxCredits: number | null;
  /** Credits the workspace holds (null = unknown: not checked). */
  balance: number | null;
}

export type Shortfall =
  | { limit: "max_credits"; missing: number; maxCredits: number }
  | { limit: "balance"; missing: number; balance: number };

export interface Reservation {
  readonly id: number;
  readonly cost: number;
}

export type ReserveResult = { ok: true; reservation: Reservation } | { ok: false; shortfall: Shortfall };

export class CreditBudget {
  private readonly maxCredits: number | null;
  private balance: number | null;
  /** Settled charges of this run. */
  private spentCredits = 0;
  private readonly open = new Map<number, number>();
  private nextId = 1;

  constructor(limits: BudgetLimits) {
    this.maxCredits = limits.maxCredits;
    this.balance = limits.balance;
  }

  /** Credits actually charged so far in this run (settled reservations). */
  get spent(): number {
    return this.spentCredits;
  }

  /** Credits held by calls in flight. */
  get reserved(): number {
    let sum = 0;
    for (const cost of this.open.values()) sum += cost;
    return sum;
  }

  /** The balance as last known (the server's `credits_remaining` once a charge returned one). */
  get knownBalance(): number | null {
    return this.balance;
  }

  /**
   * Holds `cost` credits if they fit both limits; otherwise says which limit is short and by how much.
   * A free op (cost ≤ 0) always fits.
   */
  reserve(cost: number): ReserveResult {
    const amount = Math.max(0, cost);
    if (amount > 0) {
      const held = this.reserved;
      if (this.maxCredits !== null) {
        const missing = this.spentCredits + held + amount - this.maxCredits;
        if (missing > 0)
          return { ok: false, shortfall: { limit: "max_credits", missing, maxCredits: this.maxCredits } };
      }
      if (this.balance !== null) {
        const missing = held + amount - this.balance;
        if (missing > 0)
          return { ok: false, shortfall: { limit: "balance", missing, balance: this.balance } };
      }
    }
    const reservation = { id: this.nextId++, cost: amount };
    this.open.set(reservation.id, amount);
    return { ok: true, reservation };
  }

  /**
   * The call succeeded: `charged` credits were taken (0 for a replay or an adoption). `remaining` is the
   * server's `credits_remaining` when the answer had one; it replaces our own arithmetic, since other
   * clients of the workspace may have spent meanwhile.
   */
  settle(reservation: Reservation, charged: number, remaining: number | null = null): void {
    if (!this.open.delete(reservation.id)) return;
    const amount = Math.max(0, charged);
    this.spentCredits += amount;
    if (remaining !== null && Number.isFinite(remaining)) this.balance = remaining;
    else if (this.balance !== null) this.balance -= amount;
  }

  /** The call failed (nothing charged): its credits are free for others again. */
  release(reservation: Reservation): void {
    this.open.delete(reservation.id);
  }
}

/** "needs 6 more credits (max_credits 70)" / "needs 6 more credits (balance 32)". */
export function describeShortfall(shortfall: Shortfall): string {
  const n = shortfall.missing;
  const what = `needs ${n} more credit${n === 1 ? "" : "s"}`;
  return shortfall.limit === "max_credits"
    ? `${what} (max_credits ${shortfall.maxCredits})`
    : `${what} (balance ${shortfall.balance})`;
}
