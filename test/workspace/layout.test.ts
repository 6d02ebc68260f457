/**
 * The layout planner on its own (pure): what it adds to a sheet in use, what it leaves alone, single-table
 * mode, aliases, the extra-layout hook, and a header it refuses to guess about.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { describe, expect, it } from "vitest";
import { knownColumns } from "../../src/sources/columns.ts";
import { HISTORY_HEADER } from "../../src/sync/history.ts";
import { validationRule } from "../../src/workspace/guides.ts";
import {
  extraChanges,
  LayoutError,
  type LayoutTable,
  planLayout,
  SheetIds,
  tabsToRead,
} from "../../src/workspace/layout.ts";
import { spreadsheetView } from "../../src/workspace/sheet-view.ts";
import { DASHBOARD_TAB, syncTabsLayout } from "../../src/workspace/sync-tabs-layout.ts";

type CellIn = sheets_v4.Schema$CellData;

/** A `spreadsheets.get` answer for one tab whose first rows are `rows` (cells as text or CellData). */
function answer(title: string, rows: (string | CellIn)[][], props: sheets_v4.Schema$GridProperties = {}) {
  return {
    sheets: [
      {
        // The first tab: Google's JSON may leave its sheetId (0) out.
        properties: { title, gridProperties: { rowCount: 1000, columnCount: 26, ...props } },
        data: [
          {
            rowData: rows.map((r) => ({
              values: r.map((c) => (typeof c === "string" ? { formattedValue: c } : c)),
            })),
          },
        ],
      },
    ],
  };
}

const guides = { countries: ["FR", "USA"] };
const kinds = (requests: sheets_v4.Schema$Request[]) => requests.flatMap((r) => Object.keys(r));

describe("the layout plan", () => {
  it("on a tab in use: appends what is missing, keeps a person's notes, validation and frozen panes", () => {
    const view = spreadsheetView(
      answer(
        "videos",
        [
          [{ formattedValue: "video_ref", note: "mine" }, "bundle_ref", "Account name", "platform"],
          [
            "v1",
            { formattedValue: "b1", dataValidation: { condition: { type: "TEXT_NOT_EMPTY" } } },
            "x",
            "tiktok",
          ],
        ],
        { frozenRowCount: 2 },
      ),
    );
    const tables: LayoutTable[] = [
      {
        table: "videos",
        title: "videos",
        mode: { table: "videos", singleTable: true },
        aliases: { "Account name": "visible_name" },
      },
    ];
    const plan = planLayout({ view, tables, guides });
    const known = knownColumns({ table: "videos", singleTable: true });
    const present = ["video_ref", "bundle_ref", "visible_name", "platform"];
    expect(plan.tabs[0]?.columns).toEqual(known.filter((c) => !present.includes(c)));
    expect(kinds(plan.requests)).not.toContain("addSheet");
    // 4 columns are used: the new ones start at E, and the grid grows to hold them.
    const grow = plan.requests.find((r) => r.appendDimension)?.appendDimension;
    expect(grow).toEqual({ sheetId: 0, dimension: "COLUMNS", length: 4 + plan.tabs[0]!.columns.length - 26 });
    const header = plan.requests.find((r) => r.updateCells?.fields === "userEnteredValue,note")?.updateCells;
    expect(header?.start).toEqual({ sheetId: 0, rowIndex: 0, columnIndex: 4 });
    // video_ref's note is the person's; the other three known headers get one.
    const notes = plan.requests.filter((r) => r.updateCells?.fields === "note");
    expect(notes.map((r) => r.updateCells?.start?.columnIndex).sort()).toEqual([1, 2, 3]);
    // platform (column D) is guided; bundle_ref has no rule anyway; frozen rows stay 2, the ref column freezes.
    const validated = plan.requests.flatMap((r) => (r.setDataValidation ? [r.setDataValidation.range] : []));
    expect(validated).toContainEqual(expect.objectContaining({ startColumnIndex: 3, startRowIndex: 1 }));
    expect(plan.requests.find((r) => r.updateSheetProperties)?.updateSheetProperties).toEqual({
      properties: { sheetId: 0, gridProperties: { frozenColumnCount: 1 } },
      fields: "gridProperties.frozenColumnCount",
    });
  });

  it("leaves a column whose first data cell already has a validation, whoever put it there", () => {
    const header = knownColumns({ table: "bundles" }).map((name) => ({ formattedValue: name, note: "n" }));
    const platform = header.findIndex((c) => c.formattedValue === "platform");
    const data: CellIn[] = header.map(() => ({}));
    data[platform] = { dataValidation: { condition: { type: "ONE_OF_LIST" } } };
    const view = spreadsheetView(answer("bundles", [header, data]));
    const plan = planLayout({
      view,
      tables: [{ table: "bundles", title: "bundles", mode: { table: "bundles" } }],
      guides,
    });
    const validated = (requests: typeof plan.requests) =>
      requests.flatMap((r) => (r.setDataValidation ? [r.setDataValidation.range?.startColumnIndex] : []));
    const bare = planLayout({
      view: spreadsheetView(answer("bundles", [header, header.map(() => ({}))])),
      tables: [{ table: "bundles", title: "bundles", mode: { table: "bundles" } }],
      guides,
    });
    // Every other guided column still gets its rule; only the one already validated is left alone.
    expect(validated(bare.requests)).toContain(platform);
    expect(validated(plan.requests)).toEqual(validated(bare.requests).filter((c) => c !== platform));
  });

  it("refuses a header with two columns of one name, rather than pick one", () => {
    const view = spreadsheetView(answer("bundles", [["bundle_ref", "Bundle Ref"]]));
    expect(() =>
      planLayout({
        view,
        tables: [{ table: "bundles", title: "bundles", mode: { table: "bundles" } }],
        guides,
      }),
    ).toThrow(LayoutError);
  });

  it("runs extra layout builders into the same batch and reads their tabs", () => {
    const tables: LayoutTable[] = [{ table: "bundles", title: "bundles", mode: { table: "bundles" } }];
    const extra = [
      {
        tabs: ["dashboard"],
        build: (v: ReturnType<typeof spreadsheetView>, ids: { forTitle(t: string): number }) =>
          v.tabs.has("dashboard")
            ? []
            : [{ addSheet: { properties: { sheetId: ids.forTitle("dashboard"), title: "dashboard" } } }],
      },
    ];
    expect(tabsToRead(tables, extra)).toEqual(["bundles", "dashboard"]);
    const plan = planLayout({ view: { tabs: new Map(), sheetIds: new Set([0]) }, tables, guides, extra });
    const added = plan.requests.filter((r) => r.addSheet).map((r) => r.addSheet?.properties);
    expect(added.map((p) => p?.title)).toEqual(["bundles", "dashboard"]);
    expect(new Set(added.map((p) => p?.sheetId)).size).toBe(2);
    // A later builder (a chart on that tab) gets the same id for the same title.
    const ids = new SheetIds({ tabs: new Map(), sheetIds: new Set([0]) });
    expect(ids.forTitle("dashboard")).toBe(ids.forTitle("dashboard"));
    expect(ids.forTitle("history")).not.toBe(ids.forTitle("dashboard"));
  });

  it("the sync tabs' builder adds only what is missing: the dashboard over a history tab already there", () => {
    const headers = { sync_runs: ["started_at"], analytics_history: [...HISTORY_HEADER] };
    const tabs = (titles: string[]) =>
      spreadsheetView({ sheets: titles.map((title, i) => ({ properties: { sheetId: 10 + i, title } })) });
    const build = (titles: string[]) =>
      syncTabsLayout(headers).build(tabs(titles), new SheetIds(tabs(titles)));
    const onlyDashboard = build(["sync_runs", "analytics_history"]);
    expect(extraChanges(onlyDashboard, tabs(["sync_runs", "analytics_history"]))).toEqual([
      { title: DASHBOARD_TAB, created: true, header: 0, pivots: 3, charts: 3 },
    ]);
    const pivots = onlyDashboard.flatMap((r) => r.updateCells?.rows?.[0]?.values?.[0]?.pivotTable ?? []);
    for (const p of pivots) expect(p.source?.sheetId).toBe(11);
    expect(pivots[0]?.values?.[0]?.sourceColumnOffset).toBe(HISTORY_HEADER.indexOf("views"));
    expect(build(["sync_runs", "analytics_history", DASHBOARD_TAB])).toEqual([]);
  });

  it("derives every rule from the catalogue's types: closed lists refuse, yes/no and dates warn", () => {
    expect(validationRule({ name: "x", type: { kind: "enum", values: ["a", "b"] } }, guides)).toMatchObject({
      strict: true,
      condition: { type: "ONE_OF_LIST" },
    });
    expect(validationRule({ name: "x", type: { kind: "boolean" } }, guides)).toMatchObject({ strict: false });
    expect(validationRule({ name: "x", type: { kind: "text" } }, guides)).toBeNull();
    expect(
      validationRule({ name: "country", type: { kind: "text", maxLength: 5 } }, guides)?.condition?.values,
    ).toEqual([{ userEnteredValue: "FR" }, { userEnteredValue: "USA" }]);
  });
});
