/**
 * End to end, analytics in a sync run and alone one export call per run whatever the number of
 * rows, the `analytics` mode that touches nothing but the analytics columns, and numbers that are never
 * replaced by blanks or zeros when TokPortal cannot give them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "../../src/emulator/request-log.ts";
import { ANALYTICS_RESULT_COLUMNS } from "../../src/sync/writeback.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-analytics-"));
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const logIndex = (): number => emu.requestLog().at(-1)?.index ?? -1;

function operations(entries: RequestLogEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) {
    const op = e.operationId ?? `${e.method} ${e.path}`;
    out[op] = (out[op] ?? 0) + 1;
  }
  return out;
}

async function advanceTo(iso: string): Promise<void> {
  await emu.advance((Date.parse(iso) - emu.clock.now()) / 1000);
}

const ANALYTICS = new Set<string>(ANALYTICS_RESULT_COLUMNS);
const withoutAnalytics = (r: Record<string, string>) =>
  Object.fromEntries(Object.entries(r).filter(([k]) => !ANALYTICS.has(k)));

/** A campaign synced, then carried past its last video's posting day: every video has a platform_url. */
async function postedCampaign(bundles: number, videosPerBundle: number) {
  const files = writeCampaign(dir, { bundles, videosPerBundle, startDate: "2026-09-10" });
  await syncCsv(emu, files);
  // Not posted yet: not one analytics cell, and no zero either.
  for (const r of readCsvRows(files.videosPath)) for (const c of ANALYTICS) expect(r[c] ?? "").toBe("");
  await advanceTo("2026-09-14T00:00:00.000Z");
  return files;
}

describe("analytics in a sync run", () => {
  it.each([
    [1, 1],
    [6, 3],
  ])("%i bundle(s) × %i video(s): one export call, every posted row measured", async (bundles, videos) => {
    const files = await postedCampaign(bundles, videos);
    const start = logIndex() + 1;
    const report = await syncCsv(emu, files);
    const calls = operations(emu.requestLog(start));
    expect(calls["exportAnalyticsVideos"]).toBe(1);
    expect(Object.keys(calls).filter((op) => /analytic/i.test(op))).toEqual(["exportAnalyticsVideos"]);
    expect(report.analytics).toEqual({ source: "export", calls: 1 });
    expect(report.calls["exportAnalyticsVideos"]).toBe(1);
    const rows = readCsvRows(files.videosPath);
    expect(rows).toHaveLength(bundles * videos);
    for (const r of rows) {
      expect(Number(r["views"])).toBeGreaterThan(0);
      expect(r["analytics_at"]).toMatch(/^2026-09-1\dT/);
    }
  });

  it("analytics: false makes no analytics call", async () => {
    const files = await postedCampaign(1, 2);
    const start = logIndex() + 1;
    const report = await syncCsv(emu, files, { analytics: false });
    expect(operations(emu.requestLog(start))["exportAnalyticsVideos"]).toBeUndefined();
    expect(report.analytics).toBeNull();
    for (const r of readCsvRows(files.videosPath)) expect(r["views"] ?? "").toBe("");
  });

  it("when the export fails, the numbers already in the sheet stay (never blanks, never zeros)", async () => {
    const files = await postedCampaign(2, 2);
    await syncCsv(emu, files);
    const measured = readCsvRows(files.videosPath);
    expect(measured.every((r) => Number(r["views"]) > 0)).toBe(true);

    await advanceTo("2026-09-15T00:00:00.000Z");
    emu.setFaults({ rules: [{ operationId: "exportAnalyticsVideos", action: "status", status: 500 }] });
    const report = await syncCsv(emu, files, { client: { retry: { maxRetries: 0 } } });
    expect(report.analytics?.source).toBe("none");
    expect(report.analytics?.note).toMatch(/^Analytics unavailable: the export failed/);
    expect(report.warnings.some((w) => w.startsWith("Analytics: Analytics unavailable"))).toBe(true);
    const after = readCsvRows(files.videosPath);
    for (const [i, r] of after.entries()) {
      for (const c of ANALYTICS) expect(r[c]).toBe(measured[i]![c]);
    }
  });
});

describe("analytics mode", () => {
  it("reads only the analytics, writes only the analytics columns, and joins by platform_url without an id", async () => {
    const files = await postedCampaign(2, 2);
    await syncCsv(emu, files);
    await advanceTo("2026-09-16T00:00:00.000Z");
    // Content edits are not applied in this mode, and a row known only by its URL is still measured.
    editCsv(files.videosPath, (rows) => {
      rows[0]!["description"] = "A caption nobody applies in analytics mode";
      rows[1]!["video_id"] = "";
      return rows;
    });
    const before = readCsvRows(files.videosPath);
    const bundlesBefore = readCsvRows(files.bundlesPath);

    const start = logIndex() + 1;
    const report = await syncCsv(emu, files, { mode: "analytics" });
    expect(operations(emu.requestLog(start))).toEqual({ exportAnalyticsVideos: 1 });
    expect(report.mode).toBe("analytics");
    // Nothing was planned, and the report says so by having no plan (and no apply report).
    expect(report).not.toHaveProperty("plan");
    expect(report).not.toHaveProperty("apply");
    expect(report.rows).toEqual([]);
    expect(report.analytics).toEqual({ source: "export", calls: 1 });
    expect(report.write?.cellsWritten).toBeGreaterThan(0);

    const after = readCsvRows(files.videosPath);
    expect(after.map(withoutAnalytics)).toEqual(before.map(withoutAnalytics));
    expect(readCsvRows(files.bundlesPath)).toEqual(bundlesBefore);
    for (const [i, r] of after.entries()) {
      // Two more days since the last read: the numbers grew (they never decrease).
      expect(Number(r["views"])).toBeGreaterThan(Number(before[i]!["views"]));
      expect(r["analytics_at"]).not.toBe(before[i]!["analytics_at"]);
    }
    const state = Object.values(emu.state().bundles).flatMap((b) => b.videos);
    expect(state.find((v) => v.external_ref === before[0]!["video_ref"])!.description).not.toBe(
      "A caption nobody applies in analytics mode",
    );

    // Same clock, nothing new: nothing written.
    const again = await syncCsv(emu, files, { mode: "analytics" });
    expect(again.write).toEqual({ cellsWritten: 0, requests: 0, rowsNotFound: 0 });
  });
});
