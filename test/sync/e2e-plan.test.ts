/**
 * End to end: money and consent. A budget below the price creates only what fits and says how much more
 * is needed; plan mode writes nothing anywhere; a saved plan is applied only while the sheet and TokPortal
 * are as they were when it was made; a declined spend does nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SourceError } from "../../src/sources/errors.ts";
import { parsePlanFile, serializePlan } from "../../src/sync/plan-file.ts";
import { RunRefusedError } from "../../src/sync/run.ts";
import type { Plan } from "../../src/sync/types.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding, resultOf } from "../support/findings.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-plan-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const credits = (): number => Object.values(emu.state().workspaces)[0]!.credits;
const logIndex = (): number => emu.requestLog().at(-1)?.index ?? -1;
const writesSince = (start: number) => emu.requestLog(start).filter((e) => WRITE_METHODS.has(e.method));
const sheetText = (files: { bundlesPath: string; videosPath: string }) => [
  readFileSync(files.bundlesPath, "utf8"),
  readFileSync(files.videosPath, "utf8"),
];
/** Each bundle: one account and two video slots. */
const PRICE = 32 + 2 * 2;

describe("budget", () => {
  it("creates only the bundles that fit under max_credits; the others' rows say how much more is needed", async () => {
    const files = writeCampaign(dir, { bundles: 3, videosPerBundle: 2 });
    const opening = credits();
    const report = await syncCsv(emu, files, { maxCredits: 80 });

    expect(
      Object.values(emu.state().bundles)
        .map((b) => b.external_ref)
        .sort(),
    ).toEqual(["t-c01", "t-c02"]);
    const charged = opening - credits();
    expect(charged).toBe(2 * PRICE);
    expect(charged).toBeLessThanOrEqual(80);
    expect(report.creditsCharged).toBe(charged);
    expect(report.plan.totals.deferred).toEqual({ bundles: ["c03"], cost: PRICE });

    const bundles = readCsvRows(files.bundlesPath);
    const videos = readCsvRows(files.videosPath);
    for (const r of [...bundles, ...videos]) {
      if (r["bundle_ref"] !== "c03") {
        expect(r["sync_status"]).toBe("synced");
        continue;
      }
      expect(r["sync_status"]).toBe("pending");
      expect(r["bundle_id"] ?? "").toBe("");
      expect(r["video_id"] ?? "").toBe("");
    }
    const c03 = bundles.find((r) => r["bundle_ref"] === "c03")!;
    // The bundle costs 36, 8 are left under max_credits 80: max_credits 108 would include it.
    const res = resultOf(report, "b:c03");
    expectFinding(res, "over_max_credits", undefined, { charge: PRICE, left: 8, maxCredits: 80, total: 108 });
    expect(c03["sync_message"]).toBe(res.message);
    expect(report.counts).toEqual({ synced: 6, pending: 3, locked: 0, error: 0, skipped: 0 });
  });
});

describe("plan mode and saved plans", () => {
  it("plan mode writes nothing to TokPortal or the sheet; the saved plan applies while nothing changed", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2 });
    const text = sheetText(files);
    const start = logIndex() + 1;
    const planned = await syncCsv(emu, files, { mode: "plan" });

    expect(writesSince(start)).toEqual([]);
    expect(planned.apply).toBeNull();
    expect(planned.write).toBeNull();
    expect(sheetText(files)).toEqual(text);
    expect(planned.plan.totals.cost).toBe(2 * PRICE);
    expect(planned.plan.ops.map((op) => op.kind)).toEqual([
      ...["createBundle", "configureAccount", "configureVideos", "publishBundle"],
      ...["createBundle", "configureAccount", "configureVideos", "publishBundle"],
    ]);

    const saved: Plan = parsePlanFile(serializePlan(planned.plan));
    const applied = await syncCsv(emu, files, { savedPlan: saved });
    expect(applied.plan.inputsFingerprint).toBe(planned.plan.inputsFingerprint);
    expect(applied.counts.synced).toBe(6);
    expect(Object.values(emu.state().bundles)).toHaveLength(2);
  });

  it("refuses a saved plan once the sheet changed, and writes nothing to TokPortal", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2 });
    const planned = await syncCsv(emu, files, { mode: "plan" });
    const saved = parsePlanFile(serializePlan(planned.plan));

    editCsv(files.videosPath, (rows) => {
      rows[0]!["description"] = "Changed after the plan was saved";
      return rows;
    });
    const text = sheetText(files);
    const start = logIndex() + 1;
    const refused = await syncCsv(emu, files, { savedPlan: saved }).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(RunRefusedError);
    expect((refused as RunRefusedError).reason).toBe("stale-plan");
    expect((refused as Error).message).toMatch(/plan/i);
    expect((refused as Error).message).toContain(saved.createdAt);
    expect(writesSince(start)).toEqual([]);
    expect(Object.values(emu.state().bundles)).toHaveLength(0);
    expect(sheetText(files)).toEqual(text);
  });

  it("refuses a saved plan once TokPortal changed", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2 });
    const planned = await syncCsv(emu, files, { mode: "plan" });
    // Someone else creates the bundle meanwhile (another tool, or TokPortal's web app).
    const made = await emu.api("POST", "/bundles", {
      body: {
        bundle_type: "account_and_videos",
        platform: "tiktok",
        country: "USA",
        external_ref: "t-c01",
        videos_quantity: 2,
      },
    });
    expect(made.status).toBe(201);
    const start = logIndex() + 1;
    const refused = await syncCsv(emu, files, { savedPlan: planned.plan }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RunRefusedError);
    expect((refused as RunRefusedError).reason).toBe("stale-plan");
    expect(writesSince(start)).toEqual([]);
    expect(Object.values(emu.state().bundles)).toHaveLength(1);
  });

  it("asks before spending; a decline does nothing, and a plan that costs nothing is not asked about", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2 });
    const asked: number[] = [];
    const start = logIndex() + 1;
    const declined = await syncCsv(emu, files, {
      confirm: async (plan) => {
        asked.push(plan.totals.cost);
        return false;
      },
    }).catch((e: unknown) => e);
    expect(asked).toEqual([PRICE]);
    expect(declined).toBeInstanceOf(RunRefusedError);
    expect((declined as RunRefusedError).reason).toBe("declined");
    expect(writesSince(start)).toEqual([]);
    expect(readCsvRows(files.bundlesPath)[0]!["sync_status"] ?? "").toBe("");

    await syncCsv(emu, files, { confirm: async () => true });
    expect(Object.values(emu.state().bundles)).toHaveLength(1);
    const rerun = await syncCsv(emu, files, {
      confirm: async () => {
        throw new Error("a run that spends nothing must not ask");
      },
    });
    expect(rerun.counts.synced).toBe(3);
  });
});

describe("an unusable sheet", () => {
  it("stops with the source's own message; TokPortal sees only the listing begun with the read", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1 });
    editCsv(files.bundlesPath, (rows) =>
      rows.map(({ bundle_ref: _ref, ...rest }) => ({ ref: "c01", ...rest })),
    );
    const start = logIndex() + 1;
    const err = await syncCsv(emu, files).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toMatch(/no bundle_ref column/);
    // The listing starts beside the sheet's read (src/sync/early-reads.ts), and may have reached TokPortal
    // before the run closed its client; nothing else did.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const seen = emu.requestLog(start).map((e) => e.operationId);
    expect(seen.filter((op) => op !== "listBundles")).toEqual([]);
    expect(seen.length).toBeLessThanOrEqual(1);
  });

  it("once synced, its bundle ids may have had their slots read ahead too: only reads, nothing written", async () => {
    const files = writeCampaign(dir, { bundles: 3, videosPerBundle: 1 });
    expect((await syncCsv(emu, files)).counts.error).toBe(0);
    editCsv(files.videosPath, (rows) => rows.map(({ video_ref: _ref, ...rest }) => ({ ref: "v", ...rest })));
    const start = logIndex() + 1;
    const err = await syncCsv(emu, files).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/no video_ref column/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const seen = emu.requestLog(start);
    expect(writesSince(start)).toEqual([]);
    // Sent before the videos file was read; the run's close may have cut some short before they arrived.
    const others = seen.map((e) => e.operationId).filter((op) => op !== "listBundleVideos");
    expect(others.filter((op) => op !== "listBundles")).toEqual([]);
    expect(others.length).toBeLessThanOrEqual(1);
    expect(seen.filter((e) => e.operationId === "listBundleVideos").length).toBeLessThanOrEqual(3);
  });
});
