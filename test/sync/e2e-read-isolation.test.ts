/**
 * End to end: one bundle whose slots cannot be read (TokPortal keeps failing that call) costs only that
 * bundle's rows, this run; the other bundles' changes are applied, the failed rows keep their ids, and
 * the next run, with TokPortal answering again, finishes the job.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding } from "../support/findings.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-read-isolation-"));
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

describe("a bundle whose slots cannot be read", () => {
  it("errors only its own rows, keeps their ids, and the other bundles still sync", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2, publish: false });
    const first = await syncCsv(emu, files);
    expect(first.counts.synced).toBe(6);
    const before = readCsvRows(files.videosPath);
    const c01 = readCsvRows(files.bundlesPath).find((r) => r["bundle_ref"] === "c01")!;

    editCsv(files.videosPath, (rows) =>
      rows.map((r) => ({ ...r, description: `${r["description"]} (edited)` })),
    );
    emu.setFaults({
      rules: [{ method: "GET", path: `/bundles/${c01["bundle_id"]}/videos`, action: "status", always: true }],
    });
    const second = await syncCsv(emu, files, { client: { retry: { maxRetries: 1 } } });

    const failed = second.rows.filter((r) => r.outcome === "error").map((r) => r.row.id);
    expect(failed.sort()).toEqual(["b:c01", "v:c01/c01-v1", "v:c01/c01-v2"]);
    for (const r of second.rows.filter((r) => failed.includes(r.row.id))) {
      expectFinding(r, "bundle_read_failed", undefined, {
        bundleId: c01["bundle_id"]!,
        error: "The service is temporarily unavailable. (SERVICE_UNAVAILABLE after 2 attempts)",
      });
    }
    const c02Videos = Object.values(emu.state().bundles).find((b) => b.external_ref === "t-c02")!.videos;
    expect(c02Videos.map((v) => v.description)).toEqual(
      before.filter((r) => r["bundle_ref"] === "c02").map((r) => `${r["description"]} (edited)`),
    );
    const after = readCsvRows(files.videosPath);
    for (const row of after.filter((r) => r["bundle_ref"] === "c01")) {
      expect(row["sync_status"]).toBe("error");
      const was = before.find((r) => r["video_ref"] === row["video_ref"])!;
      expect(row["video_id"]).toBe(was["video_id"]);
      expect(row["sync_fingerprint"]).toBe(was["sync_fingerprint"]);
    }
    expect(after.filter((r) => r["bundle_ref"] === "c02").every((r) => r["sync_status"] === "synced")).toBe(
      true,
    );

    emu.setFaults({});
    const third = await syncCsv(emu, files);
    expect(third.counts).toEqual({ synced: 6, pending: 0, locked: 0, error: 0, skipped: 0 });
    const c01Videos = Object.values(emu.state().bundles).find((b) => b.external_ref === "t-c01")!.videos;
    expect(c01Videos.every((v) => v.description?.endsWith("(edited)"))).toBe(true);
  });

  it("still ends the run when the key itself is refused", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1 });
    await syncCsv(emu, files);
    const c01 = readCsvRows(files.bundlesPath)[0]!;
    emu.setFaults({
      rules: [
        {
          method: "GET",
          path: `/bundles/${c01["bundle_id"]}/videos`,
          action: "status",
          status: 401,
          always: true,
        },
      ],
    });
    await expect(syncCsv(emu, files)).rejects.toMatchObject({ status: 401 });
  });
});
