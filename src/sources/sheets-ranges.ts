/**
 * Turns a tab's cell writes into the `data` of `values.batchUpdate` requests: cells of adjacent rows are
 * merged into rectangles (a cell that must not change is JSON `null`, which Sheets skips), and the
 * rectangles are split into requests whose body stays under a byte budget (Google recommends 2 MB).
 * Pure: no I/O.
 */
import { rangeA1 } from "./a1.ts";
import type { CellWrite } from "./write-plan.ts";

export interface ValueRangeData {
  range: string;
  values: (string | number | null)[][];
}

export interface WriteChunk {
  data: ValueRangeData[];
  /** The JSON size of the request body for this chunk (bytes). */
  bytes: number;
}

/** Bytes of the body around `data` entries: `{"valueInputOption":"RAW","data":[...]}`. */
const ENVELOPE_BYTES = 64;

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

interface Block {
  firstRow: number;
  firstCol: number;
  lastCol: number;
  rows: Map<number, string | number>[];
}

/**
 * Groups a tab's writes into rectangles: one per run of consecutive rows (`""` clears a cell; numbers are
 * written as numbers, strings as text, RAW). A later write of the same cell wins.
 */
export function rectangles(tab: string, writes: readonly CellWrite[]): ValueRangeData[] {
  const rows = new Map<number, Map<number, string | number>>();
  for (const w of writes) {
    const cells = rows.get(w.row) ?? new Map<number, string | number>();
    rows.set(w.row, cells);
    cells.set(w.col, w.value);
  }
  const out: ValueRangeData[] = [];
  const numbers = [...rows.keys()].sort((a, b) => a - b);
  let block: Block | null = null;
  const flush = () => {
    if (!block) return;
    const b = block;
    const values = b.rows.map((cells) => {
      const line: (string | number | null)[] = [];
      for (let c = b.firstCol; c <= b.lastCol; c++)
        line.push(cells.has(c) ? (cells.get(c) as string | number) : null);
      // Trailing nulls carry nothing.
      while (line.length > 0 && line[line.length - 1] === null) line.pop();
      return line;
    });
    out.push({
      range: rangeA1(tab, b.firstRow, b.firstRow + b.rows.length - 1, b.firstCol, b.lastCol),
      values,
    });
  };
  for (const row of numbers) {
    const cells = rows.get(row) as Map<number, string | number>;
    const cols = [...cells.keys()];
    const lo = Math.min(...cols);
    const hi = Math.max(...cols);
    if (block && row === block.firstRow + block.rows.length) {
      block.firstCol = Math.min(block.firstCol, lo);
      block.lastCol = Math.max(block.lastCol, hi);
      block.rows.push(cells);
      continue;
    }
    flush();
    block = { firstRow: row, firstCol: lo, lastCol: hi, rows: [cells] };
  }
  flush();
  return out;
}

/** Splits a rectangle into row bands no bigger than `budget` bytes each. */
function splitRows(d: ValueRangeData, budget: number): ValueRangeData[] {
  const m = /!([A-Z]+)(\d+)(?::([A-Z]+)\d+)?$/.exec(d.range);
  if (!m) return [d];
  const firstRow = Number(m[2]);
  const firstColLetters = m[1] as string;
  const lastColLetters = m[3] ?? firstColLetters;
  const parts: ValueRangeData[] = [];
  let start = 0;
  let size = 0;
  const emit = (end: number) => {
    if (end <= start) return;
    const r1 = firstRow + start;
    const r2 = firstRow + end - 1;
    const quoted = d.range.slice(0, d.range.lastIndexOf("!"));
    const a = `${firstColLetters}${r1}`;
    const b = `${lastColLetters}${r2}`;
    parts.push({ range: `${quoted}!${a === b ? a : `${a}:${b}`}`, values: d.values.slice(start, end) });
  };
  for (let i = 0; i < d.values.length; i++) {
    const line = jsonBytes(d.values[i]) + 1;
    if (size + line > budget && i > start) {
      emit(i);
      start = i;
      size = 0;
    }
    size += line;
  }
  emit(d.values.length);
  return parts;
}

/**
 * Packs rectangles into as few requests as fit the budget (default 2,000,000 bytes per body), keeping
 * their order. A rectangle too big on its own is split by rows.
 */
export function chunkWrites(data: readonly ValueRangeData[], budget = 2_000_000): WriteChunk[] {
  const pieces: ValueRangeData[] = [];
  const room = budget - ENVELOPE_BYTES;
  for (const d of data) {
    if (jsonBytes(d) + 1 <= room) pieces.push(d);
    else pieces.push(...splitRows(d, room - jsonBytes(d.range) - 32));
  }
  const chunks: WriteChunk[] = [];
  let current: ValueRangeData[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const p of pieces) {
    const size = jsonBytes(p) + 1;
    if (current.length > 0 && bytes + size > budget) {
      chunks.push({ data: current, bytes });
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(p);
    bytes += size;
  }
  if (current.length > 0) chunks.push({ data: current, bytes });
  return chunks;
}
