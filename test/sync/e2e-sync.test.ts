/**
 * End to end: CSV campaign → runSync → the emulator over HTTP → write-back into the CSV files.
 * Proofs of the engine: the cold sync makes exactly the minimum calls and charges the plan's price, a rerun
 * writes nothing anywhere, and one edited row costs exactly one batch call for its bundle.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "../../src/emulator/request-log.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-sync-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function countByOperation(entries: RequestLogEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) {
    const op = e.operationId ?? `${e.method} ${e.path}`;
    out[op] = (out[op] ?? 0) + 1;
  }
  return out;
}

function balance(): number {
  const workspaces = Object.values(emu.state().workspaces);
  expect(workspaces).toHaveLength(1);
  return workspaces[0]!.credits;
}

const logIndex = (): number => emu.requestLog().at(-1)?.index ?? -1;

describe("cold sync of 20 bundles × 5 videos, then a rerun", () => {
  it("creates exactly that world with the minimum calls, charges the plan's price, and a rerun writes nothing", async () => {
    const files = writeCampaign(dir, { bundles: 20, videosPerBundle: 5, startDate: "2026-09-10" });
    const before = balance();
    const start = logIndex() + 1;

    const report = await syncCsv(emu, files);

    // The world: exactly 20 bundles with those refs, 100 slots configured then published.
    const bundles = Object.values(emu.state().bundles);
    expect(bundles.map((b) => b.external_ref).sort()).toEqual(files.bundleRefs.map((r) => `t-${r}`).sort());
    for (const b of bundles) {
      expect(b.status).toBe("published");
      expect(b.account?.username).toBe(`daily.${b.external_ref!.slice(2)}`);
      expect(b.videos).toHaveLength(5);
      for (const v of b.videos) {
        expect(v.status).toBe("published");
        expect(v.external_ref).toBe(`${b.external_ref!.slice(2)}-v${v.position}`);
        expect(v.configured_at).not.toBeNull();
      }
    }

    // The calls: the minimum, and nothing else.
    const log = emu.requestLog(start);
    expect(countByOperation(log)).toEqual({
      listBundles: 1,
      listCountries: 1,
      getCreditCosts: 1,
      getCreditBalance: 1,
      createBundle: 20,
      configureBundleAccount: 20,
      batchConfigureBundleVideos: 20,
      publishBundle: 20,
    });
    expect(log.every((e) => e.status < 300)).toBe(true);
    expect(report.calls).toEqual(countByOperation(log));
    expect(report.rateLimited).toBe(0);

    // Money: what the plan said, and what the emulator debited.
    expect(report.plan.totals.cost).toBe(20 * (32 + 5 * 2));
    expect(before - balance()).toBe(report.plan.totals.cost);
    expect(report.creditsCharged).toBe(report.plan.totals.cost);

    // Every row synced, and the sheet says so.
    expect(report.counts).toEqual({ synced: 120, pending: 0, locked: 0, error: 0, skipped: 0 });
    const bundleRows = readCsvRows(files.bundlesPath);
    const byRef = new Map(bundles.map((b) => [b.external_ref!.slice(2), b]));
    for (const r of bundleRows) {
      const b = byRef.get(r["bundle_ref"]!)!;
      expect(r).toMatchObject({
        bundle_id: b.id,
        bundle_status: "published",
        credits_charged: "42",
        sync_status: "synced",
      });
      expect(r["sync_message"] ?? "").toBe("");
      expect(r["sync_fingerprint"]).toMatch(/^v1-[0-9a-f]{16}$/);
      expect(r["synced_at"]).not.toBe("");
      expect(r["notes"]).toMatch(/^owner: team \d$/);
    }
    const videoRows = readCsvRows(files.videosPath);
    expect(videoRows).toHaveLength(100);
    for (const r of videoRows) {
      const slot = byRef.get(r["bundle_ref"]!)!.videos.find((v) => v.external_ref === r["video_ref"])!;
      expect(r).toMatchObject({
        video_id: slot.id,
        position: String(slot.position),
        video_status: "published",
        sync_status: "synced",
      });
      expect(r["sync_fingerprint"]).toMatch(/^v1-[0-9a-f]{16}$/);
    }
    expect(report.write?.rowsNotFound).toBe(0);

    // An immediate second run: zero writes to TokPortal, at most one list page + 20 video lists, no cell.
    const sheetBefore = [readFileSync(files.bundlesPath, "utf8"), readFileSync(files.videosPath, "utf8")];
    const second = logIndex() + 1;
    const rerun = await syncCsv(emu, files);
    const rerunLog = emu.requestLog(second);
    expect(rerunLog.filter((e) => WRITE_METHODS.has(e.method))).toEqual([]);
    const calls = countByOperation(rerunLog);
    expect(calls["listBundles"]).toBeLessThanOrEqual(1);
    expect(calls["listBundleVideos"]).toBe(20);
    expect(Object.keys(calls).sort()).toEqual(["listBundleVideos", "listBundles"]);
    expect(rerun.plan.ops).toEqual([]);
    expect(rerun.creditsCharged).toBe(0);
    expect(rerun.counts.synced).toBe(120);
    expect(rerun.write?.cellsWritten).toBe(0);
    expect([readFileSync(files.bundlesPath, "utf8"), readFileSync(files.videosPath, "utf8")]).toEqual(
      sheetBefore,
    );
  });
});

describe("one edited video row", () => {
  it("costs exactly one batch call, for its bundle only, with one item; only that row's fingerprint moves", async () => {
    // Not published, so the slots stay editable.
    const files = writeCampaign(dir, { bundles: 3, videosPerBundle: 3, publish: false });
    await syncCsv(emu, files);
    const firstRows = readCsvRows(files.videosPath);
    expect(firstRows.every((r) => r["sync_status"] === "synced" && r["video_status"] === "configured")).toBe(
      true,
    );

    editCsv(files.videosPath, (rows) => {
      rows.find((r) => r["video_ref"] === "c02-v2")!["description"] = "A new caption for the second look";
      return rows;
    });
    const start = logIndex() + 1;
    const report = await syncCsv(emu, files);

    const writes = emu.requestLog(start).filter((e) => WRITE_METHODS.has(e.method));
    const c02 = Object.values(emu.state().bundles).find((b) => b.external_ref === "t-c02")!;
    expect(writes.map((e) => [e.operationId, e.path])).toEqual([
      ["batchConfigureBundleVideos", `/api/ext/bundles/${c02.id}/videos/batch`],
    ]);
    const configures = report.plan.ops.filter((op) => op.kind === "configureVideos");
    expect(configures).toHaveLength(1);
    expect(configures[0]!.kind === "configureVideos" && configures[0]!.items.map((i) => i.videoRef)).toEqual([
      "c02-v2",
    ]);
    expect(c02.videos.find((v) => v.external_ref === "c02-v2")!.description).toBe(
      "A new caption for the second look",
    );

    const after = readCsvRows(files.videosPath);
    for (const [i, r] of after.entries()) {
      const edited = r["video_ref"] === "c02-v2";
      expect(r["sync_status"]).toBe("synced");
      if (edited) expect(r["sync_fingerprint"]).not.toBe(firstRows[i]!["sync_fingerprint"]);
      else expect(r).toEqual(firstRows[i]);
    }
    expect(report.counts.synced).toBe(12);
  });
});
