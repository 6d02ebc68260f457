import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readCsvGrid } from "../../src/sources/csv-file.ts";
import { eachReadRecord } from "../../src/sources/csv-records.ts";
import { scanRead } from "../../src/sources/csv-rewrite.ts";
import { COARSEST_MTIME_MS, readVersioned } from "../../src/sources/csv-version.ts";
import { CsvSource } from "../../src/sources/index.ts";
import { tempCsvFiles } from "./support/temp-csv.ts";

const { dir, file, agedFile } = tempCsvFiles("csv-version");
const opts = { table: "videos" as const, displayName: "videos.csv" };
const vkey = (bundleRef: string, videoRef: string) => ({ table: "videos" as const, bundleRef, videoRef });

describe("which version of a CSV file a read saw", () => {
  it("a file last saved well before the read: its stamp and the format it was read in", async () => {
    const p = agedFile("video_ref;bundle_ref\r\nv1;a\r\n");
    const { csv, version } = await readVersioned(p, () => readCsvGrid(p, opts));
    expect(csv.grid).toEqual([
      ["video_ref", "bundle_ref"],
      ["v1", "a"],
    ]);
    const s = statSync(p);
    expect(version).toEqual({
      stamp: { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino },
      format: { delimiter: ";", newline: "\r\n", bom: false },
      // Where each record ends, its line ending included.
      ends: [22, 28],
    });
  });

  it("none for a file saved within the coarsest time granularity of the read, or changed while it was read", async () => {
    const recent = agedFile("video_ref,bundle_ref\nv1,a\n");
    const savedAt = statSync(recent).mtimeMs;
    const justAfter = () => savedAt + COARSEST_MTIME_MS - 1;
    expect((await readVersioned(recent, () => readCsvGrid(recent, opts), justAfter)).version).toBeNull();
    expect((await readVersioned(recent, () => readCsvGrid(recent, opts))).version).not.toBeNull();

    const changing = agedFile("video_ref,bundle_ref\nv1,a\n");
    const changed = await readVersioned(changing, async () => {
      const grid = await readCsvGrid(changing, opts);
      writeFileSync(changing, "video_ref,bundle_ref\nv2,a\n");
      return grid;
    });
    expect(changed.version).toBeNull();

    const missing = path.join(dir, "missing.csv");
    expect((await readVersioned(missing, () => readCsvGrid(missing, opts))).version).toBeNull();
  });
});

describe("the write-back's first pass on the grid the read kept", () => {
  const text = "video_ref,bundle_ref,sync_status\nv1,a,\nv2,a,\n";

  it("walks the grid it is given and cuts the text at the read's record ends, without parsing", async () => {
    const p = agedFile("h\nA,1\nB,2");
    const { version } = await readVersioned(p, () => readCsvGrid(p, opts));
    // Marker cells, not the file's: what the passes hand on comes from the read, not from a parse.
    const grid = [["h"], ["first"], ["second"]];
    const seen: string[] = [];
    expect(
      await scanRead(p, version!, grid, (i, fields) => seen.push(`${i}:${fields.join("|")}`)),
    ).toMatchObject({
      stamp: version!.stamp,
    });
    expect(seen).toEqual(["0:h", "1:first", "2:second"]);
    const records: unknown[] = [];
    expect(await eachReadRecord(p, version!, grid, (r) => records.push([r.raw, r.fields, r.last]))).toEqual(
      version!.format,
    );
    expect(records).toEqual([
      ["h\n", ["h"], false],
      ["A,1\n", ["first"], false],
      ["B,2", ["second"], true],
    ]);
    // Ends that do not fall on line ends, or a file gone: null, and the caller reads the file again.
    expect(await eachReadRecord(p, { ...version!, ends: [1, 6, 9] }, grid, () => {})).toBeNull();
    expect(await eachReadRecord(path.join(dir, "gone.csv"), version!, grid, () => {})).toBeNull();
  });

  it("is not taken once the file changed, even in as many bytes with its modification time put back", async () => {
    // The change time moves with any write, and no tool sets it back.
    const read = "video_ref,bundle_ref,sync_status\nv1,a,error!\n";
    const now = "video_ref,bundle_ref,sync_status\nv1,a,synced\n";
    const p = agedFile(read);
    const { mtime } = statSync(p);
    const snap = await new CsvSource({ videosPath: p }).read();
    writeFileSync(p, now);
    utimesSync(p, mtime, mtime);
    const patch = [{ key: vkey("a", "v1"), values: { sync_status: "synced" } }];
    // Read again: the file already says "synced", so nothing is written.
    expect(await snap.write(patch)).toEqual({ cellsWritten: 0, rowsNotFound: [], requests: 0 });
    expect(readFileSync(p, "utf8")).toBe(now);
  });

  it("serves one write: a second write of the same read finds what the first wrote", async () => {
    const p = agedFile(text);
    const snap = await new CsvSource({ videosPath: p }).read();
    await snap.write([{ key: vkey("a", "v1"), values: { sync_status: "synced" } }]);
    const second = await snap.write([{ key: vkey("a", "v1"), values: { sync_status: "" } }]);
    expect(second.cellsWritten).toBe(1);
    expect(readFileSync(p, "utf8")).toBe(text);
  });

  it("writes what the file read again would: the same bytes either way", async () => {
    // A BOM, CRLF, a quoted delimiter, a blank line, trailing empty cells on either side of an edit, a
    // record the parser could not read.
    const content =
      '\uFEFFnotes;video_ref;bundle_ref;video_id;extra\r\n"a; b";v1;x;\r\n\r\n;v2;x;old\r\n;v4;x;;;\r\nbroken;v3;x;"never closed\r\n';
    const written: string[] = [];
    for (const write of [file, agedFile]) {
      const p = write(content);
      const snap = await new CsvSource({ videosPath: p }).read();
      const r = await snap.write([
        { key: vkey("x", "v1"), values: { video_id: "id1", sync_status: "synced" } },
        { key: vkey("x", "v2"), values: { video_id: "old" } },
        { key: vkey("x", "v4"), values: { video_id: "id4" } },
        { key: vkey("x", "gone"), values: { video_id: "id9" } },
      ]);
      expect(r).toEqual({ cellsWritten: 3, rowsNotFound: [vkey("x", "gone")], requests: 1 });
      written.push(readFileSync(p, "utf8"));
    }
    expect(written[1]).toBe(written[0]);
    expect(written[0]).toBe(
      '\uFEFFnotes;video_ref;bundle_ref;video_id;extra;sync_status\r\n"a; b";v1;x;id1;;synced\r\n\r\n;v2;x;old\r\n;v4;x;id4;;\r\nbroken;v3;x;"never closed\r\n',
    );
  });
});
