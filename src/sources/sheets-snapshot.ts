/**
 * A read of a Google Sheet, and its write-back. Requests per write: none when no cell differs from what
 * was read; otherwise 1 read (the ref re-read, see sheets-reread.ts) and 1 write (`values.batchUpdate`,
 * RAW) per `maxBodyBytes` of changes. Rarely more: +1 read when a ref column moved meanwhile, and +1 read
 * (`spreadsheets.get` for the tab's sheetId) +1 write (`appendDimension`) when a new output column does not
 * fit in the grid.
 *
 * The extra tabs (run log, analytics history) ride in the same `values.batchUpdate` as the write-back; a
 * write with no campaign cell to change but an extra tab to change costs that one request alone (no ref
 * re-read: the extra tabs belong to the sync). The first write to a missing extra tab adds one
 * `spreadsheets.batchUpdate` (`addSheet`); an extra tab outgrowing its grid adds one read and one write
 * (`appendDimension`, in steps of `EXTRA_GROWTH` rows).
 */
import { type ExtraReads, type ExtraWrite, extraCellWrites } from "./extra-tabs.ts";
import { SheetsSourceError } from "./sheets-calls.ts";
import { patchText } from "./sheets-cells.ts";
import { chunkWrites, rectangles, type ValueRangeData } from "./sheets-ranges.ts";
import {
  type ExtraTabSpec,
  PER_CALL,
  type SheetsContext,
  type SheetsRead,
  type SheetsTab,
  tabIds,
} from "./sheets-read.ts";
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

/** Rows an extra tab grows by when it is full; also the rows a new one starts with. */
export const EXTRA_GROWTH = 2000;

export class SheetsSnapshot implements SourceSnapshot {
  readonly bundles: CampaignTables["bundles"];
  readonly videos: CampaignTables["videos"];
  readonly problems: CampaignTables["problems"];
  readonly extras: ExtraReads;
  private readonly tabs: Map<TableName, SheetsTab>;
  /** Grid rows of each existing extra tab (for growing it before a write would exceed it). */
  private readonly extraRows = new Map<string, number>();

  constructor(
    read: SheetsRead,
    private readonly ctx: SheetsContext,
    private readonly maxBodyBytes: number,
    private readonly extraSpecs: readonly ExtraTabSpec[] = [],
    readonly runLogMaxRows?: number,
  ) {
    this.bundles = read.tables.bundles;
    this.videos = read.tables.videos;
    this.problems = read.tables.problems;
    this.tabs = read.tabs;
    this.extras = read.extras;
    for (const [title, rows] of read.extraRows ?? []) this.extraRows.set(title, rows);
  }

  /** The extra tabs' cell writes (rectangles), creating or growing their tabs first when needed. */
  private async extraData(extras: readonly ExtraWrite[]): Promise<{ data: ValueRangeData[]; tabs: number }> {
    const data: ValueRangeData[] = [];
    let tabs = 0;
    for (const w of extras) {
      const spec = this.extraSpecs.find((e) => e.tab === w.tab);
      if (!spec || !this.extras.has(w.tab)) continue;
      const read = this.extras.get(w.tab) ?? null;
      const cells = extraCellWrites(read, w);
      if (cells.length === 0) continue;
      const height = Math.max(...cells.map((c) => c.row));
      if (read === null) await this.addExtraTab(spec.title, height);
      else {
        const rows = this.extraRows.get(spec.title) ?? 1000;
        if (height > rows) await this.growRows(spec.title, height - rows);
      }
      data.push(...rectangles(spec.title, cells));
      tabs++;
    }
    return { data, tabs };
  }

  private async addExtraTab(title: string, height: number): Promise<void> {
    const { api, calls, spreadsheetId } = this.ctx;
    const rowCount = Math.max(height, EXTRA_GROWTH);
    await calls.run("write", `adding the tab "${title}" (spreadsheets.batchUpdate)`, () =>
      api.spreadsheets.batchUpdate(
        {
          spreadsheetId,
          requestBody: {
            requests: [
              { addSheet: { properties: { title, gridProperties: { rowCount, columnCount: 26 } } } },
            ],
          },
        },
        PER_CALL,
      ),
    );
    this.extraRows.set(title, rowCount);
  }

  async write(patches: CellPatch[], extras: readonly ExtraWrite[] = []): Promise<WriteReport> {
    const extra = await this.extraData(extras);
    const written = await this.writeCampaign(patches, extra.data);
    if (extra.tabs > 0) {
      written.extrasWritten = extra.tabs;
      for (const w of extras)
        if (this.extras.has(w.tab)) this.extras.set(w.tab, { rows: w.rows.map((r) => r.map(String)) });
    }
    return written;
  }

  private async writeCampaign(patches: CellPatch[], extraData: ValueRangeData[]): Promise<WriteReport> {
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
    const { calls } = this.ctx;
    const before = { ...calls.counters };
    if (changes.size === 0) {
      if (extraData.length > 0) await this.sendValues(extraData);
      report.requests = calls.counters.reads - before.reads + (calls.counters.writes - before.writes);
      return report;
    }
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

    const data: ValueRangeData[] = [];
    if (report.cellsWritten > 0) {
      for (const { tab, plan, grow } of planned) {
        if (grow > 0) await this.growColumns(tab, grow);
        data.push(...rectangles(tab.title, [...headerWrites(plan), ...plan.cells]));
      }
    }
    if (data.length + extraData.length > 0) await this.sendValues([...data, ...extraData]);
    if (report.cellsWritten > 0) for (const { tab, plan } of planned) rememberWritten(tab, plan.written);
    report.requests = calls.counters.reads - before.reads + (calls.counters.writes - before.writes);
    return report;
  }

  private async sendValues(data: ValueRangeData[]): Promise<void> {
    for (const chunk of chunkWrites(data, this.maxBodyBytes)) {
      await this.ctx.calls.run("write", "write-back (values.batchUpdate)", () =>
        this.ctx.api.spreadsheets.values.batchUpdate(
          {
            spreadsheetId: this.ctx.spreadsheetId,
            requestBody: { valueInputOption: "RAW", data: chunk.data },
          },
          PER_CALL,
        ),
      );
    }
  }

  /** The sheetId of a tab by title (one `spreadsheets.get`). */
  private async sheetIdOf(title: string): Promise<number> {
    const sheetId = (await tabIds(this.ctx, "looking up the tab id")).get(title);
    if (sheetId === undefined) {
      throw new SheetsSourceError(
        `The tab "${title}" disappeared from spreadsheet ${this.ctx.spreadsheetId} while the sync was writing; nothing was written, run again.`,
      );
    }
    return sheetId;
  }

  /** Adds rows at the bottom of an extra tab, in steps of `EXTRA_GROWTH` so it happens rarely. */
  private async growRows(title: string, needed: number): Promise<void> {
    const sheetId = await this.sheetIdOf(title);
    const length = Math.ceil(needed / EXTRA_GROWTH) * EXTRA_GROWTH;
    await this.ctx.calls.run("write", "adding rows (spreadsheets.batchUpdate)", () =>
      this.ctx.api.spreadsheets.batchUpdate(
        {
          spreadsheetId: this.ctx.spreadsheetId,
          requestBody: { requests: [{ appendDimension: { sheetId, dimension: "ROWS", length } }] },
        },
        PER_CALL,
      ),
    );
    this.extraRows.set(title, (this.extraRows.get(title) ?? 1000) + length);
  }

  /** Adds columns at the right of a tab (`appendDimension`), which needs the tab's sheetId. */
  private async growColumns(tab: SheetsTab, columns: number): Promise<void> {
    const { api, calls, spreadsheetId } = this.ctx;
    const sheetId = await this.sheetIdOf(tab.title);
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
