/**
 * CSV files as grids, both ways. Reading streams the file through papaparse (so 100,000 rows never sit in
 * memory as one string unless a write needs the exact text); writing re-emits every untouched record
 * byte for byte and rebuilds only the records that change.
 */

import { createReadStream, promises as fsp } from "node:fs";
import { Readable } from "node:stream";
import Papa from "papaparse";
import { columnLetters } from "./a1.ts";
import type { SourceProblem, TableName } from "./types.ts";

export type CsvDelimiter = "," | ";" | "\t" | "|";
export const CSV_DELIMITERS: readonly CsvDelimiter[] = [",", ";", "\t", "|"];

export interface CsvFormat {
  delimiter: CsvDelimiter;
  newline: "\n" | "\r\n";
  /** The file starts with a UTF-8 byte order mark (Excel's "CSV UTF-8" does this); kept on write. */
  bom: boolean;
}

export interface CsvGrid {
  /** `grid[i]` is record i (the sheet's row i + 1); a record papaparse could not read is `[]`. */
  grid: string[][];
  /**
   * Where each record ends in the file's text (BOM left out), line ending included: record i is the text
   * from `ends[i - 1]` (0 for the first) to `ends[i]`, and the last one runs to the end of the file.
   */
  ends: number[];
  format: CsvFormat;
  problems: SourceProblem[];
  /** With `keepRaw`: each record's exact text, line ending included; their concatenation is the file (minus BOM). */
  raw?: string[];
  /** With `keepRaw`: each record as papaparse read it (also for records left out of `grid`). */
  records?: string[][];
}

export interface ReadCsvOptions {
  table: TableName;
  /** How the file is named in messages. */
  displayName: string;
  delimiter?: CsvDelimiter;
  keepRaw?: boolean;
}

const HEAD_BYTES = 64 * 1024;
const SAVE_AS =
  'open it in your spreadsheet app and save it as "CSV UTF-8 (comma delimited)", then run again';

/** Accepts the config spellings of a delimiter: `,` `;` `|` and a tab as `\t` or `tab`. */
export function parseDelimiterOption(value: string | undefined): CsvDelimiter | undefined {
  if (value === undefined || value === "") return undefined;
  const v = value.toLowerCase() === "tab" || value === "\\t" ? "\t" : value;
  if ((CSV_DELIMITERS as readonly string[]).includes(v)) return v as CsvDelimiter;
  throw new Error(`csv delimiter must be one of , ; | tab (got ${JSON.stringify(value)})`);
}

/** Counts each candidate outside quotes in the first non-blank line; the most frequent wins (`,` on a tie at 0). */
export function detectDelimiter(head: string): CsvDelimiter {
  const line = head.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  const counts = new Map<CsvDelimiter, number>(CSV_DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch as CsvDelimiter))
      counts.set(ch as CsvDelimiter, counts.get(ch as CsvDelimiter)! + 1);
  }
  let best: CsvDelimiter = ",";
  for (const d of CSV_DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

function fatal(opts: ReadCsvOptions, message: string): SourceProblem {
  return { table: opts.table, message, fatal: true };
}

interface Head {
  format: CsvFormat;
}

export async function inspectHead(path: string, opts: ReadCsvOptions): Promise<Head | SourceProblem> {
  let buf: Buffer;
  try {
    const fh = await fsp.open(path, "r");
    try {
      const b = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(b, 0, HEAD_BYTES, 0);
      buf = b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      return fatal(opts, `${opts.displayName} does not exist; check the ${opts.table} path in the config.`);
    }
    return fatal(
      opts,
      `${opts.displayName} cannot be read (${code ?? "error"}); check the file and its permissions.`,
    );
  }
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    return fatal(
      opts,
      `${opts.displayName} is encoded as UTF-16, which this tool does not read; ${SAVE_AS}.`,
    );
  }
  if (buf.includes(0)) {
    return fatal(
      opts,
      `${opts.displayName} contains NUL bytes: it is not a UTF-8 text file (perhaps UTF-16 or a spreadsheet saved as .csv); ${SAVE_AS}.`,
    );
  }
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  // A multi-byte character may be cut at the end of the head: decode leniently, this is only for sniffing.
  const head = new TextDecoder("utf-8").decode(bom ? buf.subarray(3) : buf);
  const nl = head.indexOf("\n");
  const newline = nl > 0 && head[nl - 1] === "\r" ? "\r\n" : "\n";
  return { format: { delimiter: opts.delimiter ?? detectDelimiter(head), newline, bom } };
}

export class BadEncoding extends Error {
  constructor(readonly line: number) {
    super("invalid UTF-8");
  }
}

/** The file as UTF-8 text chunks, BOM removed; throws `BadEncoding` naming the line of the first bad byte. */
export async function* utf8Chunks(
  path: string,
  bom: boolean,
  chunkBytes = 256 * 1024,
): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let line = 1;
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes })) {
    const bytes = chunk as Buffer;
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      const at = firstInvalidUtf8(bytes);
      let newlines = 0;
      for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) newlines++;
      throw new BadEncoding(line + newlines);
    }
    if (first && text !== "") {
      if (bom && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    line += countNewlines(text);
    if (text !== "") yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw new BadEncoding(line);
  }
  if (rest !== "") yield rest;
}

/**
 * Where the first byte that cannot be UTF-8 is, in a chunk the strict decoder refused (for the line number
 * in the message). Leading continuation bytes finish a character begun in the previous chunk. Checks lead
 * and continuation bytes only; if that finds nothing, the chunk's start is blamed.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < 3 && i < bytes.length && (bytes[i]! & 0xc0) === 0x80) i++;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0) return i;
    for (let k = 1; k < len; k++) {
      if (i + k >= bytes.length) return bytes.length;
      if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += len;
  }
  return 0;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/** Reads a CSV file into a grid (streaming), with whole-file and per-record problems. Never throws for bad input. */
export async function readCsvGrid(path: string, opts: ReadCsvOptions): Promise<CsvGrid> {
  const head = await inspectHead(path, opts);
  const fallbackFormat: CsvFormat = { delimiter: opts.delimiter ?? ",", newline: "\n", bom: false };
  if (!("format" in head)) return { grid: [], ends: [], format: fallbackFormat, problems: [head] };
  const { format } = head;
  const grid: string[][] = [];
  const problems: SourceProblem[] = [];
  const chunks: string[] = [];
  const ends: number[] = [];
  const records: string[][] = [];
  let badEncoding: BadEncoding | null = null;
  let tail = "";
  const shared = new SharedCells();
  let pastHeader = false;

  async function* source(): AsyncGenerator<string> {
    try {
      for await (const text of utf8Chunks(path, format.bom)) {
        if (opts.keepRaw) chunks.push(text);
        if (text.length > 0) tail = (tail + text).slice(-2);
        yield text;
      }
    } catch (err) {
      if (err instanceof BadEncoding) badEncoding = err;
      else throw err;
    }
  }

  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(Readable.from(source()), {
      delimiter: format.delimiter,
      newline: format.newline,
      skipEmptyLines: false,
      step(results) {
        const rowNumber = grid.length + 1;
        const data = results.data;
        ends.push(results.meta.cursor);
        if (opts.keepRaw) records.push(data);
        if (results.errors.length > 0) {
          const header = grid.find((r) => r.some((c) => c.trim() !== ""));
          problems.push(recordProblem(opts, rowNumber, results.errors, data.length - 1, header));
          grid.push([]);
          return;
        }
        shared.dedupe(data);
        // Up to the header (the first record with a cell), records are kept whole: the header's own
        // width says which cells of a row have no column.
        if (opts.keepRaw || !pastHeader) {
          pastHeader = data.some((c) => c.trim() !== "");
          grid.push(opts.keepRaw ? data : data.slice());
        } else grid.push(kept(data));
      },
      complete: () => resolve(),
      error: (err: Error) => reject(err),
    });
  });

  if (badEncoding !== null) {
    const line = (badEncoding as BadEncoding).line;
    return {
      grid: [],
      ends: [],
      format,
      problems: [
        fatal(
          opts,
          `${opts.displayName} is not UTF-8 text (line ${line} has bytes of another encoding, such as Latin-1 or Windows-1252); ${SAVE_AS}.`,
        ),
      ],
    };
  }
  // A CRLF file whose last line ends in a bare LF (an editor appended it): papaparse, told the newline is
  // CRLF, keeps that LF in the last cell. It is a line ending, not data.
  const last = grid.at(-1);
  if (format.newline === "\r\n" && tail.at(-1) === "\n" && tail !== "\r\n" && last && last.length > 0) {
    last[last.length - 1] = last[last.length - 1]!.replace(/\n$/, "");
  }
  const out: CsvGrid = { grid, ends, format, problems };
  if (opts.keepRaw) {
    const text = chunks.join("");
    const raw: string[] = [];
    let prev = 0;
    for (const c of ends) {
      raw.push(text.slice(prev, c));
      prev = c;
    }
    // Anything after the last cursor (papaparse drops a trailing line ending) belongs to the last record.
    if (prev < text.length) {
      if (raw.length === 0) raw.push(text.slice(prev));
      else raw[raw.length - 1] += text.slice(prev);
    }
    out.raw = raw;
    out.records = records;
  }
  return out;
}

/**
 * `lastField` is the index of the record's last parsed field. A quote that is never closed swallows the rest
 * of the file into one field, so that field — the last — is the cell where the quote opened: it is named.
 * A misplaced quote that is closed later gives no such certainty about the cell, so only its row is named.
 */
function recordProblem(
  opts: ReadCsvOptions,
  rowNumber: number,
  errors: readonly Papa.ParseError[],
  lastField: number,
  header: readonly string[] | undefined,
): SourceProblem {
  const base = { table: opts.table, rowNumber, fatal: false };
  const codes = new Set(errors.map((e) => e.code));
  const unclosed = codes.has("MissingQuotes") && lastField >= 0;
  const letter = columnLetters(lastField);
  const name = header?.[lastField]?.trim();
  const cell = unclosed ? `, column ${letter}${name ? ` ("${name}")` : ""},` : "";
  const at = unclosed ? { ...base, column: letter } : base;
  const where = `Row ${rowNumber}${cell} of ${opts.displayName}`;
  const rest = `so everything from row ${rowNumber} to the end of the file was read as one cell and is skipped`;
  const rule =
    'a quoted cell must end with a quote followed by the delimiter, and a quote inside it is written twice ("")';
  if (codes.has("InvalidQuotes")) {
    return codes.has("MissingQuotes")
      ? { ...at, message: `${where} has a quote (") in the wrong place, ${rest}; ${rule}.` }
      : { ...base, message: `${where} has a quote (") in the wrong place; ${rule}. The row is skipped.` };
  }
  if (codes.has("MissingQuotes")) {
    return {
      ...at,
      message: `${where} opens a quote (") that is never closed, ${rest}; close the quote or remove it.`,
    };
  }
  const detail = errors.map((e) => e.message).join("; ");
  return {
    ...base,
    message: `${where} cannot be read (${detail}); fix the row's quoting and delimiters. The row is skipped.`,
  };
}

/** Quotes a field when a CSV reader would otherwise misread it. */
export function quoteField(value: string, delimiter: CsvDelimiter): string {
  const needs =
    value.includes('"') ||
    value.includes(delimiter) ||
    value.includes("\n") ||
    value.includes("\r") ||
    value !== value.trim();
  return needs ? `"${value.replaceAll('"', '""')}"` : value;
}

function splitTerminator(record: string): { body: string; term: string } {
  if (record.endsWith("\r\n")) return { body: record.slice(0, -2), term: "\r\n" };
  if (record.endsWith("\n") || record.endsWith("\r"))
    return { body: record.slice(0, -1), term: record.slice(-1) };
  return { body: record, term: "" };
}

/**
 * A record's text split into its fields' exact text (quotes included), or null when the record is not
 * plain RFC 4180 (then it is rebuilt from its values instead).
 */
export function splitRawRecord(body: string, delimiter: CsvDelimiter): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let end: number;
    if (body[i] === '"') {
      let j = i + 1;
      for (;;) {
        const k = body.indexOf('"', j);
        if (k < 0) return null;
        if (body[k + 1] === '"') {
          j = k + 2;
          continue;
        }
        end = k + 1;
        break;
      }
      if (end < body.length && !body.startsWith(delimiter, end)) return null;
    } else {
      const k = body.indexOf(delimiter, i);
      end = k < 0 ? body.length : k;
    }
    fields.push(body.slice(i, end));
    if (end >= body.length) return fields;
    i = end + delimiter.length;
    if (i === body.length) {
      fields.push("");
      return fields;
    }
  }
}

function unquote(field: string): string {
  return field.startsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field;
}

export interface CsvEdit {
  rowIndex: number;
  colIndex: number;
  value: string;
}

/**
 * The file's new text: records without edits are copied exactly; edited records keep the exact text of
 * their other fields. `raw`/`records` come from `readCsvGrid(..., { keepRaw: true })`.
 */
export function renderCsv(
  raw: readonly string[],
  records: readonly string[][],
  format: CsvFormat,
  edits: readonly CsvEdit[],
): string {
  const byRow = new Map<number, CsvEdit[]>();
  for (const e of edits) {
    const list = byRow.get(e.rowIndex) ?? [];
    list.push(e);
    byRow.set(e.rowIndex, list);
  }
  const out: string[] = format.bom ? ["\uFEFF"] : [];
  for (let i = 0; i < raw.length; i++) {
    out.push(renderRecord(raw[i]!, records[i] ?? [], format, byRow.get(i), i === raw.length - 1));
  }
  return out.join("");
}

/**
 * One record's new text (`raw` itself without edits); the last record may lack a line ending. `values` are
 * the record's cells, trailing empty ones possibly left out (as a grid row keeps them).
 */
export function renderRecord(
  raw: string,
  values: readonly string[],
  format: CsvFormat,
  rowEdits: readonly CsvEdit[] | undefined,
  last: boolean,
): string {
  if (!rowEdits) return raw;
  const { body, term } = splitTerminator(raw);
  let fields = body === "" ? [] : splitRawRecord(body, format.delimiter);
  if (
    fields &&
    body !== "" &&
    (values.length > fields.length || fields.some((f, k) => unquote(f) !== (values[k] ?? "")))
  ) {
    fields = null;
  }
  // Rebuilt from the values: as many cells as the record has, trailing empty ones included, so a row does
  // not end shorter whether its values came from papaparse or from a grid row.
  const cells =
    fields ?? padded(values, recordWidth(body, format)).map((v) => quoteField(v, format.delimiter));
  for (const e of rowEdits) {
    while (cells.length <= e.colIndex) cells.push("");
    cells[e.colIndex] = quoteField(e.value, format.delimiter);
  }
  return cells.join(format.delimiter) + (term === "" && !last ? format.newline : term);
}

/** How many fields papaparse reads in one record's text (without its line ending). */
function recordWidth(body: string, format: CsvFormat): number {
  if (body === "") return 0;
  const parsed = Papa.parse<string[]>(body, { delimiter: format.delimiter, newline: format.newline });
  return parsed.data[0]?.length ?? 0;
}

function padded(values: readonly string[], width: number): readonly string[] {
  return values.length >= width ? values : [...values, ...new Array<string>(width - values.length).fill("")];
}

/**
 * A record after the header as the grid keeps it for the whole run: a copy of exactly its length
 * (papaparse grows each row by push, leaving spare room), without its trailing empty cells. A sheet
 * `init` laid out has 48 columns, most of them empty until synced; a grid row is read as the Sheets API
 * returns one, where a missing cell is an empty one (`?? ""` wherever a cell is read).
 */
function kept(cells: readonly string[]): string[] {
  let n = cells.length;
  while (n > 0 && cells[n - 1] === "") n--;
  return cells.slice(0, n);
}

/**
 * One string for each short value a file repeats (a bundle_ref on each of its videos rows, "video", "yes",
 * a date): papaparse copies every short cell, and a 100,000-row file holds a few hundred thousand equal
 * copies. Long cells are slices of the read chunk and cost nothing to keep. Lives for one read only.
 */
class SharedCells {
  private readonly seen = new Map<string, string>();

  dedupe(cells: string[]): void {
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i]!;
      if (cell.length === 0 || cell.length > SHARED_CELL_MAX_LENGTH) continue;
      const same = this.seen.get(cell);
      if (same !== undefined) cells[i] = same;
      else if (this.seen.size < SHARED_CELLS_MAX) this.seen.set(cell, cell);
    }
  }
}
const SHARED_CELL_MAX_LENGTH = 12;
const SHARED_CELLS_MAX = 100_000;
