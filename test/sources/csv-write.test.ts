import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import lockfile from "proper-lockfile";
import { describe, expect, it } from "vitest";
import { CsvSource, CsvSourceError, isSourceError, lockPathFor } from "../../src/sources/index.ts";
import { rowKeyOf } from "../../src/sources/table.ts";
import type { CellPatch } from "../../src/sources/types.ts";
import { tempCsvFiles } from "./support/temp-csv.ts";

const require = createRequire(import.meta.url);
const temp = tempCsvFiles("csv-write");
const { dir } = temp;
/**
 * Every case twice: the write-back reads a file saved just now again, and walks the grid its read kept for
 * one saved long before the run (src/sources/csv-version.ts). The two must write the same bytes.
 */
const saved = [
  ["saved just now", temp.file],
  ["saved long before the run", temp.agedFile],
] as const;
const vkey = (bundleRef: string, videoRef: string) => ({ table: "videos" as const, bundleRef, videoRef });

describe.each(saved)("CSV write-back (a file %s)", (_saved, file) => {
  it("a CRLF file whose last line ends in a bare LF: that LF stays a line ending, not data", async () => {
    const p = file("video_ref,bundle_ref\r\nv1,b1\r\nv2,b1\n");
    const src = new CsvSource({ videosPath: p });
    const read = await src.read();
    expect(read.videos.map((r) => r.cells["bundle_ref"])).toEqual(["b1", "b1"]);
    await read.write([{ key: vkey("b1", "v2"), values: { sync_status: "synced" } }]);
    expect(readFileSync(p, "utf8")).toBe("video_ref,bundle_ref,sync_status\r\nv1,b1\r\nv2,b1,synced\n");
  });

  it("round trip: only patched cells change; delimiter, CRLF, BOM, quoting and user formulas are kept", async () => {
    const before =
      "\uFEFFVideo Ref;Bundle-Ref;Notes;video_id;Formula\r\n" +
      'v1;b1;"quoted; with delimiter";;=SUM(A1:A2)\r\n' +
      '"v2";b1;"unneeded quotes";old;"=HYPERLINK(""http://x"",""y"")"\r\n' +
      "\r\n" +
      "v3;b1;  spaced  ;;+1\r\n";
    const p = file(before);
    const src = new CsvSource({ videosPath: p });
    const first = await src.read();
    expect(first.problems).toEqual([]);
    const report = await first.write([
      { key: vkey("b1", "v2"), values: { video_id: "vid-2", sync_status: "synced" } },
      { key: vkey("b1", "v3"), values: { views: 1200, sync_message: "ok; fine" } },
    ]);
    expect(report).toEqual({ cellsWritten: 4, rowsNotFound: [], requests: 1 });
    const after = readFileSync(p, "utf8");
    expect(after).toBe(
      "\uFEFFVideo Ref;Bundle-Ref;Notes;video_id;Formula;views;sync_status;sync_message\r\n" +
        'v1;b1;"quoted; with delimiter";;=SUM(A1:A2)\r\n' +
        '"v2";b1;"unneeded quotes";vid-2;"=HYPERLINK(""http://x"",""y"")";;synced\r\n' +
        "\r\n" +
        'v3;b1;  spaced  ;;+1;1200;;"ok; fine"\r\n',
    );
    const again = await src.read();
    expect(again.videos.map((r) => [r.cells["video_id"], r.cells["views"], r.cells["sync_message"]])).toEqual(
      [
        ["", "", ""],
        ["vid-2", "", ""],
        ["", "1200", "ok; fine"],
      ],
    );
  });

  it("writes remote text inert (formula escaping) and numbers we produced as numbers", async () => {
    const p = file("bundle_ref,title,sync_message\nb1,=1+1,\nb2,,\nb3,,\nb4,,\nb5,,\nb6,,\n");
    const src = new CsvSource({ bundlesPath: p, videosPath: file("video_ref,bundle_ref\n") });
    const patches: CellPatch[] = [
      {
        key: { table: "bundles", bundleRef: "b1" },
        values: { sync_message: '=HYPERLINK("http://evil","x")' },
      },
      { key: { table: "bundles", bundleRef: "b2" }, values: { sync_message: "+1" } },
      { key: { table: "bundles", bundleRef: "b3" }, values: { sync_message: "@x" } },
      { key: { table: "bundles", bundleRef: "b4" }, values: { sync_message: "-2+3" } },
      { key: { table: "bundles", bundleRef: "b5" }, values: { sync_message: "\tcmd", credits_charged: -5 } },
      { key: { table: "bundles", bundleRef: "b6" }, values: { sync_message: "\r=2", credits_charged: 12.5 } },
    ];
    const r = await (await src.read()).write(patches);
    expect(r.cellsWritten).toBe(8);
    const t = await src.read();
    const msg = t.bundles!.map((b) => b.cells["sync_message"]);
    expect(msg).toEqual(['\'=HYPERLINK("http://evil","x")', "'+1", "'@x", "'-2+3", "'\tcmd", "'\r=2"]);
    expect(t.bundles!.map((b) => b.cells["credits_charged"])).toEqual(["", "", "", "", "-5", "12.5"]);
    // The user's own formula-as-text cell is untouched.
    expect(t.bundles![0]!.cells["title"]).toBe("=1+1");
    expect(readFileSync(p, "utf8").split("\n")[1]).toBe(`b1,=1+1,"'=HYPERLINK(""http://evil"",""x"")"`);
    // Writing the same values again changes nothing and does not touch the file.
    const stamp = new Date("2020-01-01T00:00:00Z");
    utimesSync(p, stamp, stamp);
    const text = readFileSync(p, "utf8");
    expect(await t.write(patches)).toEqual({ cellsWritten: 0, rowsNotFound: [], requests: 0 });
    expect(readFileSync(p, "utf8")).toBe(text);
    expect(statSync(p).mtimeMs).toBe(stamp.getTime());
  });

  it("locates rows by ref in the file as it is now: inserted, sorted and deleted rows", async () => {
    const header = "video_ref,bundle_ref,notes,video_id";
    const p = file(`${header}\nv1,b,n1,\nv2,b,n2,\nv3,b,n3,\n,b,no ref,\nv4,b,n4,\n`);
    const src = new CsvSource({ videosPath: p });
    const read = await src.read();
    const patches: CellPatch[] = read.videos.map((row) => ({
      key: rowKeyOf(row),
      values: { video_id: `id-${row.cells["video_ref"] || `row${row.rowNumber}`}`, sync_status: "synced" },
    }));
    // Meanwhile the user inserts two rows above, sorts descending, deletes v2, gives the ref-less row a ref.
    writeFileSync(
      p,
      `${header}\nnew1,b,inserted,\nnew2,b,inserted,\nv4,b,n4,\nv3,b,n3,\nv9,b,now has a ref,\nv1,b,n1,\n`,
    );
    const report = await read.write(patches);
    expect(report.rowsNotFound).toEqual([vkey("b", "v2"), { table: "videos", rowNumber: 5 }]);
    // Every line: its own ref, its own note, and its own id — zero cells in the wrong row.
    expect(readFileSync(p, "utf8")).toBe(
      `${header},sync_status\nnew1,b,inserted,\nnew2,b,inserted,\nv4,b,n4,id-v4,synced\nv3,b,n3,id-v3,synced\n` +
        "v9,b,now has a ref,\nv1,b,n1,id-v1,synced\n",
    );
    expect(report.cellsWritten).toBe(6);
  });

  it("patches every row of a duplicated ref, and none of another bundle's same video_ref", async () => {
    const p = file("video_ref,bundle_ref\nv1,a\nv1,b\nv1,a\n");
    const snap = await new CsvSource({ videosPath: p }).read();
    await snap.write([{ key: vkey("a", "v1"), values: { sync_status: "error" } }]);
    expect(readFileSync(p, "utf8")).toBe("video_ref,bundle_ref,sync_status\nv1,a,error\nv1,b\nv1,a,error\n");
  });

  it("a second writer gets a clear error naming the file and the lock", async () => {
    const p = file("video_ref,bundle_ref\nv1,a\n");
    const release = await lockfile.lock(p, { realpath: false, lockfilePath: lockPathFor(p) });
    try {
      const snap = await new CsvSource({ videosPath: p, displayBase: dir }).read();
      const err = await snap
        .write([{ key: vkey("a", "v1"), values: { sync_status: "synced" } }])
        .catch((e) => e);
      expect(err).toBeInstanceOf(CsvSourceError);
      expect(isSourceError(err)).toBe(true);
      expect(err.name).toBe("CsvSourceError");
      expect(err.message).toContain(`${path.basename(p)} is locked by another tokportal-sync process`);
      expect(err.message).toContain(`${path.basename(p)}.lock`);
      expect(readFileSync(p, "utf8")).toBe("video_ref,bundle_ref\nv1,a\n");
    } finally {
      await release();
    }
    // Once released, the write goes through and leaves no lock behind.
    const snap = await new CsvSource({ videosPath: p }).read();
    expect(
      (await snap.write([{ key: vkey("a", "v1"), values: { sync_status: "synced" } }])).cellsWritten,
    ).toBe(1);
    expect(existsSync(lockPathFor(p))).toBe(false);
  });

  it("a writer in another process holds the lock: the same clear error", async () => {
    const p = file("video_ref,bundle_ref\nv1,a\n");
    const script = `
      const lockfile = require(${JSON.stringify(require.resolve("proper-lockfile"))});
      lockfile.lock(process.argv[1], { realpath: false, lockfilePath: process.argv[1] + ".lock" }).then((release) => {
        process.stdout.write("locked\\n");
        process.stdin.on("end", () => release().then(() => process.exit(0)));
        process.stdin.resume();
      });`;
    const child = spawn(process.execPath, ["-e", script, p], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
      expect(chunk.toString()).toBe("locked\n");
      const snap = await new CsvSource({ videosPath: p }).read();
      await expect(snap.write([{ key: vkey("a", "v1"), values: { sync_status: "synced" } }])).rejects.toThrow(
        /is locked by another tokportal-sync process \(lock .*\.csv\.lock held since/,
      );
    } finally {
      child.stdin!.end();
      await once(child, "exit");
    }
    expect(existsSync(lockPathFor(p))).toBe(false);
  });

  it("a record rebuilt from its cells (a space after a closing quote) keeps its trailing empty cells", async () => {
    const p = file('video_ref,bundle_ref,notes,video_id,extra\n"v1" ,b1,n,,\n');
    const snap = await new CsvSource({ videosPath: p }).read();
    await snap.write([{ key: vkey("b1", "v1"), values: { video_id: "ID" } }]);
    expect(readFileSync(p, "utf8")).toBe("video_ref,bundle_ref,notes,video_id,extra\nv1,b1,n,ID,\n");
  });

  it("appends after the last used column, not after trailing empty cells", async () => {
    const p = file("video_ref,bundle_ref,,\nv1,a,,\nv2,a\n");
    const snap = await new CsvSource({ videosPath: p }).read();
    await snap.write([{ key: vkey("a", "v2"), values: { video_id: "id2" } }]);
    expect(readFileSync(p, "utf8")).toBe("video_ref,bundle_ref,video_id,\nv1,a,,\nv2,a,id2\n");
  });

  it("refuses to write when the ref column was removed since the read, naming the file", async () => {
    const p = file("video_ref,bundle_ref\nv1,a\n");
    const snap = await new CsvSource({ videosPath: p, displayBase: dir }).read();
    writeFileSync(p, "ref,bundle_ref\nv1,a\n");
    const err = await snap.write([{ key: vkey("a", "v1"), values: { sync_status: "x" } }]).catch((e) => e);
    expect(err).toBeInstanceOf(CsvSourceError);
    expect(err.message).toContain(`${path.basename(p)}) has no video_ref column`);
    expect(readFileSync(p, "utf8")).toBe("ref,bundle_ref\nv1,a\n");
  });

  it("waits for a lock when told to", async () => {
    const p = file("video_ref,bundle_ref\nv1,a\n");
    const release = await lockfile.lock(p, { realpath: false, lockfilePath: lockPathFor(p) });
    const snap = await new CsvSource({ videosPath: p, lockWaitMs: 5_000 }).read();
    const pending = snap.write([{ key: vkey("a", "v1"), values: { sync_status: "synced" } }]);
    setTimeout(() => void release(), 150);
    expect((await pending).cellsWritten).toBe(1);
  });

  it("refuses to write over a file that became unreadable since the read", async () => {
    const p = file("video_ref,bundle_ref\nv1,a\n");
    const src = new CsvSource({ videosPath: p });
    const snap = await src.read();
    writeFileSync(
      p,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("video_ref,bundle_ref\n", "utf16le")]),
    );
    await expect(snap.write([{ key: vkey("a", "v1"), values: { sync_status: "x" } }])).rejects.toThrow(
      /UTF-16/,
    );
  });

  it("keeps a file without a final newline valid and a record the parser could not read intact", async () => {
    const p = file('video_ref,bundle_ref,description\nv1,a,x\nv2,a,"never closed\nv3,a,y');
    const snap = await new CsvSource({ videosPath: p }).read();
    const r = await snap.write([{ key: vkey("a", "v1"), values: { video_id: "id1" } }]);
    expect(r.cellsWritten).toBe(1);
    expect(readFileSync(p, "utf8")).toBe(
      'video_ref,bundle_ref,description,video_id\nv1,a,x,id1\nv2,a,"never closed\nv3,a,y',
    );
  });

  it("with an output path: the input is never written, earlier outputs carry over, user edits follow", async () => {
    const input = file("video_ref,bundle_ref,position,notes\nv1,a,,n1\nv2,a,4,n2\n");
    const output = `${input}.out.csv`;
    const src = new CsvSource({ videosPath: input, output: { videos: output } });
    const inputText = readFileSync(input, "utf8");
    const first = await src.read();
    expect(await first.write([])).toEqual({ cellsWritten: 0, rowsNotFound: [], requests: 0 });
    await first.write([
      { key: vkey("a", "v1"), values: { video_id: "id1", position: 1 } },
      { key: vkey("a", "v2"), values: { video_id: "id2", position: 4 } },
    ]);
    expect(readFileSync(input, "utf8")).toBe(inputText);
    expect(readFileSync(output, "utf8")).toBe(
      "video_ref,bundle_ref,position,notes,video_id\nv1,a,1,n1,id1\nv2,a,4,n2,id2\n",
    );
    // read() sees the outputs of the earlier run.
    const t = await src.read();
    expect(t.videos.map((r) => [r.cells["video_id"], r.cells["position"]])).toEqual([
      ["id1", "1"],
      ["id2", "4"],
    ]);
    // The user edits the input (a note, a new row); the next write carries the old outputs over.
    writeFileSync(input, "video_ref,bundle_ref,position,notes\nv0,a,,new\nv1,a,,edited\nv2,a,4,n2\n");
    const r = await t.write([{ key: vkey("a", "v2"), values: { sync_status: "synced" } }]);
    expect(r.cellsWritten).toBe(1);
    expect(readFileSync(output, "utf8")).toBe(
      "video_ref,bundle_ref,position,notes,video_id,sync_status\nv0,a,,new\nv1,a,1,edited,id1\nv2,a,4,n2,id2,synced\n",
    );
    // Nothing new: the output file is not touched.
    const outText = readFileSync(output, "utf8");
    expect((await t.write([{ key: vkey("a", "v2"), values: { sync_status: "synced" } }])).requests).toBe(0);
    expect(readFileSync(output, "utf8")).toBe(outText);
  });

  it("single-table mode: a bundles patch has nowhere to go and is reported", async () => {
    const p = file("video_ref,bundle_ref,country\nv1,a,US\n");
    const snap = await new CsvSource({ videosPath: p }).read();
    const r = await snap.write([{ key: { table: "bundles", bundleRef: "a" }, values: { bundle_id: "x" } }]);
    expect(r).toEqual({ cellsWritten: 0, rowsNotFound: [{ table: "bundles", bundleRef: "a" }], requests: 0 });
    const ok = await snap.write([{ key: vkey("a", "v1"), values: { bundle_id: "x", video_id: "y" } }]);
    expect(ok.cellsWritten).toBe(2);
    expect(readFileSync(p, "utf8")).toBe("video_ref,bundle_ref,country,bundle_id,video_id\nv1,a,US,x,y\n");
  });
});

describe.each(saved)(
  "CSV write-back of rows without a ref, keyed by row number (a file %s)",
  (_saved, file) => {
    const header = "video_ref,bundle_ref,notes";

    it("writes a row lacking its bundle_ref, or its video_ref, while it holds the cells it was read with", async () => {
      const p = file(`${header}\nv1,b,n1\nv2,,no bundle\n,b,no video\n`);
      const src = new CsvSource({ videosPath: p });
      const read = await src.read();
      expect(read.videos.map(rowKeyOf)).toEqual([
        vkey("b", "v1"),
        { table: "videos", rowNumber: 3 },
        { table: "videos", rowNumber: 4 },
      ]);
      const report = await read.write(
        read.videos.map((row) => ({
          key: rowKeyOf(row),
          values: {
            sync_status: row.rowNumber === 2 ? "synced" : "error",
            sync_message: `m${row.rowNumber}`,
          },
        })),
      );
      expect(report.rowsNotFound).toEqual([]);
      expect(readFileSync(p, "utf8")).toBe(
        `${header},sync_status,sync_message\nv1,b,n1,synced,m2\nv2,,no bundle,error,m3\n,b,no video,error,m4\n`,
      );
      // A later write of the same run still knows the row: it now holds what was written.
      const again = await read.write([
        { key: { table: "videos", rowNumber: 3 }, values: { sync_message: "m3b" } },
      ]);
      expect(again).toMatchObject({ cellsWritten: 1, rowsNotFound: [] });
    });

    it("never writes a blank line or another ref-less row that moved to that number meanwhile", async () => {
      const p = file(`${header}\nv1,b,n1\nv2,,no bundle\n,b,no video\nv5,b,n5\n`);
      const src = new CsvSource({ videosPath: p });
      const read = await src.read();
      // The user deletes row 2 and leaves a blank line: row 3 now holds the other ref-less row, row 4 nothing.
      const now = `${header}\nv2,,no bundle\n,b,no video\n\nv5,b,n5\n`;
      writeFileSync(p, now);
      const report = await read.write(
        read.videos.map((row) => ({
          key: rowKeyOf(row),
          values: { sync_message: `for row ${row.rowNumber}` },
        })),
      );
      expect(report.rowsNotFound).toEqual([
        vkey("b", "v1"),
        { table: "videos", rowNumber: 3 },
        { table: "videos", rowNumber: 4 },
      ]);
      expect(readFileSync(p, "utf8")).toBe(
        `${header},sync_message\nv2,,no bundle\n,b,no video\n\nv5,b,n5,for row 5\n`,
      );
    });

    it("single table, with an output file: a ref-less row is written there, by the input row it was read as", async () => {
      const input = file("video_ref,bundle_ref,country\nv1,a,US\nv2,,US\n");
      const output = `${input}.out.csv`;
      const src = new CsvSource({ videosPath: input, output: { videos: output } });
      const read = await src.read();
      const key = rowKeyOf(read.videos[1]!);
      expect(key).toEqual({ table: "videos", rowNumber: 3 });
      expect((await read.write([{ key, values: { sync_status: "error" } }])).rowsNotFound).toEqual([]);
      expect(readFileSync(output, "utf8")).toBe(
        "video_ref,bundle_ref,country,sync_status\nv1,a,US\nv2,,US,error\n",
      );
      // The input file is never written, so a second write still matches the row as read.
      expect((await read.write([{ key, values: { sync_message: "x" } }])).rowsNotFound).toEqual([]);
    });

    it("a row number it never read is not written (nothing to compare with)", async () => {
      const p = file(`${header}\n`);
      const snap = await new CsvSource({ videosPath: p }).read();
      writeFileSync(p, `${header}\nv2,,no bundle\n`);
      const text = readFileSync(p, "utf8");
      const r = await snap.write([
        { key: { table: "videos", rowNumber: 2 }, values: { sync_status: "error" } },
      ]);
      expect(r.rowsNotFound).toEqual([{ table: "videos", rowNumber: 2 }]);
      expect(readFileSync(p, "utf8")).toBe(text);
    });
  },
);
