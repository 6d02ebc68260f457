/**
 * What `init` adds beside the campaign tabs: the sync's own tabs (`sync_runs`, `analytics_history`, see
 * src/sources/extra-tabs.ts), created empty so a sync never has to add them itself (the sync writes their
 * header with its first rows), and the `dashboard` tab with its pivots and charts over the history
 * (src/sources/dashboard.ts). Only what is missing: an existing tab, whatever it holds now, is left alone,
 * so a dashboard the user rearranged or trimmed is never drawn again.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { dashboardRequests } from "../sources/dashboard.ts";
import { EXTRA_TABS } from "../sources/extra-tabs.ts";
import type { ExtraLayout } from "./layout.ts";

export const DASHBOARD_TAB = "dashboard";
const HISTORY_TAB = "analytics_history";

export const SYNC_TABS_LAYOUT: ExtraLayout = {
  // Read only to learn whether they exist (a read with ranges answers only for the tabs it names).
  tabs: [...EXTRA_TABS, DASHBOARD_TAB],
  build(view, ids) {
    const requests: sheets_v4.Schema$Request[] = [];
    for (const title of EXTRA_TABS) {
      if (view.tabs.has(title)) continue;
      requests.push({ addSheet: { properties: { sheetId: ids.forTitle(title), title } } });
    }
    if (!view.tabs.has(DASHBOARD_TAB)) {
      requests.push(
        ...dashboardRequests({
          sheetId: ids.forTitle(DASHBOARD_TAB),
          historySheetId: ids.forTitle(HISTORY_TAB),
          title: DASHBOARD_TAB,
        }),
      );
    }
    return requests;
  },
};
