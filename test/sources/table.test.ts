import { describe, expect, it } from "vitest";
import { columnLetters } from "../../src/sources/a1.ts";
import {
  gridToRows,
  locateRows,
  normalizeHeader,
  resolveHeader,
  rowKeyOf,
  type TableOptions,
} from "../../src/sources/table.ts";
import type { CellPatch } from "../../src/sources/types.ts";
import {
  applyWritePlan,
  type CellEncoding,
  changedSinceRead,
  changesOf,
  planWrite as planChanges,
  type ReadTable,
  readTable,
  rememberWritten,
  WritePlanError,
  wholeFresh,
} from "../../src/sources/write-plan.ts";

const asText: CellEncoding = {
  value: (v) => (v === null ? "" : String(v)),
  text: (v) => (v === null ? "" : String(v)),
};

/** The write planner's steps, as a source runs them on a whole re-read grid. */
function planWrite(
  grid: string[][],
  patches: CellPatch[],
  opts: TableOptions & { read?: ReadTable; encoding?: CellEncoding },
) {
  const changes = changesOf(patches, opts, opts.encoding ?? asText);
  return planChanges(opts, changes, wholeFresh(grid, opts), opts.read ?? null);
}

describe("header normalization", () => {
  it("treats case, spaces, dashes and underscores alike", () => {
    for (const h of [
      "Bundle Ref",
      "bundle-ref",
      "bundle_ref",
      "  BUNDLE  REF ",
      "\uFEFFbundle_ref",
      "Bundle__Ref",
    ]) {
      expect(normalizeHeader(h)).toBe("bundle_ref");
    }
    expect(normalizeHeader("")).toBe("");
    expect(normalizeHeader(" - ")).toBe("");
  });

  it("names columns like a spreadsheet", () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(columnLetters)).toEqual([
      "A",
      "B",
      "Z",
      "AA",
      "AB",
      "AZ",
      "BA",
      "ZZ",
      "AAA",
    ]);
  });
});

describe("resolveHeader", () => {
  it("maps aliases from the config, normalized on both sides", () => {
    const grid = [["Ref", "Account name", "Notes"]];
    const { layout, problems } = resolveHeader(grid, {
      table: "bundles",
      aliases: { ref: "bundle_ref", "account-name": "Visible Name" },
    });
    expect(problems).toEqual([]);
    expect(layout?.columns.get("bundle_ref")).toBe(0);
    expect(layout?.columns.get("visible_name")).toBe(1);
    expect(layout?.columns.has("notes")).toBe(false);
  });

  it("reports an alias to a column that does not exist, without failing the table", () => {
    const { problems } = resolveHeader([["bundle_ref"]], { table: "bundles", aliases: { X: "nonsense" } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ fatal: false });
    expect(problems[0]!.message).toContain("nonsense");
  });

  it("makes a duplicated known column fatal and names both columns", () => {
    const { problems } = resolveHeader([["bundle_ref", "Title", "title"]], { table: "bundles" });
    expect(problems).toEqual([expect.objectContaining({ column: "title", rowNumber: 1, fatal: true })]);
    expect(problems[0]!.message).toContain("column B");
    expect(problems[0]!.message).toContain("column C");
  });

  it("reports duplicated user columns without failing", () => {
    const { problems, layout } = resolveHeader([["bundle_ref", "notes", "Notes"]], { table: "bundles" });
    expect(problems).toEqual([expect.objectContaining({ fatal: false, column: "C" })]);
    expect(layout?.columns.get("bundle_ref")).toBe(0);
  });

  it("requires bundle_ref in bundles and video_ref + bundle_ref in videos", () => {
    expect(resolveHeader([["title"]], { table: "bundles" }).problems).toEqual([
      expect.objectContaining({ column: "bundle_ref", fatal: true }),
    ]);
    const videos = resolveHeader([["description"]], { table: "videos" }).problems;
    expect(videos.map((p) => p.column)).toEqual(["video_ref", "bundle_ref"]);
    expect(videos.every((p) => p.fatal)).toBe(true);
  });

  it("takes the first non-blank row as the header", () => {
    const { layout } = resolveHeader([[], ["", " "], ["bundle_ref"]], { table: "bundles" });
    expect(layout?.headerIndex).toBe(2);
  });

  it("reports an empty table as fatal", () => {
    expect(resolveHeader([], { table: "videos" }).problems).toEqual([
      expect.objectContaining({ fatal: true }),
    ]);
  });
});

describe("gridToRows", () => {
  const grid = [
    ["Bundle Ref", "Title", "notes", "", "Publish"],
    [" b1 ", "First", "mine", "", "yes"],
    [],
    ["", "", "", "", ""],
    ["b2", "Second", "", "", "no", ""],
    ["b3"],
  ];

  it("keeps known columns trimmed, skips blank rows and keeps the user's row numbers", () => {
    const { rows, problems } = gridToRows(grid, { table: "bundles" });
    expect(problems).toEqual([]);
    expect(rows.map((r) => r.rowNumber)).toEqual([2, 5, 6]);
    expect(rows[0]!.cells).toMatchObject({ bundle_ref: "b1", title: "First", publish: "yes" });
    expect(rows[0]!.cells).not.toHaveProperty("notes");
    // Fewer cells than headers: the missing ones are empty.
    expect(rows[2]!.cells).toMatchObject({ bundle_ref: "b3", title: "", publish: "" });
  });

  it("reports data under an empty header once, naming the column and the first row", () => {
    const g = [
      ["bundle_ref", "", "title"],
      ["b1", "", "t"],
      ["b2", "stray", "t"],
      ["b3", "more", "t"],
    ];
    const { rows, problems } = gridToRows(g, { table: "bundles" });
    expect(rows).toHaveLength(3);
    expect(problems).toEqual([expect.objectContaining({ column: "B", rowNumber: 3, fatal: false })]);
  });

  it("in ragged mode skips a row with more cells than headers and names it", () => {
    const g = [
      ["bundle_ref", "title"],
      ["b1", "a", "b"],
      ["b2", "ok"],
    ];
    const { rows, problems } = gridToRows(g, { table: "bundles", extraCells: "ragged" });
    expect(rows.map((r) => r.cells["bundle_ref"])).toEqual(["b2"]);
    expect(problems).toEqual([expect.objectContaining({ rowNumber: 2, fatal: false })]);
    expect(problems[0]!.message).toContain("Row 2");
  });

  it("writes dates as YYYY-MM-DD when the configured format reads them, and leaves bad ones as typed", () => {
    const g = [
      ["video_ref", "bundle_ref", "target_publish_date"],
      ["v1", "b", "01/03/2027"],
      ["v2", "b", "31/02/2027"],
    ];
    const { rows } = gridToRows(g, { table: "videos", dateFormat: "DD/MM/YYYY" });
    expect(rows.map((r) => r.cells["target_publish_date"])).toEqual(["2027-03-01", "31/02/2027"]);
  });

  it("returns no rows when the header is unusable", () => {
    const { rows, problems } = gridToRows([["title"], ["x"]], { table: "bundles" });
    expect(rows).toEqual([]);
    expect(problems.some((p) => p.fatal)).toBe(true);
  });

  it("gives rows a key by ref, or by row number when a ref is missing", () => {
    const { rows } = gridToRows(
      [
        ["video_ref", "bundle_ref"],
        ["v1", "b1"],
        ["", "b1"],
      ],
      { table: "videos" },
    );
    expect(rows.map(rowKeyOf)).toEqual([
      { table: "videos", bundleRef: "b1", videoRef: "v1" },
      { table: "videos", rowNumber: 3 },
    ]);
  });
});

describe("locating rows and planning a write", () => {
  const fresh = [
    ["video_ref", "bundle_ref", "notes", "video_id"],
    ["v0", "b", "inserted above", ""],
    ["v1", "b", "", "old-id"],
    ["", "b", "no ref", ""],
    ["v1", "b", "duplicate", ""],
    ["v2", "b", "", "same"],
  ];
  const layout = resolveHeader(fresh, { table: "videos" }).layout!;

  it("locates by ref in the fresh grid (all rows with a duplicate ref)", () => {
    expect(locateRows(fresh, layout, { table: "videos", bundleRef: "b", videoRef: "v1" })).toEqual([2, 4]);
    expect(locateRows(fresh, layout, { table: "videos", bundleRef: "b", videoRef: "gone" })).toEqual([]);
    expect(locateRows(fresh, layout, { table: "videos", bundleRef: "other", videoRef: "v1" })).toEqual([]);
  });

  it("locates a ref-less row by row number only while it still has no ref", () => {
    expect(locateRows(fresh, layout, { table: "videos", rowNumber: 4 })).toEqual([3]);
    expect(locateRows(fresh, layout, { table: "videos", rowNumber: 3 })).toEqual([]);
    expect(locateRows(fresh, layout, { table: "videos", rowNumber: 1 })).toEqual([]);
    expect(locateRows(fresh, layout, { table: "videos", rowNumber: 99 })).toEqual([]);
  });

  it("counts a videos row with a video_ref but no bundle_ref as ref-less, as rowKeyOf does", () => {
    const grid = [
      ["video_ref", "bundle_ref"],
      ["v1", ""],
      ["v2", "b"],
    ];
    const l = resolveHeader(grid, { table: "videos" }).layout!;
    expect(rowKeyOf({ table: "videos", rowNumber: 2, cells: { video_ref: "v1", bundle_ref: "" } })).toEqual({
      table: "videos",
      rowNumber: 2,
    });
    expect(locateRows(grid, l, { table: "videos", rowNumber: 2 })).toEqual([1]);
    expect(locateRows(grid, l, { table: "videos", rowNumber: 3 })).toEqual([]);
  });

  it("with the rows as read, writes a row-number patch only while that row holds the same cells", () => {
    const grid = [
      ["video_ref", "bundle_ref", "notes"],
      ["", "b", "moved here"],
      ["v1", "", "  read  "],
    ];
    // As read, the notes column was first: rows 2 and 3 had no video ref.
    const readGrid = [
      ["notes", "bundle_ref", "video_ref"],
      ["was here", "b", ""],
      ["read", "", "v1"],
    ];
    const read = readTable(readGrid, resolveHeader(readGrid, { table: "videos" }).layout!, {
      table: "videos",
    });
    const plan = planWrite(
      grid,
      [2, 3, 4].map((n) => ({
        key: { table: "videos" as const, rowNumber: n },
        values: { sync_status: "error" },
      })),
      { table: "videos", read },
    );
    // Row 3 holds the same cells (moved columns and spaces do not matter); row 2 another row; row 4 none.
    expect(plan.cells.map((c) => c.row)).toEqual([3]);
    expect(plan.rowsNotFound).toEqual([
      { table: "videos", rowNumber: 2 },
      { table: "videos", rowNumber: 4 },
    ]);
  });

  it("keeps only changed cells, appends missing output columns in canonical order after the widest row", () => {
    const plan = planWrite(
      fresh,
      [
        {
          key: { table: "videos", bundleRef: "b", videoRef: "v2" },
          values: { video_id: "same", sync_status: "synced" },
        },
        {
          key: { table: "videos", bundleRef: "b", videoRef: "v0" },
          values: { sync_message: "hi", video_status: "x" },
        },
        { key: { table: "videos", bundleRef: "b", videoRef: "gone" }, values: { sync_status: "synced" } },
        { key: { table: "videos", bundleRef: "b", videoRef: "v0" }, values: { views: null } },
        { key: { table: "bundles", bundleRef: "b" }, values: { bundle_id: "ignored" } },
      ],
      { table: "videos" },
    );
    expect(plan.appended).toEqual([
      { column: "video_status", col: 4 },
      { column: "sync_status", col: 5 },
      { column: "sync_message", col: 6 },
    ]);
    expect(plan.cells.map((c) => [c.row, c.col, c.value])).toEqual([
      [2, 4, "x"],
      [2, 6, "hi"],
      [6, 5, "synced"],
    ]);
    expect(plan.rowsNotFound).toEqual([{ table: "videos", bundleRef: "b", videoRef: "gone" }]);
    const after = applyWritePlan(fresh, plan);
    expect(after[0]).toEqual([
      "video_ref",
      "bundle_ref",
      "notes",
      "video_id",
      "video_status",
      "sync_status",
      "sync_message",
    ]);
    expect(after[1]).toEqual(["v0", "b", "inserted above", "", "x", "", "hi"]);
    // The input is not modified.
    expect(fresh[0]).toHaveLength(4);
    // Planning again on the result writes nothing.
    const again = planWrite(
      after,
      [
        {
          key: { table: "videos", bundleRef: "b", videoRef: "v0" },
          values: { sync_message: "hi", video_status: "x" },
        },
      ],
      { table: "videos" },
    );
    expect(again.cells).toEqual([]);
    expect(again.appended).toEqual([]);
  });

  it("refuses to write an input column", () => {
    expect(() =>
      planWrite(fresh, [{ key: { table: "videos", rowNumber: 4 }, values: { description: "x" } }], {
        table: "videos",
      }),
    ).toThrow(/not an output column/);
  });

  it("refuses a header that lost its ref column since the read", () => {
    expect(() =>
      planWrite(
        [
          ["video_ref", "notes"],
          ["v1", ""],
        ],
        [{ key: { table: "videos", rowNumber: 2 }, values: { video_id: "x" } }],
        {
          table: "videos",
        },
      ),
    ).toThrow(WritePlanError);
  });

  it("uses the encoder for the stored text and compares encoded values", () => {
    const grid = [
      ["bundle_ref", "sync_message"],
      ["b", "'=1+1"],
    ];
    const inert = (v: string | number | null) =>
      typeof v === "string" && v.startsWith("=") ? `'${v}` : String(v ?? "");
    const plan = planWrite(
      grid,
      [{ key: { table: "bundles", bundleRef: "b" }, values: { sync_message: "=1+1" } }],
      {
        table: "bundles",
        encoding: { value: inert, text: inert },
      },
    );
    expect(plan.cells).toEqual([]);
  });
});

describe("the write planner on a re-read of the refs only (Sheets)", () => {
  const readGrid = [
    ["video_ref", "bundle_ref", "notes", "sync_status"],
    ["v1", "b", "n1", "synced"],
    ["", "b", "no video", ""],
  ];
  const read = () =>
    readTable(
      readGrid.map((r) => [...r]),
      resolveHeader(readGrid, { table: "videos" }).layout!,
      { table: "videos" },
    );
  const patches: CellPatch[] = [
    { key: { table: "videos", bundleRef: "b", videoRef: "v1" }, values: { sync_status: "synced" } },
    { key: { table: "videos", rowNumber: 3 }, values: { sync_status: "error" } },
  ];

  it("drops what the read already holds, places the rest by ref or by the same row, and remembers it", () => {
    const r = read();
    const changes = changedSinceRead(r, changesOf(patches, { table: "videos" }, asText));
    expect(changes.map((c) => c.key)).toEqual([{ table: "videos", rowNumber: 3 }]);
    // A row was inserted above: the header and refs are re-read, and the ref-less row whole, at its number.
    const header = ["video_ref", "bundle_ref", "notes", "sync_status"];
    const fresh = {
      kind: "refs" as const,
      layout: resolveHeader([header], { table: "videos" }).layout!,
      grid: [header, ["v0", "b"], ["v1", "b"], ["", "b"]],
      width: 4,
      rows: new Map([[3, ["", "b", "no video", ""]]]),
    };
    const moved = planChanges({ table: "videos" }, changes, fresh, r);
    expect(moved.cells).toEqual([]);
    expect(moved.rowsNotFound).toEqual([{ table: "videos", rowNumber: 3 }]);
    const still = planChanges(
      { table: "videos" },
      changes,
      { ...fresh, rows: new Map([[2, readGrid[2]!]]) },
      r,
    );
    expect(still.cells).toEqual([{ row: 3, col: 3, value: "error" }]);
    rememberWritten(r, still.written);
    expect(changedSinceRead(r, changes)).toEqual([]);
  });
});
