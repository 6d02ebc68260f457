/**
 * The `dashboard` tab's requests (for `init`): pivot tables over the analytics history tab and charts
 * over them, so the campaign's curves show in the sheet itself. Pure: the caller sends them in one
 * `spreadsheets.batchUpdate` (typed by the client, so a misspelt field fails to compile).
 *
 * The history tab is long (one row per video or account per day, see src/sync/history.ts), and a chart
 * cannot split one column into a series per account; a pivot table does (date × bundle_ref), and the chart
 * reads the pivot's output. Pivots sit to the right of the charts, one band of columns each.
 */
import type { sheets_v4 } from "@googleapis/sheets";

export interface DashboardOptions {
  /** The sheetId the new dashboard tab gets. */
  sheetId: number;
  /** The analytics history tab's sheetId. */
  historySheetId: number;
  /** The history tab's header (src/sync/history.ts `HISTORY_HEADER`): the pivots find their columns in it. */
  historyHeader: readonly string[];
  title?: string;
  /** Accounts (pivot columns) a chart plots; default 20. */
  maxAccounts?: number;
  /** Rows (days, or videos) a chart reads; default 400. */
  maxRows?: number;
}

/** The history columns the pivots read. */
const PIVOTED = ["date", "video_ref", "bundle_ref", "views", "followers"] as const;
/** Where each pivot starts (0-based column of the dashboard tab). */
const BAND = { views: 26, followers: 52, top: 78, width: 100 } as const;

/** Where the columns the pivots read are in the history tab (0-based), and its width. */
function historyColumns(header: readonly string[]): Record<(typeof PIVOTED)[number] | "width", number> {
  const out = { width: header.length } as Record<(typeof PIVOTED)[number] | "width", number>;
  for (const name of PIVOTED) {
    out[name] = header.indexOf(name);
    if (out[name] < 0) throw new Error(`dashboard: the history header has no ${name} column`);
  }
  return out;
}

export function dashboardRequests(o: DashboardOptions): sheets_v4.Schema$Request[] {
  const title = o.title ?? "dashboard";
  const accounts = o.maxAccounts ?? 20;
  const rows = o.maxRows ?? 400;
  const H = historyColumns(o.historyHeader);
  const source: sheets_v4.Schema$GridRange = {
    sheetId: o.historySheetId,
    startRowIndex: 0,
    startColumnIndex: 0,
    endColumnIndex: H.width,
  };
  const videoRows = { columnOffsetIndex: H.video_ref, filterCriteria: { condition: { type: "NOT_BLANK" } } };
  const accountRows = { columnOffsetIndex: H.video_ref, filterCriteria: { condition: { type: "BLANK" } } };
  const perDay = (value: number, fn: string, filter: sheets_v4.Schema$PivotFilterSpec) => ({
    source,
    rows: [{ sourceColumnOffset: H.date, sortOrder: "ASCENDING", showTotals: false }],
    columns: [{ sourceColumnOffset: H.bundle_ref, sortOrder: "ASCENDING", showTotals: false }],
    values: [{ sourceColumnOffset: value, summarizeFunction: fn }],
    filterSpecs: [filter],
  });
  const pivots: [number, sheets_v4.Schema$PivotTable][] = [
    [BAND.views, perDay(H.views, "SUM", videoRows)],
    [BAND.followers, perDay(H.followers, "MAX", accountRows)],
    [
      BAND.top,
      {
        source,
        rows: [
          {
            sourceColumnOffset: H.video_ref,
            sortOrder: "DESCENDING",
            showTotals: false,
            valueBucket: { valuesIndex: 0 },
          },
        ],
        values: [{ sourceColumnOffset: H.views, summarizeFunction: "MAX" }],
        filterSpecs: [videoRows],
      },
    ],
  ];
  const at = (col: number, r0: number, r1: number, c1 = col + 1): sheets_v4.Schema$ChartSourceRange => ({
    sources: [
      {
        sheetId: o.sheetId,
        startRowIndex: r0,
        endRowIndex: r1,
        startColumnIndex: col,
        endColumnIndex: c1,
      },
    ],
  });
  const lineChart = (chartTitle: string, band: number, anchorRow: number): sheets_v4.Schema$Request => ({
    addChart: {
      chart: {
        spec: {
          title: chartTitle,
          basicChart: {
            chartType: "LINE",
            legendPosition: "RIGHT_LEGEND",
            headerCount: 1,
            domains: [{ domain: { sourceRange: at(band, 1, rows + 2) } }],
            series: Array.from({ length: accounts }, (_, i) => ({
              series: { sourceRange: at(band + 1 + i, 1, rows + 2) },
              targetAxis: "LEFT_AXIS",
            })),
          },
        },
        position: {
          overlayPosition: { anchorCell: { sheetId: o.sheetId, rowIndex: anchorRow, columnIndex: 0 } },
        },
      },
    },
  });
  return [
    {
      addSheet: {
        properties: {
          sheetId: o.sheetId,
          title,
          gridProperties: { rowCount: Math.max(1000, rows + 10), columnCount: BAND.width },
        },
      },
    },
    ...pivots.map(
      ([col, pivotTable]): sheets_v4.Schema$Request => ({
        updateCells: {
          start: { sheetId: o.sheetId, rowIndex: 0, columnIndex: col },
          rows: [{ values: [{ pivotTable }] }],
          fields: "pivotTable",
        },
      }),
    ),
    lineChart("Views per day per account", BAND.views, 0),
    lineChart("Followers per day per account", BAND.followers, 20),
    {
      addChart: {
        chart: {
          spec: {
            title: "Top videos by views",
            basicChart: {
              chartType: "BAR",
              legendPosition: "NO_LEGEND",
              headerCount: 1,
              domains: [{ domain: { sourceRange: at(BAND.top, 0, 11) } }],
              series: [{ series: { sourceRange: at(BAND.top + 1, 0, 11) }, targetAxis: "BOTTOM_AXIS" }],
            },
          },
          position: { overlayPosition: { anchorCell: { sheetId: o.sheetId, rowIndex: 40, columnIndex: 0 } } },
        },
      },
    },
  ];
}
