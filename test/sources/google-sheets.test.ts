/**
 * GoogleSheetsSource against the fake Sheets server, through the real @googleapis/sheets client (rootUrl):
 * every assertion on requests reads the fake's own log, so the requests really reached it.
 */
import { sheets } from "@googleapis/sheets";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GoogleSheetsSource, type GoogleSheetsSourceOptions } from "../../src/sources/google-sheets.ts";
import { createSource, isSourceError, SheetsSourceError } from "../../src/sources/index.ts";
import { SheetsRateLimiter } from "../../src/sources/sheets-limiter.ts";
import { rowKeyOf } from "../../src/sources/table.ts";
import type { CellPatch, SheetRow } from "../../src/sources/types.ts";
import type { CellValue } from "../support/fake-sheets/cells.ts";
import { ManualClock } from "../support/fake-sheets/clock.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";
import { outputPatchesFor } from "../support/fake-sheets/workload.ts";

const ID = "campaign-sheet";

const BUNDLES: CellValue[][] = [
  ["Bundle Ref", "platform", "country", "title", "Notes", "bundle_id", "sync_status"],
  ["b1", "tiktok", "US", "First", "keep me", "", ""],
  ["b2", "instagram", "FR", "Second", "", "", ""],
];

const VIDEOS: CellValue[][] = [
  [
    "video_ref",
    "bundle_ref",
    "target_publish_date",
    "description",
    "publish",
    "my notes",
    "video_id",
    "views",
  ],
  ["v1", "b1", "2026-12-01", "Hello", "TRUE", "n1", "", ""],
  ["v2", "b1", "2026-12-02", "World", "no", "n2", "", ""],
  ["v3", "b2", "2026-12-03", "0.1", "yes", "n3", "", ""],
  ["v4", "b2", "12/25/2026", "Last", "", "n4", "", "1200"],
];

let fake: FakeSheets;
let clock: ManualClock;
let limiter: SheetsRateLimiter;

function source(extra: Partial<GoogleSheetsSourceOptions> = {}): GoogleSheetsSource {
  return new GoogleSheetsSource({
    spreadsheetId: ID,
    bundlesTab: "bundles",
    videosTab: "videos",
    rootUrl: fake.rootUrl,
    auth: { apiKey: "test-key" },
    limiter,
    clock,
    retry: { random: () => 0 },
    ...extra,
  });
}

function seedCampaign(opts: { videosColumns?: number } = {}): void {
  fake.createSpreadsheet({
    id: ID,
    tabs: [
      { title: "bundles", rows: BUNDLES, input: "USER_ENTERED" },
      {
        title: "videos",
        rows: VIDEOS,
        input: "USER_ENTERED",
        ...(opts.videosColumns ? { columnCount: opts.videosColumns } : {}),
      },
    ],
  });
}

const byRef = (rows: SheetRow[], ref: string): SheetRow | undefined =>
  rows.find((r) => (r.cells["video_ref"] ?? r.cells["bundle_ref"]) === ref);

/** Rows of a tab as objects keyed by header, for order-independent assertions. */
function records(title: string): Record<string, CellValue>[] {
  const [header = [], ...rows] = fake.values(ID, title);
  return rows.map((row) => Object.fromEntries(header.map((h, i) => [String(h), row[i] ?? ""])));
}

beforeEach(async () => {
  clock = new ManualClock();
  fake = await startFakeSheets({ now: () => clock.now() });
  limiter = new SheetsRateLimiter({ clock });
});

afterEach(async () => {
  await fake.close();
});

describe("read", () => {
  it("reads both tabs in one batchGet and gives text as a user typed it, dates as YYYY-MM-DD", async () => {
    seedCampaign();
    const src = source();
    const tables = await src.read();
    expect(tables.problems).toEqual([]);
    expect(tables.bundles?.map((r) => [r.rowNumber, r.cells])).toEqual([
      [
        2,
        {
          bundle_ref: "b1",
          platform: "tiktok",
          country: "US",
          title: "First",
          bundle_id: "",
          sync_status: "",
        },
      ],
      [
        3,
        {
          bundle_ref: "b2",
          platform: "instagram",
          country: "FR",
          title: "Second",
          bundle_id: "",
          sync_status: "",
        },
      ],
    ]);
    const v = tables.videos;
    expect(v.map((r) => r.cells["target_publish_date"])).toEqual([
      "2026-12-01",
      "2026-12-02",
      "2026-12-03",
      "2026-12-25",
    ]);
    expect(byRef(v, "v1")?.cells["publish"]).toBe("TRUE");
    expect(byRef(v, "v3")?.cells["description"]).toBe("0.1");
    expect(byRef(v, "v4")?.cells["views"]).toBe("1200");
    // The fake really stored a serial number and a number, so the conversion did happen on our side.
    expect(fake.cell(ID, "videos", 2, "C")).toMatchObject({ t: "n", format: "date" });
    expect(fake.cell(ID, "videos", 5, "H")).toEqual({ t: "n", v: 1200 });
    expect(fake.log.map((e) => [e.method, e.op, e.ranges, e.status])).toEqual([
      ["GET", "values.batchGet", ["'bundles'", "'videos'"], 200],
    ]);
    expect(src.counters).toEqual({ reads: 1, writes: 0, retries: 0, rateLimited: 0 });
  });

  it("reports a missing tab as a fatal problem naming the tabs that exist", async () => {
    fake.createSpreadsheet({ id: ID, tabs: [{ title: "Videos 2026", rows: VIDEOS }] });
    const tables = await source({ bundlesTab: null }).read();
    expect(tables.videos).toEqual([]);
    expect(tables.problems).toEqual([
      {
        table: "videos",
        message:
          'The spreadsheet has no tab named "videos" (it has "Videos 2026"); set videos_tab in the config to the tab\'s exact name.',
        fatal: true,
      },
    ]);
    expect(fake.log.map((e) => [e.op, e.status])).toEqual([
      ["values.batchGet", 400],
      ["spreadsheets.get", 200],
    ]);
  });

  it("reads a single videos tab that carries the bundle columns, with aliases", async () => {
    fake.createSpreadsheet({
      id: ID,
      tabs: [
        {
          title: "Campaign Q4",
          rows: [
            ["Clip", "bundle ref", "Country", "publish_bundle"],
            ["v1", "b1", "US", true],
          ],
        },
      ],
    });
    const src = source({
      bundlesTab: null,
      videosTab: "Campaign Q4",
      aliases: { videos: { Clip: "video_ref" } },
    });
    const tables = await src.read();
    expect(tables.bundles).toBeNull();
    expect(tables.videos[0]?.cells).toMatchObject({
      video_ref: "v1",
      bundle_ref: "b1",
      country: "US",
      publish_bundle: "TRUE",
    });
    expect(fake.log[0]?.ranges).toEqual(["'Campaign Q4'"]);
  });
});

describe("write", () => {
  const patches: CellPatch[] = [
    {
      key: { table: "bundles", bundleRef: "b1" },
      values: {
        bundle_id: "bun_1",
        sync_status: "synced",
        sync_message: "=1+1",
        synced_at: "2026-11-28T12:00:00Z",
      },
    },
    {
      key: { table: "videos", bundleRef: "b1", videoRef: "v1" },
      values: { video_id: "vid_1", views: 1500, sync_status: "synced" },
    },
    {
      key: { table: "videos", bundleRef: "b2", videoRef: "v3" },
      values: { video_id: "+33 612", views: null },
    },
    { key: { table: "videos", bundleRef: "b2", videoRef: "v4" }, values: { views: 1200 } },
  ];

  it("round trip: writes only changed output cells, RAW, creating missing columns; the rest is untouched", async () => {
    seedCampaign();
    const src = source();
    const snap = await src.read();
    const bundlesBefore = fake.values(ID, "bundles");
    const videosBefore = fake.values(ID, "videos");
    fake.clearLog();

    const report = await snap.write(patches);
    expect(report).toEqual({ cellsWritten: 8, rowsNotFound: [], requests: 2 });
    expect(fake.log.map((e) => [e.method, e.op, e.status])).toEqual([
      ["GET", "values.batchGet", 200],
      ["POST", "values.batchUpdate", 200],
    ]);
    // The re-read asks for the header rows and ref columns only.
    expect(fake.log[0]?.ranges).toEqual([
      "'bundles'!1:1",
      "'bundles'!A:A",
      "'videos'!1:1",
      "'videos'!B:B",
      "'videos'!A:A",
    ]);

    // Remote values are data: "=1+1" and "+33 612" are text, 1500 a number.
    expect(fake.cell(ID, "bundles", 2, "H")).toEqual({ t: "s", v: "=1+1" });
    expect(fake.cell(ID, "videos", 4, "G")).toEqual({ t: "s", v: "+33 612" });
    expect(fake.cell(ID, "videos", 2, "H")).toEqual({ t: "n", v: 1500 });

    const bundlesAfter = fake.values(ID, "bundles");
    expect(bundlesAfter[0]).toEqual([...(bundlesBefore[0] ?? []), "sync_message", "synced_at"]);
    expect(bundlesAfter[1]).toEqual([
      "b1",
      "tiktok",
      "US",
      "First",
      "keep me",
      "bun_1",
      "synced",
      "=1+1",
      "2026-11-28T12:00:00Z",
    ]);
    expect(bundlesAfter[2]).toEqual(bundlesBefore[2]);

    const videosAfter = fake.values(ID, "videos");
    expect(videosAfter[0]).toEqual([...(videosBefore[0] ?? []), "sync_status"]);
    // Every cell outside the patched output cells is as it was (inputs, user columns, other rows).
    const patched = new Set(["1:6", "1:7", "1:8", "3:6"]);
    videosBefore.slice(1).forEach((row, r) => {
      row.forEach((value, c) => {
        if (!patched.has(`${r + 1}:${c}`))
          expect(videosAfter[r + 1]?.[c], `videos row ${r + 2} col ${c}`).toEqual(value);
      });
    });
    expect(videosAfter[1]?.slice(6)).toEqual(["vid_1", 1500, "synced"]);

    // Read again: the tool sees what it wrote.
    fake.clearLog();
    const again = await src.read();
    expect(byRef(again.videos, "v1")?.cells).toMatchObject({
      video_id: "vid_1",
      views: "1500",
      sync_status: "synced",
    });
    expect(byRef(again.bundles ?? [], "b1")?.cells).toMatchObject({
      sync_message: "=1+1",
      synced_at: "2026-11-28T12:00:00Z",
    });
    expect(fake.log).toHaveLength(1);
  });

  it("sends nothing when no cell changes: same patches twice, or a fresh run over written values", async () => {
    seedCampaign();
    const src = source();
    const snap = await src.read();
    await snap.write(patches);
    fake.clearLog();
    expect(await snap.write(patches)).toEqual({ cellsWritten: 0, rowsNotFound: [], requests: 0 });
    expect(fake.log).toEqual([]);

    const next = source();
    const nextSnap = await next.read();
    expect(await nextSnap.write(patches)).toEqual({ cellsWritten: 0, rowsNotFound: [], requests: 0 });
    expect(await nextSnap.write([])).toEqual({ cellsWritten: 0, rowsNotFound: [], requests: 0 });
    expect(fake.log.map((e) => e.op)).toEqual(["values.batchGet"]);
    expect(next.counters).toMatchObject({ reads: 1, writes: 0 });
  });

  it("places patches by ref after rows were inserted above, sorted and deleted meanwhile; reports the deleted row", async () => {
    seedCampaign();
    const src = source();
    const snap = await src.read();
    // A user edits the sheet between the read and the write-back.
    fake.insertRows(ID, "videos", 2, [["v9", "b2", "", "inserted", "", "n9"]]);
    fake.sortRows(ID, "videos", "A", "desc");
    const v2Row = fake.values(ID, "videos").findIndex((r) => r[0] === "v2") + 1;
    fake.deleteRows(ID, "videos", v2Row);
    fake.insertRows(ID, "bundles", 2, [["b0", "tiktok", "DE", "Inserted"]]);

    const refs = ["v1", "v2", "v3", "v4"];
    const report = await snap.write([
      ...refs.map(
        (ref): CellPatch => ({
          key: { table: "videos", bundleRef: ref === "v1" || ref === "v2" ? "b1" : "b2", videoRef: ref },
          values: { video_id: `vid_${ref}`, sync_status: `ok ${ref}` },
        }),
      ),
      { key: { table: "bundles", bundleRef: "b2" }, values: { bundle_id: "bun_2" } },
    ]);
    expect(report.rowsNotFound).toEqual([{ table: "videos", bundleRef: "b1", videoRef: "v2" }]);
    expect(report.cellsWritten).toBe(7);

    const rows = records("videos");
    expect(rows.map((r) => r["video_ref"])).toEqual(["v9", "v4", "v3", "v1"]);
    for (const r of rows) {
      const ref = String(r["video_ref"]);
      // Each value sits in the row of its ref, next to that row's own user notes.
      expect(r["my notes"]).toBe(`n${ref.slice(1)}`);
      expect(r["video_id"]).toBe(ref === "v9" ? "" : `vid_${ref}`);
      expect(r["sync_status"]).toBe(ref === "v9" ? "" : `ok ${ref}`);
    }
    expect(records("bundles").map((r) => [r["Bundle Ref"], r["bundle_id"]])).toEqual([
      ["b0", ""],
      ["b1", ""],
      ["b2", "bun_2"],
    ]);
  });

  it("follows ref columns that moved when a column was inserted meanwhile (one more re-read)", async () => {
    seedCampaign();
    const src = source();
    const snap = await src.read();
    fake.insertColumns(ID, "videos", "A", 2);
    fake.clearLog();
    const report = await snap.write([
      { key: { table: "videos", bundleRef: "b2", videoRef: "v4" }, values: { video_id: "vid_4" } },
    ]);
    expect(report).toEqual({ cellsWritten: 1, rowsNotFound: [], requests: 3 });
    expect(fake.log.map((e) => e.op)).toEqual(["values.batchGet", "values.batchGet", "values.batchUpdate"]);
    expect(fake.log[1]?.ranges).toEqual(["'videos'!1:1", "'videos'!D:D", "'videos'!C:C"]);
    expect(records("videos").find((r) => r["video_ref"] === "v4")?.["video_id"]).toBe("vid_4");
    expect(fake.cell(ID, "videos", 5, "I")).toEqual({ t: "s", v: "vid_4" });
  });

  it("grows the grid with appendDimension when a new output column does not fit", async () => {
    seedCampaign({ videosColumns: 8 });
    const src = source();
    const snap = await src.read();
    fake.clearLog();
    const report = await snap.write([
      {
        key: { table: "videos", bundleRef: "b1", videoRef: "v1" },
        values: { sync_status: "error", sync_message: "fix it" },
      },
    ]);
    expect(report).toEqual({ cellsWritten: 2, rowsNotFound: [], requests: 4 });
    expect(fake.log.map((e) => [e.op, e.requests, e.status])).toEqual([
      ["values.batchGet", [], 200],
      ["spreadsheets.get", [], 200],
      ["spreadsheets.batchUpdate", ["appendDimension"], 200],
      ["values.batchUpdate", [], 200],
    ]);
    expect(fake.tab(ID, "videos").columnCount).toBe(10);
    const rows = fake.values(ID, "videos");
    expect(rows[0]?.slice(8)).toEqual(["sync_status", "sync_message"]);
    expect(rows[1]?.slice(8)).toEqual(["error", "fix it"]);
  });

  it("writes a row without a ref only while that row is still there without a ref", async () => {
    fake.createSpreadsheet({
      id: ID,
      tabs: [
        {
          title: "videos",
          rows: [
            ["video_ref", "bundle_ref", "description"],
            ["", "b1", "no ref yet"],
            ["v2", "b1", "ok"],
          ],
        },
      ],
    });
    const src = source({ bundlesTab: null });
    const tables = await src.read();
    expect(tables.videos.map((r) => r.rowNumber)).toEqual([2, 3]);
    const patch: CellPatch = {
      key: { table: "videos", rowNumber: 2 },
      values: { sync_status: "error", sync_message: "video_ref is empty: give the video a ref" },
    };
    expect((await tables.write([patch])).cellsWritten).toBe(2);
    expect(fake.values(ID, "videos")[1]).toEqual([
      "",
      "b1",
      "no ref yet",
      "error",
      "video_ref is empty: give the video a ref",
    ]);

    // The user fills the ref meanwhile: the row-number patch no longer applies.
    const src2 = source({ bundlesTab: null });
    const snap2 = await src2.read();
    fake.book(ID).write("videos!A2", [["v1"]], "ROWS", "RAW");
    const report = await snap2.write([
      { key: { table: "videos", rowNumber: 2 }, values: { sync_status: "pending" } },
    ]);
    expect(report.rowsNotFound).toEqual([{ table: "videos", rowNumber: 2 }]);
    expect(fake.values(ID, "videos")[1]?.[3]).toBe("error");
  });

  it("writes a row that has a video_ref but no bundle_ref by its row number too", async () => {
    fake.createSpreadsheet({
      id: ID,
      tabs: [
        {
          title: "videos",
          rows: [
            ["video_ref", "bundle_ref", "description"],
            ["v1", "", "no bundle yet"],
          ],
        },
      ],
    });
    const src = source({ bundlesTab: null });
    const tables = await src.read();
    expect(rowKeyOf(tables.videos[0]!)).toEqual({ table: "videos", rowNumber: 2 });
    const report = await tables.write([
      { key: { table: "videos", rowNumber: 2 }, values: { sync_status: "error" } },
    ]);
    expect(report).toMatchObject({ cellsWritten: 1, rowsNotFound: [] });
    expect(fake.values(ID, "videos")[1]).toEqual(["v1", "", "no bundle yet", "error"]);
  });

  it("re-reads a block of many rows without refs as one range, and still writes each on its own row", async () => {
    const pasted = Array.from({ length: 120 }, (_, i) => ["", "", `idea ${i + 1}`]);
    fake.createSpreadsheet({
      id: ID,
      tabs: [{ title: "videos", rows: [["video_ref", "bundle_ref", "description"], ...pasted] }],
    });
    const src = source({ bundlesTab: null });
    const snap = await src.read();
    const patches = pasted.map((_, i) => ({
      key: { table: "videos" as const, rowNumber: i + 2 },
      values: { sync_status: `error ${i + 2}` },
    }));
    const report = await snap.write(patches);
    expect(report).toMatchObject({ cellsWritten: 120, rowsNotFound: [] });
    const grid = fake.values(ID, "videos");
    for (let i = 0; i < 120; i++) expect(grid[i + 1]).toEqual(["", "", `idea ${i + 1}`, `error ${i + 2}`]);
    // Header, the two ref columns, and one range for the block: not 120 ranges in a URL.
    const reread = fake.log.filter((e) => e.op === "values.batchGet").at(-1);
    expect(reread?.ranges).toEqual(["'videos'!1:1", "'videos'!B:B", "'videos'!A:A", "'videos'!2:121"]);
  });
});

describe("quota, retries and the limiter", () => {
  it("retries 429s and 5xx from the fake with exponential backoff, and counts them", async () => {
    seedCampaign();
    const src = source();
    fake.inject({ kind: 503, count: 1, match: (e) => e.op === "values.batchGet" });
    const snap = await src.read();
    fake.inject({ kind: 429, count: 2, match: (e) => e.op === "values.batchUpdate" });
    const report = await snap.write([
      { key: { table: "videos", bundleRef: "b1", videoRef: "v1" }, values: { video_id: "vid_1" } },
    ]);
    expect(report.cellsWritten).toBe(1);
    expect(report.requests).toBe(4);
    expect(fake.log.map((e) => [e.op, e.status])).toEqual([
      ["values.batchGet", 503],
      ["values.batchGet", 200],
      ["values.batchGet", 200],
      ["values.batchUpdate", 429],
      ["values.batchUpdate", 429],
      ["values.batchUpdate", 200],
    ]);
    expect(src.counters).toEqual({ reads: 3, writes: 3, retries: 3, rateLimited: 2 });
    // 2^n s with no jitter (random = 0): 1 s after the 503, then 1 s and 2 s after the 429s.
    expect(clock.sleeps).toEqual([1000, 1000, 2000]);
    expect(fake.cell(ID, "videos", 2, "G")).toEqual({ t: "s", v: "vid_1" });
  });

  it("retries a dropped connection; a pre-built client's own retries are off, so every attempt is ours", async () => {
    seedCampaign();
    // gaxios would retry this GET 3 times by itself if we let it.
    const client = sheets({ version: "v4", rootUrl: fake.rootUrl, auth: "test-key" });
    const src = source({ client });
    fake.inject({ kind: 503, count: 1 });
    fake.inject({ kind: "reset", count: 1 });
    const tables = await src.read();
    expect(tables.videos).toHaveLength(4);
    expect(fake.log.map((e) => e.status)).toEqual([503, -1, 200]);
    expect(src.counters).toEqual({ reads: 3, writes: 0, retries: 2, rateLimited: 0 });
  });

  it("gives up after a bounded number of retries with one line, and never retries a 400", async () => {
    seedCampaign();
    const src = source({ retry: { random: () => 0, maxRetries: 3 } });
    fake.inject({ kind: 500, count: 10 });
    const err = await src.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SheetsSourceError);
    expect(isSourceError(err)).toBe(true);
    expect(isSourceError(new Error("a bug"))).toBe(false);
    expect((err as Error).message).toMatch(
      /^Google Sheets read \(values\.batchGet\) for spreadsheet campaign-sheet failed \(500 INTERNAL: .*gave up after 4 attempts/,
    );
    expect((err as Error).message).not.toContain("\n");
    expect((err as Error).message).not.toContain("test-key");
    expect(JSON.stringify(err)).not.toContain("test-key");
    expect(fake.log).toHaveLength(4);
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);

    fake.clearFaults();
    fake.clearLog();
    const bad = source({ videosTab: "videos", bundlesTab: "bundles", spreadsheetId: "nope" });
    const notFound = await bad.read().catch((e: unknown) => e);
    expect((notFound as Error).message).toContain("check spreadsheet_id in the config");
    expect(fake.log).toHaveLength(1);
  });

  it("a run under the limiter gets no 429 from the fake's 60/min quota; without it, 429s are retried", async () => {
    seedCampaign();
    const src = source();
    for (let i = 0; i < 130; i++) await src.read();
    expect(fake.log).toHaveLength(130);
    expect(fake.log.filter((e) => e.status !== 200)).toEqual([]);
    expect(src.counters).toEqual({ reads: 130, writes: 0, retries: 0, rateLimited: 0 });
    // 130 reads at most 60 per 61 s window: the limiter waited twice, a window each time.
    expect(limiter.waitedMs).toBe(122_000);

    fake.clearLog();
    fake.quota.reset();
    limiter = new SheetsRateLimiter({ clock, limit: 1000 });
    const greedy = source();
    for (let i = 0; i < 70; i++) await greedy.read();
    const refused = fake.log.filter((e) => e.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.error).toBe("quota ReadRequestsPerMinutePerUser");
    expect(greedy.counters.rateLimited).toBe(refused.length);
    expect(fake.log.filter((e) => e.status === 200)).toHaveLength(70);
  });
});

describe("size", () => {
  it("10,000 rows: one read, then one ref re-read and one write under 2 MB; nothing on a repeat", async () => {
    const header = ["video_ref", "bundle_ref", "description", "target_publish_date", "notes"];
    const rows: CellValue[][] = [header];
    for (let i = 0; i < 10_000; i++) {
      rows.push([`v${i}`, `b${Math.floor(i / 10)}`, `video number ${i}`, 46_000 + (i % 30), `note ${i}`]);
    }
    fake.createSpreadsheet({ id: ID, tabs: [{ title: "videos", rows }] });
    const src = source({ bundlesTab: null });
    const tables = await src.read();
    // The read is one request for the whole tab.
    expect(fake.log.map((e) => [e.op, e.ranges, e.status])).toEqual([["values.batchGet", ["'videos'"], 200]]);
    expect(tables.videos).toHaveLength(10_000);
    expect(tables.videos[0]?.cells["target_publish_date"]).toBe("2025-12-09");
    const patches = outputPatchesFor(tables.videos);
    fake.clearLog();
    const report = await tables.write(patches);
    expect(report).toEqual({ cellsWritten: 70_000, rowsNotFound: [], requests: 2 });
    // At write time: one re-read of the header row and the ref columns only, then one write.
    expect(fake.log.map((e) => [e.op, e.ranges, e.status])).toEqual([
      ["values.batchGet", ["'videos'!1:1", "'videos'!B:B", "'videos'!A:A"], 200],
      // The seven new output headers and their 70,000 cells form one rectangle.
      ["values.batchUpdate", ["'videos'!F1:L10001"], 200],
    ]);
    const body = fake.log[1]?.bodyBytes ?? 0;
    expect(body).toBeGreaterThan(1_000_000);
    expect(body).toBeLessThan(2_000_000);
    const last = fake.values(ID, "videos")[10_000];
    expect(last?.slice(0, 2)).toEqual(["v9999", "b999"]);
    expect(last?.slice(5)).toEqual([
      "0b7c2f1e-9999-4a5b-9c8d-123456789abc",
      "in_review",
      69_993,
      9999,
      "synced",
      "2026-11-28T12:00:00.000Z",
      "fp00000000009999",
    ]);

    fake.clearLog();
    const next = source({ bundlesTab: null });
    const nextSnap = await next.read();
    expect(await nextSnap.write(patches)).toEqual({ cellsWritten: 0, rowsNotFound: [], requests: 0 });
    expect(fake.log.map((e) => e.op)).toEqual(["values.batchGet"]);

    // With a smaller body budget the same change is split, every body under the budget.
    const small = source({ bundlesTab: null, maxBodyBytes: 20_000 });
    const smallSnap = await small.read();
    fake.clearLog();
    const bumped = patches.map((p) => ({ ...p, values: { ...p.values, views: 1 } }));
    const r2 = await smallSnap.write(bumped);
    expect(r2.cellsWritten).toBe(10_000);
    const writes = fake.log.filter((e) => e.op === "values.batchUpdate");
    expect(writes.length).toBeGreaterThan(1);
    for (const w of writes) expect(w.bodyBytes).toBeLessThanOrEqual(20_000);
    expect(
      fake
        .values(ID, "videos")
        .slice(1)
        .every((r) => r[7] === 1),
    ).toBe(true);
  });
});

describe("duplicates and the config path", () => {
  it("patches every row of a duplicated ref, and the last patch for a cell wins", async () => {
    fake.createSpreadsheet({
      id: ID,
      tabs: [
        {
          title: "videos",
          rows: [
            ["video_ref", "bundle_ref"],
            ["v1", "b1"],
            ["v2", "b1"],
            ["v1", "b1"],
          ],
        },
      ],
    });
    const src = source({ bundlesTab: null });
    const snap = await src.read();
    const key = { table: "videos", bundleRef: "b1", videoRef: "v1" } as const;
    const report = await snap.write([
      { key, values: { sync_status: "pending", sync_message: "first" } },
      { key, values: { sync_status: "error", sync_message: "video_ref v1 is used twice; make it unique" } },
    ]);
    expect(report.cellsWritten).toBe(4);
    expect(fake.values(ID, "videos")).toEqual([
      ["video_ref", "bundle_ref", "sync_status", "sync_message"],
      ["v1", "b1", "error", "video_ref v1 is used twice; make it unique"],
      ["v2", "b1"],
      ["v1", "b1", "error", "video_ref v1 is used twice; make it unique"],
    ]);
  });

  it("is what createSource builds for a google_sheets config", async () => {
    seedCampaign();
    const src = createSource(
      { type: "google_sheets", spreadsheet_id: ID, bundles_tab: "bundles", videos_tab: "videos" },
      { sheets: { rootUrl: fake.rootUrl, auth: { apiKey: "test-key" }, limiter, clock } },
    );
    expect(src).toBeInstanceOf(GoogleSheetsSource);
    expect(src.describe()).toBe("Google Sheet campaign-s… (tabs bundles, videos)");
    const tables = await src.read();
    expect(tables.videos).toHaveLength(4);
    expect(fake.log).toHaveLength(1);
  });
});

describe("edits between read and write, many times over", () => {
  /** Small seeded PRNG so the edit sequences are the same on every run. */
  function mulberry32(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it("never puts a value in another ref's row, over 20 seeded sequences of inserts, deletes, sorts and column moves", async () => {
    const done = { insert: 0, delete: 0, sort: 0, column: 0 };
    for (let seed = 1; seed <= 20; seed++) {
      const random = mulberry32(seed);
      const pick = (n: number) => Math.floor(random() * n);
      const id = `seq-${seed}`;
      const rows: CellValue[][] = [["video_ref", "bundle_ref", "user notes", "video_id"]];
      for (let i = 0; i < 60; i++) rows.push([`v${i}`, `b${i % 7}`, `note v${i}`]);
      fake.createSpreadsheet({ id, tabs: [{ title: "videos", rows }] });
      const src = source({ spreadsheetId: id, bundlesTab: null });
      const tables = await src.read();
      for (let step = 0; step < 8; step++) {
        const size = fake.values(id, "videos").length;
        const action = pick(4);
        if (action === 0) {
          // Typed where the columns are now (earlier steps may have inserted columns).
          const header = fake.values(id, "videos")[0] ?? [];
          const row: CellValue[] = [];
          row[header.indexOf("video_ref")] = `new${step}`;
          row[header.indexOf("bundle_ref")] = "b0";
          row[header.indexOf("user notes")] = `note new${step}`;
          fake.insertRows(id, "videos", 2 + pick(size - 1), [Array.from(row, (v) => v ?? null)]);
          done.insert++;
        } else if (action === 1 && size > 2) {
          fake.deleteRows(id, "videos", 2 + pick(size - 1));
          done.delete++;
        } else if (action === 2) {
          fake.sortRows(id, "videos", ["A", "B", "C"][pick(3)] as string, pick(2) ? "asc" : "desc");
          done.sort++;
        } else {
          fake.insertColumns(id, "videos", ["A", "B", "C", "D"][pick(4)] as string);
          done.column++;
        }
      }
      const report = await tables.write(
        tables.videos.map(
          (r): CellPatch => ({
            key: {
              table: "videos",
              bundleRef: r.cells["bundle_ref"] ?? "",
              videoRef: r.cells["video_ref"] ?? "",
            },
            values: { video_id: `id-${r.cells["video_ref"]}`, sync_status: `s-${r.cells["video_ref"]}` },
          }),
        ),
      );
      const [header = [], ...now] = fake.values(id, "videos");
      const col = (name: string) => header.indexOf(name);
      const present = new Set<string>();
      for (const row of now) {
        const ref = String(row[col("video_ref")] ?? "");
        if (ref === "") continue;
        present.add(ref);
        expect(row[col("user notes")], `seed ${seed}`).toBe(`note ${ref}`);
        const expected = ref.startsWith("new") ? "" : `id-${ref}`;
        expect(row[col("video_id")] ?? "", `seed ${seed} ${ref}`).toBe(expected);
        expect(row[col("sync_status")] ?? "", `seed ${seed} ${ref}`).toBe(expected === "" ? "" : `s-${ref}`);
      }
      const missing = tables.videos.map((r) => r.cells["video_ref"]).filter((ref) => !present.has(ref ?? ""));
      expect(report.rowsNotFound.map((k) => ("videoRef" in k ? k.videoRef : "?")).sort()).toEqual(
        missing.sort(),
      );
      expect(report.cellsWritten).toBe(2 * (60 - missing.length));
    }
    // Every kind of edit really happened, several times.
    for (const n of Object.values(done)) expect(n).toBeGreaterThan(10);
  });
});
