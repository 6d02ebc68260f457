/**
 * The apply-side defects found in review (H12), end to end through `runSync` against the emulator: a row
 * undone A→B→A is applied again, a row whose update failed is never released, a stored refusal of a
 * charged step is asked again once the cause has passed, and credits_charged adds up what was debited.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import {
  editCsv,
  readCsvRows,
  syncCsv,
  writeCampaign,
  writeSingleTableCampaign,
} from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding, resultOf } from "../support/findings.ts";
import { applyReport } from "./apply-fixtures.ts";
import { emulatorWorld } from "./support/world.ts";

const emu = sharedEmulator();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "h12-"));
  emu.setFaults({});
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const { onlyBundle, workspace, debits } = emulatorWorld(emu);

describe("#2 a row undone A→B→A within 24 h is applied, not replayed", () => {
  it("video description", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    await syncCsv(emu, files);
    const a = onlyBundle().videos[0]?.description ?? "";
    editCsv(files.videosPath, (rows) => {
      if (rows[0]) rows[0].description = "B text";
      return rows;
    });
    await syncCsv(emu, files);
    expect(onlyBundle().videos[0]?.description).toBe("B text");
    editCsv(files.videosPath, (rows) => {
      if (rows[0]) rows[0].description = a;
      return rows;
    });
    const r3 = await syncCsv(emu, files);
    expect(readCsvRows(files.videosPath)[0]?.sync_status).toBe("synced");
    expect(onlyBundle().videos[0]?.description).toBe(a);
    const configure = Object.entries(r3.apply?.ops ?? {}).find(([id]) => id.includes("configureVideos"));
    expect(configure?.[1]).toMatchObject({ status: "done" });
    expect(configure?.[1].replayed).toBeUndefined();
  });

  // The create sends the first title, so the first patch that can be replayed is the second B.
  it("bundle title A→B→A→B", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    await syncCsv(emu, files);
    const a = onlyBundle().title ?? "";
    editCsv(files.bundlesPath, (rows) => {
      if (rows[0]) rows[0].title = "B title";
      return rows;
    });
    await syncCsv(emu, files);
    expect(onlyBundle().title).toBe("B title");
    editCsv(files.bundlesPath, (rows) => {
      if (rows[0]) rows[0].title = a;
      return rows;
    });
    await syncCsv(emu, files);
    expect(onlyBundle().title).toBe(a);
    editCsv(files.bundlesPath, (rows) => {
      if (rows[0]) rows[0].title = "B title";
      return rows;
    });
    await syncCsv(emu, files);
    expect(readCsvRows(files.bundlesPath)[0]?.sync_status).toBe("synced");
    expect(onlyBundle().title).toBe("B title");
  });

  it("account visible_name", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    await syncCsv(emu, files);
    const a = onlyBundle().account?.visible_name ?? "";
    editCsv(files.bundlesPath, (rows) => {
      if (rows[0]) rows[0].visible_name = "B name";
      return rows;
    });
    await syncCsv(emu, files);
    expect(onlyBundle().account?.visible_name).toBe("B name");
    editCsv(files.bundlesPath, (rows) => {
      if (rows[0]) rows[0].visible_name = a;
      return rows;
    });
    await syncCsv(emu, files);
    expect(readCsvRows(files.bundlesPath)[0]?.sync_status).toBe("synced");
    expect(onlyBundle().account?.visible_name).toBe(a);
  });

  it("a retry within the run keeps its key: a lost configure answer is replayed, not applied twice", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    await syncCsv(emu, files);
    editCsv(files.videosPath, (rows) => {
      if (rows[0]) rows[0].description = "B text";
      return rows;
    });
    emu.setFaults({ rules: [{ operationId: "batchConfigureBundleVideos", action: "drop_after", times: 1 }] });
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    const calls = emu.requestLog(before).filter((e) => e.operationId === "batchConfigureBundleVideos");
    expect(calls.map((e) => e.replayed)).toEqual([false, true]);
    const configure = Object.entries(r.apply?.ops ?? {}).find(([id]) => id.includes("configureVideos"));
    expect(configure?.[1]).toMatchObject({ status: "done", replayed: true });
    expect(onlyBundle().videos[0]?.description).toBe("B text");
  });
});

describe("#3 a row whose update failed is never released", () => {
  it("a publish-all with a failed row becomes one publish per remaining position", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 3, publish: true });
    editCsv(files.videosPath, (rows) => {
      for (const r of rows.slice(1)) r.publish = "no";
      return rows;
    });
    await syncCsv(emu, files);
    expect(onlyBundle().status).toBe("published");
    expect(onlyBundle().videos.map((v) => v.status)).toEqual(["published", "configured", "configured"]);
    const oldCaption = onlyBundle().videos[1]?.description;
    writeFileSync(path.join(dir, "clip.avi"), "x");
    editCsv(files.videosPath, (rows) => {
      const [, second, third] = rows;
      if (!second || !third) throw new Error("rows");
      Object.assign(second, { video_url: "clip.avi", description: "NEW caption", publish: "yes" });
      Object.assign(third, { description: "other edit", publish: "yes" });
      return rows;
    });
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    // The plan asked for one publish-all (both configured slots go); the failed row turns it into one by one.
    expect(r.plan.ops.find((o) => o.kind === "publishVideos")).toMatchObject({
      all: true,
      positions: [2, 3],
    });
    const releases = emu.requestLog(before).filter((e) => e.operationId?.startsWith("publish"));
    expect(releases.map((e) => e.operationId)).toEqual(["publishBundleVideo"]);
    const rows = readCsvRows(files.videosPath);
    expect(rows[1]?.sync_status).toBe("error");
    expect(rows[2]?.sync_status).toBe("synced");
    const videos = onlyBundle().videos;
    expect(videos[1]).toMatchObject({ status: "configured", description: oldCaption });
    expect(videos[2]).toMatchObject({ status: "published", description: "other edit" });
  });

  it("the bundle publish waits when an update of an already-configured slot failed", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    await syncCsv(emu, files);
    expect(onlyBundle().videos.map((v) => v.status)).toEqual(["configured", "configured"]);
    const oldCaption = onlyBundle().videos[0]?.description;
    writeFileSync(path.join(dir, "clip.avi"), "x");
    editCsv(files.bundlesPath, (rows) => {
      if (rows[0]) rows[0].publish = "yes";
      return rows;
    });
    editCsv(files.videosPath, (rows) => {
      for (const r of rows) r.publish = "yes";
      if (rows[0]) Object.assign(rows[0], { video_url: "clip.avi", description: "NEW caption" });
      if (rows[1]) rows[1].description = "other edit";
      return rows;
    });
    const r = await syncCsv(emu, files);
    expect(r.plan.ops.some((o) => o.kind === "publishBundle")).toBe(true);
    expect(onlyBundle().status).toBe("pending_setup");
    expect(onlyBundle().videos[0]).toMatchObject({ status: "configured", description: oldCaption });
    expect(onlyBundle().videos[1]).toMatchObject({ status: "configured", description: "other edit" });
    const bundleRow = readCsvRows(files.bundlesPath)[0];
    expect(bundleRow?.sync_status).toBe("pending");
    const res = resultOf(r, "b:c01");
    expectFinding(res, "stale_rows_unpublished", undefined, { step: "publishBundle", rows: [2] });
    expect(bundleRow?.sync_message).toBe(res.message);
  });
});

describe("#4 a stored refusal of a charged step", () => {
  it("a 402 on create is asked again after the top-up, under a salted key, and charged once", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    const planned = await syncCsv(emu, files, { mode: "plan" });
    workspace().credits = 5; // another client of the workspace spent meanwhile
    const client = new TokPortalClient({ baseUrl: emu.url, apiKey: emu.apiKey });
    try {
      const first = await applyReport(planned.plan, client, {
        maxCredits: null,
        balance: planned.plan.totals.balance,
      });
      expect(Object.values(first.ops).map((o) => o.status)).toContain("failed");
    } finally {
      await client.close();
    }
    expect(Object.values(emu.state().bundles)).toHaveLength(0);
    workspace().credits = 10_000;
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    const creates = emu.requestLog(before).filter((e) => e.operationId === "createBundle");
    expect(creates.map((e) => [e.status, e.replayed])).toEqual([
      [402, true],
      [201, false],
    ]);
    expect(onlyBundle().external_ref).toBeTruthy();
    expect(readCsvRows(files.bundlesPath)[0]?.sync_status).toBe("synced");
    expect(r.creditsCharged).toBe(10_000 - workspace().credits);
    expect(debits().length).toBe(1);
  });
});

describe("#8 credits_charged", () => {
  it("a create whose answer was lost and was replayed on the retry counts in this run", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    const before = workspace().credits;
    emu.setFaults({ rules: [{ operationId: "createBundle", action: "drop_after", times: 1 }] });
    const r = await syncCsv(emu, files);
    expect(before - workspace().credits).toBe(34);
    expect(r.creditsCharged).toBe(34);
    expect(readCsvRows(files.bundlesPath)[0]?.credits_charged).toBe("34");
  });

  it("a single-table bundle adds a later charge to the total on its first videos row", async () => {
    const files = writeSingleTableCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    await syncCsv(emu, files);
    expect(readCsvRows(files.videosPath)[0]?.credits_charged).toBe(String(32 + 2 * 2));
    editCsv(files.videosPath, (rows) => {
      const first = rows[0];
      if (!first) throw new Error("rows");
      rows.push({
        ...first,
        video_ref: "c01-v3",
        target_publish_date: "2026-09-20",
        position: "",
        video_id: "",
        video_status: "",
        sync_status: "",
        sync_message: "",
        sync_fingerprint: "",
        synced_at: "",
      });
      return rows;
    });
    const r2 = await syncCsv(emu, files);
    expect(r2.creditsCharged).toBe(2);
    expect(readCsvRows(files.videosPath)[0]?.credits_charged).toBe(String(32 + 3 * 2));
  });
});
