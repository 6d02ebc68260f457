/**
 * The review loop, a download fix and pull backs end to end through `runSync` against the emulator, on its
 * simulated clock: the account sent back with a note then approved, one video approved, one sent back with
 * a note then approved, a video TokPortal could not download fixed from the sheet, and work pulled back
 * with the run's confirmation. Every write is counted: reruns and crashes never send one twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { opAction, opSymbol } from "../../src/cli/plan-table.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { emulatorWorld } from "./support/world.ts";

const emu = sharedEmulator();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-reviews-"));
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const { onlyBundle } = emulatorWorld(emu);
const mark = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
/** The writes TokPortal carried out since `since` (replays left out), sorted. */
const writes = (since: number) =>
  emu
    .requestLog(since)
    .filter((e) => e.method !== "GET" && !e.replayed && e.status < 400)
    .map((e) => e.operationId ?? e.path)
    .sort();
const advance = (hours: number) => emu.admin("POST", "/advance", { seconds: hours * 3600 });
const slot = (ref: string) => onlyBundle().videos.find((v) => v.external_ref === ref)!;
const videoRow = (file: string, ref: string) => readCsvRows(file).find((r) => r["video_ref"] === ref)!;
const setVideo = (file: string, ref: string, cells: Record<string, string>) =>
  editCsv(file, (rows) => {
    Object.assign(rows.find((r) => r["video_ref"] === ref)!, cells);
    return rows;
  });
const setBundle = (file: string, cells: Record<string, string>) =>
  editCsv(file, (rows) => {
    Object.assign(rows[0]!, cells);
    return rows;
  });
const codeOf = (report: RunReport, id: string) => report.rows.find((r) => r.row.id === id)?.code;

describe("the review loop on the sandbox clock", () => {
  it("reviews the account and the videos, fixes a download, and never sends a write twice", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 3 });
    setVideo(files.videosPath, "c01-v3", { video_url: "https://media.unreachable.invalid/c01-v3.mp4" });
    await syncCsv(emu, files);
    expect(onlyBundle().status).toBe("published");

    // The account is delivered and waits in review: sent back with a note, once.
    await advance(1);
    setBundle(files.bundlesPath, {
      account_review: "changes",
      account_review_note: "Use the brand logo as the profile picture",
      account_review_fields: "profile_picture",
    });
    let since = mark();
    await syncCsv(emu, files);
    expect(writes(since)).toEqual(["requestBundleAccountCorrections"]);
    expect(onlyBundle().account?.status).toBe("pending_corrections");
    expect(onlyBundle().account?.correction_comment).toBe("Use the brand logo as the profile picture");
    const bundleRow = () => readCsvRows(files.bundlesPath)[0]!;
    expect(bundleRow()["account_correction_message"]).toBe("Use the brand logo as the profile picture");
    expect(bundleRow()["review_marker"]).toMatch(/^c:[0-9a-f]{12}$/);
    since = mark();
    let report = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    expect(codeOf(report, "b:c01")).toBe("corrections_requested");

    // The manager resubmits a day later: the same note is not sent again; approve finalizes.
    await advance(25);
    since = mark();
    report = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    expect(codeOf(report, "b:c01")).toBe("corrections_resubmitted");
    setBundle(files.bundlesPath, { account_review: "approve" });
    since = mark();
    await syncCsv(emu, files);
    expect(writes(since)).toEqual(["finalizeBundleAccount"]);
    expect(onlyBundle().account?.status).toBe("finalized");

    // Posted videos wait in review (auto_finalize_videos = no); the third could not be downloaded.
    await advance(24 * 9 + 4);
    report = await syncCsv(emu, files);
    expect(slot("c01-v1").status).toBe("in_review");
    expect(slot("c01-v2").status).toBe("in_review");
    expect(slot("c01-v3").status).toBe("accepted");
    expect(slot("c01-v3").download_issue).toBe(true);
    expect(codeOf(report, "v:c01/c01-v3")).toBe("download_issue");
    expect(videoRow(files.videosPath, "c01-v1")["review_status"]).toBe("in_review");
    const broken = videoRow(files.videosPath, "c01-v3");
    expect(broken["download_issue"]).toContain("could not be opened");
    expect(broken["review_marker"]).toMatch(/^m:[0-9a-f]{12}$/);

    // One approved, one sent back with a note, a new link for the third: each sent once.
    setVideo(files.videosPath, "c01-v1", { review: "approve" });
    setVideo(files.videosPath, "c01-v2", {
      review: "changes",
      review_note: "Cut the first two seconds",
      review_fields: "video_editing",
    });
    setVideo(files.videosPath, "c01-v3", { video_url: "https://example.com/v/c01-v3-fixed.mp4" });
    since = mark();
    report = await syncCsv(emu, files);
    expect(writes(since)).toEqual([
      "finalizeBundleVideo",
      "fixBundleVideoDownload",
      "requestBundleVideoCorrections",
    ]);
    expect(slot("c01-v1").status).toBe("finalized");
    expect(slot("c01-v2").status).toBe("pending_corrections");
    expect(slot("c01-v2").correction_message).toBe("Cut the first two seconds");
    expect(slot("c01-v3").download_issue).toBe(false);
    const today = (await emu.admin("POST", "/advance", { seconds: 0 })).body.data.now.slice(0, 10);
    const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(slot("c01-v3").target_publish_date).toBe(tomorrow);
    expect(codeOf(report, "v:c01/c01-v3")).toBe("download_fixed");
    const fixed = videoRow(files.videosPath, "c01-v3");
    expect(fixed["download_issue"]).toBe("");
    expect(fixed["review_marker"]).toBe("");
    expect(fixed["sync_status"]).toBe("synced");
    // The sheet keeps the date as written; TokPortal's new date is in the row's message.
    expect(fixed["sync_message"]).toContain(tomorrow);
    const v2 = videoRow(files.videosPath, "c01-v2");
    expect(v2["review_status"]).toBe("changes_requested");
    expect(v2["correction_message"]).toBe("Cut the first two seconds");
    expect(v2["correction_requested_at"]).not.toBe("");
    expect(videoRow(files.videosPath, "c01-v1")["review_status"]).toBe("approved");
    since = mark();
    await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);

    // Resubmitted: the same note stays unsent; then approved. The fixed video is posted in its turn.
    await advance(25);
    since = mark();
    report = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    expect(slot("c01-v2").status).toBe("in_review");
    expect(codeOf(report, "v:c01/c01-v2")).toBe("corrections_resubmitted");
    setVideo(files.videosPath, "c01-v2", { review: "approve" });
    since = mark();
    await syncCsv(emu, files);
    expect(writes(since)).toEqual(["finalizeBundleVideo"]);
    expect(slot("c01-v2").status).toBe("finalized");
    expect(slot("c01-v3").status).toBe("in_review");
  });

  it("a crash after each review write sends none of them again", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 3 });
    setVideo(files.videosPath, "c01-v3", { video_url: "https://media.unreachable.invalid/c01-v3.mp4" });
    await syncCsv(emu, files);
    await advance(1);
    await advance(24 * 10 + 6);
    await syncCsv(emu, files);
    setVideo(files.videosPath, "c01-v1", { review: "approve" });
    setVideo(files.videosPath, "c01-v2", { review: "changes", review_note: "Louder music" });
    setVideo(files.videosPath, "c01-v3", { video_url: "https://example.com/v/c01-v3-fixed.mp4" });
    // Each write's answer is lost once (it was carried out); a failure stops the bundle's later steps.
    const crashed = ["finalizeBundleVideo", "requestBundleVideoCorrections", "fixBundleVideoDownload"];
    emu.setFaults({ rules: crashed.map((operationId) => ({ operationId, action: "drop_after", times: 1 })) });
    const since = mark();
    let failures = 0;
    for (let run = 0; run < 4; run++) {
      const report = await syncCsv(emu, files, { client: { retry: { maxRetries: 0 } } });
      failures += report.rows.filter((r) => r.code === "tokportal_unanswered").length;
    }
    expect(failures).toBe(3);
    expect(emu.requestLog(since).filter((e) => e.fault === "rule:drop_after")).toHaveLength(3);
    emu.setFaults({});
    await syncCsv(emu, files);
    // Each write carried out exactly once over three crashes and the reruns.
    expect(writes(since)).toEqual([...crashed].sort());
    expect(slot("c01-v2").status).toBe("pending_corrections");
    expect(videoRow(files.videosPath, "c01-v2")["review_marker"]).toMatch(/^c:/);
  });

  it("a verdict on a video not in review waits, and a changes verdict without a note is a row error", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2 });
    await syncCsv(emu, files);
    setVideo(files.videosPath, "c01-v1", { review: "approve" });
    setVideo(files.videosPath, "c01-v2", { review: "changes" });
    const since = mark();
    const report = await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);
    const v1 = report.rows.find((r) => r.row.id === "v:c01/c01-v1")!;
    expect([v1.outcome, v1.code]).toEqual(["synced", "review_waits"]);
    const v2 = report.rows.find((r) => r.row.id === "v:c01/c01-v2")!;
    expect([v2.outcome, v2.code, v2.column]).toEqual(["error", "review_note_missing", "review_note"]);
  });
});

describe("pulling published work back", () => {
  it("unschedules a released video and unpublishes a bundle only once confirmed, then configures the row again", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2 });
    await syncCsv(emu, files);
    expect(slot("c01-v2").status).toBe("published");

    setVideo(files.videosPath, "c01-v2", { publish: "no" });
    const plan = await syncCsv(emu, files, { mode: "plan" });
    const unschedule = plan.plan.ops.find((op) => op.kind === "unscheduleVideo")!;
    expect(unschedule.reasonCode).toBe("unschedule_publish_no");
    expect([opSymbol(unschedule), opAction(unschedule)]).toEqual([
      "-",
      `unschedule video #${slot("c01-v2").position} (destructive: clears the slot)`,
    ]);
    let since = mark();
    await expect(syncCsv(emu, files, { confirm: async () => false })).rejects.toThrow(/declined/);
    expect(writes(since)).toEqual([]);

    since = mark();
    let report = await syncCsv(emu, files, { confirm: async () => true });
    expect(writes(since)).toEqual(["unscheduleBundleVideo"]);
    expect(codeOf(report, "v:c01/c01-v2")).toBe("unscheduled_reconfigure");
    // The next run configures the row again, and keeps it unreleased (publish = no).
    since = mark();
    await syncCsv(emu, files, { confirm: async () => true });
    expect(writes(since)).toEqual(["batchConfigureBundleVideos"]);
    expect(slot("c01-v2").status).toBe("configured");
    since = mark();
    await syncCsv(emu, files);
    expect(writes(since)).toEqual([]);

    // The bundle itself, published and not yet accepted: unpublished (no refund), once.
    setBundle(files.bundlesPath, { publish: "no" });
    const credits = Object.values(emu.state().workspaces)[0]!.credits;
    since = mark();
    report = await syncCsv(emu, files, { confirm: async () => true });
    expect(writes(since)).toEqual(["unpublishBundle"]);
    expect(onlyBundle().status).toBe("pending_setup");
    expect(codeOf(report, "b:c01")).toBe("bundle_unpublished");
    expect(Object.values(emu.state().workspaces)[0]!.credits).toBe(credits);
    since = mark();
    await syncCsv(emu, files, { confirm: async () => true });
    expect(writes(since)).toEqual([]);
  });
});
