import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { prng } from "../../src/emulator/random.ts";
import { CsvSource } from "../../src/sources/csv.ts";
import { type CsvEdit, readCsvGrid, renderCsv } from "../../src/sources/csv-file.ts";
import { CsvPlacement } from "../../src/sources/csv-placement.ts";
import { rewriteCsv, scanCsv } from "../../src/sources/csv-rewrite.ts";
import { encodeCsvValue } from "../../src/sources/formula.ts";
import { resolveHeader } from "../../src/sources/table.ts";
import type { CellPatch } from "../../src/sources/types.ts";
import { changesOf, headerWrites, planWrite, readTable, wholeFresh } from "../../src/sources/write-plan.ts";
import { tempCsvFiles } from "./support/temp-csv.ts";

const { file } = tempCsvFiles("csv-placement");
const vkey = (bundleRef: string, videoRef: string) => ({ table: "videos" as const, bundleRef, videoRef });
const ENCODING = { value: encodeCsvValue, text: encodeCsvValue };

function videosCsv(rows: number): string {
  const lines = ["video_ref,bundle_ref,description"];
  for (let i = 0; i < rows; i++) lines.push(`v${i},b${Math.floor(i / 10)},"look #${i}, again"`);
  return `${lines.join("\r\n")}\r\n`;
}

const everyRow = (rows: number): CellPatch[] =>
  Array.from({ length: rows }, (_, i) => ({
    key: vkey(`b${Math.floor(i / 10)}`, `v${i}`),
    values: { video_id: `id-v${i}`, sync_status: "synced" },
  }));

describe("CSV write-back placed as the file streams", () => {
  it("every row written back after rows were moved, inserted and deleted: each value lands on its ref's row", async () => {
    const rows = 600;
    const p = file(videosCsv(rows));
    const snapshot = await new CsvSource({ videosPath: p }).read();
    expect(snapshot.videos).toHaveLength(rows);
    // A person sorts the rows backwards, deletes v7, inserts a row of their own and a blank line.
    const lines = readFileSync(p, "utf8").split("\r\n").slice(0, -1);
    const data = lines
      .slice(1)
      .reverse()
      .filter((l) => !l.startsWith("v7,"));
    writeFileSync(p, `${[lines[0], "mine,b-mine,x", "", ...data].join("\r\n")}\r\n`);

    const report = await snapshot.write(everyRow(rows));
    expect(report.rowsNotFound).toEqual([vkey("b0", "v7")]);
    expect(report.cellsWritten).toBe(2 * (rows - 1));
    expect(report.requests).toBe(1);

    const grid = (await readCsvGrid(p, { table: "videos", displayName: "f" })).grid;
    expect(grid[0]).toEqual(["video_ref", "bundle_ref", "description", "video_id", "sync_status"]);
    expect(grid[1]).toEqual(["mine", "b-mine", "x"]);
    expect(grid[2]).toEqual([]); // the blank line (a record's trailing empty cells are not kept)
    for (const row of grid.slice(3)) {
      const i = Number(row[0]!.slice(1));
      expect(row).toEqual([`v${i}`, `b${Math.floor(i / 10)}`, `look #${i}, again`, `id-v${i}`, "synced"]);
    }
    expect(grid).toHaveLength(rows + 2);

    // The same values again change no cell: nothing is rewritten.
    expect(await snapshot.write(everyRow(rows))).toMatchObject({ cellsWritten: 0, requests: 0 });
  });

  it("keeps no row of the file for patches by ref, however many; only rows keyed by number", async () => {
    const rows = 2000;
    const p = file(videosCsv(rows));
    const source = new CsvSource({ videosPath: p });
    const opts = source.tableOptions("videos");
    const placement = new CsvPlacement(everyRow(rows), opts, ENCODING);
    placement.start();
    const pass = await scanCsv(p, source.readOptions(p, "videos"), (i, fields) => placement.scan(i, fields));
    expect(pass).not.toBeNull();
    placement.finish(null);
    expect(placement.rowsKept).toBe(1); // the header
    expect(placement.cells).toBe(2 * rows);
    expect(placement.appended.map((a) => [a.column, a.col])).toEqual([
      ["video_id", 3],
      ["sync_status", 4],
    ]);
    expect(placement.rowsNotFound()).toEqual([]);

    // A row keyed by number (a row read without refs) is the only kind held whole.
    const byNumber = new CsvPlacement(
      [...everyRow(rows), { key: { table: "videos", rowNumber: 5 }, values: { sync_status: "x" } }],
      opts,
      ENCODING,
    );
    byNumber.start();
    await scanCsv(p, source.readOptions(p, "videos"), (i, fields) => byNumber.scan(i, fields));
    byNumber.finish(null);
    expect(byNumber.rowsKept).toBe(2);
    // Nothing read to recognize it by: not placed, and reported.
    expect(byNumber.rowsNotFound()).toEqual([{ table: "videos", rowNumber: 5 }]);
  });

  it("the last patch of a key wins per column; a clear of a missing column creates nothing", async () => {
    const p = file("video_ref,bundle_ref,video_id\nv1,b1,old\nv2,b1,\n");
    const snapshot = await new CsvSource({ videosPath: p }).read();
    const report = await snapshot.write([
      { key: vkey("b1", "v1"), values: { video_id: "first", sync_message: "" } },
      { key: vkey("b1", "v2"), values: { video_id: "" } },
      { key: vkey("b1", "v1"), values: { video_id: "second" } },
    ]);
    expect(report).toMatchObject({ cellsWritten: 1, rowsNotFound: [] });
    expect(readFileSync(p, "utf8")).toBe("video_ref,bundle_ref,video_id\nv1,b1,second\nv2,b1,\n");
  });
});

describe("the streamed placement places as planWrite does on the whole table", () => {
  for (let seed = 1; seed <= 25; seed++) {
    it(`seed ${seed}: same file, same count, same refs not found`, async () => {
      const r = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      const header =
        r() < 0.5 ? "video_ref,bundle_ref,notes" : "notes,bundle_ref,video_ref,video_id,sync_status";
      const cols = header.split(",");
      const line = (v: string, b: string) =>
        cols
          .map((c) =>
            c === "video_ref"
              ? v
              : c === "bundle_ref"
                ? b
                : c === "notes"
                  ? pick(["", "n", '"a, b"'])
                  : pick(["", "id", " synced "]),
          )
          .join(",");
      const read: string[] = [header];
      const refs: [string, string][] = [];
      for (let i = 0; i < 40; i++) {
        const kind = r();
        if (kind < 0.1)
          read.push(""); // blank line
        else if (kind < 0.2)
          read.push(line("", `b${i % 4}`)); // no video_ref: keyed by number
        else {
          const ref: [string, string] = [`b${i % 4}`, `v${Math.floor(r() * 30)}`]; // duplicates happen
          refs.push(ref);
          read.push(line(` ${ref[1]}`, ref[0]));
        }
      }
      const p = file(`${read.join("\n")}\n`);
      const opts = new CsvSource({ videosPath: p }).tableOptions("videos");
      const before = await readCsvGrid(p, { table: "videos", displayName: "f" });
      const layout = resolveHeader(before.grid, opts).layout!;
      const readOf = () =>
        readTable(
          before.grid.map((row) => [...row]),
          layout,
          opts,
        );
      // Then a person edits: swaps rows, deletes some, inserts new ones.
      const now = [...read];
      for (let k = 0; k < 10; k++) {
        const i = 1 + Math.floor(r() * (now.length - 1));
        const j = 1 + Math.floor(r() * (now.length - 1));
        const op = r();
        if (op < 0.5) [now[i], now[j]] = [now[j]!, now[i]!];
        else if (op < 0.75) now.splice(i, 1);
        else now.splice(i, 0, line(`v${40 + k}`, `b${k % 4}`));
      }
      writeFileSync(p, `${now.join("\n")}\n`);
      const patches: CellPatch[] = [];
      for (let k = 0; k < 50; k++) {
        const key =
          r() < 0.15
            ? { table: "videos" as const, rowNumber: 2 + Math.floor(r() * 40) }
            : r() < 0.7
              ? vkey(...pick(refs))
              : vkey(`b${Math.floor(r() * 4)}`, `v${Math.floor(r() * 45)}`);
        const values: CellPatch["values"] = {};
        if (r() < 0.7) values.video_id = pick(["", "id", `id${k}`]);
        if (r() < 0.5) values.sync_status = pick(["", "synced", "=danger"]);
        if (r() < 0.2) values.sync_message = pick(["", "m"]);
        patches.push({ key, values });
      }

      const fresh = await readCsvGrid(p, { table: "videos", displayName: "f", keepRaw: true });
      const plan = planWrite(
        opts,
        changesOf(patches, opts, ENCODING),
        wholeFresh(fresh.grid, opts),
        readOf(),
      );
      const edits: CsvEdit[] = [...headerWrites(plan), ...plan.cells].map((c) => ({
        rowIndex: c.row - 1,
        colIndex: c.col,
        value: String(c.value),
      }));
      const expected = renderCsv(fresh.raw!, fresh.records!, fresh.format, edits);

      const placement = new CsvPlacement(patches, opts, ENCODING);
      placement.start();
      const readOptions = { table: "videos" as const, displayName: "f" };
      const pass = await scanCsv(p, readOptions, (i, fields) => placement.scan(i, fields));
      placement.finish(readOf());
      expect(placement.cells).toBe(plan.cells.length);
      expect(placement.rowsNotFound()).toEqual(plan.rowsNotFound);
      const out = `${p}.out`;
      await rewriteCsv(p, out, readOptions, pass!, (rec) =>
        placement.editsAt(rec.index, rec.ok ? rec.fields : []),
      );
      expect(readFileSync(out, "utf8")).toBe(expected);
    });
  }
});
