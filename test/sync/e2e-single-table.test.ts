/**
 * End to end, single-table mode: one videos file carries the bundle columns. A bundle has no row of its
 * own, so its outputs land on each of its videos rows, and a rerun still writes nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editCsv, readCsvRows, syncCsv, writeSingleTableCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { resultOf } from "../support/findings.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-single-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const logIndex = (): number => emu.requestLog().at(-1)?.index ?? -1;

describe("single-table campaign", () => {
  it("writes each bundle's outputs on its videos rows; a rerun writes nothing anywhere", async () => {
    const files = writeSingleTableCampaign(dir, { bundles: 3, videosPerBundle: 3 });
    const first = await syncCsv(emu, files);
    expect(first.counts).toEqual({ synced: 3 + 9, pending: 0, locked: 0, error: 0, skipped: 0 });

    const remote = new Map(Object.values(emu.state().bundles).map((b) => [b.external_ref!.slice(2), b]));
    expect([...remote.keys()].sort()).toEqual(["c01", "c02", "c03"]);
    const rows = readCsvRows(files.videosPath);
    expect(rows).toHaveLength(9);
    for (const r of rows) {
      const b = remote.get(r["bundle_ref"]!)!;
      const slot = b.videos.find((v) => v.external_ref === r["video_ref"])!;
      expect(b.status).toBe("published");
      expect(r).toMatchObject({
        bundle_id: b.id,
        bundle_status: "published",
        credits_charged: String(32 + 3 * 2),
        video_id: slot.id,
        position: String(slot.position),
        video_status: "published",
        sync_status: "synced",
      });
      expect(r["sync_message"] ?? "").toBe("");
      // The user's columns are kept.
      expect(r["username"]).toBe(`daily.${r["bundle_ref"]}`);
    }

    const text = readFileSync(files.videosPath, "utf8");
    const start = logIndex() + 1;
    const rerun = await syncCsv(emu, files);
    expect(emu.requestLog(start).filter((e) => WRITE_METHODS.has(e.method))).toEqual([]);
    expect(rerun.plan.ops).toEqual([]);
    expect(rerun.write?.cellsWritten).toBe(0);
    expect(readFileSync(files.videosPath, "utf8")).toBe(text);
  });

  it("shows a bundle's error on every one of its rows, and the other bundles sync", async () => {
    const files = writeSingleTableCampaign(dir, { bundles: 2, videosPerBundle: 2 });
    editCsv(files.videosPath, (rows) => {
      // Two rows of c02 disagree on the country: the bundle cannot be made.
      rows.find((r) => r["video_ref"] === "c02-v2")!["country"] = "FR";
      return rows;
    });
    const report = await syncCsv(emu, files);
    expect(Object.values(emu.state().bundles).map((b) => b.external_ref)).toEqual(["t-c01"]);
    const rows = readCsvRows(files.videosPath);
    for (const r of rows) {
      if (r["bundle_ref"] === "c01") {
        expect(r["sync_status"]).toBe("synced");
        expect(r["bundle_id"]).not.toBe("");
      } else {
        expect(r["sync_status"]).toBe("error");
        const res = resultOf(report, `v:c02/${r["video_ref"]}`);
        expect(res.column).toBe("country");
        // The row that disagrees says so; the bundle's other rows say which row to fix.
        const disagrees = r["video_ref"] === "c02-v2";
        expect(res.code).toBe(disagrees ? "bundle_value_disagrees" : "bundle_rows_disagree");
        expect(r["sync_message"]).toContain(res.message);
        expect(r["bundle_id"]).toBe("");
      }
    }
    expect(report.counts.error).toBeGreaterThan(0);
  });
});
