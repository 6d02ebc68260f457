/**
 * Bundles-row edits TokPortal cannot apply, and edit slots, end to end through `runSync` against the
 * emulator: a changed profile of a delivered account and changed settings of a closed bundle lock the row
 * and keep its fingerprint (so the edit is not lost); edit_slots above TokPortal's count buys the
 * difference (charged once, within max_credits), below it locks; and the bundle's fingerprint covers only
 * what its row sends, so a new videos row makes no call for the bundle.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { opAction } from "../../src/cli/plan-table.ts";
import { addDays, editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding, resultOf } from "../support/findings.ts";
import { emulatorWorld } from "./support/world.ts";

const emu = sharedEmulator();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bundle-edits-"));
  emu.setFaults({});
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const { onlyBundle, debits } = emulatorWorld(emu);

/** Operation ids the emulator saw since `since`, sorted (retries included). */
const calls = (since: number) =>
  emu
    .requestLog(since)
    .map((e) => e.operationId ?? e.path)
    .sort();
const bundleRow = (file: string) => {
  const row = readCsvRows(file)[0];
  if (!row) throw new Error("no bundles row");
  return row;
};
const setBundleCells = (file: string, cells: Record<string, string>) =>
  editCsv(file, (rows) => {
    if (rows[0]) Object.assign(rows[0], cells);
    return rows;
  });

const READS = ["listBundleVideos", "listBundles"];

describe("a profile change a delivered account no longer takes", () => {
  it("locks the row, names the column and TokPortal's value, and keeps the fingerprint until reverted", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: true });
    await syncCsv(emu, files);
    expect(onlyBundle().status).toBe("published");
    const synced = bundleRow(files.bundlesPath);
    const oldName = onlyBundle().account?.username ?? "";
    setBundleCells(files.bundlesPath, { username: "new.handle", biography: "A new bio" });

    for (let run = 1; run <= 2; run++) {
      const before = emu.requestLog().length;
      const r = await syncCsv(emu, files);
      // Read, compared, and nothing sent.
      expect(calls(before)).toEqual(["getBundleAccount", ...READS]);
      expect(r.counts.locked).toBe(1);
      const row = bundleRow(files.bundlesPath);
      expect(row.sync_status).toBe("locked");
      const res = resultOf(r, "b:c01");
      expectFinding(res, "profile_closed", undefined, {
        state: "account",
        status: "published",
        columns: ["username", "biography"],
        have: [`"${oldName}"`, '"Fresh looks every morning, account c01"'],
      });
      expect(row.sync_message).toBe(res.message);
      // The next run must still see the edit.
      expect(row.sync_fingerprint).toBe(synced.sync_fingerprint);
    }
    expect(onlyBundle().account?.username).toBe(oldName);

    setBundleCells(files.bundlesPath, { username: synced.username ?? "", biography: synced.biography ?? "" });
    const r = await syncCsv(emu, files);
    expect(r.counts.locked).toBe(0);
    expect(bundleRow(files.bundlesPath)).toMatchObject({
      sync_status: "synced",
      sync_fingerprint: synced.sync_fingerprint,
    });
  });

  it("one column: the message names it as the row's column", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: true });
    await syncCsv(emu, files);
    setBundleCells(files.bundlesPath, { profile_picture: "https://example.com/p/other.jpg" });
    const r = await syncCsv(emu, files);
    const row = bundleRow(files.bundlesPath);
    expect(row.sync_status).toBe("locked");
    const res = resultOf(r, "b:c01");
    expectFinding(res, "profile_closed", "profile_picture", {
      state: "account",
      status: "published",
      columns: ["profile_picture"],
      have: ['"https://example.com/p/c01.jpg"'],
    });
    expect(row.sync_message).toBe(res.message);
  });
});

describe("settings of a closed bundle", () => {
  it("a changed title or auto_finalize_videos locks the row with TokPortal's values; no patch is sent", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: true });
    await syncCsv(emu, files);
    const synced = bundleRow(files.bundlesPath);
    onlyBundle().status = "completed";
    setBundleCells(files.bundlesPath, { title: "Renamed", auto_finalize_videos: "yes" });

    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    // The account is read (the row changed) only to compare.
    expect(calls(before)).toEqual(["getBundleAccount", ...READS]);
    expect(r.plan.ops).toEqual([]);
    const row = bundleRow(files.bundlesPath);
    expect(row.sync_status).toBe("locked");
    const res = resultOf(r, "b:c01");
    expectFinding(res, "settings_closed", undefined, {
      status: "completed",
      columns: ["title", "auto_finalize_videos"],
      have: ['"Campaign account c01"', "no"],
    });
    expect(row.sync_message).toBe(res.message);
    expect(row.sync_fingerprint).toBe(synced.sync_fingerprint);
    expect(onlyBundle().title).toBe("Campaign account c01");

    setBundleCells(files.bundlesPath, { auto_finalize_videos: "no" });
    const title = await syncCsv(emu, files);
    expect(bundleRow(files.bundlesPath)).toMatchObject({ sync_status: "locked" });
    expectFinding(resultOf(title, "b:c01"), "settings_closed", "title", {
      status: "completed",
      columns: ["title"],
      have: ['"Campaign account c01"'],
    });
  });
});

describe("edit_slots", () => {
  it("an increase buys the difference once, priced and charged as video_edit, shown in the plan", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    setBundleCells(files.bundlesPath, { edit_slots: "1" });
    await syncCsv(emu, files);
    expect(onlyBundle().edits_quantity).toBe(1);
    const created = bundleRow(files.bundlesPath);
    const charged = Number(created.credits_charged);
    expect(charged).toBe(32 + 2 * 2 + 3);

    setBundleCells(files.bundlesPath, { edit_slots: "2" });
    const planned = await syncCsv(emu, files, { mode: "plan" });
    const op = planned.plan.ops.find((o) => o.kind === "addEditSlots");
    expect(op).toMatchObject({
      kind: "addEditSlots",
      quantity: 1,
      cost: 3,
      rows: ["b:c01"],
      reasonCode: "edit_slots",
      reasonParams: { quantity: 1, want: 2, have: 1 },
    });
    expect(op && opAction(op)).toBe("add 1 edit slot");
    expect(planned.plan.totals.cost).toBe(3);

    // The answer is lost once: the retry carries the same key and is replayed, so one charge only.
    emu.setFaults({ rules: [{ operationId: "addEditSlots", action: "drop_after", times: 1 }] });
    const debitsBefore = debits().length;
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    const adds = emu.requestLog(before).filter((e) => e.operationId === "addEditSlots");
    expect(adds.map((e) => e.replayed)).toEqual([false, true]);
    expect(onlyBundle().edits_quantity).toBe(2);
    expect(debits().length - debitsBefore).toBe(1);
    expect(r.creditsCharged).toBe(3);
    expect(bundleRow(files.bundlesPath)).toMatchObject({
      sync_status: "synced",
      credits_charged: String(charged + 3),
    });

    // Nothing left to buy.
    const again = await syncCsv(emu, files);
    expect(again.plan.ops).toEqual([]);
    expect(onlyBundle().edits_quantity).toBe(2);
  });

  it("waits when max_credits cannot pay for it; nothing is bought", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    await syncCsv(emu, files);
    const synced = bundleRow(files.bundlesPath);
    setBundleCells(files.bundlesPath, { edit_slots: "2" });
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files, { maxCredits: 5 });
    expect(r.plan.totals.deferred).toEqual({ bundles: ["c01"], cost: 6 });
    expect(calls(before)).not.toContain("addEditSlots");
    expect(onlyBundle().edits_quantity).toBe(0);
    const row = bundleRow(files.bundlesPath);
    expect(row.sync_status).toBe("pending");
    expectFinding(resultOf(r, "b:c01"), "over_max_credits", undefined, {
      charge: 6,
      left: 5,
      maxCredits: 5,
      total: 6,
    });
    expect(row.sync_fingerprint).toBe(synced.sync_fingerprint);
  });

  it("a decrease locks the row: bought slots cannot be removed", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    setBundleCells(files.bundlesPath, { edit_slots: "2" });
    await syncCsv(emu, files);
    const synced = bundleRow(files.bundlesPath);
    setBundleCells(files.bundlesPath, { edit_slots: "1" });
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    expect(calls(before)).toEqual(["getBundleAccount", ...READS]);
    const row = bundleRow(files.bundlesPath);
    expect(row.sync_status).toBe("locked");
    const res = resultOf(r, "b:c01");
    expectFinding(res, "edit_slots_lowered", "edit_slots", { have: 2 });
    expect(row.sync_message).toBe(res.message);
    expect(row.sync_fingerprint).toBe(synced.sync_fingerprint);
    expect(onlyBundle().edits_quantity).toBe(2);
    // Its videos are not held back by it.
    expect(readCsvRows(files.videosPath).map((v) => v.sync_status)).toEqual(["synced", "synced"]);
  });

  it("an increase on a closed bundle locks the row", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: true });
    await syncCsv(emu, files);
    onlyBundle().status = "completed";
    setBundleCells(files.bundlesPath, { edit_slots: "1" });
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    expect(calls(before)).not.toContain("addEditSlots");
    expect(bundleRow(files.bundlesPath).sync_status).toBe("locked");
    expectFinding(resultOf(r, "b:c01"), "edit_slots_closed", "edit_slots", { status: "completed", have: 0 });
  });
});

describe("video_slots below what TokPortal has", () => {
  it("is a minimum already met: no call, the row says the slots stay", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    setBundleCells(files.bundlesPath, { video_slots: "3" });
    await syncCsv(emu, files);
    expect(onlyBundle().videos_quantity).toBe(3);
    setBundleCells(files.bundlesPath, { video_slots: "2" });
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    expect(calls(before)).toEqual(["getBundleAccount", ...READS]);
    expect(bundleRow(files.bundlesPath).sync_status).toBe("synced");
    const res = resultOf(r, "b:c01");
    expectFinding(res, "video_slots_floor_met", "video_slots", { have: 3, minSlots: 2 });
    expect(bundleRow(files.bundlesPath).sync_message).toBe(res.message);
    expect(onlyBundle().videos_quantity).toBe(3);
  });
});

describe("the bundle fingerprint covers only what the bundles row sends", () => {
  const addVideoRow = (videosPath: string) =>
    editCsv(videosPath, (rows) => {
      const last = rows[rows.length - 1];
      if (!last) throw new Error("no videos row");
      // Only the input cells: the outputs (ids, position, fingerprint) of a new row are empty.
      rows.push({
        video_ref: "c01-new",
        bundle_ref: "c01",
        video_type: "video",
        description: "A new look",
        target_publish_date: addDays(last.target_publish_date ?? "", 1),
        video_url: "https://example.com/v/c01-new.mp4",
        publish: "no",
      });
      return rows;
    });

  it("a new videos row: exactly the calls the new video needs, and the bundle row is untouched", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    await syncCsv(emu, files);
    const synced = bundleRow(files.bundlesPath);
    addVideoRow(files.videosPath);
    const before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    // The slot is bought (so prices and balance are read first) and configured; nothing for the bundle row.
    expect(calls(before)).toEqual([
      "addVideoSlots",
      "batchConfigureBundleVideos",
      "getCreditBalance",
      "getCreditCosts",
      ...READS,
    ]);
    expect(r.plan.ops.map((o) => o.kind)).toEqual(["addVideoSlots", "configureVideos"]);
    expect(bundleRow(files.bundlesPath)).toMatchObject({
      sync_status: "synced",
      sync_fingerprint: synced.sync_fingerprint,
    });
    expect(readCsvRows(files.videosPath)[2]).toMatchObject({ sync_status: "synced", position: "3" });
  });

  // Fingerprints stored by an older version differ once: the row is compared with TokPortal and nothing
  // is sent when nothing differs.
  it.each([
    ["pending_setup", false],
    ["published", true],
  ] as const)(
    "a stored fingerprint that differs with no real change sends nothing (%s)",
    async (status, publish) => {
      const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish });
      await syncCsv(emu, files);
      expect(onlyBundle().status).toBe(status);
      const synced = bundleRow(files.bundlesPath);
      setBundleCells(files.bundlesPath, { sync_fingerprint: "v1-0123456789abcdef" });
      const before = emu.requestLog().length;
      const r = await syncCsv(emu, files);
      expect(calls(before)).toEqual(["getBundleAccount", ...READS]);
      expect(r.plan.ops).toEqual([]);
      expect(bundleRow(files.bundlesPath)).toMatchObject({
        sync_status: "synced",
        sync_fingerprint: synced.sync_fingerprint,
      });
    },
  );
});

describe("a profile picture file replaced at the same path", () => {
  it("is uploaded and sent again while the account takes changes; an untouched file sends nothing", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    const picture = path.join(dir, "face.jpg");
    writeFileSync(picture, "first portrait");
    utimesSync(picture, 1_800_000_000, 1_800_000_000);
    setBundleCells(files.bundlesPath, { profile_picture: "face.jpg" });
    await syncCsv(emu, files);
    expect(onlyBundle().status).toBe("pending_setup");

    let before = emu.requestLog().length;
    await syncCsv(emu, files);
    expect(calls(before)).toEqual(READS);

    writeFileSync(picture, "a newer, longer portrait");
    utimesSync(picture, 1_800_000_100, 1_800_000_100);
    before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    const sent = calls(before).filter((c) => !READS.includes(c) && c !== "getBundleAccount");
    expect(sent).toContain("configureBundleAccount");
    expect(sent.some((c) => c.toLowerCase().includes("upload"))).toBe(true);
    expect(r.rows.find((x) => x.row.id === "b:c01")?.outcome).toBe("synced");
  });
});

describe("edit_slots beyond the sheet's own count of video slots", () => {
  it("is judged by TokPortal's slots on an existing bundle, and refuses a create (with its videos) on a new one", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    setBundleCells(files.bundlesPath, { video_slots: "4" });
    await syncCsv(emu, files);
    expect(onlyBundle().videos).toHaveLength(4);

    // The sheet alone counts 2 video slots; TokPortal has 4, so 3 edit slots can be bought.
    setBundleCells(files.bundlesPath, { video_slots: "", edit_slots: "3" });
    let before = emu.requestLog().length;
    const r = await syncCsv(emu, files);
    expect(calls(before)).toContain("addEditSlots");
    expect(r.rows.find((x) => x.row.id === "b:c01")?.outcome).toBe("synced");

    // A new bundle cannot start with more edit slots than video slots: nothing is created.
    mkdirSync(path.join(dir, "new"));
    const other = writeCampaign(path.join(dir, "new"), { bundles: 1, videosPerBundle: 2, prefix: "n" });
    setBundleCells(other.bundlesPath, { edit_slots: "5" });
    before = emu.requestLog().length;
    const refused = await syncCsv(emu, other);
    expect(calls(before)).not.toContain("createBundle");
    const outcome = (id: string) => refused.rows.find((x) => x.row.id === id);
    expect(outcome("b:n01")).toMatchObject({ outcome: "error" });
    expectFinding(outcome("b:n01")!, "edit_slots_over_video_slots", "edit_slots", {
      editSlots: 5,
      videoSlots: 2,
      known: "sheet",
    });
    for (const v of ["v:n01/n01-v1", "v:n01/n01-v2"]) {
      expect(outcome(v)?.outcome).toBe("error");
      expectFinding(outcome(v)!, "bundle_row_blocked", undefined, { rows: [2], rowStatus: "error" });
    }
  });
});
