/** The dashboard's requests, sent through the real client to the fake Sheets server. */
import { sheets } from "@googleapis/sheets";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dashboardRequests } from "../../src/sources/dashboard.ts";
import { HISTORY_HEADER } from "../../src/sync/history.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

let fake: FakeSheets;
beforeEach(async () => {
  fake = await startFakeSheets();
});
afterEach(async () => {
  await fake.close();
});

describe("dashboardRequests", () => {
  it("adds the tab, a pivot per chart over the history tab, and three charts, in one batchUpdate", async () => {
    fake.createSpreadsheet({ id: "s", tabs: [{ title: "analytics_history", rows: [[...HISTORY_HEADER]] }] });
    const api = sheets({ version: "v4", auth: "k", rootUrl: fake.rootUrl });
    const got = await api.spreadsheets.get({ spreadsheetId: "s" });
    const historySheetId = got.data.sheets![0]!.properties!.sheetId!;
    const requests = dashboardRequests({ sheetId: 4242, historySheetId, historyHeader: HISTORY_HEADER });
    await api.spreadsheets.batchUpdate({ spreadsheetId: "s", requestBody: { requests } });
    expect(fake.requests("spreadsheets.batchUpdate")).toHaveLength(1);
    expect(fake.requests("spreadsheets.batchUpdate")[0]!.requests).toEqual([
      "addSheet",
      "updateCells",
      "updateCells",
      "updateCells",
      "addChart",
      "addChart",
      "addChart",
    ]);
    const pivots = requests.flatMap((r) => r.updateCells?.rows?.[0]?.values?.[0]?.pivotTable ?? []);
    for (const p of pivots) expect(p.source?.sheetId).toBe(historySheetId);
    const titles = requests.flatMap((r) => r.addChart?.chart?.spec?.title ?? []);
    expect(titles).toEqual([
      "Views per day per account",
      "Followers per day per account",
      "Top videos by views",
    ]);
  });
});
