/**
 * `init` lays out the sync's own tabs and the dashboard with the campaign: the run log and analytics history
 * tabs exist before the first sync (which then adds no tab of its own), the dashboard's pivots read the
 * history tab and its charts read the pivots, and a second `init` sends nothing. Over the fake Sheets
 * server (real @googleapis/sheets client) and the emulator; counts from the fake's own log.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokportalCountryCodes } from "../../src/api/countries.ts";
import { GoogleSheetsSource } from "../../src/sources/google-sheets.ts";
import { SheetsRateLimiter } from "../../src/sources/sheets-limiter.ts";
import type { LayoutTable } from "../../src/workspace/layout.ts";
import { initSpreadsheet } from "../../src/workspace/sheets-init.ts";
import { DASHBOARD_TAB, SYNC_TABS_LAYOUT } from "../../src/workspace/sync-tabs-layout.ts";
import { syncSource } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import type { CellValue } from "../support/fake-sheets/cells.ts";
import { ManualClock } from "../support/fake-sheets/clock.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

const ID = "dashboard-sheet";
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
const sheetsOptions = () => ({
  rootUrl: fake.rootUrl,
  auth: { apiKey: "test-key" },
  limiter,
  clock,
  retry: { random: () => 0 },
});

const init = () =>
  initSpreadsheet({
    spreadsheetId: ID,
    tables: TABLES,
    guides: { countries: tokportalCountryCodes() },
    extra: [SYNC_TABS_LAYOUT],
    ...sheetsOptions(),
  });

const source = () =>
  new GoogleSheetsSource({
    spreadsheetId: ID,
    bundlesTab: "bundles",
    videosTab: "videos",
    extras: { sync_runs: true, analytics_history: true },
    ...sheetsOptions(),
  });

/** Types a fixture CSV under the laid-out header, column by name, as a person pasting it would. */
function typeFixture(title: string, file: string): void {
  const rows = Papa.parse<Record<string, string>>(
    readFileSync(path.resolve("fixtures/campaign", file), "utf8"),
    { header: true, skipEmptyLines: true },
  ).data;
  const header = (fake.values(ID, title)[0] ?? []).map(String);
  const grid: CellValue[][] = [header, ...rows.map((r) => header.map((h) => r[h] ?? ""))];
  fake.seed(ID, title, grid);
}

type Range = { sheetId?: number };
type Chart = { spec?: { basicChart?: { series?: { series?: { sourceRange?: { sources?: Range[] } } }[] } } };

describe("init lays out the run log, the analytics history and the dashboard", () => {
  it("creates them in the one batchUpdate; the first sync adds no tab; a second init sends nothing", async () => {
    fake.createSpreadsheet({ id: ID, tabs: [{ title: "Sheet1" }] });
    const first = await init();
    expect(first.sent).toBe(true);
    expect(fake.requests("spreadsheets.batchUpdate")).toHaveLength(1);
    const tabIds = new Map(fake.book(ID).tabs.map((t) => [t.title, t.sheetId]));
    for (const t of ["bundles", "videos", "sync_runs", "analytics_history", DASHBOARD_TAB])
      expect(tabIds.has(t)).toBe(true);

    // Three charts on the dashboard, each reading the dashboard's own pivots; the pivots read the history.
    const dashboard = fake.tab(ID, DASHBOARD_TAB);
    const charts = (dashboard.layout?.charts ?? []) as Chart[];
    expect(charts).toHaveLength(3);
    for (const chart of charts) {
      const sources = (chart.spec?.basicChart?.series ?? []).flatMap(
        (s) => s.series?.sourceRange?.sources ?? [],
      );
      expect(sources.length).toBeGreaterThan(0);
      expect(new Set(sources.map((s) => s.sheetId))).toEqual(new Set([tabIds.get(DASHBOARD_TAB)]));
    }
    const pivots = (dashboard.layout?.meta[0] ?? []).flatMap((m) => (m?.pivotTable ? [m.pivotTable] : []));
    expect(pivots).toHaveLength(3);
    for (const p of pivots) expect((p.source as Range).sheetId).toBe(tabIds.get("analytics_history"));

    // The quick-start campaign typed in and synced: the run log gets its header and a row, with no new tab.
    typeFixture("bundles", "bundles.csv");
    typeFixture("videos", "videos.csv");
    fake.clearLog();
    const report = await syncSource(emu, source());
    expect(report.counts.error).toBe(0);
    expect(fake.requests("spreadsheets.batchUpdate")).toEqual([]);
    const log = fake.values(ID, "sync_runs").map((r) => r.map(String));
    expect(log).toHaveLength(2);
    expect(log[0]).toContain("exit_code");

    fake.clearLog();
    const second = await init();
    expect(second.sent).toBe(false);
    expect(second.plan.requests).toEqual([]);
    expect(fake.log.map((e) => e.op)).toEqual(["spreadsheets.get"]);
  });
});
