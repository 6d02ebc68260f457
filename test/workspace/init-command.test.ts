/**
 * `tokportal-sync init` as a command (in-process, its streams captured): a Google Sheet on the fake Sheets
 * server with the config it writes, TokPortal's countries in the dropdown when a key is at hand, CSV
 * templates whose example row the reader leaves out until its `#` is removed, and usage errors.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type InitFlags, runInitCommand } from "../../src/cli/init-run.ts";
import type { CommandIO } from "../../src/cli/io.ts";
import { loadConfig } from "../../src/config/load.ts";
import { knownColumns } from "../../src/sources/columns.ts";
import { createSource } from "../../src/sources/index.ts";
import { gridToRows } from "../../src/sources/table.ts";
import { syncSource } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { fakeSheetsPerTest } from "../support/fake-sheets/per-test.ts";

const emu = sharedEmulator();
const { fake, options } = fakeSheetsPerTest();
let dir = "";

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-init-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function capture(env: Record<string, string | undefined> = {}) {
  const out = { stdout: "", stderr: "" };
  const sink = (name: "stdout" | "stderr") => {
    const s = new PassThrough();
    s.on("data", (chunk: Buffer) => {
      out[name] += chunk.toString("utf8");
    });
    return s;
  };
  const io: CommandIO = {
    stdin: new PassThrough(),
    stdout: sink("stdout"),
    stderr: sink("stderr"),
    env,
    color: false,
  };
  return { io, out };
}

const flags = (extra: Partial<InitFlags>): InitFlags => ({
  config: path.join(dir, "tokportal-sync.json"),
  bundlesTab: "bundles",
  videosTab: "videos",
  refPrefix: "campaign-",
  ...extra,
});

const sheetsDeps = () => ({ sheets: options() });

describe("tokportal-sync init", () => {
  it("--spreadsheet lays out the sheet, writes a config that loads, and a second run (from that config) sends nothing", async () => {
    fake.createSpreadsheet({ id: "sheet-one-1234", tabs: [{ title: "Sheet1" }] });
    const first = capture();
    expect(
      await runInitCommand(
        flags({ spreadsheet: "https://docs.google.com/spreadsheets/d/sheet-one-1234/edit#gid=0" }),
        first.io,
        sheetsDeps(),
      ),
    ).toBe(0);
    expect(first.out.stdout).toMatch(/^Added, in one batchUpdate of \d+ requests \(2 reads, 1 write\):/);
    expect(first.out.stdout).toContain("bundles: new tab;");
    expect(first.out.stdout).toContain("  sync_runs: new tab; header (15 columns)\n");
    expect(first.out.stdout).toContain("  dashboard: new tab; 3 pivot tables; 3 charts\n");
    expect(first.out.stdout).toContain("built-in country list");
    expect(fake.requests("spreadsheets.batchUpdate")).toHaveLength(1);
    const loaded = loadConfig(path.join(dir, "tokportal-sync.json"), {}, { requireApiKey: false });
    expect(loaded.source).toMatchObject({
      type: "google_sheets",
      spreadsheet_id: "sheet-one-1234",
      bundles_tab: "bundles",
      videos_tab: "videos",
      run_log: true,
      analytics_history: true,
    });
    expect(loaded.config.max_credits ?? null).toBeNull();

    fake.clearLog();
    const again = capture();
    expect(await runInitCommand(flags({ json: true }), again.io, sheetsDeps())).toBe(0);
    const doc = JSON.parse(again.out.stdout);
    expect(doc).toMatchObject({
      source: "google_sheets",
      requests: 0,
      sent: false,
      googleRequests: { reads: 1, writes: 0 },
    });
    expect(fake.requests("spreadsheets.batchUpdate")).toEqual([]);
  });

  it("--dry-run reads and says what it would add, sending no write and writing no config", async () => {
    fake.createSpreadsheet({ id: "sheet-dry-1234", tabs: [] });
    const run = capture();
    expect(
      await runInitCommand(flags({ spreadsheet: "sheet-dry-1234", dryRun: true }), run.io, sheetsDeps()),
    ).toBe(0);
    const said = /^Would add, in one batchUpdate of (\d+) requests \(2 reads, 0 writes\):/.exec(
      run.out.stdout,
    );
    expect(said).not.toBeNull();
    expect(fake.requests("spreadsheets.batchUpdate")).toEqual([]);
    expect(existsSync(path.join(dir, "tokportal-sync.json"))).toBe(false);
    // What it said it would add is what the real run then sends.
    expect(await runInitCommand(flags({ spreadsheet: "sheet-dry-1234" }), capture().io, sheetsDeps())).toBe(
      0,
    );
    const [sent] = fake.requests("spreadsheets.batchUpdate");
    expect(sent?.requests).toHaveLength(Number(said?.[1]));
  });

  it("offers TokPortal's countries when a key is at hand", async () => {
    fake.createSpreadsheet({ id: "sheet-two-1234", tabs: [] });
    const key = emu.createKey({ credits: 10 }).apiKey;
    const run = capture({ TOKPORTAL_API_KEY: key, TOKPORTAL_BASE_URL: emu.url });
    expect(
      await runInitCommand(flags({ spreadsheet: "sheet-two-1234", json: true }), run.io, sheetsDeps()),
    ).toBe(0);
    expect(JSON.parse(run.out.stdout).countries).toBe("tokportal");
    expect(run.out.stdout).not.toContain(key);
    const header = (fake.values("sheet-two-1234", "bundles")[0] ?? []).map(String);
    const rule = fake.tab("sheet-two-1234", "bundles").layout?.meta[1]?.[header.indexOf("country")]
      ?.dataValidation as {
      condition: { values: { userEnteredValue: string }[] };
    };
    const offered = rule.condition.values.map((v) => v.userEnteredValue);
    expect(offered).toContain("USA");
    expect(offered).not.toContain("US");
  });

  it("--csv writes both files with every column and a commented example row the reader leaves out", async () => {
    const today = new Date(emu.clock.now());
    const run = capture();
    const code = await runInitCommand(flags({ csv: path.join(dir, "campaign") }), run.io, { today });
    expect(code).toBe(0);
    const bundlesText = readFileSync(path.join(dir, "campaign", "bundles.csv"), "utf8");
    const [header, example] = bundlesText.trimEnd().split("\n");
    expect(header?.split(",")).toEqual(knownColumns({ table: "bundles" }));
    expect(example?.startsWith("#spring-us-1,")).toBe(true);

    const loaded = loadConfig(path.join(dir, "tokportal-sync.json"), {}, { requireApiKey: false });
    expect(loaded.source).toEqual({
      type: "csv",
      bundles: "campaign/bundles.csv",
      videos: "campaign/videos.csv",
      run_log: true,
      analytics_history: true,
    });
    const read = await createSource(loaded.source, { baseDir: loaded.baseDir }).read();
    expect([read.bundles, read.videos, read.problems]).toEqual([[], [], []]);

    // Remove the # and the examples are a campaign the sync plans without a row problem.
    for (const name of ["bundles.csv", "videos.csv"]) {
      const file = path.join(dir, "campaign", name);
      writeFileSync(file, readFileSync(file, "utf8").replace("\n#", "\n"));
    }
    const report = await syncSource(emu, createSource(loaded.source, { baseDir: loaded.baseDir }), {
      mode: "plan",
    });
    expect(report.rows.map((r) => [r.row.table, r.outcome, r.code ?? null])).toEqual([
      ["bundles", "synced", null],
      ["videos", "synced", null],
    ]);

    // A second init keeps both files and the config as they are.
    const again = capture();
    expect(await runInitCommand(flags({ csv: path.join(dir, "campaign") }), again.io, { today })).toBe(0);
    expect(again.out.stdout).toMatch(/Kept .*bundles\.csv as it is\.\nKept .*videos\.csv as it is\.\n$/);
  });

  it("a sync writes back around the commented example rows, leaving them as they were", async () => {
    const today = new Date(emu.clock.now());
    await runInitCommand(flags({ csv: path.join(dir, "c") }), capture().io, { today });
    const files = ["bundles.csv", "videos.csv"].map((n) => path.join(dir, "c", n));
    const comments = files.map((f) => readFileSync(f, "utf8").split("\n")[1] as string);
    // The person copies the example below it, without the #, and syncs.
    files.forEach((f, i) => {
      writeFileSync(f, `${readFileSync(f, "utf8")}${comments[i]?.slice(1)}\n`);
    });
    const source = createSource({ type: "csv", bundles: files[0] as string, videos: files[1] as string });
    const report = await syncSource(emu, source);
    expect(report.rows.map((r) => [r.row.table, r.row.rowNumbers, r.outcome])).toEqual([
      ["bundles", [3], "synced"],
      ["videos", [3], "synced"],
    ]);
    files.forEach((f, i) => {
      const lines = readFileSync(f, "utf8").split("\n");
      expect(lines[1]).toBe(comments[i]);
      expect(lines[2]).toMatch(/,synced,/);
    });
  });

  it("a comment row is left out of a CSV table only: a sheet's row whose ref starts with # is still a row", () => {
    const grid = [
      ["bundle_ref", "platform"],
      ["#b1", "tiktok"],
      ["b2", "tiktok"],
    ];
    expect(gridToRows(grid, { table: "bundles", commentRows: true }).rows.map((r) => r.rowNumber)).toEqual([
      3,
    ]);
    expect(gridToRows(grid, { table: "bundles" }).rows.map((r) => r.rowNumber)).toEqual([2, 3]);
  });

  it("refuses --spreadsheet with --csv, and no config without either, with exit 2", async () => {
    const both = capture();
    expect(await runInitCommand(flags({ spreadsheet: "x", csv: dir }), both.io)).toBe(2);
    expect(both.out.stderr).toContain("not both");
    const bad = capture();
    expect(await runInitCommand(flags({ spreadsheet: "oops" }), bad.io)).toBe(2);
    expect(bad.out.stderr).toContain("between /d/ and /edit");
    const none = capture();
    expect(await runInitCommand(flags({}), none.io)).toBe(2);
    expect(none.out.stderr).toContain("--spreadsheet ID or --csv DIR");
  });
});
