import { describe, expect, it } from "vitest";
import { coerceCampaign } from "../../src/sources/coerce.ts";
import { createSource } from "../../src/sources/index.ts";
import type { TableName } from "../../src/sources/types.ts";
import { CORPUS_DIR, readCorpus } from "../support/bad-corpus.ts";

const root = CORPUS_DIR;
const manifest = { cases: readCorpus() };

interface Found {
  table: TableName;
  rowNumber?: number;
  column?: string;
  message: string;
  fatal: boolean;
}

describe("the bad-input corpus", () => {
  it("has at least 25 cases, each with its files", () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(25);
    expect(new Set(manifest.cases.map((c) => c.name)).size).toBe(manifest.cases.length);
  });

  it.each(manifest.cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const source = createSource(
      {
        type: "csv",
        videos: c.videos,
        ...(c.bundles ? { bundles: c.bundles } : {}),
        ...(c.options?.date_format ? { date_format: c.options.date_format } : {}),
        ...(c.options?.delimiter ? { delimiter: c.options.delimiter } : {}),
        ...(c.options?.columns ? { columns: c.options.columns } : {}),
      },
      { baseDir: root },
    );
    // Nothing throws: every problem comes back as data.
    const tables = await source.read();
    const typed = coerceCampaign(tables, c.options?.date_format ? { dateFormat: c.options.date_format } : {});
    const found: Found[] = [...tables.problems, ...typed.problems.map((p) => ({ ...p, fatal: false }))];

    for (const e of c.expected) {
      const match = found.find(
        (f) =>
          f.table === e.table &&
          f.rowNumber === e.rowNumber &&
          f.column === e.column &&
          f.message.includes(e.messageIncludes) &&
          (e.fatal === undefined || f.fatal === e.fatal),
      );
      expect(match, `expected ${JSON.stringify(e)} among ${JSON.stringify(found, null, 1)}`).toBeDefined();
    }
    // No problem that the manifest does not list.
    expect(found.length, JSON.stringify(found, null, 1)).toBe(c.expected.length);

    // Every message names its row and its column, so a sheet user can find it.
    for (const f of found) {
      if (f.rowNumber !== undefined) expect(f.message.toLowerCase()).toContain(`row ${f.rowNumber}`);
      if (f.column !== undefined) expect(f.message.toLowerCase()).toContain(f.column.toLowerCase());
      if (f.rowNumber === undefined) expect(f.message).toMatch(/\.csv|config/);
    }

    // Valid rows beside bad ones still come through.
    const valid = (rows: { input: unknown; problems: unknown[] }[]) =>
      rows.filter((r) => r.input !== null && r.problems.length === 0).length;
    if (c.validRows.videos !== undefined) expect(valid(typed.videos)).toBe(c.validRows.videos);
    if (c.validRows.bundles !== undefined) expect(valid(typed.bundles)).toBe(c.validRows.bundles);
  });
});
