/**
 * Pins the saved form of plans for fixed inputs: a refactor of the planner must give byte-identical plan
 * files (ops, order, ids, reasons, prices, row messages) and the same inputs fingerprint.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { planSync } from "../../src/sync/plan.ts";
import { serializePlan } from "../../src/sync/plan-file.ts";
import type { Plan, PlanOp } from "../../src/sync/types.ts";

import {
  account,
  actualState,
  bundle,
  desiredState,
  planOptions,
  remoteBundle,
  sheetIssue,
  slot,
  slotOf,
  video,
  videoRow,
} from "./support/builders.ts";

function scenarios() {
  const synced = video("c", { ref: "c1", row: 9, stored: "same" });
  const issue = sheetIssue(
    videoRow("a", "bad", 20),
    "error",
    "Row 20, column description: is empty",
    "description",
  );
  const desired = desiredState(
    [
      bundle("a", {
        minSlots: 3,
        edits: 1,
        videos: [
          { ref: "v1", row: 2, description: "one", volume: 50 },
          { ref: "v2", row: 3, date: "2026-09-02" },
          { ref: "v3", row: 4, position: 2 },
        ],
      }),
      bundle("b", {
        row: 3,
        title: "B",
        publish: true,
        videos: [
          { ref: "w1", row: 5 },
          { ref: "w2", row: 6 },
        ],
      }),
      bundle("c", { row: 4, country: "FRA", stored: "x", videos: [{ ref: "c1", row: 9, stored: "same" }] }),
      bundle("d", { row: 5, edits: 0, videos: [{ ref: "d1", row: 10, date: "2026-09-20" }] }),
      bundle("e", { row: null, videos: [{ ref: "e1", row: 11 }] }),
      bundle("f", { row: 6, videos: [{ ref: "f1", row: 12 }] }),
    ],
    [issue],
  );
  const actual = actualState([
    {
      bundle: remoteBundle("b", { id: "id-b", status: "pending_setup", videos_quantity: 1, title: "old" }),
      videos: [slot(1, { id: "s-b1" }), slot(3, { id: "s-b3", status: "configured", external_ref: "gone" })],
      account: account({ biography: "" }),
    },
    {
      bundle: remoteBundle("c", { id: "id-c", status: "published", videos_quantity: 1, country: "USA" }),
      videos: [slotOf(synced, 1)],
    },
    {
      bundle: remoteBundle("d", { id: "id-d", status: "completed", videos_quantity: 1, edits_quantity: 2 }),
      videos: [slot(1, { id: "s-d1" })],
    },
    { bundle: remoteBundle("f", { id: "id-f1" }), videos: [] },
    { bundle: remoteBundle("f", { id: "id-f2" }), videos: [] },
  ]);
  return { desired, actual };
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");

/** The plan as saved before ops and rows carried their codes: the same bytes must come out of it. */
function withoutCodes(plan: Plan): Plan {
  return {
    ...plan,
    ops: plan.ops.map(({ reasonCode: _c, reasonParams: _p, ...op }) => op as PlanOp),
    rows: plan.rows.map(({ code: _c, column: _k, ...row }) => row),
  };
}

describe("plan output pinned", () => {
  const plans = () => {
    const { desired, actual } = scenarios();
    return [
      planSync(desired, actual, planOptions()),
      planSync(desired, actual, planOptions({ prune: true, balance: 40, maxCredits: 100 })),
      planSync(desired, actual, planOptions({ balance: 500, maxCredits: 30 })),
    ];
  };

  it("a fixed sheet and TokPortal give the same plan file, byte for byte", () => {
    expect(plans().map((p) => digest(serializePlan(p)))).toMatchInlineSnapshot(`
      [
        "8492a2e08fc2174226c89d06c128886cd25aac5521dd12d78f75c9efa9cb4926",
        "fddab82dac13369b373adae80f252325ea910c3a44e29ca3d9bd1f1a6c91cd56",
        "0dd664680011d33a65c599883f71f51c21830d6834028c4b2570ee58a8984f82",
      ]
    `);
  });

  it("the codes are the only addition: without them, the plan file is the one saved before them", () => {
    expect(plans().map((p) => digest(serializePlan(withoutCodes(p))))).toMatchInlineSnapshot(`
      [
        "cb384e25e4f663ab9a1672e259820c76edf7ec708b79d51a62b70dbb6504f5ba",
        "d95c3c0e85f09873fc431db5585e71d40a1a55af9eed6e94c388d13710a10083",
        "8c256813adb377b4969f07b020f8a565e08094b628760d62281848aeff401933",
      ]
    `);
  });
});
