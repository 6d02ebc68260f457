/**
 * Videos-row edits end to end through `runSync` against the emulator: a local media file replaced at the
 * same path is uploaded and configured again (or locks the row once TokPortal no longer takes edits); a row
 * with no stored fingerprint adopts its slot only when every field TokPortal shows back is equal; and an
 * explicit `position` never overwrites a video the sheet does not have, nor claims a published slot holding
 * another video.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintOf } from "../../src/sync/fingerprint.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding } from "../support/findings.ts";
import { emulatorWorld } from "./support/world.ts";

const emu = sharedEmulator();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "video-edits-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const { onlyBundle } = emulatorWorld(emu);
const slotAt = (position: number) => onlyBundle().videos.find((v) => v.position === position)!;
const mark = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
/** The writes TokPortal carried out since `since` (replays of an idempotency key left out), sorted. */
const writes = (since: number) =>
  emu
    .requestLog(since)
    .filter((e) => e.method !== "GET" && !e.replayed)
    .map((e) => e.operationId ?? e.path)
    .sort();
const replays = (since: number) =>
  emu
    .requestLog(since)
    .filter((e) => e.replayed)
    .map((e) => e.operationId ?? e.path);
const rowOf = (file: string, ref: string) => readCsvRows(file).find((r) => r["video_ref"] === ref)!;
const setRow = (file: string, ref: string, cells: Record<string, string>) =>
  editCsv(file, (rows) => {
    Object.assign(rows.find((r) => r["video_ref"] === ref)!, cells);
    return rows;
  });
const outcome = (report: RunReport, ref: string) => report.rows.find((r) => r.row.id === `v:c01/${ref}`)!;

/** Writes `content` at `file` and stamps it with `mtime` (seconds), as a user's editor saving a new cut. */
function writeMedia(file: string, content: string, mtime: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  utimesSync(file, mtime, mtime);
}

/** The bytes the emulator serves at a slot's re-hosted video URL (what TokPortal would post). */
async function served(url: string | null): Promise<string> {
  const res = await fetch(url!);
  return res.text();
}

describe("a local media file replaced at the same path", () => {
  it("is uploaded again and its slot configured again while editable; an untouched file makes no call", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    const clip = path.join(dir, "media", "clip.mp4");
    const second = path.join(dir, "media", "b.png");
    writeMedia(clip, "first cut", 1_800_000_000);
    writeMedia(path.join(dir, "media", "a.jpg"), "image a", 1_800_000_000);
    writeMedia(second, "image b", 1_800_000_000);
    setRow(files.videosPath, "c01-v1", { video_url: "media/clip.mp4" });
    setRow(files.videosPath, "c01-v2", {
      video_type: "carousel",
      video_url: "",
      carousel_images: "media/a.jpg;media/b.png",
      tiktok_sound_url: "https://www.tiktok.com/music/spring-123",
    });
    const first = await syncCsv(emu, files);
    expect(first.counts.synced).toBe(3);
    expect(await served(slotAt(1).video_url)).toBe("first cut");
    const images = slotAt(2).carousel_images;
    const fingerprint = rowOf(files.videosPath, "c01-v1")["sync_fingerprint"];

    let since = mark();
    await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);

    // Same size, new content, a later save: the cells do not change, the files do.
    writeMedia(clip, "final cut", 1_800_000_600);
    writeMedia(second, "image B", 1_800_000_600);
    since = mark();
    const rerun = await syncCsv(emu, files);
    expect(writes(since)).toEqual(["batchConfigureBundleVideos", "uploadImageDirect", "uploadVideoDirect"]);
    // The unchanged image's upload is asked again for its storage path, and replays.
    expect(replays(since)).toEqual(["uploadImageDirect"]);
    expect(rerun.counts).toMatchObject({ synced: 3, error: 0, locked: 0 });
    expect(await served(slotAt(1).video_url)).toBe("final cut");
    expect(slotAt(2).carousel_images[0]).toBe(images[0]);
    expect(slotAt(2).carousel_images[1]).not.toBe(images[1]);
    expect(rowOf(files.videosPath, "c01-v1")["sync_fingerprint"]).not.toBe(fingerprint);

    since = mark();
    await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
  });

  it("locks the row, with no call, once its video is with the account manager", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: true });
    const clip = path.join(dir, "media", "clip.mp4");
    writeMedia(clip, "first cut", 1_800_000_000);
    setRow(files.videosPath, "c01-v1", { video_url: "media/clip.mp4" });
    await syncCsv(emu, files);
    expect(slotAt(1).status).toBe("published");

    writeMedia(clip, "final cut", 1_800_000_600);
    const since = mark();
    const rerun = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    expect(outcome(rerun, "c01-v1").outcome).toBe("locked");
    const row = rowOf(files.videosPath, "c01-v1");
    expect(row["sync_status"]).toBe("locked");
    const res = outcome(rerun, "c01-v1");
    expectFinding(res, "video_changed_too_late", undefined, {
      videoRef: "c01-v1",
      status: "published",
      columns: [],
      localFile: true,
    });
    expect(row["sync_message"]).toBe(res.message);
    expect(await served(slotAt(1).video_url)).toBe("first cut");
  });
});

describe("a fingerprint stored before file identities were part of it", () => {
  it("still stands for the unchanged row: no call, no lock, and the current fingerprint is written", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: true });
    writeMedia(path.join(dir, "media", "clip.mp4"), "the cut", 1_800_000_000);
    setRow(files.videosPath, "c01-v1", { video_url: "media/clip.mp4" });
    await syncCsv(emu, files);
    expect(slotAt(1).status).toBe("published");
    const current = rowOf(files.videosPath, "c01-v1");
    // What an earlier version stored: the hash of the body alone (the row's cells as sent).
    const legacy = fingerprintOf({
      body: {
        video_type: "video",
        description: current["description"],
        target_publish_date: current["target_publish_date"],
        external_ref: "c01-v1",
        video_url: "media/clip.mp4",
      },
    });
    expect(legacy).not.toBe(current["sync_fingerprint"]);
    setRow(files.videosPath, "c01-v1", { sync_fingerprint: legacy });
    const since = mark();
    const rerun = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    expect(outcome(rerun, "c01-v1").outcome).toBe("synced");
    expect(rowOf(files.videosPath, "c01-v1")["sync_fingerprint"]).toBe(current["sync_fingerprint"]);
  });
});

describe("a row with no stored fingerprint on a slot that carries its ref", () => {
  const rich = {
    name: "Hero look",
    editing_instructions: "Cut on the beat",
    volume_original_sound: "40",
  };

  /** The rows' editing instructions each use one of the bundle's edit slots. */
  const withEditSlots = (file: string, n: number) =>
    editCsv(file, (rows) => rows.map((r) => ({ ...r, edit_slots: String(n) })));

  it("is adopted when every field TokPortal shows back is equal, and configured when one differs", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    withEditSlots(files.bundlesPath, 2);
    setRow(files.videosPath, "c01-v1", rich);
    setRow(files.videosPath, "c01-v2", { ...rich, name: "Second look" });
    await syncCsv(emu, files);
    const stored = readCsvRows(files.videosPath).map((r) => r["sync_fingerprint"]);
    expect(stored.every((f) => f?.startsWith("v1-"))).toBe(true);

    // The sheet restored from a copy taken before the first run's results: no fingerprint, same cells.
    const clearFingerprints = () =>
      editCsv(files.videosPath, (rows) => {
        for (const r of rows) r["sync_fingerprint"] = "";
        return rows;
      });
    clearFingerprints();
    let since = mark();
    const adopted = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    expect(adopted.counts).toMatchObject({ synced: 3, error: 0, locked: 0 });
    expect(readCsvRows(files.videosPath).map((r) => r["sync_fingerprint"])).toEqual(stored);

    // Restored from an older copy, where one field TokPortal shows back was different.
    clearFingerprints();
    setRow(files.videosPath, "c01-v2", { editing_instructions: "Slow pans only" });
    since = mark();
    const differs = await syncCsv(emu, files);
    expect(writes(since)).toEqual(["batchConfigureBundleVideos"]);
    const op = differs.plan.ops.find((o) => o.kind === "configureVideos")!;
    expect(op.reason).toBe("differs from TokPortal: editing_instructions (row 3)");
    expect(op.rows).toEqual(["v:c01/c01-v2"]);
    expect(slotAt(2).editing_instructions).toBe("Slow pans only");
    expect(slotAt(1).editing_instructions).toBe("Cut on the beat");
  });

  it("naming a local file is configured again (TokPortal's copy cannot be compared)", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    writeMedia(path.join(dir, "media", "clip.mp4"), "the cut", 1_800_000_000);
    setRow(files.videosPath, "c01-v1", { video_url: "media/clip.mp4" });
    await syncCsv(emu, files);
    setRow(files.videosPath, "c01-v1", { sync_fingerprint: "" });
    const since = mark();
    const rerun = await syncCsv(emu, files);
    // The upload replays (same content, same idempotency key); the slot is configured again.
    expect(writes(since)).toEqual(["batchConfigureBundleVideos"]);
    expect(replays(since)).toEqual(["uploadVideoDirect"]);
    expect(outcome(rerun, "c01-v1").outcome).toBe("synced");
    expect(rowOf(files.videosPath, "c01-v1")["sync_fingerprint"]).toMatch(/^v1-/);
  });

  it("is locked, naming the columns, when its video is already with the account manager", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: true });
    withEditSlots(files.bundlesPath, 1);
    setRow(files.videosPath, "c01-v1", rich);
    await syncCsv(emu, files);
    expect(slotAt(1).status).toBe("published");
    setRow(files.videosPath, "c01-v1", {
      sync_fingerprint: "",
      editing_instructions: "Slow pans only",
      volume_original_sound: "60",
    });
    const since = mark();
    const rerun = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    const row = rowOf(files.videosPath, "c01-v1");
    expect(row["sync_status"]).toBe("locked");
    expectFinding(outcome(rerun, "c01-v1"), "video_differs_too_late", undefined, {
      videoRef: "c01-v1",
      status: "published",
      columns: ["editing_instructions", "volume_original_sound"],
    });
    expect(slotAt(1).editing_instructions).toBe("Cut on the beat");
  });
});

describe("an explicit position", () => {
  it("never overwrites a video no row of the sheet has (an orphan)", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2, publish: false });
    await syncCsv(emu, files);
    // c01-v2 leaves the sheet; a new row asks for its slot.
    editCsv(files.videosPath, (rows) => [
      rows[0]!,
      {
        video_ref: "c01-new",
        bundle_ref: "c01",
        position: "2",
        video_type: "video",
        description: "A new look",
        target_publish_date: "2026-09-15",
        video_url: "https://example.com/v/new.mp4",
        publish: "no",
      },
    ]);
    const since = mark();
    const rerun = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    expect(rerun.plan.orphans.videos).toEqual(["c01/c01-v2"]);
    const row = rowOf(files.videosPath, "c01-new");
    expect(row["sync_status"]).toBe("error");
    const res = outcome(rerun, "c01-new");
    expectFinding(res, "position_holds_orphan", "position", {
      position: 2,
      bundleRef: "c01",
      videoRef: "c01-v2",
    });
    expect(row["sync_message"]).toBe(res.message);
    expect(slotAt(2)).toMatchObject({
      external_ref: "c01-v2",
      description: expect.stringContaining("Look 2"),
    });

    // The fix the message names: a blank position takes a new slot.
    setRow(files.videosPath, "c01-new", { position: "" });
    const fixed = await syncCsv(emu, files);
    expect(outcome(fixed, "c01-new").outcome).toBe("synced");
    expect(rowOf(files.videosPath, "c01-new")["position"]).toBe("3");
    expect(slotAt(2).external_ref).toBe("c01-v2");
  });

  it("does not claim a published slot without a ref that holds another video; a matching row claims it", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    editCsv(files.bundlesPath, (rows) => {
      rows[0]!["video_slots"] = "2";
      return rows;
    });
    await syncCsv(emu, files);
    // Slot 2 configured on TokPortal by hand, without a ref, then the bundle is published.
    const bundleId = onlyBundle().id;
    const hand = { video_type: "video", description: "Made by hand", target_publish_date: "2026-09-12" };
    const put = await emu.api("PUT", `/bundles/${bundleId}/videos/2`, {
      body: { ...hand, video_url: "https://example.com/v/hand.mp4" },
      headers: { "idempotency-key": "test-hand-configure" },
    });
    expect(put.status).toBe(200);
    editCsv(files.bundlesPath, (rows) => {
      rows[0]!["publish"] = "yes";
      return rows;
    });
    setRow(files.videosPath, "c01-v1", { publish: "yes" });
    await syncCsv(emu, files);
    expect(slotAt(2)).toMatchObject({ status: "published", external_ref: null });

    editCsv(files.videosPath, (rows) => [
      ...rows,
      {
        video_ref: "c01-hand",
        bundle_ref: "c01",
        position: "2",
        video_type: "video",
        description: "Another caption",
        target_publish_date: "2026-09-12",
        video_url: "https://example.com/v/hand.mp4",
        publish: "yes",
      },
    ]);
    let since = mark();
    const refused = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    const row = rowOf(files.videosPath, "c01-hand");
    expect(row["sync_status"]).toBe("error");
    expectFinding(outcome(refused, "c01-hand"), "position_holds_other_video", "position", {
      position: 2,
      bundleRef: "c01",
      status: "published",
      columns: ["description"],
    });
    expect(slotAt(2).external_ref).toBeNull();

    // The row that does describe that video claims it: only its ref can be set now.
    setRow(files.videosPath, "c01-hand", { description: hand.description });
    since = mark();
    const claimed = await syncCsv(emu, files);
    expect(writes(since)).toEqual(["patchBundleVideo"]);
    expect(outcome(claimed, "c01-hand").outcome).toBe("synced");
    expect(slotAt(2).external_ref).toBe("c01-hand");
  });
});
