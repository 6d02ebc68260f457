/**
 * One campaign through its whole life on the sandbox's clock, each step one sync run on CSV files edited
 * between runs as a user would: an account ordered with warming → the account delivered → a follow-up
 * videos_only order on it (`account_bundle_ref`) → a story and disclosures configured → the review (one
 * video approved, one sent back with a note then approved) → a download issue fixed from the sheet →
 * analytics and followers in the sheet, with the run log and the analytics history beside it.
 *
 * The life is lived twice on a fresh sandbox: once cleanly, counting every run's calls; once with the
 * answer of every write kind lost once at each step (the sandbox carried it out, the sync never heard).
 * After every step a rerun with nothing changed sends no write (and writes no cell). The crashed life
 * carries out the writes of the clean one, each once (one free re-configure excepted, see `crashWrites`),
 * and its ledger holds the same debits: nothing charged twice.
 *
 * Then the account review with its answers lost, and a download fix whose row changed other columns too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSource } from "../../src/sources/index.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { editCsv, readCsvRows, syncCsv, syncSource, writeCampaign, writeCsv } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectLeadingFinding } from "../support/findings.ts";
import { emulatorWorld } from "./support/world.ts";

// The token bucket runs on the real clock; a whole life makes a few hundred calls in a few seconds, so it
// is widened here (rate limits have their own tests).
const emu = sharedEmulator({ bucket: { capacity: 1000, refillPerSecond: 500 } });
const { debits } = emulatorWorld(emu);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-life-"));
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const BUNDLE_HEADER = [
  "bundle_ref",
  "bundle_type",
  "country",
  "username",
  "visible_name",
  "biography",
  "profile_picture",
  "advanced_warming_terms",
  "account_bundle_ref",
  "auto_finalize_videos",
  "publish",
  "followers",
];
const VIDEO_HEADER = [
  "video_ref",
  "bundle_ref",
  "video_type",
  "description",
  "target_publish_date",
  "video_url",
  "publish",
];

interface Files {
  bundlesPath: string;
  videosPath: string;
}

function writeLife(): Files {
  const bundlesPath = path.join(dir, "bundles.csv");
  const videosPath = path.join(dir, "videos.csv");
  writeCsv(bundlesPath, BUNDLE_HEADER, [
    {
      bundle_ref: "acc",
      bundle_type: "account_and_videos",
      country: "US",
      username: "daily.acc",
      visible_name: "Daily Acc",
      biography: "Fresh looks",
      profile_picture: "https://example.com/p/acc.jpg",
      advanced_warming_terms: "fitness; gym; yoga",
      auto_finalize_videos: "no",
      publish: "yes",
    },
  ]);
  const video = (ref: string, date: string, url = `https://example.com/v/${ref}.mp4`) => ({
    video_ref: ref,
    bundle_ref: "acc",
    video_type: "video",
    description: `Look ${ref} #spring`,
    target_publish_date: date,
    video_url: url,
    publish: "yes",
  });
  writeCsv(videosPath, VIDEO_HEADER, [
    video("a1", "2026-09-10"),
    video("a2", "2026-09-11"),
    // TokPortal cannot download this one (the sandbox's unreachable links, docs/emulator.md).
    video("a3", "2026-09-12", "https://cdn.example.com/unreachable/a3.mp4"),
  ]);
  return { bundlesPath, videosPath };
}

const setRow = (file: string, key: string, ref: string, cells: Record<string, string>) =>
  editCsv(file, (rows) => {
    Object.assign(rows.find((r) => r[key] === ref)!, cells);
    return rows;
  });
const setVideo = (files: Files, ref: string, cells: Record<string, string>) =>
  setRow(files.videosPath, "video_ref", ref, cells);
const setBundle = (files: Files, ref: string, cells: Record<string, string>) =>
  setRow(files.bundlesPath, "bundle_ref", ref, cells);
const videoRow = (files: Files, ref: string) =>
  readCsvRows(files.videosPath).find((r) => r["video_ref"] === ref)!;
const bundleRow = (files: Files, ref: string) =>
  readCsvRows(files.bundlesPath).find((r) => r["bundle_ref"] === ref)!;
const codeOf = (report: RunReport, id: string) => report.rows.find((r) => r.row.id === id)?.code;
const advanceHours = (hours: number) => emu.advance(hours * 3600);
const bundleOf = (ref: string) =>
  Object.values(emu.state().bundles).find((b) => b.external_ref === `t-${ref}`)!;
const slot = (bundle: string, ref: string) => bundleOf(bundle).videos.find((v) => v.external_ref === ref)!;

const mark = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
/** The writes the sandbox carried out since `since`: an answer lost after the handler ran counts, a replay not. */
const carriedOutEntries = (since: number) =>
  emu
    .requestLog(since)
    .filter(
      (e) =>
        e.method !== "GET" &&
        !e.replayed &&
        !e.dry_run &&
        (e.fault === "rule:drop_after" || (e.fault === null && e.status < 400)),
    );
const carriedOut = (since: number) => carriedOutEntries(since).map((e) => e.operationId ?? e.path);
/** The same as requests, with each bundle's ref in place of its id. */
const carriedOutAt = (since: number) => {
  const refs = new Map(Object.values(emu.state().bundles).map((b) => [b.id, b.external_ref] as const));
  return carriedOutEntries(since).map(
    (e) => `${e.method} ${e.path.replace(/[0-9a-f-]{36}/g, (id) => refs.get(id) ?? ":id")}`,
  );
};

/** A sync run as the CLI makes it, with the run log and the analytics history beside the CSVs. */
function sync(files: Files, o: { maxRetries?: number } = {}): Promise<RunReport> {
  const source = createSource(
    {
      type: "csv",
      bundles: path.basename(files.bundlesPath),
      videos: path.basename(files.videosPath),
      run_log: true,
      analytics_history: true,
    },
    { baseDir: dir },
  );
  return syncSource(emu, source, {
    baseDir: dir,
    ...(o.maxRetries === undefined ? {} : { client: { retry: { maxRetries: o.maxRetries } } }),
  });
}

interface Step {
  name: string;
  /** The user's edits (and the sandbox clock moving) before the run. */
  before: (files: Files) => unknown;
  /** The writes the sandbox carries out for this step, each once, in the order sent. */
  writes: string[];
  /**
   * When the step's answers are lost: the writes carried out, if not `writes`. A row changed on a slot
   * still being configured is configured again after a lost answer (its stored fingerprint is the old
   * one, and media cannot be compared with TokPortal's re-hosted copy): the same body, free, since the
   * slot then shows its paid options (docs/tokportal-api.md §5); see src/sync/steps/settle.ts.
   */
  crashWrites?: string[];
  /** TokPortal calls of the step's run and of the rerun after it, on the clean life. */
  calls: [run: number, rerun: number];
  /** Cells the rerun after the step writes (default none). */
  rerunCells?: number;
  /** What the run's outcome must show. */
  check: (files: Files, report: RunReport, crashed: boolean) => void;
}

const STEPS: Step[] = [
  {
    name: "order with warming",
    writes: ["createBundle", "configureBundleAccount", "batchConfigureBundleVideos", "publishBundle"],
    calls: [8, 2],
    before: () => undefined,
    check: (files, report) => {
      expect(bundleOf("acc").advanced_warming_terms).toEqual(["fitness", "gym", "yoga"]);
      expect(bundleOf("acc").status).toBe("published");
      expect(codeOf(report, "b:acc")).toBeUndefined();
      expect(bundleRow(files, "acc")["sync_status"]).toBe("synced");
    },
  },
  {
    name: "account delivered",
    writes: [],
    calls: [4, 3],
    before: () => advanceHours(1),
    check: (files) => {
      const row = bundleRow(files, "acc");
      expect(row["saved_account_id"]).toBe(bundleOf("acc").saved_account_id);
      expect(row["account_username"]).toBe("daily.acc");
      expect(row["account_url"]).toBe("https://www.tiktok.com/@daily.acc");
    },
  },
  {
    name: "follow-up order on the delivered account",
    writes: ["createBundle", "batchConfigureBundleVideos"],
    calls: [7, 4],
    before: (files) => {
      editCsv(files.bundlesPath, (rows) => [
        ...rows,
        { bundle_ref: "fu", bundle_type: "videos_only", account_bundle_ref: "acc", publish: "no" },
      ]);
      editCsv(files.videosPath, (rows) => [
        ...rows,
        ...["f1", "f2"].map((ref, i) => ({
          video_ref: ref,
          bundle_ref: "fu",
          video_type: "video",
          description: `Follow-up ${ref} #spring`,
          target_publish_date: `2026-09-0${4 + i}`,
          video_url: `https://example.com/v/${ref}.mp4`,
          publish: "yes",
        })),
      ]);
    },
    check: (files) => {
      expect(bundleOf("fu").account_id).toBe(bundleOf("acc").saved_account_id);
      expect(bundleRow(files, "fu")["sync_status"]).toBe("synced");
      expect(slot("fu", "f1").status).toBe("configured");
    },
  },
  {
    name: "a story and disclosures configured, the follow-up published",
    writes: ["batchConfigureBundleVideos", "publishBundle"],
    crashWrites: ["batchConfigureBundleVideos", "batchConfigureBundleVideos", "publishBundle"],
    calls: [8, 4],
    before: (files) => {
      setVideo(files, "f1", {
        ai_content_disclaimer: "yes",
        disclose_as_ads: "yes",
        instant_repost_as_story: "yes",
      });
      setVideo(files, "f2", {
        video_type: "story",
        description: "",
        story_repost_url: "https://www.tiktok.com/@brand/video/7400000000000000009",
      });
      setBundle(files, "fu", { publish: "yes" });
    },
    check: () => {
      expect(slot("fu", "f1")).toMatchObject({ ai_content_disclaimer: true, instant_repost_as_story: true });
      expect(slot("fu", "f2")).toMatchObject({ video_type: "story", description: null });
      expect(bundleOf("fu").status).toBe("published");
    },
  },
  {
    name: "posted: two videos in review, one with a download issue",
    writes: [],
    calls: [6, 5],
    before: () => advanceHours(24 * 11 + 6),
    check: (files, report) => {
      expect(videoRow(files, "a1")["review_status"]).toBe("in_review");
      expect(videoRow(files, "a2")["review_status"]).toBe("in_review");
      expect(codeOf(report, "v:acc/a3")).toBe("download_issue");
      expect(videoRow(files, "a3")["download_issue"]).not.toBe("");
    },
  },
  {
    name: "review: one approved, one sent back with a note",
    writes: ["finalizeBundleVideo", "requestBundleVideoCorrections"],
    calls: [7, 5],
    before: (files) => {
      setVideo(files, "a1", { review: "approve" });
      setVideo(files, "a2", { review: "changes", review_note: "Cut the first two seconds" });
    },
    check: (files) => {
      expect(slot("acc", "a1").status).toBe("finalized");
      expect(slot("acc", "a2").status).toBe("pending_corrections");
      expect(videoRow(files, "a2")["correction_message"]).toBe("Cut the first two seconds");
    },
  },
  {
    name: "the download issue fixed from the sheet",
    writes: ["fixBundleVideoDownload"],
    // The rerun's message is the row's plain state: the fix's note (TokPortal's new date) is replaced.
    rerunCells: 1,
    calls: [6, 5],
    before: (files) => setVideo(files, "a3", { video_url: "https://example.com/v/a3-fixed.mp4" }),
    check: (files, report, crashed) => {
      expect(slot("acc", "a3").download_issue).toBe(false);
      // After a lost answer the fix is found done: the row is synced, without the day TokPortal moved it to.
      expect(codeOf(report, "v:acc/a3")).toBe(crashed ? undefined : "download_fixed");
      expect(videoRow(files, "a3")["download_issue"]).toBe("");
    },
  },
  {
    name: "resubmitted, then approved",
    writes: ["finalizeBundleVideo"],
    calls: [6, 5],
    before: async (files) => {
      await advanceHours(25);
      setVideo(files, "a2", { review: "approve" });
    },
    check: (files) => {
      expect(slot("acc", "a2").status).toBe("finalized");
      expect(videoRow(files, "a2")["review_status"]).toBe("approved");
    },
  },
  {
    name: "analytics and followers in the sheet",
    writes: [],
    calls: [6, 5],
    before: () => advanceHours(24 * 5),
    check: (files) => {
      expect(Number(videoRow(files, "a1")["views"])).toBeGreaterThan(0);
      expect(Number(videoRow(files, "f1")["views"])).toBeGreaterThan(0);
      expect(Number(bundleRow(files, "acc")["followers"])).toBeGreaterThan(0);
      expect(readCsvRows(path.join(dir, "analytics-history.csv")).length).toBeGreaterThan(0);
      expect(readCsvRows(path.join(dir, "sync-runs.csv")).length).toBeGreaterThan(0);
    },
  },
];

/** The ledger's debits over the whole life: the two orders and the two paid options, once each. */
const DEBITS = [
  { account_creation: 32, video_slots: 6, edit_slots: 0, advanced_warming: 15 },
  { account_creation: 0, video_slots: 4, edit_slots: 0, advanced_warming: 0 },
  { instant_repost_as_story: 1 },
  { story_repost: 1 },
];

const callsOf = (r: RunReport) => Object.values(r.calls).reduce((a, b) => a + b, 0);

/** Runs a step whose write kinds each lose their answer once, until a run gets through; returns that run. */
async function crashedStep(files: Files, step: Step): Promise<RunReport> {
  const kinds = [...new Set(step.writes)];
  emu.setFaults({
    rules: kinds.map((operationId) => ({ operationId, action: "drop_after" as const, times: 1 })),
  });
  const since = mark();
  // A lost answer stops the bundle's later steps, so each kind takes a run of its own.
  let unanswered = 0;
  for (let run = 0; run < kinds.length; run++) {
    const report = await sync(files, { maxRetries: 0 });
    unanswered += report.rows.filter((r) => r.code === "tokportal_unanswered").length;
  }
  const dropped = emu.requestLog(since).filter((e) => e.fault === "rule:drop_after");
  expect(dropped.map((e) => e.operationId).sort(), `${step.name}: every kind crashed once`).toEqual(
    kinds.sort(),
  );
  expect(unanswered, step.name).toBeGreaterThanOrEqual(kinds.length);
  emu.setFaults({});
  return sync(files);
}

/** Lives the campaign's life, step by step, and checks what each step carried out and cost. */
async function live(crash: boolean): Promise<string[]> {
  const files = writeLife();
  const all: string[] = [];
  for (const step of STEPS) {
    await step.before(files);
    const since = mark();
    const report = crash ? await crashedStep(files, step) : await sync(files);
    expect(carriedOut(since), step.name).toEqual((crash && step.crashWrites) || step.writes);
    expect(report.counts.error, step.name).toBe(0);
    step.check(files, report, crash);
    all.push(...carriedOutAt(since));
    // Nothing changed: nothing is written.
    const again = mark();
    const rerun = await sync(files);
    expect(carriedOut(again), `${step.name}: the rerun`).toEqual([]);
    if (!crash) {
      expect([callsOf(report), callsOf(rerun)], `${step.name}: calls`).toEqual(step.calls);
      expect(rerun.write?.cellsWritten ?? 0, `${step.name}: cells the rerun writes`).toBe(
        step.rerunCells ?? 0,
      );
    }
  }
  expect(debits().map((d) => d.breakdown)).toEqual(DEBITS);
  return all;
}

describe("one campaign through its whole life", () => {
  it("each step is one run with its calls counted; a rerun after each sends no write", async () => {
    const writes = await live(false);
    // The same request twice: the two orders (the account, the follow-up), and the follow-up's batch (its
    // videos, then the story and the options). Every other write went out once over the whole life.
    const seen = new Map<string, number>();
    for (const w of writes) seen.set(w, (seen.get(w) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([
      ["POST /api/ext/bundles", 2],
      ["PUT /api/ext/bundles/t-fu/videos/batch", 2],
    ]);
    expect(writes).toHaveLength(STEPS.flatMap((s) => s.writes).length);
  });

  it("a lost answer on every write kind at every step: nothing is carried out or charged twice", async () => {
    await live(true);
  });
});

describe("the account review when its answers are lost", () => {
  it("corrections and the finalize are each carried out once, and the bundles row says what was done", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1 });
    await syncCsv(emu, files);
    await advanceHours(1);
    const account = () => bundleOf("c01").account;
    expect(account()?.status).toBe("in_review");
    const bundleCells = () => readCsvRows(files.bundlesPath)[0]!;
    const setAccountReview = (cells: Record<string, string>) =>
      editCsv(files.bundlesPath, (rows) => {
        Object.assign(rows[0]!, cells);
        return rows;
      });
    const crashOnce = async (operationId: string) => {
      emu.setFaults({ rules: [{ operationId, action: "drop_after", times: 1 }] });
      const since = mark();
      const crashed = await syncCsv(emu, files, { client: { retry: { maxRetries: 0 } } });
      expect(codeOf(crashed, "b:c01")).toBe("tokportal_unanswered");
      emu.setFaults({});
      const rerun = await syncCsv(emu, files);
      const again = mark();
      await syncCsv(emu, files);
      expect(carriedOut(again)).toEqual([]);
      return { writes: carriedOut(since), rerun };
    };

    setAccountReview({ account_review: "changes", account_review_note: "Use the brand logo" });
    const corrections = await crashOnce("requestBundleAccountCorrections");
    expect(corrections.writes).toEqual(["requestBundleAccountCorrections"]);
    expect(account()?.status).toBe("pending_corrections");
    expect(account()?.correction_comment).toBe("Use the brand logo");
    expect(codeOf(corrections.rerun, "b:c01")).toBe("corrections_requested");
    expect(bundleCells()["review_marker"]).toMatch(/^c:[0-9a-f]{12}$/);
    expect(bundleCells()["account_correction_message"]).toBe("Use the brand logo");

    // Resubmitted a day later; approved, and that answer is lost too.
    await advanceHours(25);
    setAccountReview({ account_review: "approve" });
    const finalize = await crashOnce("finalizeBundleAccount");
    expect(finalize.writes).toEqual(["finalizeBundleAccount"]);
    expect(account()?.status).toBe("finalized");
    expect(bundleCells()["sync_status"]).toBe("synced");
  });
});

describe("a download fix with other changes in the same row", () => {
  /** A posted campaign whose second video TokPortal could not download. */
  async function brokenDownload() {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 2 });
    setRow(files.videosPath, "video_ref", "c01-v2", {
      video_url: "https://cdn.example.com/unreachable/c01-v2.mp4",
    });
    await syncCsv(emu, files);
    await advanceHours(24 * 10 + 6);
    const report = await syncCsv(emu, files);
    expect(codeOf(report, "v:c01/c01-v2")).toBe("download_issue");
    // New media, a new description, and a disclosure TokPortal no longer takes on a released video.
    setRow(files.videosPath, "video_ref", "c01-v2", {
      video_url: "https://example.com/v/c01-v2-fixed.mp4",
      description: "Look 2, now with the right clip",
      ai_content_disclaimer: "yes",
    });
    return files;
  }
  const fixed = () => slot("c01", "c01-v2");

  it("sends the description by PATCH before the fix, and names what it cannot send", async () => {
    const files = await brokenDownload();
    const since = mark();
    const report = await syncCsv(emu, files);
    expect(carriedOut(since)).toEqual(["patchBundleVideo", "fixBundleVideoDownload"]);
    expect(fixed()).toMatchObject({
      download_issue: false,
      description: "Look 2, now with the right clip",
      ai_content_disclaimer: false,
    });
    const row = report.rows.find((r) => r.row.id === "v:c01/c01-v2")!;
    expect(row.outcome).toBe("synced");
    // The row says what was not sent, then TokPortal's new date for the fixed video.
    expectLeadingFinding(row, "download_fix_keeps", undefined, { columns: ["ai_content_disclaimer"] });
    expect(row.message).toContain("TokPortal moved the publish date");
    const again = mark();
    await syncCsv(emu, files);
    expect(carriedOut(again)).toEqual([]);
  });

  it("a lost answer on the PATCH or on the fix sends neither twice", async () => {
    const files = await brokenDownload();
    emu.setFaults({
      rules: ["patchBundleVideo", "fixBundleVideoDownload"].map((operationId) => ({
        operationId,
        action: "drop_after" as const,
        times: 1,
      })),
    });
    const since = mark();
    for (let run = 0; run < 2; run++) await syncCsv(emu, files, { client: { retry: { maxRetries: 0 } } });
    expect(emu.requestLog(since).filter((e) => e.fault === "rule:drop_after")).toHaveLength(2);
    emu.setFaults({});
    await syncCsv(emu, files);
    const again = mark();
    await syncCsv(emu, files);
    expect(carriedOut(again)).toEqual([]);
    expect(carriedOut(since)).toEqual(["patchBundleVideo", "fixBundleVideoDownload"]);
    expect(fixed()).toMatchObject({ download_issue: false, description: "Look 2, now with the right clip" });
  });
});
