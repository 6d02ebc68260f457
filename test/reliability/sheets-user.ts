/**
 * A seeded "user" who edits a fake Google Sheet while a sync is running, and the bookkeeping needed to tell
 * afterwards whether the sync put every cell where it belonged.
 *
 * Every non-blank row carries a unique `tag` cell (a column the tool does not know, so it never reads or
 * writes it): rows are followed by tag through inserts, deletes, sorts and column moves. The user never
 * changes a ref cell and never deletes a row the run read, so each row's expected content stays knowable:
 * its user cells as last typed, and its output cells as before the run plus the patches meant for it.
 */
import { columnLetters } from "../support/fake-sheets/a1.ts";
import type { CellValue } from "../support/fake-sheets/cells.ts";
import { seedCell } from "../support/fake-sheets/cells.ts";
import type { FakeSheets } from "../support/fake-sheets/server.ts";
import type { Tab } from "../support/fake-sheets/workbook.ts";

export const EDIT_KINDS = [
  "insertRows",
  "appendRows",
  "deleteRows",
  "sortRows",
  "editCell",
  "moveColumn",
  "insertColumn",
] as const;
export type EditKind = (typeof EDIT_KINDS)[number];

/** A tab as header name → cell text, one record per grid row below the header (blank rows included). */
export type TabRecords = { header: string[]; rows: Record<string, string>[] };

const text = (v: CellValue | undefined): string => (v === undefined ? "" : String(v));

export function tabRecords(fake: FakeSheets, id: string, title: string): TabRecords {
  const [head = [], ...rows] = fake.values(id, title);
  const header = head.map(text);
  return {
    header,
    rows: rows.map((row) => {
      const rec: Record<string, string> = {};
      row.forEach((v, i) => {
        const name = header[i] ?? "";
        const value = text(v);
        // A cell under no header (or a second one under a repeated header) is kept under its position.
        const slot = name === "" || name in rec ? `#${i}` : name;
        if (value !== "" || !(slot in rec)) rec[slot] = value;
      });
      return rec;
    }),
  };
}

export const isBlankRecord = (r: Record<string, string>): boolean => Object.values(r).every((v) => v === "");

export interface UserOptions {
  fake: FakeSheets;
  spreadsheetId: string;
  random: () => number;
  /** Columns a user types into (never refs), per tab. */
  editable: Record<string, readonly string[]>;
  /** Columns to sort by, per tab. */
  sortable: Record<string, readonly string[]>;
  /** A new row a user types meanwhile, given a fresh tag: header name → value (refs the run never read). */
  typedRow: (tab: string, tag: string) => Record<string, string>;
}

/**
 * Applies random edits and keeps, per tag, the user cells the sheet must still hold at the end. Tags the
 * user inserted during the current run are the only rows (with blank rows) it may delete.
 */
export class SheetUser {
  readonly applied: Record<EditKind, number> = Object.fromEntries(EDIT_KINDS.map((k) => [k, 0])) as Record<
    EditKind,
    number
  >;
  /** Tab → tag → user-typed cells (every non-output column), as they must be now. */
  readonly expected = new Map<string, Map<string, Record<string, string>>>();
  private insertedThisRun = new Set<string>();
  private nextTag = 1;

  constructor(private readonly o: UserOptions) {}

  newTag(tab: string): string {
    return `${tab[0]}${this.nextTag++}`;
  }

  /** Records what a tab holds now as the user's content (call after seeding). */
  adopt(tab: string, outputs: ReadonlySet<string>): void {
    const map = new Map<string, Record<string, string>>();
    for (const r of tabRecords(this.o.fake, this.o.spreadsheetId, tab).rows) {
      if (!r["tag"]) continue;
      map.set(r["tag"], userCells(r, outputs));
    }
    this.expected.set(tab, map);
  }

  startRun(): void {
    this.insertedThisRun = new Set();
  }

  /** `count` random edits on random tabs. */
  edit(count: number): void {
    const tabs = [...this.expected.keys()];
    for (let i = 0; i < count; i++) {
      const tab = tabs[Math.floor(this.o.random() * tabs.length)] as string;
      const kind = EDIT_KINDS[Math.floor(this.o.random() * EDIT_KINDS.length)] as EditKind;
      if (this.apply(tab, kind)) this.applied[kind]++;
    }
  }

  private pick<T>(list: readonly T[]): T | undefined {
    return list.length === 0 ? undefined : list[Math.floor(this.o.random() * list.length)];
  }

  private tab(title: string): Tab {
    return this.o.fake.tab(this.o.spreadsheetId, title);
  }

  /** 1-based number of the last non-blank row (the header counts). */
  private lastRow(title: string): number {
    const { rows } = tabRecords(this.o.fake, this.o.spreadsheetId, title);
    let last = rows.length;
    while (last > 0 && isBlankRecord(rows[last - 1] as Record<string, string>)) last--;
    return last + 1;
  }

  private typed(title: string): (CellValue | null)[] {
    const tag = this.newTag(title);
    const header = tabRecords(this.o.fake, this.o.spreadsheetId, title).header;
    const values: Record<string, string> = { ...this.o.typedRow(title, tag), tag };
    // A typed row fills only columns the tab has; what it holds is what the user expects to find.
    const row = header.map((h) => (h in values ? (values[h] as string) : null));
    const kept: Record<string, string> = {};
    header.forEach((h, i) => {
      if (h !== "" && row[i] !== null) kept[h] = row[i] as string;
    });
    this.expected.get(title)?.set(tag, kept);
    this.insertedThisRun.add(tag);
    return row;
  }

  private apply(title: string, kind: EditKind): boolean {
    const { fake, spreadsheetId: id, random } = this.o;
    const recs = tabRecords(fake, id, title);
    const last = this.lastRow(title);
    const col = (name: string) => recs.header.indexOf(name);
    switch (kind) {
      case "insertRows": {
        // Anywhere below the header and within the data: above or below rows the run read.
        const before = 2 + Math.floor(random() * (last - 1));
        const rows = random() < 0.25 ? [[]] : [this.typed(title)];
        if (random() < 0.4) rows.push(random() < 0.5 ? [] : this.typed(title));
        fake.insertRows(id, title, before, rows);
        return true;
      }
      case "appendRows": {
        fake.insertRows(id, title, last + 1, [this.typed(title)]);
        return true;
      }
      case "deleteRows": {
        const tagCol = col("tag");
        const candidates: number[] = [];
        recs.rows.forEach((r, i) => {
          if (i + 2 > last) return;
          const tag = tagCol < 0 ? "" : (r["tag"] ?? "");
          if (isBlankRecord(r) || this.insertedThisRun.has(tag)) candidates.push(i + 2);
        });
        const row = this.pick(candidates);
        if (row === undefined) return false;
        this.expected.get(title)?.delete(recs.rows[row - 2]?.["tag"] ?? "");
        fake.deleteRows(id, title, row);
        return true;
      }
      case "sortRows": {
        const name = this.pick(this.o.sortable[title]?.filter((c) => col(c) >= 0) ?? []);
        if (name === undefined) return false;
        fake.sortRows(id, title, columnLetters(col(name)), random() < 0.5 ? "asc" : "desc");
        return true;
      }
      case "editCell": {
        const name = this.pick(this.o.editable[title]?.filter((c) => col(c) >= 0) ?? []);
        const rows = recs.rows.map((r, i) => ({ r, i })).filter(({ r }) => (r["tag"] ?? "") !== "");
        const target = this.pick(rows);
        if (name === undefined || target === undefined) return false;
        const value = `typed meanwhile ${Math.floor(random() * 1e6)}`;
        const tab = this.tab(title);
        const row = tab.rows[target.i + 1] ?? [];
        tab.rows[target.i + 1] = row;
        row[col(name)] = seedCell(value, "RAW") ?? undefined;
        const exp = this.expected.get(title)?.get(target.r["tag"] as string);
        if (exp) exp[name] = value;
        return true;
      }
      case "moveColumn": {
        const width = recs.header.length;
        if (width < 2) return false;
        const from = Math.floor(random() * width);
        let to = Math.floor(random() * (width - 1));
        if (to >= from) to++;
        moveColumn(this.tab(title), from, to);
        return true;
      }
      case "insertColumn": {
        const at = Math.floor(random() * (recs.header.length + 1));
        fake.insertColumns(id, title, columnLetters(at));
        return true;
      }
    }
  }
}

/** The cells of a record outside the output columns (the user's), without empty ones. */
export function userCells(r: Record<string, string>, outputs: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).filter(([k, v]) => !outputs.has(k) && v !== ""));
}

/** What Sheets' "move column" does: the column's cells, header included, go to another index. */
function moveColumn(tab: Tab, from: number, to: number): void {
  for (let r = 0; r < tab.rows.length; r++) {
    const row = tab.rows[r];
    if (!row) continue;
    const cells = Array.from({ length: Math.max(row.length, from + 1, to + 1) }, (_, i) => row[i]);
    const [cell] = cells.splice(from, 1);
    cells.splice(to, 0, cell);
    tab.rows[r] = cells;
  }
}
