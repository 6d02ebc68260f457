import { describe, expect, it } from "vitest";
import { registerSecret } from "../../src/api/errors.ts";
import { planSync } from "../../src/sync/plan.ts";
import {
  assertNoSecrets,
  assertPlanCurrent,
  inputsFingerprint,
  PlanFileError,
  PlanStaleError,
  parsePlanFile,
  planJsonPieces,
  serializePlan,
} from "../../src/sync/plan-file.ts";
import { actualState, bundle, desiredState, planOptions, remoteBundle, slot } from "./support/builders.ts";

const sheet = (description = "Video v1") =>
  desiredState([
    bundle("a", {
      videos: [
        { ref: "v1", row: 2, description },
        { ref: "v2", row: 3, date: "2026-09-11" },
      ],
    }),
    bundle("b", { row: 3, videos: [{ ref: "w1", row: 4 }] }),
  ]);
const world = (status = "pending_setup") =>
  actualState([{ bundle: remoteBundle("b", { id: "id-b", status, videos_quantity: 1 }), videos: [slot(1)] }]);

describe("plan file", () => {
  it("round trips: parse(serialize(plan)) is the plan, and serializing again gives the same text", () => {
    const plan = planSync(sheet(), world(), planOptions({ balance: 500, maxCredits: 1000 }));
    expect(plan.ops.length).toBeGreaterThan(3);
    const text = serializePlan(plan);
    const back = parsePlanFile(text);
    expect(back).toEqual(plan);
    expect(serializePlan(back)).toBe(text);
    // The summary comes before the details.
    expect(Object.keys(JSON.parse(text))).toEqual([
      "version",
      "createdAt",
      "prefix",
      "prune",
      "inputsFingerprint",
      "totals",
      "orphans",
      "ops",
      "rows",
    ]);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("never writes text that looks like an API key", () => {
    const plan = planSync(sheet(`promo sk_${"ab".repeat(32)}`), world(), planOptions());
    expect(() => serializePlan(plan)).toThrow(PlanFileError);
    expect(() => serializePlan(plan)).toThrow(/looks like a TokPortal API key/);
  });

  it("assertNoSecrets refuses what serializePlan refuses, in any string or key, without the JSON", () => {
    const key = `sk_${"ab".repeat(32)}`;
    expect(() => assertNoSecrets(planSync(sheet(), world(), planOptions()))).not.toThrow();
    expect(() => assertNoSecrets(planSync(sheet(`promo ${key}`), world(), planOptions()))).toThrow(
      /looks like a TokPortal API key/,
    );
    const plan = planSync(sheet(), world(), planOptions());
    // In an object key, after a newline (which JSON writes as `\n`, hiding the key's word boundary), deep down.
    expect(() => assertNoSecrets({ ...plan, extra: { [key]: 1 } })).toThrow(PlanFileError);
    expect(() => assertNoSecrets({ ...plan, extra: [[`line one\n${key}`]] })).toThrow(PlanFileError);
    // A secret the client registered, even when it does not look like a key; and one past the first batch.
    const secret = "not-key-shaped-secret-1234";
    registerSecret(secret);
    const big = Array.from({ length: 30_000 }, (_, i) => `row ${i} ${"x".repeat(40)}`);
    expect(() => assertNoSecrets({ ...plan, big: [...big, `at the end ${secret}`] })).toThrow(PlanFileError);
    expect(() => assertNoSecrets({ ...plan, big })).not.toThrow();
  });

  it("planJsonPieces joined is the text of serializePlan, plus extra keys last", () => {
    const plan = planSync(
      sheet(`quote " back \\ newline \n tab \t é`),
      world(),
      planOptions({ balance: 500 }),
    );
    expect(plan.ops.length).toBeGreaterThan(3);
    expect([...planJsonPieces(plan)].join("")).toBe(serializePlan(plan));
    const empty = planSync(desiredState([]), actualState([]), planOptions());
    expect(empty.ops).toEqual([]);
    expect([...planJsonPieces(empty)].join("")).toBe(serializePlan(empty));
    const check = { counts: { refused: 0 }, items: [], note: undefined };
    const doc = JSON.parse(serializePlan(plan)) as Record<string, unknown>;
    doc.serverCheck = check;
    expect([...planJsonPieces(plan, { serverCheck: check })].join("")).toBe(
      `${JSON.stringify(doc, null, 2)}\n`,
    );
  });

  it("refuses files that are not a version-1 plan, saying what is wrong", () => {
    const good = JSON.parse(serializePlan(planSync(sheet(), world(), planOptions())));
    expect(() => parsePlanFile("{not json")).toThrow(/not valid JSON/);
    expect(() => parsePlanFile(JSON.stringify({ ...good, version: 2 }))).toThrow(
      /has version 2, and this tokportal-sync reads version 1/,
    );
    const badOp = { ...good, ops: [{ ...good.ops[0], kind: "deleteEverything" }] };
    expect(() => parsePlanFile(JSON.stringify(badOp))).toThrow(PlanFileError);
    expect(() => parsePlanFile(JSON.stringify(badOp))).toThrow(/ops\.0\.kind/);
    const noRows = { ...good, rows: undefined };
    expect(() => parsePlanFile(JSON.stringify(noRows))).toThrow(/not a tokportal-sync plan: rows/);
    const twice = { ...good, ops: [good.ops[0], good.ops[0]] };
    expect(() => parsePlanFile(JSON.stringify(twice))).toThrow(/lists operation a:createBundle twice/);
    expect(() => parsePlanFile("[]")).toThrow(PlanFileError);
  });
});

describe("inputsFingerprint", () => {
  const options = planOptions();
  const base = inputsFingerprint(sheet(), world(), options);

  it("is stable for the same inputs and ignores the plan's timestamp", () => {
    expect(inputsFingerprint(sheet(), world(), planOptions({ now: "2030-01-01T00:00:00Z" }))).toBe(base);
    expect(base).toMatch(/^v1-[0-9a-f]{16}$/);
  });

  it("changes with a changed row, a remote status, the day, or an option", () => {
    expect(inputsFingerprint(sheet("edited"), world(), options)).not.toBe(base);
    expect(inputsFingerprint(sheet(), world("published"), options)).not.toBe(base);
    expect(inputsFingerprint(sheet(), { ...world(), today: "2026-09-02" }, options)).not.toBe(base);
    expect(inputsFingerprint(sheet(), world(), planOptions({ prune: true }))).not.toBe(base);
    expect(inputsFingerprint(sheet(), world(), planOptions({ maxCredits: 10 }))).not.toBe(base);
  });
});

describe("assertPlanCurrent", () => {
  it("accepts a saved plan whose inputs are unchanged", () => {
    const saved = parsePlanFile(serializePlan(planSync(sheet(), world(), planOptions())));
    const fresh = planSync(sheet(), world(), planOptions({ now: "2026-09-01T13:00:00.000Z" }));
    expect(() => assertPlanCurrent(saved, fresh)).not.toThrow();
  });

  it("refuses a saved plan after the sheet changed, saying when it was made and what to do", () => {
    const saved = planSync(sheet(), world(), planOptions());
    const fresh = planSync(sheet("edited"), world(), planOptions());
    expect(() => assertPlanCurrent(saved, fresh)).toThrow(PlanStaleError);
    expect(() => assertPlanCurrent(saved, fresh)).toThrow(
      "The saved plan was made at 2026-09-01T12:00:00.000Z from a different sheet or TokPortal state, so it is not applied (a fresh plan has 6 operations costing 36 credits; the saved one 6 costing 36). Run `plan` again and review the new plan.",
    );
  });

  it("refuses a saved plan after TokPortal changed", () => {
    const saved = planSync(sheet(), world(), planOptions());
    const fresh = planSync(sheet(), world("cancelled"), planOptions());
    expect(() => assertPlanCurrent(saved, fresh)).toThrow(PlanStaleError);
  });
});

describe("inputsFingerprint and output cells", () => {
  it("ignores output cells the planner does not read (analytics, synced_at) but not sync_fingerprint", () => {
    const base = inputsFingerprint(sheet(), world(), planOptions());
    const withViews = sheet();
    withViews.bundles.get("a")!.videos[0]!.outputs = { views: "1200", synced_at: "2026-09-01T12:00:00Z" };
    expect(inputsFingerprint(withViews, world(), planOptions())).toBe(base);
    const withPrint = sheet();
    withPrint.bundles.get("a")!.videos[0]!.outputs = { sync_fingerprint: "v1-0000000000000000" };
    expect(inputsFingerprint(withPrint, world(), planOptions())).not.toBe(base);
  });
});
