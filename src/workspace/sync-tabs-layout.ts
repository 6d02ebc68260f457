/**
 * What `init` adds beside the campaign tabs: the sync's own tabs (`sync_runs`, `analytics_history`, see
 * src/sources/extra-tabs.ts), created with their header row (frozen) so a sync never has to add them itself
 * and the dashboard's pivots read a header from the start, and the `dashboard` tab with its pivots and
 * charts over the history (src/sources/dashboard.ts). Only what is missing: an existing tab, whatever it
 * holds now, is left alone, so a dashboard the user rearranged or trimmed is never drawn again.
 *
 * The headers are the engine's (src/sync/run-log.ts, history.ts), handed in by the command: this layer
 * does not import the engine (docs/architecture.md).
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { dashboardRequests } from "../sources/dashboard.ts";
import { EXTRA_TABS, type ExtraTabName } from "../sources/extra-tabs.ts";
import { type ExtraLayout, NEW_TAB_COLUMNS, NEW_TAB_ROWS } from "./layout.ts";

export const DASHBOARD_TAB = "dashboard";
const HISTORY_TAB: ExtraTabName = "analytics_history";

export type SyncTabHeaders = Record<ExtraTabName, readonly string[]>;

export function syncTabsLayout(headers: SyncTabHeaders): ExtraLayout {
  return {
    // Read only to learn whether they exist (a read with ranges answers only for the tabs it names).
    tabs: [...EXTRA_TABS, DASHBOARD_TAB],
    build(view, ids) {
      const requests: sheets_v4.Schema$Request[] = [];
      for (const title of EXTRA_TABS) {
        if (view.tabs.has(title)) continue;
        const sheetId = ids.forTitle(title);
        const header = headers[title];
        requests.push(
          {
            addSheet: {
              properties: {
                sheetId,
                title,
                gridProperties: {
                  rowCount: NEW_TAB_ROWS,
                  columnCount: Math.max(NEW_TAB_COLUMNS, header.length),
                  frozenRowCount: 1,
                },
              },
            },
          },
          {
            updateCells: {
              start: { sheetId, rowIndex: 0, columnIndex: 0 },
              rows: [{ values: header.map((name) => ({ userEnteredValue: { stringValue: name } })) }],
              fields: "userEnteredValue",
            },
          },
        );
      }
      if (!view.tabs.has(DASHBOARD_TAB)) {
        requests.push(
          ...dashboardRequests({
            sheetId: ids.forTitle(DASHBOARD_TAB),
            historySheetId: ids.forTitle(HISTORY_TAB),
            historyHeader: headers[HISTORY_TAB],
            title: DASHBOARD_TAB,
          }),
        );
      }
      return requests;
    },
  };
}
