/**
 * formatPlan and formatServerCheck are pure: a Plan in, text out. Every op kind gets its symbol, rows
 * are named by table and number, and the totals say what the plan costs and what it leaves out.
 */
import { describe, expect, it } from "vitest";
import { formatPlan, formatServerCheck, numberRanges, opSymbol } from "../../src/cli/plan-table.ts";
import type { ServerCheck } from "../../src/sync/server-check.ts";
import type { Plan, PlannedRow, PlanOp, RowRef } from "../../src/sync/types.ts";

function ref(table: "bundles" | "videos", id: string, n: number): RowRef {
  return { id, table, rowNumbers: [n], key: { kind: "ref", table, ref: id } as unknown as RowRef["key"] };
}

function row(r: RowRef, outcome: PlannedRow["outcome"], message = "", ops: string[] = []): PlannedRow {
  return { row: r, outcome, message, fingerprint: null, remote: {}, ops };
}

const base = { bundleRef: "b1", bundleId: "id-1", reason: "because", cost: 0 };

function plan(overrides: Partial<Plan> = {}): Plan {
  const rows = [
    row(ref("bundles", "b:b1", 2), "synced"),
    row(ref("videos", "v:b1/a", 2), "synced"),
    row(ref("videos", "v:b1/b", 3), "synced"),
    row(ref("videos", "v:b1/c", 4), "synced"),
    row(ref("videos", "v:b1/d", 7), "locked", "Row 7 changed, but video d is already posted"),
    row(ref("videos", "v:b1/e", 8), "pending", "waiting: not publishable yet"),
    row(ref("videos", "v:b1/f", 9), "skipped"),
  ];
  const ops: PlanOp[] = [
    {
      ...base,
      id: "b1:createBundle",
      kind: "createBundle",
      bundleId: null,
      cost: 40,
      rows: ["b:b1"],
      body: {} as never,
    },
    {
      ...base,
      id: "b1:addVideoSlots",
      kind: "addVideoSlots",
      quantity: 2,
      cost: 4,
      rows: ["v:b1/a", "v:b1/b"],
    },
    {
      ...base,
      id: "b1:configureVideos",
      kind: "configureVideos",
      rows: ["v:b1/a", "v:b1/b", "v:b1/c"],
      items: [],
    },
    {
      ...base,
      id: "b1:publishVideos",
      kind: "publishVideos",
      positions: [1, 2],
      all: false,
      rows: ["v:b1/a"],
    },
    { ...base, id: "b1:unscheduleVideo:5", kind: "unscheduleVideo", position: 5, rows: [] },
  ];
  return {
    version: 1,
    createdAt: "2026-09-01T12:00:00.000Z",
    prefix: "p-",
    prune: true,
    inputsFingerprint: "x",
    ops,
    rows,
    orphans: { bundles: ["old-1"], videos: ["b1/zz"] },
    totals: {
      cost: 44,
      deferred: { bundles: ["b2", "b3"], cost: 80 },
      balance: 100,
      maxCredits: 50,
      ops: {},
      rows: { synced: 4, pending: 1, locked: 1, error: 0, skipped: 1 },
    },
    ...overrides,
  };
}

describe("formatPlan", () => {
  it("one line per op with its symbol, bundle, action, rows and credits; ! lines; totals", () => {
    const text = formatPlan(plan(), { color: false });
    const lines = text.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "  +  b1  create bundle          bundles 2    40 credits  because",
      "  ~  b1  add 2 video slots      videos 2, 3   4 credits  because",
      "  ~  b1  configure 0 videos     videos 2-4               because",
      "  →  b1  publish videos #1, #2  videos 2                 because",
      "  -  b1  unschedule video #5                             because",
    ]);
    expect(text).toContain("  ! videos 7  locked   Row 7 changed, but video d is already posted\n");
    expect(text).toContain("  ! videos 8  pending  waiting: not publishable yet\n");
    // A skipped row with nothing to say is not news.
    expect(text).not.toContain("videos 9");
    expect(text).toContain(
      "Plan: 5 operations (1 to create, 2 to change, 1 to publish, 1 to unschedule), 44 credits\n",
    );
    expect(text).toContain("  rows:         7 (once applied: 4 synced, 1 pending, 1 locked, 1 skipped)\n");
    expect(text).toContain("  balance:      100 now, 56 after\n");
    expect(text).toContain("  max_credits:  50\n");
    expect(text).toContain("  deferred:     2 bundles waiting for 80 more credits: b2, b3\n");
    expect(text).toMatch(
      / {2}orphans: +1 bundle and 1 video on TokPortal no longer in the sheet .*: old-1, b1\/zz\n/,
    );
    expect(text).not.toContain("\u001b[");
  });

  it("says when there is nothing to do, and the balance was not read", () => {
    const text = formatPlan(
      plan({
        ops: [],
        rows: [row(ref("bundles", "b:b1", 2), "synced")],
        orphans: { bundles: [], videos: [] },
        totals: {
          cost: 0,
          deferred: { bundles: [], cost: 0 },
          balance: null,
          maxCredits: null,
          ops: {},
          rows: { synced: 1, pending: 0, locked: 0, error: 0, skipped: 0 },
        },
      }),
      { color: false },
    );
    expect(text).toBe(
      [
        "  Nothing to do: every row is in step with TokPortal.",
        "",
        "Plan: 0 operations, 0 credits",
        "  rows:         1 (once applied: 1 synced)",
        "  balance:      not read (nothing to pay for)",
        "  max_credits:  none (no budget)",
        "",
      ].join("\n"),
    );
  });

  it("colours only when asked, and the same text once the colours are removed", () => {
    const colored = formatPlan(plan(), { color: true });
    expect(colored).toContain("\u001b[");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing the ANSI colour sequences
    expect(colored.replace(/\u001b\[[0-9;]*m/g, "")).toBe(formatPlan(plan(), { color: false }));
  });
});

describe("formatServerCheck", () => {
  it("a mark per op, the items TokPortal refused, and the counts", () => {
    const check: ServerCheck = {
      counts: { accepted: 1, refused: 1, uncertain: 1, local: 1 },
      ops: [
        {
          op: "b1:createBundle",
          kind: "createBundle",
          bundleRef: "b1",
          status: "accepted",
          message: "accepted",
          wouldCharge: 40,
          afterEarlierSteps: false,
        },
        {
          op: "b1:configureVideos",
          kind: "configureVideos",
          bundleRef: "b1",
          status: "refused",
          message: "1 of 3 videos refused",
          afterEarlierSteps: false,
          items: [
            { row: "v:b1/a", position: 1, status: "accepted", message: "accepted" },
            { row: "v:b1/b", position: 2, status: "refused", message: "INVALID_DATE: too soon" },
          ],
        },
        {
          op: "b1:publishVideos",
          kind: "publishVideos",
          bundleRef: "b1",
          status: "uncertain",
          message: "not ready",
          afterEarlierSteps: true,
        },
        {
          op: "b1:unscheduleVideo:5",
          kind: "unscheduleVideo",
          bundleRef: "b1",
          status: "local",
          message: "checked locally only: x",
          afterEarlierSteps: true,
        },
      ],
    };
    const text = formatServerCheck(check, plan(), { color: false });
    expect(text.split("\n").slice(1, 7)).toEqual([
      "  ✓ b1  create bundle          accepted (would charge 40 credits)",
      "  ✗ b1  configure 0 videos     1 of 3 videos refused",
      "      ✗ videos 3 (slot 2): INVALID_DATE: too soon",
      "  ? b1  publish videos #1, #2  not ready (checked against the bundle as it is now, before this plan's earlier steps for it)",
      "  · b1  unschedule video #5    checked locally only: x",
      "Server check: 1 accepted, 1 refused, 1 uncertain (they depend on earlier steps), 1 checked locally only.",
    ]);
  });
});

describe("helpers", () => {
  it("numberRanges shortens runs of three or more", () => {
    expect(numberRanges([9, 2, 3, 4, 5, 7, 8, 2, 11])).toBe("2-5, 7-9, 11");
    expect(numberRanges([8, 7])).toBe("7, 8");
    expect(numberRanges([])).toBe("");
  });

  it("opSymbol: + create, ~ change, → publish, - unschedule", () => {
    const symbols = plan().ops.map(opSymbol);
    expect(symbols).toEqual(["+", "~", "~", "→", "-"]);
  });
});
