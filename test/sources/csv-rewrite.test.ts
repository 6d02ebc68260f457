import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CsvSource } from "../../src/sources/csv.ts";
import { readCsvGrid, renderCsv } from "../../src/sources/csv-file.ts";
import { indexCsv, rewriteCsv, wantedBy } from "../../src/sources/csv-rewrite.ts";
import { tempCsvFiles } from "./support/temp-csv.ts";

const { dir, file } = tempCsvFiles("csv-rewrite");

/** Many pieces of the streamed passes: quoted fields with delimiters, quotes and line breaks across them. */
function bigCsv(rows: number, newline: "\n" | "\r\n"): string {
  const lines = ["video_ref,bundle_ref,description,notes"];
  for (let i = 0; i < rows; i++) {
    const desc = i % 4 === 0 ? `"look #${i}, with ""quotes"""` : `look #${i}`;
    const note = i % 9 === 0 ? `"two${newline}lines é ${"x".repeat(i % 50)}"` : "";
    lines.push([`v${i}`, `b${Math.floor(i / 10)}`, desc, note].join(","));
  }
  return `\uFEFF${lines.join(newline)}${newline}`;
}

describe("CSV write-back, streamed", () => {
  for (const newline of ["\n", "\r\n"] as const) {
    it(`a file of many pieces (${JSON.stringify(newline)}) is rewritten exactly as a whole-file render would`, async () => {
      const before = bigCsv(3000, newline);
      const p = file(before);
      const whole = await readCsvGrid(p, { table: "videos", displayName: "f", keepRaw: true });
      const snapshot = await new CsvSource({ videosPath: p }).read();
      const patches = [];
      for (let i = 0; i < 3000; i += 7) {
        patches.push({
          key: { table: "videos" as const, bundleRef: `b${Math.floor(i / 10)}`, videoRef: `v${i}` },
          values: { video_id: `id-${i}`, sync_message: i % 2 ? "a, b" : "" },
        });
      }
      const report = await snapshot.write(patches);
      expect(report.rowsNotFound).toEqual([]);
      // The same edits through the whole-file renderer: header cells at D+1.., values on each patched row.
      const edits = [
        { rowIndex: 0, colIndex: 4, value: "video_id" },
        { rowIndex: 0, colIndex: 5, value: "sync_message" },
      ];
      for (let i = 0; i < 3000; i += 7) {
        edits.push({ rowIndex: i + 1, colIndex: 4, value: `id-${i}` });
        if (i % 2) edits.push({ rowIndex: i + 1, colIndex: 5, value: "a, b" });
      }
      expect(readFileSync(p, "utf8")).toBe(renderCsv(whole.raw!, whole.records!, whole.format, edits));
      expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    });
  }

  it("a file saved by someone else between the two passes is not replaced", async () => {
    const p = file("video_ref,bundle_ref,video_id\nv1,b1,\nv2,b1,\n");
    const source = new CsvSource({ videosPath: p });
    const opts = source.tableOptions("videos");
    const readOptions = source.readOptions(p, "videos");
    const key = { table: "videos" as const, bundleRef: "b1", videoRef: "v2" };
    const change = { key, column: "video_id", value: "x", text: "x" };
    const index = await indexCsv(p, readOptions, opts, wantedBy([change], [], false));
    expect(index!.grid.map((r) => r.filter((c) => c !== undefined))).toEqual([
      ["video_ref", "bundle_ref", "video_id"],
      [],
      ["v2", "b1"],
    ]);
    const saved = "video_ref,bundle_ref,video_id\nv2,b1,\nv1,b1,\n";
    writeFileSync(p, saved);
    const edits = new Map([[2, [{ rowIndex: 2, colIndex: 2, value: "x" }]]]);
    expect(await rewriteCsv(p, p, readOptions, index!, (r) => edits.get(r.index))).toBe(false);
    expect(readFileSync(p, "utf8")).toBe(saved);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
