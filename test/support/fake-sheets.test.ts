/**
 * The fake Sheets server, driven by the real @googleapis/sheets client over HTTP: if it drifts from how
 * the client speaks, these fail.
 */
import { sheets, type sheets_v4 } from "@googleapis/sheets";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { columnIndex, columnLetters, parseRange } from "./fake-sheets/a1.ts";
import { FORMULA_PLACEHOLDER, parseUserEntered, serialFromUtc } from "./fake-sheets/cells.ts";
import { selectFields } from "./fake-sheets/field-mask.ts";
import { type FakeSheets, startFakeSheets } from "./fake-sheets/server.ts";

function errorOf(err: unknown): { status: number; body: { error: Record<string, unknown> } } {
  const e = err as {
    status?: number;
    response?: { status: number; data: { error: Record<string, unknown> } };
  };
  if (!e.response) throw err;
  return { status: e.response.status, body: e.response.data };
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return errorOf(err);
  }
  throw new Error("expected the request to fail");
}

describe("A1 notation", () => {
  it("converts column letters both ways", () => {
    expect(columnIndex("A")).toBe(0);
    expect(columnIndex("Z")).toBe(25);
    expect(columnIndex("AA")).toBe(26);
    expect(columnIndex("ZZZ")).toBe(18277);
    for (const n of [0, 25, 26, 51, 52, 701, 702, 18277]) expect(columnIndex(columnLetters(n))).toBe(n);
  });

  it("parses quoted titles, open ranges, whole rows and columns", () => {
    const titles = ["videos", "My Tab", "It's"];
    expect(parseRange("'My Tab'!A1:B2", titles)).toEqual({
      sheet: "My Tab",
      startRow: 0,
      endRow: 2,
      startCol: 0,
      endCol: 2,
    });
    expect(parseRange("'It''s'!C:C", titles)).toMatchObject({
      sheet: "It's",
      startCol: 2,
      endCol: 3,
      endRow: null,
    });
    expect(parseRange("videos!A5:A", titles)).toMatchObject({
      startRow: 4,
      endRow: null,
      startCol: 0,
      endCol: 1,
    });
    expect(parseRange("videos!2:3", titles)).toMatchObject({
      startRow: 1,
      endRow: 3,
      startCol: 0,
      endCol: null,
    });
    expect(parseRange("videos", titles)).toMatchObject({ sheet: "videos", endRow: null, endCol: null });
    expect(parseRange("'My Tab'", titles)).toMatchObject({ sheet: "My Tab", endRow: null });
    expect(parseRange("B2", titles)).toMatchObject({
      sheet: null,
      startRow: 1,
      startCol: 1,
      endRow: 2,
      endCol: 2,
    });
    expect(() => parseRange("videos!A0", titles)).toThrow(/Unable to parse range/);
    expect(() => parseRange("nope", titles)).toThrow(/Unable to parse range/);
  });
});

describe("cells", () => {
  it("parses typed input like a user in en_US", () => {
    expect(parseUserEntered("=1+1")).toEqual({ t: "f", f: "=1+1" });
    expect(parseUserEntered("'=1+1")).toEqual({ t: "s", v: "=1+1" });
    expect(parseUserEntered("007")).toEqual({ t: "n", v: 7 });
    expect(parseUserEntered("1,234.5")).toEqual({ t: "n", v: 1234.5 });
    expect(parseUserEntered("true")).toEqual({ t: "b", v: true });
    expect(parseUserEntered("12%")).toEqual({ t: "n", v: 0.12, format: "percent" });
    expect(parseUserEntered("2026-12-01")).toEqual({
      t: "n",
      v: serialFromUtc(Date.UTC(2026, 11, 1)),
      format: "date",
    });
    expect(parseUserEntered("2026-02-30")).toEqual({ t: "s", v: "2026-02-30" });
    expect(parseUserEntered("abc")).toEqual({ t: "s", v: "abc" });
    // 1900 is not a leap year in Sheets' serials: 1900-03-01 is day 61.
    expect(serialFromUtc(Date.UTC(1900, 2, 1))).toBe(61);
    expect(serialFromUtc(Date.UTC(1899, 11, 31))).toBe(1);
  });

  it("applies field masks", () => {
    const value = { a: 1, b: { c: 2, d: 3 }, list: [{ x: 1, y: 2 }] };
    expect(selectFields(value, "b.c,list(y)")).toEqual({ b: { c: 2 }, list: [{ y: 2 }] });
    expect(selectFields(value, "b/d")).toEqual({ b: { d: 3 } });
    expect(selectFields(value, undefined)).toBe(value);
  });
});

describe("fake Sheets server over HTTP", () => {
  let fake: FakeSheets;
  let api: sheets_v4.Sheets;
  let now = 0;
  const id = "sheet-1";

  beforeEach(async () => {
    now = Date.UTC(2026, 10, 28);
    fake = await startFakeSheets({ now: () => now });
    fake.createSpreadsheet({
      id,
      tabs: [
        {
          title: "videos",
          rows: [
            ["video_ref", "bundle_ref", "target_publish_date", "views"],
            ["v1", "b1", "2026-12-01", "1,200"],
            ["v2", "b1", '=A2&"x"', "TRUE"],
          ],
          input: "USER_ENTERED",
          rowCount: 10,
          columnCount: 6,
        },
        { title: "My Tab", rows: [["x"]] },
      ],
    });
    api = sheets({ version: "v4", rootUrl: fake.rootUrl, auth: "test-key", retry: false });
  });

  afterEach(async () => {
    await fake.close();
  });

  it("reads with each render option and logs the request", async () => {
    const serial = serialFromUtc(Date.UTC(2026, 11, 1));
    const unformatted = await api.spreadsheets.values.get({
      spreadsheetId: id,
      range: "'videos'",
      valueRenderOption: "UNFORMATTED_VALUE",
      dateTimeRenderOption: "SERIAL_NUMBER",
    });
    expect(unformatted.data.range).toBe("videos!A1:F10");
    expect(unformatted.data.values).toEqual([
      ["video_ref", "bundle_ref", "target_publish_date", "views"],
      ["v1", "b1", serial, 1200],
      ["v2", "b1", FORMULA_PLACEHOLDER, true],
    ]);
    const formatted = await api.spreadsheets.values.get({ spreadsheetId: id, range: "videos!C2:D3" });
    expect(formatted.data.values).toEqual([
      ["2026-12-01", "1200"],
      [FORMULA_PLACEHOLDER, "TRUE"],
    ]);
    const formula = await api.spreadsheets.values.get({
      spreadsheetId: id,
      range: "videos!C2:C3",
      valueRenderOption: "FORMULA",
      dateTimeRenderOption: "FORMATTED_STRING",
    });
    expect(formula.data.values).toEqual([["2026-12-01"], ['=A2&"x"']]);
    expect(fake.requests("values.get").map((e) => [e.method, e.ranges[0], e.status, e.auth])).toEqual([
      ["GET", "'videos'", 200, "key"],
      ["GET", "videos!C2:D3", 200, "key"],
      ["GET", "videos!C2:C3", 200, "key"],
    ]);
    expect(JSON.stringify(fake.log)).not.toContain("test-key");
  });

  it("batchGets quoted and open ranges in one request, trimming blanks and omitting empty values", async () => {
    const res = await api.spreadsheets.values.batchGet({
      spreadsheetId: id,
      ranges: ["'My Tab'!A:A", "videos!A2:A", "videos!E1:F"],
      valueRenderOption: "UNFORMATTED_VALUE",
    });
    expect(res.data.valueRanges?.map((v) => [v.range, v.values])).toEqual([
      ["'My Tab'!A1:A1000", [["x"]]],
      ["videos!A2:A10", [["v1"], ["v2"]]],
      ["videos!E1:F10", undefined],
    ]);
    expect(fake.log).toHaveLength(1);
    expect(fake.log[0]?.ranges).toEqual(["'My Tab'!A:A", "videos!A2:A", "videos!E1:F"]);
  });

  it("writes RAW as data and USER_ENTERED as typed, with null skipping and '' clearing", async () => {
    await api.spreadsheets.values.batchUpdate({
      spreadsheetId: id,
      requestBody: {
        valueInputOption: "RAW",
        data: [
          { range: "videos!A2:D2", values: [["=1+1", null, "", 5]] },
          { range: "videos!F2", values: [["0042"]] },
        ],
      },
    });
    expect(fake.cell(id, "videos", 2, "A")).toEqual({ t: "s", v: "=1+1" });
    expect(fake.cell(id, "videos", 2, "B")).toEqual({ t: "s", v: "b1" });
    expect(fake.cell(id, "videos", 2, "C")).toBeUndefined();
    expect(fake.cell(id, "videos", 2, "D")).toEqual({ t: "n", v: 5 });
    expect(fake.cell(id, "videos", 2, "F")).toEqual({ t: "s", v: "0042" });
    const res = await api.spreadsheets.values.update({
      spreadsheetId: id,
      range: "videos!E1",
      valueInputOption: "USER_ENTERED",
      requestBody: { values: [["=SUM(D2:D3)"], ["0042"]] },
    });
    expect(res.data.updatedRange).toBe("videos!E1:E2");
    expect(res.data.updatedCells).toBe(2);
    expect(fake.cell(id, "videos", 1, "E")).toEqual({ t: "f", f: "=SUM(D2:D3)" });
    expect(fake.cell(id, "videos", 2, "E")).toEqual({ t: "n", v: 42 });
  });

  it("refuses writes outside the grid and keeps a failed batch all-or-nothing", async () => {
    const err = await failure(
      api.spreadsheets.values.batchUpdate({
        spreadsheetId: id,
        requestBody: {
          valueInputOption: "RAW",
          data: [
            { range: "videos!A2", values: [["changed"]] },
            { range: "videos!G1", values: [["too far"]] },
          ],
        },
      }),
    );
    expect(err.status).toBe(400);
    expect(err.body.error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
    expect(String(err.body.error.message)).toContain("exceeds grid limits. Max rows: 10, max columns: 6");
    expect(fake.cell(id, "videos", 2, "A")).toEqual({ t: "s", v: "v1" });
    const missing = await failure(
      api.spreadsheets.values.update({
        spreadsheetId: id,
        range: "videos!A1",
        requestBody: { values: [["x"]] },
      }),
    );
    expect(String(missing.body.error.message)).toContain("valueInputOption");
  });

  it("grows, inserts, deletes and sorts with spreadsheets.batchUpdate and reports it in spreadsheets.get", async () => {
    const meta = await api.spreadsheets.get({
      spreadsheetId: id,
      fields: "sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))",
    });
    expect(meta.data).toEqual({
      sheets: [
        { properties: { sheetId: 0, title: "videos", gridProperties: { rowCount: 10, columnCount: 6 } } },
        { properties: { sheetId: expect.any(Number), title: "My Tab", gridProperties: expect.any(Object) } },
      ],
    });
    const res = await api.spreadsheets.batchUpdate({
      spreadsheetId: id,
      requestBody: {
        requests: [
          { appendDimension: { sheetId: 0, dimension: "COLUMNS", length: 2 } },
          { insertDimension: { range: { sheetId: 0, dimension: "ROWS", startIndex: 1, endIndex: 2 } } },
          {
            sortRange: {
              range: { sheetId: 0, startRowIndex: 1 },
              sortSpecs: [{ dimensionIndex: 0, sortOrder: "DESCENDING" }],
            },
          },
          { addSheet: { properties: { title: "bundles" } } },
        ],
      },
    });
    expect(res.data.replies?.[3]?.addSheet?.properties?.title).toBe("bundles");
    const props = fake.tab(id, "videos");
    expect([props.rowCount, props.columnCount]).toEqual([11, 8]);
    // The empty inserted row sorts to the bottom; v2 before v1 in descending order.
    expect(fake.values(id, "videos").map((r) => r[0])).toEqual(["video_ref", "v2", "v1"]);
    await api.spreadsheets.batchUpdate({
      spreadsheetId: id,
      requestBody: {
        requests: [
          { deleteDimension: { range: { sheetId: 0, dimension: "ROWS", startIndex: 1, endIndex: 2 } } },
        ],
      },
    });
    expect(fake.values(id, "videos").map((r) => r[0])).toEqual(["video_ref", "v1"]);
    expect(fake.requests("spreadsheets.batchUpdate")[0]?.requests).toEqual([
      "appendDimension",
      "insertDimension",
      "sortRange",
      "addSheet",
    ]);
    const bad = await failure(
      api.spreadsheets.batchUpdate({
        spreadsheetId: id,
        requestBody: {
          requests: [
            { appendDimension: { sheetId: 0, dimension: "ROWS", length: 5 } },
            { appendDimension: { sheetId: 424242, dimension: "ROWS", length: 5 } },
          ],
        },
      }),
    );
    expect(bad.status).toBe(400);
    expect(fake.tab(id, "videos").rowCount).toBe(10);
  });

  it("answers 429 RESOURCE_EXHAUSTED past 60 writes a minute per user, and refills with the clock", async () => {
    for (let i = 0; i < 60; i++) {
      await api.spreadsheets.values.update({
        spreadsheetId: id,
        range: "videos!F1",
        valueInputOption: "RAW",
        requestBody: { values: [[i]] },
      });
      now += 100;
    }
    const err = await failure(
      api.spreadsheets.values.update({
        spreadsheetId: id,
        range: "videos!F1",
        valueInputOption: "RAW",
        requestBody: { values: [["over"]] },
      }),
    );
    expect(err.status).toBe(429);
    expect(err.body.error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
    expect(err.body.error.details).toContainEqual(
      expect.objectContaining({
        reason: "RATE_LIMIT_EXCEEDED",
        metadata: expect.objectContaining({ quota_limit: "WriteRequestsPerMinutePerUser" }),
      }),
    );
    // Reads have their own bucket.
    await api.spreadsheets.values.get({ spreadsheetId: id, range: "videos!A1" });
    now += 60_000;
    await api.spreadsheets.values.update({
      spreadsheetId: id,
      range: "videos!F1",
      valueInputOption: "RAW",
      requestBody: { values: [["after"]] },
    });
    expect(fake.cell(id, "videos", 1, "F")).toEqual({ t: "s", v: "after" });
    expect(fake.log.filter((e) => e.status === 429)).toHaveLength(1);
  });

  it("injects faults on matching requests only", async () => {
    fake.inject({ kind: 503, count: 1, match: (e) => e.op === "values.batchGet" });
    fake.inject({ kind: 429, count: 1 });
    const first = await failure(api.spreadsheets.values.get({ spreadsheetId: id, range: "videos!A1" }));
    expect(first.status).toBe(429);
    const second = await failure(
      api.spreadsheets.values.batchGet({ spreadsheetId: id, ranges: ["videos!A1"] }),
    );
    expect(second.status).toBe(503);
    expect(second.body.error.status).toBe("UNAVAILABLE");
    const third = await api.spreadsheets.values.batchGet({ spreadsheetId: id, ranges: ["videos!A1"] });
    expect(third.status).toBe(200);
    fake.inject({ kind: "delay", count: 1, delayMs: 5 });
    const slow = await api.spreadsheets.values.get({ spreadsheetId: id, range: "videos!A1" });
    expect(slow.data.values).toEqual([["video_ref"]]);
    expect(fake.log.map((e) => e.status)).toEqual([429, 503, 200, 200]);
  });

  it("serves grid data, clears ranges, and lets a test edit the sheet as a request arrives", async () => {
    const grid = await api.spreadsheets.get({
      spreadsheetId: id,
      ranges: ["videos!A1:B2"],
      includeGridData: true,
      fields: "sheets(properties.title,data(startRow,rowData.values(userEnteredValue,formattedValue)))",
    });
    expect(grid.data.sheets).toEqual([
      {
        properties: { title: "videos" },
        data: [
          {
            startRow: 0,
            rowData: [
              {
                values: [
                  { userEnteredValue: { stringValue: "video_ref" }, formattedValue: "video_ref" },
                  { userEnteredValue: { stringValue: "bundle_ref" }, formattedValue: "bundle_ref" },
                ],
              },
              {
                values: [
                  { userEnteredValue: { stringValue: "v1" }, formattedValue: "v1" },
                  { userEnteredValue: { stringValue: "b1" }, formattedValue: "b1" },
                ],
              },
            ],
          },
        ],
      },
    ]);
    await api.spreadsheets.values.batchClear({
      spreadsheetId: id,
      requestBody: { ranges: ["videos!D2:D3"] },
    });
    expect(fake.values(id, "videos").map((r) => r[3] ?? "")).toEqual(["views", "", ""]);

    fake.beforeHandle = (entry) => {
      if (entry.op === "values.get") fake.deleteRows(id, "videos", 2);
    };
    const res = await api.spreadsheets.values.get({ spreadsheetId: id, range: "videos!A2:A" });
    expect(res.data.values).toEqual([["v2"]]);
  });

  it("checks keys, tokens and sharing with Google's error shapes", async () => {
    const strict = await startFakeSheets({ apiKeys: ["good"], tokens: ["tok"] });
    try {
      strict.createSpreadsheet({ id: "private", tabs: [{ title: "t" }], sharedWith: ["tok"] });
      strict.createSpreadsheet({ id: "open", tabs: [{ title: "t" }] });
      const badKey = sheets({ version: "v4", rootUrl: strict.rootUrl, auth: "bad", retry: false });
      const invalid = await failure(badKey.spreadsheets.get({ spreadsheetId: "open" }));
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toBe("API key not valid. Please pass a valid API key.");
      const goodKey = sheets({ version: "v4", rootUrl: strict.rootUrl, auth: "good", retry: false });
      expect((await goodKey.spreadsheets.get({ spreadsheetId: "open" })).status).toBe(200);
      const denied = await failure(goodKey.spreadsheets.get({ spreadsheetId: "private" }));
      expect(denied.status).toBe(403);
      expect(denied.body.error).toMatchObject({ status: "PERMISSION_DENIED" });
      const notFound = await failure(goodKey.spreadsheets.get({ spreadsheetId: "nope" }));
      expect(notFound.status).toBe(404);
    } finally {
      await strict.close();
    }
  });
});
