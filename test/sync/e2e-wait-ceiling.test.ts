/**
 * End to end: TokPortal's bucket runs dry mid-run and answers `Retry-After: 3600`. The run does not wait
 * the hour: it ends at once, the rows it could not reach are `pending` with what TokPortal asked and from
 * when to expect progress, nothing is charged twice, and a later run (an hour on) finishes the work.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

let dir: string;
let emu: TestEmulator;
/** The emulator bucket's clock: it refills one token an hour, and only when this moves. */
let realNow = 1_800_000_000_000;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-wait-ceiling-"));
  emu = await startTestEmulator({
    bucket: { capacity: 120, refillPerSecond: 1 / 3600 },
    realClock: () => realNow,
  });
});
afterEach(async () => {
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
});

const credits = (): number => Object.values(emu.state().workspaces)[0]!.credits;
const BUNDLE_PRICE = 32 + 3 * 2;

describe("a Retry-After longer than the ceiling", () => {
  it("ends the run at once with the rows pending and what TokPortal asked; a later run finishes", async () => {
    const files = writeCampaign(dir, { bundles: 3, videosPerBundle: 3 });
    const target = { url: emu.url, apiKey: emu.apiKey };
    // The reads a run makes before its first write, counted on a plan-only run. `/countries` is public: it
    // takes no token from the key's bucket.
    const before = emu.requestLog().length;
    await syncCsv(target, files, { mode: "plan" });
    const reads = emu
      .requestLog()
      .slice(before)
      .filter((e) => e.operationId !== "listCountries").length;
    // Leave the bucket exactly those reads plus one write: the first create goes through, then 429s.
    const left = 120 - reads;
    for (let i = 0; i < left - reads - 1; i++) await emu.api("GET", "/credits/balance");
    const opening = credits();

    const started = Date.now();
    const first = await syncCsv(target, files, { analytics: false, concurrency: 1 });
    expect(Date.now() - started).toBeLessThan(10_000);

    const refused = emu.requestLog().filter((e) => e.status === 429);
    // At most one refusal: the client's gate reads the bucket from the headers, and holds back the rest.
    expect(refused.length).toBeLessThanOrEqual(1);
    expect(opening - credits()).toBe(BUNDLE_PRICE);
    // The one bundle created is recorded; its later steps, and the other bundles, wait.
    expect(first.rows.map((r) => r.outcome)).toEqual(first.rows.map(() => "pending"));
    for (const r of first.rows) {
      expect(r.code).toMatch(/^(wait_exceeds_ceiling|earlier_step_failed)$/);
      expect(r.message).toMatch(
        /TokPortal asked to wait [\d.]+ (min|h) \((RATE_LIMIT_EXCEEDED|RATE_LIMIT): .+\), longer than this run waits \(5 min\); expect progress from \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
      );
    }
    const sheet = readCsvRows(files.bundlesPath!);
    expect(sheet.map((r) => r["sync_status"])).toEqual(["pending", "pending", "pending"]);
    expect(sheet.filter((r) => r["bundle_id"] !== "")).toHaveLength(1);

    // An hour and more later the bucket is full again: the next run does the rest, paying once per bundle.
    realNow += 200 * 3600_000;
    const second = await syncCsv(target, files, { analytics: false });
    expect(second.rows.every((r) => r.outcome === "synced")).toBe(true);
    expect(opening - credits()).toBe(3 * BUNDLE_PRICE);
    expect(emu.requestLog().filter((e) => e.operationId === "createBundle" && e.status === 201)).toHaveLength(
      3,
    );
  });
});
