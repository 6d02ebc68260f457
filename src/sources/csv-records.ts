/**
 * A CSV file as a stream of records, each with its exact text, for the write-back's rewrite
 * (csv-rewrite.ts): the same head sniffing, UTF-8 decoding and papaparse settings as `readCsvGrid`
 * (csv-file.ts), but nothing is kept once a record has been handed on, so a file is never whole in memory.
 */
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { BadEncoding, type CsvFormat, inspectHead, type ReadCsvOptions, utf8Chunks } from "./csv-file.ts";
import type { ReadVersion } from "./csv-version.ts";

/**
 * A parser instance of the write-back's own. V8 decides per allocation site whether new objects start
 * in the old generation: after a read, whose records all live on, papaparse's sites do; the write-back's
 * records die at once, but from those sites they would pile up in the old generation until a full GC,
 * growing the process by several times the file. Fresh sites allocate young, where they are freed cheaply.
 */
const Papa = loadOwnPapaparse();

function loadOwnPapaparse(): typeof import("papaparse") {
  const require = createRequire(import.meta.url);
  const id = require.resolve("papaparse");
  const shared = require.cache[id];
  delete require.cache[id];
  try {
    return require("papaparse") as typeof import("papaparse");
  } finally {
    if (shared) require.cache[id] = shared;
    else delete require.cache[id];
  }
}

export interface CsvRecord {
  /** 0-based: the sheet's row `index + 1`. */
  index: number;
  /** The fields as papaparse read them (also for a record it reported an error on). */
  fields: string[];
  /** False when papaparse reported an error: the record is `[]` in a grid (as `readCsvGrid` makes it). */
  ok: boolean;
  /** The record's exact text, line ending included; the concatenation of every record is the file (minus BOM). */
  raw: string;
  last: boolean;
}

/**
 * Pieces small enough that no string made from one (the decoded piece, papaparse's own joins, a rendered
 * piece) reaches V8's large-object size: those live until a full GC, so a pass over a big file would grow
 * the heap by several times the file before one ran. Text behind the held record is dropped past TRIM_AT.
 */
const CHUNK_BYTES = 32 * 1024;
const TRIM_AT = 16 * 1024;

/** The file's text as it streams in, addressed by absolute offsets; text behind `keepFrom` is let go. */
class TextWindow {
  private text = "";
  private start = 0;

  get end(): number {
    return this.start + this.text.length;
  }

  append(piece: string): void {
    this.text += piece;
  }

  slice(from: number, to = this.end): string {
    return this.text.slice(from - this.start, to - this.start);
  }

  /** Nothing before `offset` is asked for again: dropped once it is more than TRIM_AT. */
  keepFrom(offset: number): void {
    if (offset - this.start <= TRIM_AT) return;
    this.text = this.slice(offset);
    this.start = offset;
  }
}

/**
 * Calls `visit` for each record in order. `beforeChunk` runs before each next piece of the file is read, so
 * a visitor that produces output can flush it there (backpressure). Returns the file's format, or null
 * when the file cannot be read as CSV text (missing, unreadable, not UTF-8): `readCsvGrid` words why.
 */
export async function eachCsvRecord(
  path: string,
  opts: ReadCsvOptions,
  visit: (record: CsvRecord) => void,
  beforeChunk?: () => Promise<void>,
): Promise<CsvFormat | null> {
  const head = await inspectHead(path, opts);
  if (!("format" in head)) return null;
  const { format } = head;
  const text = new TextWindow();
  let tail = "";
  let bad = false;
  let index = 0;
  // One record is held back until the next arrives: only then is it known whether it is the last.
  let held: { fields: string[]; ok: boolean; start: number; end: number } | null = null;

  const release = (end: number, last: boolean) => {
    if (!held) return;
    visit({ index: index++, fields: held.fields, ok: held.ok, raw: text.slice(held.start, end), last });
  };

  async function* source(): AsyncGenerator<string> {
    try {
      for await (const chunk of utf8Chunks(path, format.bom, CHUNK_BYTES)) {
        if (beforeChunk) await beforeChunk();
        text.append(chunk);
        tail = (tail + chunk).slice(-2);
        yield chunk;
      }
    } catch (err) {
      if (err instanceof BadEncoding) bad = true;
      else throw err;
    }
  }

  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(Readable.from(source(), { highWaterMark: 1 }), {
      delimiter: format.delimiter,
      newline: format.newline,
      skipEmptyLines: false,
      step(results) {
        const start = held ? held.end : 0;
        release(start, false);
        held = { fields: results.data, ok: results.errors.length === 0, start, end: results.meta.cursor };
        text.keepFrom(start);
      },
      complete: () => resolve(),
      error: (err: Error) => reject(err),
    });
  });
  if (bad) return null;
  const end = text.end;
  if (!held) {
    // Text papaparse made no record of still belongs to the file.
    if (end > 0) visit({ index, fields: [], ok: false, raw: text.slice(0), last: true });
    return format;
  }
  const last = held as { fields: string[]; ok: boolean };
  // As in readCsvGrid: a CRLF file whose last line ends in a bare LF keeps that LF as a line ending.
  const cells = last.fields;
  if (format.newline === "\r\n" && tail.at(-1) === "\n" && tail !== "\r\n" && last.ok && cells.length > 0) {
    cells[cells.length - 1] = cells[cells.length - 1]!.replace(/\n$/, "");
  }
  release(end, true);
  return format;
}

/**
 * The records of a file that is still the version a read saw (csv-version.ts), without parsing it: each
 * record's text is cut where the read found it to end, and its cells are the read's `grid` row (trailing
 * empty cells left out, which a record's edits do not need). The same records `eachCsvRecord` yields, all
 * `ok` (a record papaparse could not read is `[]` in the grid, as `eachCsvRecord` hands it to an editor).
 * Returns the format, or null (having perhaps visited some records) when the file cannot be read now, or
 * is not cut into lines where the read found them (then it is not that version, whatever its stamp said):
 * the caller then reads the file again.
 */
export async function eachReadRecord(
  path: string,
  version: ReadVersion,
  grid: readonly (readonly string[])[],
  visit: (record: CsvRecord) => void,
  beforeChunk?: () => Promise<void>,
): Promise<CsvFormat | null> {
  const { ends, format } = version;
  const last = grid.length - 1;
  if (last < 0 || ends.length !== grid.length) return null;
  const text = new TextWindow();
  let start = 0;
  let index = 0;
  const chunks = utf8Chunks(path, format.bom, CHUNK_BYTES);
  for (;;) {
    if (beforeChunk) await beforeChunk();
    let next: IteratorResult<string>;
    try {
      next = await chunks.next();
    } catch {
      // Unreadable now (a save under way, a lock, bad bytes): the caller reads it again, which words why.
      return null;
    }
    if (next.done) break;
    text.append(next.value);
    // The last record runs to the end of the file, whatever its own end said.
    while (index < last && ends[index]! <= text.end) {
      const raw = text.slice(start, ends[index]!);
      // Every record but the last ends a line: a cut anywhere else means another text under the same stamp.
      if (!raw.endsWith("\n")) {
        await chunks.return(undefined);
        return null;
      }
      visit({ index, fields: grid[index] as string[], ok: true, raw, last: false });
      start = ends[index]!;
      index++;
    }
    text.keepFrom(start);
  }
  if (index < last) return null;
  visit({ index, fields: grid[index] as string[], ok: true, raw: text.slice(start), last: true });
  return format;
}
