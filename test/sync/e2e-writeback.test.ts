/**
 * End to end on the emulator's clock (CSV campaign): statuses keep moving from the reads a run
 * already makes, analytics land next to the rows, a run with nothing new writes nothing, remote text that
 * looks like a formula is made inert, a transient failure keeps a row's earlier result, and an auth
 * failure or a stop mid-apply still writes back what was done.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TokPortalError } from "../../src/api/errors.ts";
import { exitCodeForError } from "../../src/cli/outcome.ts";
import type { RequestLogEntry } from "../../src/emulator/request-log.ts";
import { EXIT } from "../../src/exit-codes.ts";
import { finding, renderFinding } from "../../src/findings/index.ts";
import { parseAnalyticsCsv } from "../../src/sync/analytics.ts";
import { keptMessage } from "../../src/sync/writeback.ts";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding, resultOf } from "../support/findings.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-writeback-"));
});
afterEach(() => {
  emu.setFaults({});
  rmSync(dir, { recursive: true, force: true });
});

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const logIndex = (): number => emu.requestLog().at(-1)?.index ?? -1;

function countByOperation(entries: RequestLogEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) {
    const op = e.operationId ?? `${e.method} ${e.path}`;
    out[op] = (out[op] ?? 0) + 1;
  }
  return out;
}

async function advanceTo(iso: string): Promise<void> {
  const seconds = (Date.parse(iso) - emu.clock.now()) / 1000;
  expect(seconds).toBeGreaterThan(0);
  await emu.advance(seconds);
}

const bundlesByRef = () =>
  new Map(Object.values(emu.state().bundles).map((b) => [b.external_ref!.slice(2), b]));
const fileText = (files: { bundlesPath: string; videosPath: string }) => [
  readFileSync(files.bundlesPath, "utf8"),
  readFileSync(files.videosPath, "utf8"),
];

describe("a campaign followed over the emulator's clock", () => {
  it("moves statuses, fills platform_url and numbers without moving synced_at, then writes nothing", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 3, startDate: "2026-09-10" });
    // The user's own cells: a formula typed in a column the tool does not know stays exactly as typed.
    editCsv(files.videosPath, (rows) => {
      rows[0]!["notes"] = "=SUM(B2:B3)";
      return rows;
    });
    const first = await syncCsv(emu, files);
    expect(first.counts.synced).toBe(8);
    const afterFirst = readCsvRows(files.videosPath);
    expect(
      afterFirst.every((r) => r["video_status"] === "published" && (r["platform_url"] ?? "") === ""),
    ).toBe(true);
    const syncedAt = new Map(readCsvRows(files.bundlesPath).map((r) => [r["bundle_ref"], r["synced_at"]]));
    const videoSyncedAt = new Map(afterFirst.map((r) => [r["video_ref"], r["synced_at"]]));

    // Past every target day at 17:00; the first videos (09-10) are finalized 72 h after posting.
    await advanceTo("2026-09-14T00:00:00.000Z");
    // A remote value that a spreadsheet would run as a formula.
    const planted = '=HYPERLINK("https://evil.example/x","click")';
    const c01 = bundlesByRef().get("c01")!;
    const slot = c01.videos.find((v) => v.external_ref === "c01-v2")!;
    expect(slot.platform_url).toMatch(/^https:\/\//);
    slot.platform_url = planted;

    const start = logIndex() + 1;
    const second = await syncCsv(emu, files);
    const log = emu.requestLog(start);
    // Only the reads a run makes anyway, plus ONE analytics export: no call per row. The two accounts were
    // delivered meanwhile: each is read once for the bundles row's account cells (never again, below).
    expect(countByOperation(log)).toEqual({
      listBundles: 1,
      listBundleVideos: 2,
      getAccount: 2,
      exportAnalyticsVideos: 1,
    });
    expect(log.filter((e) => WRITE_METHODS.has(e.method))).toEqual([]);
    expect(second.analytics).toEqual({ source: "export", calls: 1 });
    expect(second.counts.synced).toBe(8);

    // What TokPortal measured, read independently of the run.
    const exported = await emu.api("GET", "/analytics/export/videos");
    const measured = new Map(parseAnalyticsCsv(exported.text).records.map((r) => [r["video_id"], r]));

    const world = bundlesByRef();
    const bundleRows = readCsvRows(files.bundlesPath);
    for (const r of bundleRows) {
      const b = world.get(r["bundle_ref"]!)!;
      expect(b.status).not.toBe("published");
      expect(r["bundle_status"]).toBe(b.status);
      expect(r["account_status"]).toBe(b.account?.status);
      expect(r["synced_at"]).toBe(syncedAt.get(r["bundle_ref"]));
    }
    const videoRows = readCsvRows(files.videosPath);
    const statuses = new Set<string>();
    for (const r of videoRows) {
      const v = world.get(r["bundle_ref"]!)!.videos.find((s) => s.external_ref === r["video_ref"])!;
      statuses.add(v.status);
      expect(["in_review", "finalized"]).toContain(v.status);
      expect(r["video_status"]).toBe(v.status);
      expect(r["synced_at"]).toBe(videoSyncedAt.get(r["video_ref"]));
      expect(r["sync_status"]).toBe("synced");
      if (r["video_ref"] === "c01-v2") expect(r["platform_url"]).toBe(`'${planted}`);
      else expect(r["platform_url"]).toBe(v.platform_url);
      const m = measured.get(v.id)!;
      for (const column of ["views", "likes", "comments", "shares", "bookmarks"]) {
        expect(r[column]).toBe(m[column]);
        expect(Number(r[column])).toBeGreaterThan(0);
      }
      expect(Number(r["engagement_rate"])).toBe(Number(m["engagement_rate"]));
      expect(r["analytics_at"]).toBe(new Date(m["scraped_at"]!).toISOString());
    }
    expect(statuses).toEqual(new Set(["in_review", "finalized"]));
    // User cells untouched, the typed formula included.
    expect(videoRows[0]!["notes"]).toBe("=SUM(B2:B3)");
    expect(videoRows.map((r) => r["description"])).toEqual(afterFirst.map((r) => r["description"]));

    // Nothing new: the third run still reads and measures, and writes not one cell.
    const before = fileText(files);
    const third = await syncCsv(emu, files);
    expect(third.write).toEqual({ cellsWritten: 0, requests: 0, rowsNotFound: 0 });
    expect(third.analytics?.calls).toBe(1);
    expect(third.calls["getAccount"]).toBeUndefined();
    expect(fileText(files)).toEqual(before);
  });
});

describe("a transient failure after an earlier success", () => {
  it("keeps the row's ids, statuses, fingerprint and synced_at, and says so; the next run syncs it", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2, publish: false });
    await syncCsv(emu, files);
    const before = readCsvRows(files.videosPath).find((r) => r["video_ref"] === "c01-v2")!;
    expect(before).toMatchObject({ sync_status: "synced", video_status: "configured" });
    expect(before["video_id"]).not.toBe("");

    editCsv(files.videosPath, (rows) => {
      rows.find((r) => r["video_ref"] === "c01-v2")!["description"] = "A caption that changed";
      return rows;
    });
    emu.setFaults({ rules: [{ operationId: "batchConfigureBundleVideos", action: "status", status: 503 }] });
    const failed = await syncCsv(emu, files, { client: { retry: { maxRetries: 0 } } });
    expect(failed.counts.error).toBe(1);

    const after = readCsvRows(files.videosPath).find((r) => r["video_ref"] === "c01-v2")!;
    expect(after["sync_status"]).toBe("error");
    const res = resultOf(failed, "v:c01/c01-v2");
    expectFinding(res, "tokportal_unanswered", undefined, {
      step: "configureVideos",
      why: "HTTP 503 SERVICE_UNAVAILABLE",
      attempts: 1,
    });
    // The sheet says the finding, and that the row's earlier result stays.
    expect(after["sync_message"]).toBe(keptMessage(res.message));
    for (const column of ["video_id", "position", "video_status", "sync_fingerprint", "synced_at"])
      expect(after[column]).toBe(before[column]);
    const bundle = readCsvRows(files.bundlesPath).find((r) => r["bundle_ref"] === "c01")!;
    expect(bundle["bundle_id"]).not.toBe("");

    emu.setFaults({});
    await syncCsv(emu, files);
    const healed = readCsvRows(files.videosPath).find((r) => r["video_ref"] === "c01-v2")!;
    expect(healed).toMatchObject({ sync_status: "synced", sync_message: "", video_id: before["video_id"] });
    expect(healed["sync_fingerprint"]).not.toBe(before["sync_fingerprint"]);
  });
});

describe("a run stopped mid-apply", () => {
  it("an auth failure: what was done is written back, then the error reaches the caller (exit 3)", async () => {
    const files = writeCampaign(dir, { bundles: 3, videosPerBundle: 2 });
    let error: unknown;
    try {
      await syncCsv(emu, files, {
        concurrency: 1,
        // The key is revoked once the first bundle is fully done.
        onProgress: (e) => {
          if (e.opId !== "c01:publishBundle") return;
          for (const key of emu.state().apiKeys) key.revoked = true;
        },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TokPortalError);
    expect(error).toMatchObject({ status: 401, code: "AUTH_REVOKED_KEY" });
    expect(exitCodeForError(error)).toBe(EXIT.auth);

    const world = bundlesByRef();
    expect([...world.keys()]).toEqual(["c01"]);
    const bundleRows = new Map(readCsvRows(files.bundlesPath).map((r) => [r["bundle_ref"], r]));
    expect(bundleRows.get("c01")).toMatchObject({
      bundle_id: world.get("c01")!.id,
      bundle_status: "published",
      sync_status: "synced",
    });
    expect(bundleRows.get("c02")).toMatchObject({ bundle_id: "", sync_status: "error" });
    expect(bundleRows.get("c02")!["sync_message"]).toBe(
      renderFinding([3], finding("api_key_refused", undefined, { tpCode: "AUTH_REVOKED_KEY" })),
    );
    expect(bundleRows.get("c03")).toMatchObject({ bundle_id: "", sync_status: "skipped" });
    const videoRows = readCsvRows(files.videosPath);
    for (const r of videoRows.filter((v) => v["bundle_ref"] === "c01")) {
      expect(r["sync_status"]).toBe("synced");
      expect(r["video_id"]).not.toBe("");
    }
    for (const r of videoRows.filter((v) => v["bundle_ref"] !== "c01"))
      expect(r["sync_status"]).not.toBe("synced");
  });

  it("a stop signal: steps in flight finish, the rest stays pending, and the results are written", async () => {
    const files = writeCampaign(dir, { bundles: 3, videosPerBundle: 2 });
    const stop = new AbortController();
    const report = await syncCsv(emu, files, {
      concurrency: 1,
      signal: stop.signal,
      onProgress: (e) => {
        if (e.opId === "c01:publishBundle") stop.abort();
      },
    });
    expect([...bundlesByRef().keys()]).toEqual(["c01"]);
    expect(report.analytics).toBeNull();
    expect(report.counts).toEqual({ synced: 3, pending: 6, locked: 0, error: 0, skipped: 0 });
    const bundleRows = new Map(readCsvRows(files.bundlesPath).map((r) => [r["bundle_ref"], r]));
    expect(bundleRows.get("c01")).toMatchObject({ sync_status: "synced", bundle_status: "published" });
    for (const ref of ["c02", "c03"]) {
      expect(bundleRows.get(ref)).toMatchObject({ sync_status: "pending", bundle_id: "" });
      const res = resultOf(report, `b:${ref}`);
      expectFinding(res, "stopped_by_user", undefined, {});
      expect(bundleRows.get(ref)!["sync_message"]).toBe(res.message);
    }

    // The next run finishes the job.
    const rest = await syncCsv(emu, files);
    expect(rest.counts.synced).toBe(9);
    expect([...bundlesByRef().keys()].sort()).toEqual(["c01", "c02", "c03"]);
  });
});

describe("warnings", () => {
  it("names what is not one row's: bundles only TokPortal still has, and ignored source data", async () => {
    const files = writeCampaign(dir, { bundles: 3, videosPerBundle: 1 });
    await syncCsv(emu, files);
    editCsv(files.bundlesPath, (rows) => rows.filter((r) => r["bundle_ref"] !== "c02"));
    editCsv(files.videosPath, (rows) => rows.filter((r) => r["bundle_ref"] !== "c02"));
    // The notes column loses its header but keeps its data: the tool ignores it and says so.
    const text = readFileSync(files.bundlesPath, "utf8");
    writeFileSync(files.bundlesPath, text.replace(",notes,", ",,"));

    for (const mode of ["plan", "apply"] as const) {
      const report = await syncCsv(emu, files, { mode });
      expect(report.warnings, JSON.stringify(report.warnings)).toHaveLength(2);
      expect(report.warnings[0]).toMatch(/^Column M has no header but holds data \(first in row 2\)/);
      expect(report.warnings[1]).toBe(
        '1 bundle(s) under prefix "t-" are on TokPortal but not in the sheet: c02; they are left alone.',
      );
    }
    expect(Object.values(emu.state().bundles)).toHaveLength(3);
  });
});
