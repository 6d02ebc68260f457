/**
 * Which version of a CSV file a read saw, so that the write-back can tell whether the file is still the
 * one the run read. A save replaces or rewrites the file, which changes its size, its modification time, its
 * inode or its change time (`Stamp`); the change time is the system's own, which no tool can set back.
 *
 * While the file is still that version, the write-back (csv-rewrite.ts) parses nothing again: its first
 * pass walks the grid the read kept instead of the file, and its rewrite cuts the file's text into records
 * where the read found them to end. Two rules keep that safe:
 * - The file must be the same before and after the read (nothing saved it while it streamed past).
 * - Its last save must be older than the read by more than the coarsest modification-time granularity of
 *   a common file system (FAT's 2 s): a later save of the same size could otherwise keep the same time and
 *   go unnoticed. A file saved just before the run is read again, as any file was before.
 */
import { promises as fsp, type Stats } from "node:fs";
import type { CsvFormat, CsvGrid } from "./csv-file.ts";

export type Stamp = Pick<Stats, "size" | "mtimeMs" | "ctimeMs" | "ino">;

export const stampOf = (s: Stats): Stamp => ({
  size: s.size,
  mtimeMs: s.mtimeMs,
  ctimeMs: s.ctimeMs,
  ino: s.ino,
});
export const sameStamp = (a: Stamp, b: Stamp): boolean =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;

/** The file's stamp now; null when it cannot be read. */
export async function stampNow(file: string): Promise<Stamp | null> {
  return fsp.stat(file).then(stampOf, () => null);
}

/** The version of the file a read's grid is, exactly: its stamp, the format it was read in, and where its records end. */
export interface ReadVersion {
  stamp: Stamp;
  format: CsvFormat;
  /** `CsvGrid.ends` of the read. */
  ends: readonly number[];
}

/** Modification times are this coarse on FAT; every other common file system is finer. */
export const COARSEST_MTIME_MS = 2_000;

/**
 * Runs `read` of `file` and says which version of the file its grid is; null when the read failed, the
 * file changed while it was read, or it was saved too recently to tell a later save apart (see above).
 */
export async function readVersioned(
  file: string,
  read: () => Promise<CsvGrid>,
  now: () => number = Date.now,
): Promise<{ csv: CsvGrid; version: ReadVersion | null }> {
  const startedAt = now();
  const before = await stampNow(file);
  const csv = await read();
  if (!before || csv.problems.some((p) => p.fatal) || before.mtimeMs > startedAt - COARSEST_MTIME_MS)
    return { csv, version: null };
  const after = await stampNow(file);
  const same = after !== null && sameStamp(before, after);
  return { csv, version: same ? { stamp: before, format: csv.format, ends: csv.ends } : null };
}
