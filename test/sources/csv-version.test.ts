import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readCsvGrid } from "../../src/sources/csv-file.ts";
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
      stamp: { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino },
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

  it("is taken only while the file keeps its stamp (a same-size change with its time put back goes unseen)", async () => {
    // The read saw "error!" in v1's sync_status; the file now says "synced", in as many bytes, at the time
    // it had. Pass 1 counts the read's cells (one changes), and pass 2, which rebuilds each record from
    // its own cells, writes the same bytes: nothing differs but the report.
    const read = "video_ref,bundle_ref,sync_status\nv1,a,error!\n";
    const now = "video_ref,bundle_ref,sync_status\nv1,a,synced\n";
    const patch = [{ key: vkey("a", "v1"), values: { sync_status: "synced" } }];

    const forged = agedFile(read);
    const { mtime } = statSync(forged);
    const snap = await new CsvSource({ videosPath: forged }).read();
    writeFileSync(forged, now);
    utimesSync(forged, mtime, mtime);
    expect(await snap.write(patch)).toEqual({ cellsWritten: 1, rowsNotFound: [], requests: 1 });
    expect(readFileSync(forged, "utf8")).toBe(now);

    // The same change saved as any is (a new time): the file is read again, and nothing needs writing.
    const saved = agedFile(read);
    const again = await new CsvSource({ videosPath: saved }).read();
    writeFileSync(saved, now);
    expect(await again.write(patch)).toEqual({ cellsWritten: 0, rowsNotFound: [], requests: 0 });
    expect(readFileSync(saved, "utf8")).toBe(now);
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
