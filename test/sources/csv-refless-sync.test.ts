/**
 * A whole sync on CSV files where a videos row lacks its bundle_ref (or its video_ref): the row's error
 * reaches its own sync_status / sync_message cells, written by row number — and only while that row still
 * holds the cells it was read with (a line moved there during the run is not written to).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  editCsv,
  readCsvRows,
  syncCsv,
  writeCampaign,
  writeSingleTableCampaign,
} from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "csv-refless-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Sheet row 3 loses its bundle_ref, sheet row 4 its video_ref. */
function clearRefs(videosPath: string): void {
  editCsv(videosPath, (rows) => {
    rows[1]!["bundle_ref"] = "";
    rows[2]!["video_ref"] = "";
    return rows;
  });
}

describe("a videos row without a ref, through a whole CSV sync", () => {
  it.each([
    ["bundles + videos", false],
    ["single table", true],
  ] as const)("%s: the row's cells say error and name the column and the fix", async (_mode, single) => {
    const files = single
      ? writeSingleTableCampaign(dir, { bundles: 1, videosPerBundle: 3 })
      : writeCampaign(dir, { bundles: 1, videosPerBundle: 3 });
    clearRefs(files.videosPath);

    const report = await syncCsv(emu, files);
    expect(report.write?.rowsNotFound).toBe(0);
    const rows = readCsvRows(files.videosPath);
    expect(rows[0]!["sync_status"]).toBe("synced");
    expect(rows[1]).toMatchObject({ bundle_ref: "", sync_status: "error" });
    // The message names the row, the column and the fix (which names the column again).
    expect(rows[1]!["sync_message"]).toMatch(/^Row 3, column bundle_ref: is empty; .*\bbundle_ref\b/);
    expect(rows[2]).toMatchObject({ video_ref: "", sync_status: "error" });
    expect(rows[2]!["sync_message"]).toMatch(/^Row 4, column video_ref: is empty; .*\bvideo_ref\b/);

    // Nothing new on a rerun: the error is already in the cells, so nothing is written.
    const text = readFileSync(files.videosPath, "utf8");
    const rerun = await syncCsv(emu, files);
    expect(rerun.write).toMatchObject({ cellsWritten: 0, rowsNotFound: 0 });
    expect(readFileSync(files.videosPath, "utf8")).toBe(text);
  });

  it("a blank line or another ref-less row moved to that number during the run is not written to", async () => {
    const files = writeSingleTableCampaign(dir, { bundles: 1, videosPerBundle: 3 });
    clearRefs(files.videosPath);
    const [header, v1, noBundle, noVideo] = readFileSync(files.videosPath, "utf8").split("\n");
    let edited = 0;
    const report = await syncCsv(emu, files, {
      // While the run creates the bundle, the user inserts a blank line above the ref-less rows: row 3 is
      // now blank, row 4 holds the row that was row 3.
      onProgress: () => {
        if (edited++ > 0) return;
        writeFileSync(files.videosPath, [header, v1, "", noBundle, noVideo, ""].join("\n"));
      },
    });
    expect(edited).toBeGreaterThan(0);
    expect(report.rows.filter((r) => r.outcome === "error").map((r) => r.row.id)).toEqual(
      expect.arrayContaining(["row:videos:3", "row:videos:4"]),
    );
    expect(report.write?.rowsNotFound).toBe(2);
    const lines = readFileSync(files.videosPath, "utf8").split("\n");
    expect(lines[2]).toBe("");
    // The moved rows got no cell of another row's result; v1, found by its refs, got its own.
    expect(lines[3]!.startsWith(noBundle!)).toBe(true);
    expect(lines[3]).not.toContain("error");
    expect(lines[4]!.startsWith(noVideo!)).toBe(true);
    expect(lines[4]).not.toContain("error");
    expect(readCsvRows(files.videosPath)[0]!["sync_status"]).toBe("synced");
  });
});
