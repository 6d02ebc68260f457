/**
 * Links from the status page and the report to a Google Sheet's rows (src/web/sheet-data.ts): the tab's id
 * read through the real @googleapis/sheets client from the fake Sheets server, `#gid=…&range=A<row>`, and
 * the tab by name when its id is unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoogleSheetsSource } from "../../src/sources/google-sheets.ts";
import { rowLinkOf, sheetOf } from "../../src/web/sheet-data.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

const ID = "links-sheet-0001";
const source = { type: "google_sheets", spreadsheet_id: ID, videos_tab: "Videos 2027" } as const;
let fake: FakeSheets;

beforeAll(async () => {
  fake = await startFakeSheets();
  fake.createSpreadsheet({ id: ID, tabs: [{ title: "notes" }, { title: "Videos 2027" }] });
});
afterAll(() => fake?.close());

describe("row links to a Google Sheet", () => {
  it("open the row's tab by its id, read in one request beside the values", async () => {
    const sheet = await sheetOf(
      new GoogleSheetsSource({
        spreadsheetId: ID,
        videosTab: "Videos 2027",
        rootUrl: fake.rootUrl,
        auth: { apiKey: "test-key" },
      }),
    );
    const gid = sheet.tabIds?.get("Videos 2027");
    expect(gid).toBeTypeOf("number");
    expect(gid).not.toBe(sheet.tabIds?.get("notes"));
    expect(fake.requests("spreadsheets.get")).toHaveLength(1);
    expect(rowLinkOf(source, sheet.tabIds)("videos", 7)).toBe(
      `https://docs.google.com/spreadsheets/d/${ID}/edit#gid=${gid}&range=A7`,
    );
  });

  it("name the tab when its id is unknown, and are none for CSV files", () => {
    expect(rowLinkOf(source)("videos", 7)).toBe(
      `https://docs.google.com/spreadsheets/d/${ID}/edit#range=${encodeURIComponent("'Videos 2027'!A7")}`,
    );
    expect(rowLinkOf({ type: "csv", videos: "v.csv" } as never)("videos", 7)).toBeNull();
  });
});
