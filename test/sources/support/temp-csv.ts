import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

type WriteFile = (content: string | Buffer) => string;

/**
 * A fresh temporary directory for one test file, removed after its tests, and `file(content)` writing a
 * new uniquely named CSV in it. `agedFile` writes one last saved an hour ago: a read of it knows which
 * version of the file it saw (src/sources/csv-version.ts), which one saved just now is too recent to tell.
 * Call at module level of a test file.
 */
export function tempCsvFiles(prefix: string): { dir: string; file: WriteFile; agedFile: WriteFile } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (content: string | Buffer): string => {
    const p = path.join(dir, `f${n++}.csv`);
    writeFileSync(p, content);
    return p;
  };
  const agedFile = (content: string | Buffer): string => {
    const p = file(content);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(p, hourAgo, hourAgo);
    return p;
  };
  return { dir, file, agedFile };
}
