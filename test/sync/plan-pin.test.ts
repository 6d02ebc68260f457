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
        "c3bc00c6fbf257285a15154cac405ead79f16d7773f448173ee09a20b57a7e91",
        "c72409f1b9c24533139c8b6f636078ad1f9755255efa66f760fe013302f577d5",
        "d754fdb96f3ca88c6f49e5ec31a334823a28457328e53093a4b529941b5f2305",
      ]
    `);
  });

  it("the codes are the only addition: without them, the plan file is the one saved before them", () => {
    expect(plans().map((p) => digest(serializePlan(withoutCodes(p))))).toMatchInlineSnapshot(`
      [
        "0998069d3f4811cc86778fefb8fc65e1fb455a8ece6de3b1613c09b995d6bc1b",
        "5dc0a4301f556b7ceb8cadde1d56463fb8a7439b0d1f2f8b9f7a2d8e097de6f4",
        "3940bd83ea72b396cf81e4bb4de2d0c2e46ae43599b9f3ac423aadc8d652b912",
      ]
    `);
  });
});
