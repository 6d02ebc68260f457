import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

/**
 * A fresh temporary directory for one test file, removed after its tests, and `file(content)` writing a
 * new uniquely named CSV in it. Call at module level of a test file.
 */
export function tempCsvFiles(prefix: string): { dir: string; file: (content: string | Buffer) => string } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (content: string | Buffer): string => {
    const p = path.join(dir, `f${n++}.csv`);
    writeFileSync(p, content);
    return p;
  };
  return { dir, file };
}
