/**
 * The pure core of alerts: a condition is news when it opens and when it closes, never while it holds; a
 * family the run could not observe is carried over; one run's changes make one message.
 */
import { describe, expect, it } from "vitest";
import { expirationsOf, READ_EVERY_MS, wantsBalanceRead } from "../../src/alerts/balance.ts";
import {
  type AlertSettings,
  type AlertState,
  emptyState,
  evaluate,
  type RunFacts,
} from "../../src/alerts/conditions.ts";
import { buildMessage, webhookBody } from "../../src/alerts/message.ts";
import { durationMs } from "../../src/alerts/setup.ts";
import type { RunReport } from "../../src/sync/types.ts";

const SETTINGS: AlertSettings = {
  pendingAfterMs: 3_600_000,
  pendingAfter: "1h",
  balanceBelow: 100,
  expiringWithinDays: 7,
};

type Row = NonNullable<RunFacts["rows"]>[number];
const row = (n: number, outcome: string, message = `Row ${n}, column country: not a country.`): Row => ({
  id: `v:b${n}/v${n}`,
  table: "videos",
  rowNumbers: [n],
  column: "country",
  findingCode: outcome === "synced" ? null : "bad_country",
  message,
  outcome,
});

const at = (minutes: number) => new Date(Date.UTC(2026, 8, 1, 12, minutes)).toISOString();

function facts(minutes: number, rows: Row[] | null, extra: Partial<RunFacts> = {}): RunFacts {
  return {
    at: at(minutes),
    error: null,
    rows,
    waiting: { bundles: 0, cost: 0, rows: 0 },
    balance: null,
    ...extra,
  };
}

/** Runs the facts in turn; returns what opened and recovered at each. */
function runAll(list: RunFacts[], settings = SETTINGS, start: AlertState = emptyState()) {
  let state = start;
  return list.map((f) => {
    const e = evaluate(state, f, settings);
    state = e.state;
    return { opened: e.opened.map((c) => c.key), recovered: e.recovered.map((c) => c.key), state };
  });
}

describe("alert conditions", () => {
  it("a bad paste opens one condition per row, unchanged runs say nothing, the fix recovers them", () => {
    const good = [1, 2, 3, 4].map((n) => row(n, "synced"));
    const bad = [row(1, "error"), row(2, "error"), row(3, "locked"), row(4, "synced")];
    const out = runAll([facts(0, good), facts(1, bad), facts(2, bad), facts(3, bad), facts(4, good)]);
    expect(out[0]).toMatchObject({ opened: [], recovered: [] });
    expect(out[1]?.opened).toEqual(["row_error:v:b1/v1", "row_error:v:b2/v2", "row_locked:v:b3/v3"]);
    expect(out[2]).toMatchObject({ opened: [], recovered: [] });
    expect(out[3]).toMatchObject({ opened: [], recovered: [] });
    expect(out[4]?.recovered).toEqual(["row_error:v:b1/v1", "row_error:v:b2/v2", "row_locked:v:b3/v3"]);
    expect(out[4]?.opened).toEqual([]);
  });

  it("a failed run opens run_failed and keeps the row conditions as they were", () => {
    const bad = [row(1, "error")];
    const out = runAll([facts(0, bad), facts(1, null, { error: "the sheet is unreachable" }), facts(2, bad)]);
    expect(out[1]).toMatchObject({ opened: ["run_failed"], recovered: [] });
    expect(Object.keys(out[1]?.state.open ?? {})).toContain("row_error:v:b1/v1");
    expect(out[2]).toMatchObject({ opened: [], recovered: ["run_failed"] });
  });

  it("rows pending longer than pending_after open once; the clock counts from the first pending run", () => {
    const p = [row(1, "pending")];
    const out = runAll([
      facts(0, p),
      facts(30, p),
      facts(61, p),
      facts(90, p),
      facts(95, [row(1, "synced")]),
    ]);
    expect(out.map((o) => o.opened)).toEqual([[], [], ["row_pending_long:v:b1/v1"], [], []]);
    expect(out[4]?.recovered).toEqual(["row_pending_long:v:b1/v1"]);
    expect(out[4]?.state.pendingSince).toEqual({});
  });

  it("balance, expirations and work waiting for credits open and recover; an unread balance changes nothing", () => {
    const rows = [row(1, "synced")];
    const low = { total: 40, expirations: [{ amount: 30, expiresAt: "2026-09-05T00:00:00.000Z" }] };
    const fine = { total: 400, expirations: [{ amount: 30, expiresAt: "2026-12-01T00:00:00.000Z" }] };
    const waiting = { bundles: 2, cost: 70, rows: 2 };
    const out = runAll([
      facts(0, rows, { balance: low, waiting }),
      facts(1, rows, { balance: null, waiting }),
      facts(2, rows, { balance: fine }),
    ]);
    expect(out[0]?.opened.sort()).toEqual(["balance_low", "credits_expiring", "credits_waiting"]);
    expect(out[1]).toMatchObject({ opened: [], recovered: [] });
    expect(out[2]?.recovered.sort()).toEqual(["balance_low", "credits_expiring", "credits_waiting"]);
  });

  it("a threshold taken out of the config drops its condition without a message", () => {
    const first = runAll([facts(0, [], { balance: { total: 1, expirations: null } })]);
    const state = first[0]?.state as AlertState;
    const out = runAll(
      [facts(1, [], { balance: { total: 1, expirations: null } })],
      { ...SETTINGS, balanceBelow: null },
      state,
    );
    expect(out[0]).toMatchObject({ opened: [], recovered: [] });
    expect(out[0]?.state.open).toEqual({});
  });

  it("one message per run: groups by code, the first rows, the sheet link; none when nothing changed", () => {
    const bad = [1, 2, 3, 4, 5, 6, 7].map((n) => row(n, "error"));
    const e = evaluate(emptyState(), facts(0, bad), SETTINGS);
    const m = buildMessage("acme", at(0), "https://docs.google.com/spreadsheets/d/abc/edit", e.opened, []);
    expect(m?.opened.map((g) => [g.code, g.count, g.rows.length])).toEqual([["row_error", 7, 5]]);
    expect(m?.text).toContain("7 rows newly in error");
    expect(m?.text).toContain("videos: Row 1, column country: not a country.");
    expect(m?.text).toContain("and 2 more rows");
    expect(m?.text).toContain("https://docs.google.com/spreadsheets/d/abc/edit");
    const body = JSON.parse(webhookBody(m as NonNullable<typeof m>));
    expect(body.opened[0]).toMatchObject({ code: "row_error", count: 7 });
    expect(body.opened[0].rows[0]).toMatchObject({
      table: "videos",
      rows: [1],
      column: "country",
      code: "bad_country",
    });
    expect(buildMessage("acme", at(0), null, [], [])).toBeNull();
  });

  it("the balance is read only when a threshold needs it, the plan's total when enough, at most every 10 minutes", () => {
    const report = (balance: number | null) =>
      ({ mode: "apply", plan: { totals: { balance } } }) as unknown as RunReport;
    const now = Date.parse(at(0));
    const none = { ...SETTINGS, balanceBelow: null, expiringWithinDays: null };
    expect(wantsBalanceRead(none, report(null), null, now)).toBe(false);
    expect(wantsBalanceRead({ ...SETTINGS, expiringWithinDays: null }, report(500), null, now)).toBe(false);
    expect(wantsBalanceRead({ ...SETTINGS, expiringWithinDays: null }, report(null), null, now)).toBe(true);
    expect(wantsBalanceRead(SETTINGS, report(500), new Date(now - 60_000).toISOString(), now)).toBe(false);
    expect(wantsBalanceRead(SETTINGS, report(500), new Date(now - READ_EVERY_MS).toISOString(), now)).toBe(
      true,
    );
  });

  it("reads upcoming_expirations tolerantly, and durations", () => {
    expect(expirationsOf({})).toBeNull();
    expect(
      expirationsOf({
        upcoming_expirations: [
          { amount: 638, expires_at: "2026-06-08T04:47:51.413+00:00", source: "farmer_topup" },
          { amount: "x" },
          null,
        ],
      }),
    ).toEqual([{ amount: 638, expiresAt: "2026-06-08T04:47:51.413Z" }]);
    expect([durationMs("90m"), durationMs("6h"), durationMs("2d")]).toEqual([
      5_400_000, 21_600_000, 172_800_000,
    ]);
  });
});
