import { describe, expect, it } from "vitest";
import { planSync } from "../../src/sync/plan.ts";
import { type BundleDecisions, RowGatherer, type RowNote } from "../../src/sync/plan-rows.ts";
import type { Plan, PlannedRow } from "../../src/sync/types.ts";
import { actualState, bundle, desiredState, planOptions } from "./support/builders.ts";

const rowOf = (plan: Plan, id: string): PlannedRow => plan.rows.find((r) => r.row.id === id)!;
/** Bundle a's decisions: no ops, only these notes. */
const notesOnA = (notes: RowNote[]): BundleDecisions => ({
  bundleRef: "a",
  ops: [],
  rows: [],
  newSlotRows: [],
  notes,
});
const three = (row: number) => [
  { ref: "v1", row, date: "2026-09-10" },
  { ref: "v2", row: row + 1, date: "2026-09-11" },
  { ref: "v3", row: row + 2, date: "2026-09-12" },
];

describe("planned rows share what is the same and never change what is shared", () => {
  it("the videos of bundles the plan creates share their outputs by position, frozen", () => {
    const plan = planSync(
      desiredState([bundle("a", { row: 2, videos: three(2) }), bundle("b", { row: 3, videos: three(5) })]),
      actualState([]),
      planOptions(),
    );
    const a1 = rowOf(plan, "v:a/v1").remote;
    expect(a1).toEqual({ video_id: null, position: 1, video_status: null, platform_url: null });
    expect(rowOf(plan, "v:b/v1").remote).toBe(a1);
    expect(Object.isFrozen(a1)).toBe(true);
    expect(rowOf(plan, "v:a/v2").remote).toEqual({ ...a1, position: 2 });
  });

  it("a later note's values are merged into a copy of a shared record, which stays as it was", () => {
    const b = bundle("a", { row: 2, videos: three(2) });
    const desired = desiredState([b]);
    const gather = new RowGatherer(desired);
    const [v1, v2] = b.videos;
    const shared = Object.freeze({ video_id: null, position: 1, video_status: null, platform_url: null });
    gather.add(
      notesOnA([
        { kind: "remote", row: v1!.row, values: shared },
        { kind: "remote", row: v2!.row, values: shared },
        { kind: "remote", row: v1!.row, values: { video_status: "configured" } },
      ]),
      undefined,
    );
    const { rows } = gather.finish();
    const byId = new Map(rows.map((r) => [r.row.id, r]));
    expect(byId.get(v1!.row.id)!.remote).toEqual({ ...shared, video_status: "configured" });
    expect(byId.get(v2!.row.id)!.remote).toBe(shared);
    expect(shared.video_status).toBeNull();
  });

  it("a row with nothing said is tracked as its final row; only rows with findings are in the findings map", () => {
    const b = bundle("a", { row: 2, videos: three(2) });
    const gather = new RowGatherer(desiredState([b]));
    gather.add(
      notesOnA([
        {
          kind: "issue",
          row: b.videos[1]!.row,
          status: "error",
          finding: { code: "date_too_soon", column: "target_publish_date", params: {} },
        },
      ]),
      undefined,
    );
    const { rows, findings } = gather.finish();
    expect(rows.map((r) => [r.row.id, r.outcome])).toEqual([
      ["b:a", "synced"],
      ["v:a/v1", "synced"],
      ["v:a/v2", "error"],
      ["v:a/v3", "synced"],
    ]);
    expect([...findings.keys()]).toEqual(["v:a/v2"]);
    expect(rows[2]!.code).toBe("date_too_soon");
    expect(rows[2]!.fingerprint).toBeNull();
    expect(rows[1]!.fingerprint).toBe(b.videos[0]!.fingerprint);
  });
});
