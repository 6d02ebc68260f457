/**
 * The fake Sheets server's layout requests through the real client: stored and read back by
 * `spreadsheets.get`, rolled back with the batch, and a field name the API does not know refused with a 400
 * as Google refuses it (the names come from the @googleapis/sheets types).
 */
import { sheets, type sheets_v4 } from "@googleapis/sheets";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sheetsSchemas } from "./fake-sheets/schema.ts";
import { type FakeSheets, startFakeSheets } from "./fake-sheets/server.ts";

let fake: FakeSheets;
let api: sheets_v4.Sheets;

beforeEach(async () => {
  fake = await startFakeSheets();
  api = sheets({ version: "v4", auth: "k", rootUrl: fake.rootUrl, retry: false });
  fake.createSpreadsheet({ id: "s", tabs: [{ title: "t", rows: [["a", "b"]] }] });
});
afterEach(() => fake.close());

const send = (requests: unknown[]) =>
  api.spreadsheets.batchUpdate({
    spreadsheetId: "s",
    requestBody: { requests: requests as sheets_v4.Schema$Request[] },
  });

async function failure(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { response?: { status: number; data: { error: { message: string } } } };
    return { status: e.response?.status ?? 0, message: e.response?.data.error.message ?? String(err) };
  }
  throw new Error("expected a failure");
}

describe("the fake's layout requests", () => {
  it("knows the API's field names from the types file", () => {
    const schemas = sheetsSchemas();
    expect(schemas.get("GridProperties")?.has("frozenRowCount")).toBe(true);
    expect(schemas.get("Request")?.has("addConditionalFormatRule")).toBe(true);
    expect(schemas.get("Request")?.get("setDataValidation")?.schema).toBe("SetDataValidationRequest");
  });

  it("refuses a misspelt field anywhere in a request with Google's 400, changing nothing", async () => {
    const f = await failure(
      send([
        { updateCells: { start: { sheetId: 0 }, rows: [{ values: [{ note: "x" }] }], fields: "note" } },
        {
          updateSheetProperties: {
            properties: { sheetId: 0, gridProperties: { frozenRowCnt: 1 } },
            fields: "gridProperties.frozenRowCount",
          },
        },
      ]),
    );
    expect(f.status).toBe(400);
    expect(f.message).toContain('Unknown name "frozenRowCnt"');
    expect(f.message).toContain("requests[1].update_sheet_properties.properties.grid_properties");
    expect(fake.tab("s", "t").layout?.meta[0]?.[0]?.note).toBeUndefined();
    expect((await failure(send([{ addSheets: {} }]))).message).toContain('Unknown name "addSheets"');
  });

  it("stores notes, validation, formats, protections, conditional formats, charts and frozen panes, and returns them", async () => {
    await send([
      {
        updateCells: {
          start: { sheetId: 0, rowIndex: 0, columnIndex: 1 },
          rows: [{ values: [{ note: "hi" }] }],
          fields: "note",
        },
      },
      {
        setDataValidation: {
          range: { sheetId: 0, startRowIndex: 1, endRowIndex: 5, startColumnIndex: 0, endColumnIndex: 1 },
          rule: { condition: { type: "BOOLEAN" } },
        },
      },
      {
        repeatCell: {
          range: { sheetId: 0, startRowIndex: 0, endRowIndex: 3, startColumnIndex: 1, endColumnIndex: 2 },
          cell: { userEnteredFormat: { backgroundColor: { red: 1 } } },
          fields: "userEnteredFormat.backgroundColor",
        },
      },
      {
        addProtectedRange: {
          protectedRange: {
            range: { sheetId: 0, startColumnIndex: 1, endColumnIndex: 2 },
            description: "d",
            warningOnly: true,
          },
        },
      },
      {
        addConditionalFormatRule: {
          index: 0,
          rule: {
            ranges: [{ sheetId: 0, startRowIndex: 1 }],
            booleanRule: {
              condition: { type: "CUSTOM_FORMULA", values: [{ userEnteredValue: '=$B2="x"' }] },
              format: {},
            },
          },
        },
      },
      {
        updateSheetProperties: {
          properties: { sheetId: 0, gridProperties: { frozenRowCount: 1, frozenColumnCount: 2 } },
          fields: "gridProperties.frozenRowCount,gridProperties.frozenColumnCount",
        },
      },
      {
        addChart: {
          chart: {
            spec: { title: "views", basicChart: { chartType: "LINE" } },
            position: { overlayPosition: { anchorCell: { sheetId: 0, rowIndex: 0, columnIndex: 0 } } },
          },
        },
      },
    ]);
    const res = await api.spreadsheets.get({
      spreadsheetId: "s",
      ranges: ["'t'!1:2"],
      includeGridData: true,
      fields:
        "sheets(properties.gridProperties,data.rowData.values(formattedValue,note,dataValidation,userEnteredFormat),protectedRanges,conditionalFormats,charts.spec.title)",
    });
    const sheet = res.data.sheets?.[0];
    expect(sheet?.properties?.gridProperties).toMatchObject({ frozenRowCount: 1, frozenColumnCount: 2 });
    const rows = sheet?.data?.[0]?.rowData ?? [];
    expect(rows[0]?.values?.[1]).toMatchObject({
      formattedValue: "b",
      note: "hi",
      userEnteredFormat: { backgroundColor: { red: 1 } },
    });
    expect(rows[1]?.values?.[0]).toEqual({ dataValidation: { condition: { type: "BOOLEAN" } } });
    expect(sheet?.protectedRanges).toEqual([
      expect.objectContaining({ description: "d", warningOnly: true }),
    ]);
    expect(sheet?.conditionalFormats).toHaveLength(1);
    expect(sheet?.charts).toEqual([{ spec: { title: "views" } }]);
  });

  it("stores a pivot table and a chart over it, returns them, and refuses a misspelt field or a missing tab in either", async () => {
    const pivot = (sourceSheetId: number, extra: Record<string, unknown> = {}) => ({
      updateCells: {
        start: { sheetId: 0, rowIndex: 0, columnIndex: 5 },
        rows: [
          {
            values: [
              {
                pivotTable: {
                  source: {
                    sheetId: sourceSheetId,
                    startRowIndex: 0,
                    startColumnIndex: 0,
                    endColumnIndex: 2,
                  },
                  rows: [{ sourceColumnOffset: 0, sortOrder: "ASCENDING" }],
                  values: [{ sourceColumnOffset: 1, summarizeFunction: "SUM" }],
                  ...extra,
                },
              },
            ],
          },
        ],
        fields: "pivotTable",
      },
    });
    const chart = (seriesSheetId: number, extra: Record<string, unknown> = {}) => ({
      addChart: {
        chart: {
          spec: {
            title: "over the pivot",
            basicChart: {
              chartType: "LINE",
              series: [
                { series: { sourceRange: { sources: [{ sheetId: seriesSheetId, startColumnIndex: 6 }] } } },
              ],
              ...extra,
            },
          },
          position: { overlayPosition: { anchorCell: { sheetId: 0, rowIndex: 0, columnIndex: 0 } } },
        },
      },
    });
    const misspelt = await failure(send([pivot(0, { valuez: [] })]));
    expect(misspelt.status).toBe(400);
    expect(misspelt.message).toContain('Unknown name "valuez"');
    expect(misspelt.message).toContain("pivot_table");
    expect((await failure(send([chart(0, { serie: [] })]))).message).toContain('Unknown name "serie"');
    expect((await failure(send([pivot(99)]))).message).toContain("No grid with id: 99");
    expect((await failure(send([chart(98)]))).message).toContain("No grid with id: 98");
    expect(fake.tab("s", "t").layout?.charts ?? []).toEqual([]);

    await send([pivot(0), chart(0)]);
    const res = await api.spreadsheets.get({
      spreadsheetId: "s",
      ranges: ["'t'!A1:F1"],
      includeGridData: true,
      fields: "sheets(data.rowData.values.pivotTable,charts(chartId,spec))",
    });
    const sheet = res.data.sheets?.[0];
    expect(sheet?.data?.[0]?.rowData?.[0]?.values?.[5]?.pivotTable).toMatchObject({
      source: { sheetId: 0 },
      values: [{ sourceColumnOffset: 1, summarizeFunction: "SUM" }],
    });
    expect(sheet?.charts).toHaveLength(1);
    expect(sheet?.charts?.[0]?.chartId).toEqual(expect.any(Number));
    expect(sheet?.charts?.[0]?.spec?.basicChart?.series?.[0]?.series?.sourceRange?.sources).toEqual([
      { sheetId: 0, startColumnIndex: 6 },
    ]);
  });
});
