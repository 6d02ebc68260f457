/**
 * The re-read right before a write: one `values.batchGet` of each patched tab's header row and ref columns
 * (and the rows of patches keyed by row number, whole), so rows are placed by ref where they are now, and
 * columns where they are now. When a column was inserted or deleted before a ref column meanwhile, the refs
 * are read once more where they are now; if they keep moving, nothing is written.
 */
import { columnLetters, echoedExtent, quoteTitle } from "./a1.ts";
import { inputColumns } from "./columns.ts";
import { SheetsSourceError } from "./sheets-calls.ts";
import { cellText } from "./sheets-cells.ts";
import { PER_CALL, type RawCell, type SheetsContext, type SheetsTab } from "./sheets-read.ts";
import { type HeaderLayout, resolveHeader, type TableOptions } from "./table.ts";
import type { TableName } from "./types.ts";
import { type Change, type FreshTable, refColumns } from "./write-plan.ts";

export type RefsFresh = Extract<FreshTable, { kind: "refs" }>;

export interface FreshTab {
  fresh: RefsFresh;
  /** The grid size now (echoed by the re-read). */
  columnCount: number;
}

interface Wanted {
  tab: SheetsTab;
  refs: { name: string; col: number }[];
  /** Grid indexes of the rows read whole. */
  rows: number[];
}

/**
 * Past a few dozen ref-less rows, one range from the first to the last replaces a range per row: each
 * range lengthens the batchGet URL, and a pasted block of hundreds of rows without refs would push it past
 * what Google accepts, failing the whole write-back. Null when a range per row is fine.
 */
const MAX_ROW_RANGES = 50;
function rowSpan(rows: readonly number[]): { first: number; last: number } | null {
  if (rows.length <= MAX_ROW_RANGES) return null;
  return { first: Math.min(...rows), last: Math.max(...rows) };
}

export async function rereadRefs(
  ctx: SheetsContext,
  changes: ReadonlyMap<TableName, { tab: SheetsTab; changes: readonly Change[] }>,
): Promise<Map<TableName, FreshTab>> {
  const wanted: Wanted[] = [...changes.values()].map(({ tab, changes: list }) => ({
    tab,
    refs: refColumns(tab.options.table).map((name) => ({
      name,
      col: tab.layout.columns.get(name) as number,
    })),
    // Rows without a ref are read whole, to tell whether the same row is still at that number.
    rows: [...new Set(list.flatMap((c) => ("rowNumber" in c.key ? [c.key.rowNumber - 1] : [])))],
  }));

  let out = build(wanted, await fetch(ctx, wanted));
  if (out.moved) {
    out = build(wanted, await fetch(ctx, wanted));
    if (out.moved) {
      throw new SheetsSourceError(
        `The columns of spreadsheet ${ctx.spreadsheetId} kept moving while the sync was writing; nothing was written, run again.`,
      );
    }
  }
  return out.tabs;
}

async function fetch(ctx: SheetsContext, wanted: readonly Wanted[]) {
  const ranges: string[] = [];
  for (const { tab, refs, rows } of wanted) {
    const title = quoteTitle(tab.title);
    const h = tab.layout.headerIndex + 1;
    ranges.push(`${title}!${h}:${h}`);
    for (const r of refs) ranges.push(`${title}!${columnLetters(r.col)}:${columnLetters(r.col)}`);
    const span = rowSpan(rows);
    if (span) ranges.push(`${title}!${span.first + 1}:${span.last + 1}`);
    else for (const i of rows) ranges.push(`${title}!${i + 1}:${i + 1}`);
  }
  const res = await ctx.calls.run("read", "re-read of the ref columns (values.batchGet)", () =>
    ctx.api.spreadsheets.values.batchGet(
      {
        spreadsheetId: ctx.spreadsheetId,
        ranges,
        valueRenderOption: "UNFORMATTED_VALUE",
        dateTimeRenderOption: "SERIAL_NUMBER",
        majorDimension: "ROWS",
      },
      PER_CALL,
    ),
  );
  return res.data.valueRanges ?? [];
}

/** The answer → a fresh table per tab; `moved` when a ref column is elsewhere now (`wanted` is updated). */
function build(
  wanted: Wanted[],
  ranges: Awaited<ReturnType<typeof fetch>>,
): { tabs: Map<TableName, FreshTab>; moved: boolean } {
  const tabs = new Map<TableName, FreshTab>();
  let moved = false;
  let k = 0;
  for (const w of wanted) {
    const headerRange = ranges[k++];
    const header = ((headerRange?.values?.[0] ?? []) as RawCell[]).map((v) => cellText(v, false));
    const columns = new Map<string, { col: number; cells: RawCell[] }>();
    for (const r of w.refs) {
      const vr = ranges[k++];
      columns.set(r.name, { col: r.col, cells: (vr?.values ?? []).map((row) => (row as RawCell[])[0]) });
    }
    const { tab: fresh, movedRefs } = freshTab(
      w.tab,
      header,
      columns,
      echoedExtent(headerRange?.range)?.columns,
    );
    const dates = dateColumnIndexes(fresh.fresh.layout, w.tab.options);
    const span = rowSpan(w.rows);
    const spanned = span ? (ranges[k++]?.values ?? []) : [];
    const rows = new Map<number, string[]>();
    for (const i of w.rows) {
      const raw = (span ? spanned[i - span.first] : ranges[k++]?.values?.[0]) ?? [];
      rows.set(
        i,
        raw.map((v, c) => cellText(v, dates.has(c))),
      );
    }
    fresh.fresh.rows = rows;
    if (movedRefs.length > 0) {
      moved = true;
      w.refs = w.refs.map((r) => movedRefs.find((m) => m.name === r.name) ?? r);
    }
    tabs.set(w.tab.options.table, fresh);
  }
  return { tabs, moved };
}

/** Grid indexes of the date columns (read as YYYY-MM-DD, as the first read did). */
function dateColumnIndexes(layout: HeaderLayout, opts: TableOptions): Set<number> {
  const out = new Set<number>();
  for (const c of inputColumns(opts)) {
    const col = c.type.kind === "date" ? layout.columns.get(c.name) : undefined;
    if (col !== undefined) out.add(col);
  }
  return out;
}

/**
 * A grid holding only the fresh header row and the fresh ref columns, enough for header resolution and
 * locating rows by ref. Also says which ref columns are now elsewhere than where they were fetched.
 */
function freshTab(
  tab: SheetsTab,
  header: string[],
  refs: Map<string, { col: number; cells: RawCell[] }>,
  echoedColumns: number | undefined,
): { tab: FreshTab; movedRefs: { name: string; col: number }[] } {
  const table = tab.options.table;
  const h = tab.layout.headerIndex;
  const headerOnly: string[][] = [];
  headerOnly[h] = header;
  for (let i = 0; i < h; i++) headerOnly[i] = [];
  const { layout, problems } = resolveHeader(headerOnly, tab.options);
  const fatal = problems.filter((p) => p.fatal);
  if (!layout || fatal.length > 0) {
    throw new SheetsSourceError(
      `The ${table} tab "${tab.title}" changed while the sync was running, so nothing was written back: ${fatal.map((p) => p.message).join(" ")}`,
    );
  }
  const movedRefs: { name: string; col: number }[] = [];
  for (const [name, fetched] of refs) {
    const now = layout.columns.get(name) as number;
    if (fetched.col !== now) movedRefs.push({ name, col: now });
  }
  const height = Math.max(h + 1, ...[...refs.values()].map((c) => c.cells.length));
  const grid: string[][] = [];
  for (let i = 0; i < height; i++) grid.push(i === h ? header : []);
  for (const [name, { cells }] of refs) {
    const col = layout.columns.get(name) as number;
    cells.forEach((v, i) => {
      if (i <= h) return;
      const row = grid[i] as string[];
      while (row.length <= col) row.push("");
      row[col] = cellText(v, false);
    });
  }
  // New columns go after everything the tab held: what the read saw, shifted by columns inserted since.
  const shift = Math.max(0, header.length - (tab.grid[h]?.length ?? 0));
  const width = Math.max(header.length, tab.layout.width + shift);
  return {
    tab: {
      fresh: { kind: "refs", layout, grid, width, rows: new Map() },
      columnCount: echoedColumns ?? Math.max(tab.columnCount, width),
    },
    movedRefs,
  };
}
