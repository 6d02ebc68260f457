/**
 * `init` on a Google Sheet, end to end over the fake Sheets server (real @googleapis/sheets client) and the
 * emulator: an empty spreadsheet laid out in one batchUpdate, the quick-start campaign typed in and synced,
 * a person's edits, then `init` again, which sends nothing. Counts come from the fake's own log.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { sheets, type sheets_v4 } from "@googleapis/sheets";
import Papa from "papaparse";
import { describe, expect, it } from "vitest";
import { tokportalCountryCodes } from "../../src/api/countries.ts";
import { EXTRA_LAYOUT } from "../../src/cli/init-run.ts";
import { goLiveTime } from "../../src/cli/quickstart-golive.ts";
import { knownColumns } from "../../src/sources/columns.ts";
import { GoogleSheetsSource } from "../../src/sources/google-sheets.ts";
import { HISTORY_HEADER } from "../../src/sync/history.ts";
import { RUN_LOG_HEADER } from "../../src/sync/run-log.ts";
import { PROTECTION_DESCRIPTION } from "../../src/workspace/guides.ts";
import type { ExtraLayout, LayoutTable } from "../../src/workspace/layout.ts";
import { initSpreadsheet } from "../../src/workspace/sheets-init.ts";
import { DASHBOARD_TAB } from "../../src/workspace/sync-tabs-layout.ts";
import { syncSource } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import type { CellValue } from "../support/fake-sheets/cells.ts";
import { fakeSheetsPerTest } from "../support/fake-sheets/per-test.ts";

const ID = "workspace";
const emu = sharedEmulator();
const { fake, options } = fakeSheetsPerTest();

const TABLES: LayoutTable[] = [
  { table: "bundles", title: "bundles", mode: { table: "bundles" } },
  { table: "videos", title: "videos", mode: { table: "videos" } },
];

function init(extra: readonly ExtraLayout[] = []) {
  return initSpreadsheet({
    spreadsheetId: ID,
    tables: TABLES,
    guides: { countries: tokportalCountryCodes() },
    extra,
    ...options(),
  });
}

function source(extras = false): GoogleSheetsSource {
  return new GoogleSheetsSource({
    spreadsheetId: ID,
    bundlesTab: "bundles",
    videosTab: "videos",
    ...(extras ? { extras: { sync_runs: true, analytics_history: true } } : {}),
    ...options(),
  });
}

const FIXTURES = path.resolve("fixtures/campaign");

function fixtureRows(name: string): Record<string, string>[] {
  return Papa.parse<Record<string, string>>(readFileSync(path.join(FIXTURES, name), "utf8"), {
    header: true,
    skipEmptyLines: true,
  }).data;
}

/** Types the quick-start campaign under the laid-out header, as a person pasting it would: column by name. */
function typeCampaign(title: string, rows: Record<string, string>[]): void {
  const header = (fake.values(ID, title)[0] ?? []).map(String);
  const grid: CellValue[][] = [header];
  for (const r of rows) grid.push(header.map((h) => r[h] ?? ""));
  fake.seed(ID, title, grid);
}

const headerOf = (title: string) => (fake.values(ID, title)[0] ?? []).map(String);

describe("init on a Google Sheet", () => {
  it("lays out an empty spreadsheet in one batchUpdate; after a synced campaign and a person's edits, a second init sends nothing", async () => {
    fake.createSpreadsheet({ id: ID, tabs: [{ title: "Sheet1" }] });

    const first = await init();
    expect(first.sent).toBe(true);
    expect(fake.requests("spreadsheets.batchUpdate")).toHaveLength(1);
    // The ranged read is refused (no such tabs yet), then the tab titles are read: 2 reads, 1 write.
    expect(first.counters).toMatchObject({ reads: 2, writes: 1 });
    expect(headerOf("bundles")).toEqual(knownColumns({ table: "bundles" }));
    expect(headerOf("videos")).toEqual(knownColumns({ table: "videos" }));
    expect(first.plan.tabs.map((t) => t.created)).toEqual([true, true]);

    // Guided cells and status at a glance, as stored by the fake.
    const bundles = fake.tab(ID, "bundles");
    const col = (name: string) => headerOf("bundles").indexOf(name);
    const meta = (row: number, name: string) => bundles.layout?.meta[row]?.[col(name)];
    expect(meta(1, "platform")?.dataValidation).toMatchObject({
      condition: {
        type: "ONE_OF_LIST",
        values: [{ userEnteredValue: "tiktok" }, { userEnteredValue: "instagram" }],
      },
      strict: true,
    });
    expect(meta(1, "publish")?.dataValidation).toMatchObject({ condition: { type: "BOOLEAN" } });
    expect(meta(1, "country")?.dataValidation).toMatchObject({
      condition: { type: "ONE_OF_LIST" },
      strict: false,
    });
    expect(meta(1, "edit_slots")?.dataValidation).toMatchObject({
      condition: { type: "NUMBER_BETWEEN", values: [{ userEnteredValue: "0" }, { userEnteredValue: "500" }] },
    });
    expect(meta(0, "bundle_ref")?.note).toContain("external_ref");
    expect(meta(0, "sync_status")?.note).toContain("edits are overwritten");
    expect(meta(5, "bundle_id")?.userEnteredFormat?.backgroundColor).toBeDefined();
    expect(bundles.layout?.frozenRowCount).toBe(1);
    expect(bundles.layout?.frozenColumnCount).toBe(1);
    expect(bundles.layout?.protectedRanges).toEqual([
      expect.objectContaining({ description: PROTECTION_DESCRIPTION, warningOnly: true }),
    ]);
    expect(bundles.layout?.conditionalFormats).toHaveLength(5);
    const videos = fake.tab(ID, "videos");
    const vcol = headerOf("videos").indexOf("target_publish_date");
    expect(videos.layout?.meta[1]?.[vcol]?.dataValidation).toMatchObject({
      condition: { type: "DATE_IS_VALID" },
      inputMessage: expect.stringContaining("3 days"),
    });
    // position is an input too: validated, neither shaded nor protected.
    const pos = headerOf("videos").indexOf("position");
    expect(videos.layout?.meta[0]?.[pos]?.userEnteredFormat).toBeUndefined();
    expect(videos.layout?.meta[1]?.[pos]?.dataValidation).toMatchObject({
      condition: { type: "NUMBER_BETWEEN" },
    });

    // The quick-start campaign typed in, with a column of the person's own, then synced.
    typeCampaign("bundles", fixtureRows("bundles.csv"));
    typeCampaign("videos", fixtureRows("videos.csv"));
    const notesCol = headerOf("videos").length;
    fake.book(ID).tab("videos").columnCount += 1;
    const typed = fake.tab(ID, "videos").rows;
    typed[0]![notesCol] = { t: "s", v: "my notes" };
    typed[1]![notesCol] = { t: "s", v: "call Ana first" };
    const report = await syncSource(emu, source());
    expect(report.counts.error).toBe(0);
    expect(report.counts.synced).toBeGreaterThan(0);

    // A person edits between runs: an input cell and their own column.
    const desc = headerOf("videos").indexOf("description");
    typed[2]![desc] = { t: "s", v: "Edited by hand" };
    typed[2]![notesCol] = { t: "s", v: "check the edit" };
    const before = { bundles: fake.values(ID, "bundles"), videos: fake.values(ID, "videos") };

    fake.clearLog();
    const second = await init();
    expect(second.sent).toBe(false);
    expect(second.plan.requests).toEqual([]);
    expect(fake.requests("spreadsheets.batchUpdate")).toEqual([]);
    expect(fake.log.map((e) => e.op)).toEqual(["spreadsheets.get"]);
    expect(second.counters).toMatchObject({ reads: 1, writes: 0 });
    expect({ bundles: fake.values(ID, "bundles"), videos: fake.values(ID, "videos") }).toEqual(before);
  });

  it("on a sheet in use adds only the missing columns after the last used one, leaving data and user columns where they are", async () => {
    fake.createSpreadsheet({
      id: ID,
      tabs: [
        {
          title: "bundles",
          rows: [
            ["Bundle Ref", "owner", "platform"],
            ["b1", "Ana", "tiktok"],
          ],
        },
        {
          title: "videos",
          rows: [
            ["video_ref", "bundle_ref"],
            ["v1", "b1"],
          ],
        },
      ],
    });
    const result = await init();
    expect(result.counters).toMatchObject({ reads: 1, writes: 1 });
    const header = headerOf("bundles");
    expect(header.slice(0, 3)).toEqual(["Bundle Ref", "owner", "platform"]);
    expect(header.slice(3)).toEqual(
      knownColumns({ table: "bundles" }).filter((c) => c !== "bundle_ref" && c !== "platform"),
    );
    expect(fake.values(ID, "bundles")[1]).toEqual(["b1", "Ana", "tiktok"]);
    // The person's header cells got notes; their own column did not.
    const notes = fake.tab(ID, "bundles").layout?.meta[0];
    expect(notes?.[0]?.note).toContain("external_ref");
    expect(notes?.[1]?.note).toBeUndefined();
    fake.clearLog();
    expect((await init()).sent).toBe(false);
  });

  it("a bad value typed into a validated cell is still caught by the sync with its row code", async () => {
    fake.createSpreadsheet({ id: ID, tabs: [] });
    await init();
    typeCampaign("bundles", fixtureRows("bundles.csv"));
    typeCampaign("videos", fixtureRows("videos.csv"));
    // Validation guides the UI only: a value written through the API (or pasted) lands in the cell.
    const platform = headerOf("bundles").indexOf("platform");
    fake.tab(ID, "bundles").rows[1]![platform] = { t: "s", v: "myspace" };
    const report = await syncSource(emu, source(), { mode: "plan" });
    const row = report.rows.find((r) => r.row.table === "bundles" && r.row.rowNumbers.includes(2));
    expect(row).toMatchObject({ outcome: "error", code: "value_not_allowed", column: "platform" });
  });
});

type Band = { col: number; pivot: sheets_v4.Schema$PivotTable };

/** The pivot table whose band (its column up to the next pivot's) holds column `col`. */
const bandOf = (bands: readonly Band[], col: number) => bands.filter((b) => b.col <= col).at(-1);

describe("init with the sync's own tabs and the dashboard, as the command lays them out", () => {
  it("adds them in the one batchUpdate; the quick-start campaign then fills sync_runs and analytics_history with no addSheet; the charts read pivots over the history; a second init sends nothing", async () => {
    fake.createSpreadsheet({ id: ID, tabs: [{ title: "Sheet1" }] });
    const first = await init(EXTRA_LAYOUT);
    expect(first.sent).toBe(true);
    expect(first.counters).toMatchObject({ reads: 2, writes: 1 });
    expect(first.plan.extraTabs).toEqual([
      { title: "sync_runs", created: true, header: RUN_LOG_HEADER.length, pivots: 0, charts: 0 },
      { title: "analytics_history", created: true, header: HISTORY_HEADER.length, pivots: 0, charts: 0 },
      { title: DASHBOARD_TAB, created: true, header: 0, pivots: 3, charts: 3 },
    ]);
    expect(headerOf("sync_runs")).toEqual([...RUN_LOG_HEADER]);
    expect(headerOf("analytics_history")).toEqual([...HISTORY_HEADER]);
    expect(fake.tab(ID, "analytics_history").layout?.frozenRowCount).toBe(1);

    // The dashboard as a client reads it back: every pivot reads the history tab (views, followers, top
    // videos by views), and each chart reads the band of one pivot.
    const tabId = (title: string) => fake.tab(ID, title).sheetId;
    const api = sheets({ version: "v4", auth: "k", rootUrl: fake.rootUrl, retry: false });
    const read = await api.spreadsheets.get({
      spreadsheetId: ID,
      ranges: [`${DASHBOARD_TAB}!1:1`],
      includeGridData: true,
      fields: "sheets(data.rowData.values.pivotTable,charts.spec)",
    });
    const dashboard = read.data.sheets?.[0];
    const bands: Band[] = (dashboard?.data?.[0]?.rowData?.[0]?.values ?? []).flatMap((v, col) =>
      v.pivotTable ? [{ col, pivot: v.pivotTable }] : [],
    );
    expect(bands).toHaveLength(3);
    for (const { pivot } of bands) {
      expect(pivot.source).toMatchObject({
        sheetId: tabId("analytics_history"),
        endColumnIndex: HISTORY_HEADER.length,
      });
    }
    const valueColumn = (b: Band) => HISTORY_HEADER[b.pivot.values?.[0]?.sourceColumnOffset ?? -1];
    expect(bands.map(valueColumn)).toEqual(["views", "followers", "views"]);
    const charts = dashboard?.charts ?? [];
    expect(charts).toHaveLength(3);
    const chartBands = charts.map((chart) => {
      const basic = chart.spec?.basicChart;
      const ranges = [
        ...(basic?.domains ?? []).flatMap((d) => d.domain?.sourceRange?.sources ?? []),
        ...(basic?.series ?? []).flatMap((x) => x.series?.sourceRange?.sources ?? []),
      ];
      expect(ranges.length).toBeGreaterThan(1);
      for (const r of ranges) expect(r.sheetId).toBe(tabId(DASHBOARD_TAB));
      const read = new Set(ranges.map((r) => bandOf(bands, r.startColumnIndex ?? 0)?.col));
      expect(read.size).toBe(1);
      return [...read][0];
    });
    expect(chartBands).toEqual(bands.map((b) => b.col));

    // The quick-start campaign typed in and synced, then synced again once its videos are live: the run
    // log and the history fill in, in the write-back's own requests, and no tab is added.
    typeCampaign("bundles", fixtureRows("bundles.csv"));
    typeCampaign("videos", fixtureRows("videos.csv"));
    fake.clearLog();
    const ordered = await syncSource(emu, source(true));
    expect(ordered.counts.error).toBe(0);
    expect(fake.log.map((e) => e.op)).toEqual(["values.batchGet", "values.batchGet", "values.batchUpdate"]);
    const slots = Object.values(emu.state().bundles).flatMap((b) => b.videos);
    const live = goLiveTime(slots, emu.rules().managers, emu.clock.now());
    expect(live).not.toBeNull();
    await emu.advance(((live as number) - emu.clock.now()) / 1000);
    const posted = await syncSource(emu, source(true));
    expect(posted.counts.error).toBe(0);
    expect(fake.requests("spreadsheets.batchUpdate")).toEqual([]);
    expect(fake.requests("spreadsheets.get")).toEqual([]);

    const log = fake.values(ID, "sync_runs");
    expect(log[0]).toEqual([...RUN_LOG_HEADER]);
    expect(log.length).toBeGreaterThanOrEqual(2);
    const history = fake.values(ID, "analytics_history");
    expect(history[0]).toEqual([...HISTORY_HEADER]);
    const at = (name: (typeof HISTORY_HEADER)[number]) => HISTORY_HEADER.indexOf(name);
    const videoDays = history.slice(1).filter((r) => r[at("video_ref")] !== "");
    const accountDays = history.slice(1).filter((r) => r[at("video_ref")] === "");
    expect(videoDays.length).toBeGreaterThan(0);
    expect(videoDays.some((r) => Number(r[at("views")]) > 0)).toBe(true);
    expect(accountDays.length).toBeGreaterThan(0);
    expect(accountDays.some((r) => Number(r[at("followers")]) > 0)).toBe(true);

    fake.clearLog();
    const second = await init(EXTRA_LAYOUT);
    expect(second.sent).toBe(false);
    expect(second.plan.requests).toEqual([]);
    expect(fake.log.map((e) => e.op)).toEqual(["spreadsheets.get"]);
  });
});
