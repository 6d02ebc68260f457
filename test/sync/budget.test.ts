import { describe, expect, it } from "vitest";
import { CreditBudget, describeShortfall } from "../../src/sync/budget.ts";

describe("CreditBudget", () => {
  it("reserves against max_credits counting what is spent and what is in flight", () => {
    const budget = new CreditBudget({ maxCredits: 100, balance: null });
    const a = budget.reserve(38);
    const b = budget.reserve(38);
    expect(a.ok && b.ok).toBe(true);
    expect(budget.reserved).toBe(76);
    // 76 held + 38 > 100: refused while the first two are still in flight.
    const c = budget.reserve(38);
    expect(c).toEqual({ ok: false, shortfall: { limit: "max_credits", missing: 14, maxCredits: 100 } });
    if (a.ok) budget.settle(a.reservation, 38);
    expect(budget.spent).toBe(38);
    expect(budget.reserved).toBe(38);
    expect(budget.reserve(38).ok).toBe(false);
    // A failed call frees its credits for the next one.
    if (b.ok) budget.release(b.reservation);
    expect(budget.reserved).toBe(0);
    expect(budget.reserve(38).ok).toBe(true);
    expect(budget.reserve(25)).toMatchObject({ ok: false, shortfall: { missing: 1 } });
  });

  it("counts the balance down with each charge, or takes TokPortal's credits_remaining when given", () => {
    const budget = new CreditBudget({ maxCredits: null, balance: 80 });
    const a = budget.reserve(38);
    if (!a.ok) throw new Error("expected to fit");
    expect(budget.reserve(50)).toEqual({
      ok: false,
      shortfall: { limit: "balance", missing: 8, balance: 80 },
    });
    budget.settle(a.reservation, 38);
    expect(budget.knownBalance).toBe(42);
    const b = budget.reserve(40);
    if (!b.ok) throw new Error("expected to fit");
    // Someone else spent meanwhile: the server's figure wins.
    budget.settle(b.reservation, 40, 1);
    expect(budget.knownBalance).toBe(1);
    expect(budget.reserve(2)).toEqual({ ok: false, shortfall: { limit: "balance", missing: 1, balance: 1 } });
    expect(budget.spent).toBe(78);
  });

  it("a replay or an adoption settles at 0: nothing spent, the reservation is freed", () => {
    const budget = new CreditBudget({ maxCredits: 40, balance: 40 });
    const a = budget.reserve(38);
    if (!a.ok) throw new Error("expected to fit");
    budget.settle(a.reservation, 0);
    expect(budget.spent).toBe(0);
    expect(budget.knownBalance).toBe(40);
    expect(budget.reserve(38).ok).toBe(true);
  });

  it("free ops always fit; no limits means everything fits; settling twice counts once", () => {
    const tight = new CreditBudget({ maxCredits: 0, balance: 0 });
    expect(tight.reserve(0).ok).toBe(true);
    expect(tight.reserve(1)).toMatchObject({ ok: false, shortfall: { limit: "max_credits", missing: 1 } });
    const open = new CreditBudget({ maxCredits: null, balance: null });
    const r = open.reserve(1_000_000);
    if (!r.ok) throw new Error("expected to fit");
    open.settle(r.reservation, 10);
    open.settle(r.reservation, 10);
    expect(open.spent).toBe(10);
  });

  it("max_credits is checked before the balance, and the words say which limit and how much", () => {
    const budget = new CreditBudget({ maxCredits: 10, balance: 5 });
    const r = budget.reserve(38);
    expect(r).toMatchObject({ ok: false, shortfall: { limit: "max_credits", missing: 28 } });
    if (!r.ok) expect(describeShortfall(r.shortfall)).toBe("needs 28 more credits (max_credits 10)");
    expect(describeShortfall({ limit: "balance", missing: 1, balance: 37 })).toBe(
      "needs 1 more credit (balance 37)",
    );
  });
});
