/**
 * End to end: a create that TokPortal accepted but whose answer was lost (the socket dropped after the
 * work was done). The first run cannot know the bundle exists; the rerun finds it by external_ref and
 * adopts it: no second create, no second charge, no duplicate.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-recovery-"));
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const credits = (): number => Object.values(emu.state().workspaces)[0]!.credits;
const logIndex = (): number => emu.requestLog().at(-1)?.index ?? -1;
const BUNDLE_PRICE = 32 + 3 * 2;

describe("a crash after a create was accepted", () => {
  it("reports the rows not synced, then the rerun adopts the bundle without paying twice", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 3 });
    const opening = credits();
    // The first create is carried out, then its answer is lost; with no retries the client gives up.
    emu.setFaults({ rules: [{ operationId: "createBundle", action: "drop_after", times: 1 }] });
    const first = await syncCsv(emu, files, { concurrency: 1, client: { retry: { maxRetries: 0 } } });

    const dropped = emu.requestLog().filter((e) => e.fault === "rule:drop_after");
    expect(dropped.map((e) => e.operationId)).toEqual(["createBundle"]);
    // TokPortal made and charged both bundles; the run only knows about the second.
    expect(
      Object.values(emu.state().bundles)
        .map((b) => b.external_ref)
        .sort(),
    ).toEqual(["t-c01", "t-c02"]);
    expect(opening - credits()).toBe(2 * BUNDLE_PRICE);
    const lost = first.rows.filter((r) => r.row.id === "b:c01" || r.row.id.startsWith("v:c01/"));
    expect(lost).toHaveLength(4);
    for (const r of lost) expect(r.outcome).not.toBe("synced");
    expect(first.rows.filter((r) => !lost.includes(r)).every((r) => r.outcome === "synced")).toBe(true);
    const c01Row = readCsvRows(files.bundlesPath).find((r) => r["bundle_ref"] === "c01")!;
    expect(c01Row["sync_status"]).toBe("error");
    const c01Result = first.rows.find((r) => r.row.id === "b:c01")!;
    expect(c01Result.code).toBe("tokportal_unanswered");
    expect(c01Row["sync_message"]).toBe(c01Result.message);
    expect(c01Row["sync_fingerprint"]).toBe("");
    expect(c01Row["bundle_id"]).toBe("");

    emu.setFaults({});
    const start = logIndex() + 1;
    const rerun = await syncCsv(emu, files);

    const ops = emu.requestLog(start).map((e) => e.operationId);
    expect(ops).not.toContain("createBundle");
    expect(rerun.creditsCharged).toBe(0);
    expect(opening - credits()).toBe(2 * BUNDLE_PRICE);
    const c01 = Object.values(emu.state().bundles).filter((b) => b.external_ref === "t-c01");
    expect(c01).toHaveLength(1);
    expect(c01[0]!.status).toBe("published");
    expect(c01[0]!.videos.map((v) => [v.external_ref, v.status])).toEqual([
      ["c01-v1", "published"],
      ["c01-v2", "published"],
      ["c01-v3", "published"],
    ]);
    expect(rerun.counts).toEqual({ synced: 8, pending: 0, locked: 0, error: 0, skipped: 0 });
    const adopted = readCsvRows(files.bundlesPath).find((r) => r["bundle_ref"] === "c01")!;
    expect(adopted).toMatchObject({ bundle_id: c01[0]!.id, sync_status: "synced", sync_message: "" });
    expect(adopted["sync_fingerprint"]).toMatch(/^v1-/);
  });
});
