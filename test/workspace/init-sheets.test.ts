/**
 * `init` on a Google Sheet, end to end over the fake Sheets server (real @googleapis/sheets client) and the
 * emulator: an empty spreadsheet laid out in one batchUpdate, the quick-start campaign typed in and synced,
 * a person's edits, then `init` again, which sends nothing. Counts come from the fake's own log.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokportalCountryCodes } from "../../src/api/countries.ts";
import { knownColumns } from "../../src/sources/columns.ts";
import { GoogleSheetsSource } from "../../src/sources/google-sheets.ts";
import { SheetsRateLimiter } from "../../src/sources/sheets-limiter.ts";
import { PROTECTION_DESCRIPTION } from "../../src/workspace/guides.ts";
import type { LayoutTable } from "../../src/workspace/layout.ts";
import { initSpreadsheet } from "../../src/workspace/sheets-init.ts";
import { syncSource } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import type { CellValue } from "../support/fake-sheets/cells.ts";
import { ManualClock } from "../support/fake-sheets/clock.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

const ID = "workspace";
const emu = sharedEmulator();
let fake: FakeSheets;
let clock: ManualClock;
let limiter: SheetsRateLimiter;

beforeEach(async () => {
  clock = new ManualClock();
  fake = await startFakeSheets({ now: () => clock.now() });
  limiter = new SheetsRateLimiter({ clock });
});
afterEach(async () => {
  await fake.close();
});

const TABLES: LayoutTable[] = [
  { table: "bundles", title: "bundles", mode: { table: "bundles" } },
  { table: "videos", title: "videos", mode: { table: "videos" } },
];

const client = { rootUrl: "", auth: { apiKey: "test-key" } };

function init() {
  return initSpreadsheet({
    spreadsheetId: ID,
    tables: TABLES,
    guides: { countries: tokportalCountryCodes() },
    rootUrl: fake.rootUrl,
    auth: client.auth,
    limiter,
    clock,
    retry: { random: () => 0 },
  });
}

function source(): GoogleSheetsSource {
  return new GoogleSheetsSource({
    spreadsheetId: ID,
    bundlesTab: "bundles",
    videosTab: "videos",
    rootUrl: fake.rootUrl,
    auth: client.auth,
    limiter,
    clock,
    retry: { random: () => 0 },
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
