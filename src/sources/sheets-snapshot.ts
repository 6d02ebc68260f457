/**
 * A read of a Google Sheet, and its write-back. Requests per write: none when no cell differs from what
 * was read; otherwise 1 read (the ref re-read, see sheets-reread.ts) and 1 write (`values.batchUpdate`,
 * RAW) per `maxBodyBytes` of changes. Rarely more: +1 read when a ref column moved meanwhile, and +1 read
 * (`spreadsheets.get` for the tab's sheetId) +1 write (`appendDimension`) when a new output column does not
 * fit in the grid.
 */
import { SheetsSourceError } from "./sheets-calls.ts";
import { patchText } from "./sheets-cells.ts";
import { chunkWrites, rectangles, type ValueRangeData } from "./sheets-ranges.ts";
import { PER_CALL, type SheetsContext, type SheetsRead, type SheetsTab } from "./sheets-read.ts";
import { rereadRefs } from "./sheets-reread.ts";
import type { CampaignTables, CellPatch, RowKey, SourceSnapshot, TableName, WriteReport } from "./types.ts";
import {
  type CellEncoding,
  type Change,
  changedSinceRead,
  changesOf,
  headerWrites,
  planWrite,
  rememberWritten,
  type WritePlan,
} from "./write-plan.ts";

/** Numbers are sent as numbers, text as text (RAW: never run as a formula); null clears. */
const SHEETS_ENCODING: CellEncoding = {
  value: (v) => (v === null ? "" : v),
  text: patchText,
};

export class SheetsSnapshot implements SourceSnapshot {
  readonly bundles: CampaignTables["bundles"];
  readonly videos: CampaignTables["videos"];
  readonly problems: CampaignTables["problems"];
  private readonly tabs: Map<TableName, SheetsTab>;

  constructor(
    read: SheetsRead,
    private readonly ctx: SheetsContext,
    private readonly maxBodyBytes: number,
  ) {
    this.bundles = read.tables.bundles;
    this.videos = read.tables.videos;
    this.problems = read.tables.problems;
    this.tabs = read.tabs;
  }

  async write(patches: CellPatch[]): Promise<WriteReport> {
    const report: WriteReport = { cellsWritten: 0, rowsNotFound: [], requests: 0 };
    const changes = new Map<TableName, { tab: SheetsTab; changes: Change[] }>();
    const unreadable: RowKey[] = [];
    for (const table of ["bundles", "videos"] as const) {
      const mine = patches.filter((p) => p.key.table === table);
      if (mine.length === 0) continue;
      const tab = this.tabs.get(table);
      if (!tab) {
        unreadable.push(...mine.map((p) => p.key));
        continue;
      }
      const list = changedSinceRead(tab, changesOf(mine, tab.options, SHEETS_ENCODING));
      if (list.length > 0) changes.set(table, { tab, changes: list });
    }
    report.rowsNotFound.push(...unreadable);
    if (changes.size === 0) return report;

    const { calls } = this.ctx;
    const before = { ...calls.counters };
    const fresh = await rereadRefs(this.ctx, changes);
    const planned: { tab: SheetsTab; plan: WritePlan; grow: number }[] = [];
    for (const [table, { tab, changes: list }] of changes) {
      const f = fresh.get(table);
      if (!f) continue;
      const plan = planWrite(tab.options, list, f.fresh, tab);
      report.rowsNotFound.push(...plan.rowsNotFound);
      report.cellsWritten += plan.cells.length;
      const width = Math.max(f.fresh.width, ...plan.appended.map((a) => a.col + 1));
      planned.push({ tab, plan, grow: Math.max(0, width - f.columnCount) });
    }

    if (report.cellsWritten > 0) {
      const data: ValueRangeData[] = [];
      for (const { tab, plan, grow } of planned) {
        if (grow > 0) await this.growColumns(tab, grow);
        data.push(...rectangles(tab.title, [...headerWrites(plan), ...plan.cells]));
      }
      for (const chunk of chunkWrites(data, this.maxBodyBytes)) {
        await calls.run("write", "write-back (values.batchUpdate)", () =>
          this.ctx.api.spreadsheets.values.batchUpdate(
            {
              spreadsheetId: this.ctx.spreadsheetId,
              requestBody: { valueInputOption: "RAW", data: chunk.data },
            },
            PER_CALL,
          ),
        );
      }
      for (const { tab, plan } of planned) rememberWritten(tab, plan.written);
    }
    report.requests = calls.counters.reads - before.reads + (calls.counters.writes - before.writes);
    return report;
  }

  /** Adds columns at the right of a tab (`appendDimension`), which needs the tab's sheetId. */
  private async growColumns(tab: SheetsTab, columns: number): Promise<void> {
    const { api, calls, spreadsheetId } = this.ctx;
    const res = await calls.run("read", "looking up the tab id (spreadsheets.get)", () =>
      api.spreadsheets.get({ spreadsheetId, fields: "sheets.properties(sheetId,title)" }, PER_CALL),
    );
    const sheet = (res.data.sheets ?? []).find((s) => s.properties?.title === tab.title);
    const sheetId = sheet?.properties?.sheetId;
    if (sheetId === undefined || sheetId === null) {
      throw new SheetsSourceError(
        `The tab "${tab.title}" disappeared from spreadsheet ${spreadsheetId} while the sync was writing; nothing was written, run again.`,
      );
    }
    await calls.run("write", "adding output columns (spreadsheets.batchUpdate)", () =>
      api.spreadsheets.batchUpdate(
        {
          spreadsheetId,
          requestBody: {
            requests: [{ appendDimension: { sheetId, dimension: "COLUMNS", length: columns } }],
          },
        },
        PER_CALL,
      ),
    );
    tab.columnCount += columns;
  }
}
