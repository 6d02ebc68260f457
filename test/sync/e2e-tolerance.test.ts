/**
 * End to end, whole syncs against the sandbox answering shapes the sync inferred differently (its own fault
 * rules: `respond` answers instead of the handler, `rewrite` edits the real answer after the work is done):
 * each one ends with no double charge, no lost row result and no stall, and a rerun has nothing left to do.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FaultRule } from "../../src/emulator/faults.ts";
import type { RequestLogEntry } from "../../src/emulator/request-log.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";

const emu = sharedEmulator();
let dir: string;
const target = () => ({ url: emu.url, apiKey: emu.apiKey });

/** The sandbox answers the other shape for every matching request until the next call. */
function answerWith(rules: FaultRule[]): void {
  emu.setFaults({ rules: rules.map((r) => ({ always: true, ...r })) });
}
/** How many requests of `operationId` a fault rule answered or rewrote since log index `start`. */
const ruled = (start: number, operationId: string): number =>
  emu.requestLog(start).filter((e) => e.operationId === operationId && e.fault?.startsWith("rule:")).length;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-tolerance-"));
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const logIndex = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
const writesSince = (start: number): string[] =>
  emu
    .requestLog(start)
    .filter((e: RequestLogEntry) => WRITES.has(e.method))
    .map((e) => e.operationId ?? `${e.method} ${e.path}`);
const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
function balance(): number {
  return Object.values(emu.state().workspaces)[0]!.credits;
}
const bundleOf = (ref: string) =>
  Object.values(emu.state().bundles).find((b) => b.external_ref === `t-${ref}`)!;
const statuses = (file: string) => readCsvRows(file).map((r) => r["sync_status"]);

describe("a batch-configure answer without per-item results", () => {
  it("settles each row from the slots read back: a local file is uploaded once, and a rerun does nothing", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2 });
    writeFileSync(path.join(dir, "clip.mp4"), Buffer.alloc(2048, 5));
    editCsv(files.videosPath, (rows) => rows.map((r) => ({ ...r, video_url: "clip.mp4" })));
    answerWith([
      { operationId: "batchConfigureBundleVideos", action: "rewrite", rewrite: { json: { data: "ok" } } },
    ]);
    const before = balance();
    const start = logIndex();

    const report = await syncCsv(target(), files);

    expect(ruled(start, "batchConfigureBundleVideos")).toBe(2);
    expect(report.counts).toEqual({ synced: 6, pending: 0, locked: 0, error: 0, skipped: 0 });
    const writes = writesSince(start);
    expect(count(writes, "uploadVideoDirect")).toBe(2);
    expect(count(writes, "batchConfigureBundleVideos")).toBe(2);
    expect(before - balance()).toBe(report.plan.totals.cost);
    expect(report.creditsCharged).toBe(report.plan.totals.cost);
    for (const r of readCsvRows(files.videosPath)) {
      const slot = bundleOf(r["bundle_ref"]!).videos.find((v) => v.external_ref === r["video_ref"])!;
      expect(r).toMatchObject({ video_id: slot.id, position: String(slot.position), sync_status: "synced" });
      expect(slot.status).toBe("published");
    }

    const again = logIndex();
    const rerun = await syncCsv(target(), files);
    expect(writesSince(again)).toEqual([]);
    expect(rerun.counts.error + rerun.counts.pending).toBe(0);
  });

  it("when the slots cannot be read back either, the run still books what the call may have charged", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    // A sound volume makes the configure itself charged (1 credit a video, the first time).
    editCsv(files.videosPath, (rows) => rows.map((r) => ({ ...r, volume_original_sound: "80" })));
    answerWith([
      { operationId: "batchConfigureBundleVideos", action: "rewrite", rewrite: { json: { data: "ok" } } },
      {
        operationId: "listBundleVideos",
        action: "respond",
        always: true,
        response: { status: 404, json: { error: { code: "BUNDLE_NOT_FOUND", message: "Not here." } } },
      },
    ]);
    const before = balance();
    const report = await syncCsv(target(), files);
    const videoRows = report.rows.filter((r) => r.row.id.startsWith("v:"));
    expect(videoRows.map((r) => r.code)).toEqual(["unsettled_unreadable", "unsettled_unreadable"]);
    expect(report.plan.ops.find((o) => o.kind === "configureVideos")?.cost).toBe(2);
    // TokPortal did configure (and charge) both items: the run's count must not say it spent less.
    expect(before - balance()).toBe(report.plan.totals.cost);
    expect(report.creditsCharged).toBe(report.plan.totals.cost);
  });

  it("a slot that does not hold the row's video fails its row, and the next run sends it again", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    // "ok", yet nothing reached the emulator: the slots read back are still pending.
    answerWith([
      {
        operationId: "batchConfigureBundleVideos",
        action: "respond",
        response: { status: 200, json: { data: "ok" } },
      },
    ]);
    const before = balance();
    const report = await syncCsv(target(), files);
    const rows = report.rows.filter((r) => r.row.id.startsWith("v:"));
    expect(rows.map((r) => r.outcome)).toEqual(["error", "error"]);
    expect(rows[1]).toMatchObject({ code: "unsettled_not_held" });
    expect(rows[1]?.message).toMatch(/position 2.*pending/);
    expect(report.creditsCharged).toBe(before - balance());
    expect(bundleOf("c01").videos.map((v) => v.status)).toEqual(["pending", "pending"]);

    emu.setFaults({});
    const again = logIndex();
    const rerun = await syncCsv(target(), files);
    expect(writesSince(again)).toEqual(["batchConfigureBundleVideos"]);
    expect(rerun.counts).toMatchObject({ synced: 3, error: 0 });
    expect(bundleOf("c01").videos.map((v) => v.status)).toEqual(["configured", "configured"]);
  });
});

describe("a publish answer without status, account_status or adjusted_videos", () => {
  it("publishes once; the next run reads the bundle and writes nothing to TokPortal", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2 });
    answerWith([{ operationId: "publishBundle", action: "rewrite", rewrite: { json: { data: {} } } }]);
    const start = logIndex();
    const report = await syncCsv(target(), files);
    expect(ruled(start, "publishBundle")).toBe(2);
    expect(report.counts.synced).toBe(6);
    expect(bundleOf("c01").status).toBe("published");

    emu.setFaults({});
    const again = logIndex();
    await syncCsv(target(), files);
    expect(writesSince(again)).toEqual([]);
    expect(readCsvRows(files.bundlesPath).map((r) => r["bundle_status"])).toEqual(["published", "published"]);
  });
});

describe("a not-ready publish answered with another 409 code", () => {
  it("leaves the rows pending with TokPortal's message, and the next run publishes", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2 });
    answerWith([
      {
        operationId: "publishBundle",
        action: "respond",
        response: {
          status: 409,
          json: {
            error: { code: "PUBLISH_QUEUE_FULL", message: "The publication queue is full, try later." },
          },
        },
      },
    ]);
    const report = await syncCsv(target(), files);
    const bundleRow = report.rows.find((r) => r.row.id === "b:c01")!;
    expect(bundleRow.outcome).toBe("pending");
    expect(bundleRow.code).toBe("not_published_yet");
    expect(bundleRow.message).toContain("The publication queue is full, try later");
    expect(report.rows.some((r) => r.outcome === "error")).toBe(false);
    expect(bundleOf("c01").status).toBe("pending_setup");

    emu.setFaults({});
    const again = logIndex();
    const rerun = await syncCsv(target(), files);
    expect(count(writesSince(again), "publishBundle")).toBe(1);
    expect(rerun.counts).toMatchObject({ synced: 3, pending: 0, error: 0 });
    expect(bundleOf("c01").status).toBe("published");
  });
});

describe("bundles listed without saved_account_id or edits_quantity", () => {
  const stripList: FaultRule = {
    operationId: "listBundles",
    action: "rewrite",
    rewrite: { omit: ["data.*.saved_account_id", "data.*.edits_quantity"] },
  };

  it("reads them from the bundle's view; without edits_quantity there too, a raised edit_slots buys nothing and says so", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2 });
    editCsv(files.bundlesPath, (rows) => rows.map((r) => ({ ...r, edit_slots: "1" })));
    await syncCsv(target(), files);
    expect(bundleOf("c01").edits_quantity).toBe(1);

    editCsv(files.bundlesPath, (rows) => rows.map((r) => ({ ...r, edit_slots: "2" })));
    answerWith([
      stripList,
      {
        operationId: "getBundle",
        action: "rewrite",
        rewrite: { omit: ["data.saved_account_id", "data.edits_quantity"] },
      },
    ]);
    const before = balance();
    const blind = logIndex();
    const report = await syncCsv(target(), files);
    expect(writesSince(blind)).toEqual([]);
    expect(balance()).toBe(before);
    const row = report.rows.find((r) => r.row.id === "b:c01")!;
    expect(row.outcome).toBe("pending");
    expect(row.message).toMatch(/column edit_slots: TokPortal's bundle does not say how many edit slots/);

    // The view has it: one look-up, the one missing slot bought once, and a rerun buys nothing more.
    answerWith([stripList]);
    const seeing = logIndex();
    const bought = await syncCsv(target(), files);
    const calls = emu.requestLog(seeing).map((e) => e.operationId);
    expect(count(calls as string[], "getBundle")).toBe(1);
    expect(writesSince(seeing)).toEqual(["addEditSlots"]);
    expect(bundleOf("c01").edits_quantity).toBe(2);
    expect(bought.rows.find((r) => r.row.id === "b:c01")?.outcome).toBe("synced");
    expect(before - balance()).toBe(3);
    const again = logIndex();
    await syncCsv(target(), files);
    expect(writesSince(again)).toEqual([]);
  });
});

describe("numbers written as strings", () => {
  it("credits_charged and positions as numeric strings are read as numbers: the right cells, the right money", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2 });
    answerWith([
      {
        operationId: "createBundle",
        action: "rewrite",
        rewrite: { stringify: ["credits_charged", "credits_remaining"] },
      },
      {
        operationId: "batchConfigureBundleVideos",
        action: "rewrite",
        rewrite: { stringify: ["credits_charged", "credits_remaining", "data.results.*.position"] },
      },
    ]);
    const before = balance();
    const start = logIndex();
    const report = await syncCsv(target(), files);
    expect(ruled(start, "createBundle")).toBe(2);
    expect(ruled(start, "batchConfigureBundleVideos")).toBe(2);
    expect(report.counts).toMatchObject({ synced: 6, error: 0, pending: 0 });
    expect(report.creditsCharged).toBe(before - balance());
    expect(readCsvRows(files.bundlesPath).map((r) => r["credits_charged"])).toEqual(["36", "36"]);
    for (const r of readCsvRows(files.videosPath)) {
      const slot = bundleOf(r["bundle_ref"]!).videos.find((v) => v.external_ref === r["video_ref"])!;
      expect(r["position"]).toBe(String(slot.position));
    }
  });
});

describe("the analytics export with other header spellings", () => {
  it("maps what it can, leaves the rest empty (never zero), and names the unknown headers once", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2, startDate: "2026-09-10" });
    await syncCsv(target(), files);
    await emu.advance((Date.parse("2026-09-14T00:00:00.000Z") - emu.clock.now()) / 1000);
    answerWith([
      {
        operationId: "exportAnalyticsVideos",
        action: "rewrite",
        rewrite: {
          csv: {
            rename: { video_id: "Video ID", views: "View Count", likes: " LIKES ", shares: "Share-Count" },
            omit: ["comments", "platform_url"],
            add: { "Mystery Col": "7", "Region Code": "US" },
          },
        },
      },
    ]);
    const start = logIndex();
    const report = await syncCsv(target(), files);
    expect(ruled(start, "exportAnalyticsVideos")).toBe(1);
    const notes = report.warnings.filter((w) => w.includes("Mystery Col"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("Region Code");
    for (const r of readCsvRows(files.videosPath)) {
      expect(Number(r["views"])).toBeGreaterThan(0);
      expect(r["likes"]).toMatch(/^\d+$/);
      expect(r["shares"]).toMatch(/^\d+$/);
      // No such column in the export: not measured, so empty rather than 0.
      expect(r["comments"] ?? "").toBe("");
    }
    expect(statuses(files.videosPath).every((s) => s === "synced")).toBe(true);
  });
});
