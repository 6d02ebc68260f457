/**
 * The run log and the analytics history in a Google Sheet (the fake Sheets server, the real client): the
 * requests each run costs, counted at the fake; and a sandbox month of posts as a daily curve per account.
 */
import { describe, expect, it } from "vitest";
import { GoogleSheetsSource } from "../../src/sources/google-sheets.ts";
import { HISTORY_HEADER } from "../../src/sync/history.ts";
import { RUN_LOG_HEADER } from "../../src/sync/run-log.ts";
import { BUNDLE_HEADER, seedCampaignSheet, syncSource } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import type { CellValue } from "../support/fake-sheets/cells.ts";
import { fakeSheetsPerTest } from "../support/fake-sheets/per-test.ts";

const ID = "campaign";
const emu = sharedEmulator();
const { fake, options } = fakeSheetsPerTest();

function seed(bundles: number, videosPerBundle: number, withFollowers = false): void {
  const header = withFollowers ? [...BUNDLE_HEADER, "followers"] : BUNDLE_HEADER;
  seedCampaignSheet(fake, ID, { bundles, videosPerBundle, startDate: "2026-09-10" }, header);
}

const source = () =>
  new GoogleSheetsSource({
    spreadsheetId: ID,
    bundlesTab: "bundles",
    videosTab: "videos",
    extras: { sync_runs: true, analytics_history: true },
    ...options(),
  });

async function advanceTo(iso: string): Promise<void> {
  await emu.advance((Date.parse(iso) - emu.clock.now()) / 1000);
}

const ops = () => fake.log.map((e) => e.op);
const count = (op: string) => ops().filter((o) => o === op).length;

describe("the run log and history tabs in a Google Sheet", () => {
  it("ride in the write-back's one request, and cost at most one request on a run that writes nothing else", async () => {
    seed(1, 2);
    // First run: the tabs are created once (addSheet), everything else in the one values.batchUpdate.
    await syncSource(emu, source());
    expect(count("values.batchUpdate")).toBe(1);
    expect(fake.requests("spreadsheets.batchUpdate").flatMap((e) => e.requests)).toEqual([
      "addSheet",
      "addSheet",
    ]);
    const log = fake.values(ID, "sync_runs");
    expect(log[0]).toEqual([...RUN_LOG_HEADER]);
    expect(log).toHaveLength(2);

    // Posted: the write-back has analytics to write; the log and history ride along: read, re-read, write.
    await advanceTo("2026-09-14T00:00:00.000Z");
    fake.clearLog();
    const posted = await syncSource(emu, source());
    expect(posted.write?.cellsWritten).toBeGreaterThan(0);
    expect(ops()).toEqual(["values.batchGet", "values.batchGet", "values.batchUpdate"]);
    const history = fake.values(ID, "analytics_history");
    expect(history[0]).toEqual([...HISTORY_HEADER]);
    expect(history.filter((r) => r[1] === "c01-v1")).toHaveLength(1);

    // Nothing new: the read, and one write for the quiet counter on the run log's last row.
    fake.clearLog();
    const quiet = await syncSource(emu, source());
    expect(quiet.write?.cellsWritten).toBe(0);
    expect(ops()).toEqual(["values.batchGet", "values.batchUpdate"]);
    // Neither later run changed anything on TokPortal (new numbers are no change): both are counted.
    const rows = fake.values(ID, "sync_runs");
    expect(rows).toHaveLength(2);
    expect(rows.at(-1)![RUN_LOG_HEADER.indexOf("quiet_runs")]).toBe(2);
  });

  it("three runs a day keep one row per video per day; a month of posts is a 30-point curve per account", async () => {
    seed(2, 3, true);
    await syncSource(emu, source());
    await advanceTo("2026-09-14T06:00:00.000Z");
    for (const hour of [0, 6, 12]) {
      await emu.advance(hour * 3600);
      await syncSource(emu, source());
    }
    const day = (rows: CellValue[][], date: string) => rows.filter((r) => r[0] === date && r[1] !== "");
    let history = fake.values(ID, "analytics_history");
    const sept14 = day(history, "2026-09-14");
    expect(sept14.map((r) => r[1]).sort()).toEqual([...new Set(sept14.map((r) => r[1]))].sort());
    expect(sept14.length).toBeGreaterThan(0);
    const bundles = fake.values(ID, "bundles");
    const followers = bundles[0]!.indexOf("followers");
    expect(Number(bundles[1]![followers])).toBeGreaterThan(0);

    // A month later, one run: TokPortal's series fills the days the sync did not see.
    await advanceTo("2026-10-14T12:00:00.000Z");
    await syncSource(emu, source());
    history = fake.values(ID, "analytics_history");
    const accounts = history.slice(1).filter((r) => r[1] === "");
    const perAccount = new Map<string, Set<string>>();
    for (const r of accounts) {
      const days = perAccount.get(String(r[2])) ?? new Set<string>();
      days.add(String(r[0]));
      perAccount.set(String(r[2]), days);
    }
    expect(perAccount.size).toBe(2);
    for (const days of perAccount.values()) expect(days.size).toBeGreaterThanOrEqual(30);
    const curve = accounts.filter((r) => r[2] === "c01").map((r) => Number(r[10]));
    expect(curve).toEqual([...curve].sort((a, b) => a - b));
  });
});
