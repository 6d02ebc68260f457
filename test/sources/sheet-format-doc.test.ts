/**
 * docs/sheet-format.md carries a column reference generated from the catalogue: this fails when the two
 * drift apart. UPDATE_SHEET_FORMAT=1 rewrites the generated section instead.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findingCodesMarkdown } from "../../src/findings/docs.ts";
import { CATALOGUE } from "../../src/findings/index.ts";
import { columnReferenceMarkdown } from "../../src/sources/column-docs.ts";
import { knownColumns, SYNC_STATUSES } from "../../src/sources/columns.ts";

const DOC = path.resolve("docs/sheet-format.md");
function generatedSection(
  doc: string,
  START = "<!-- columns:start -->",
  END = "<!-- columns:end -->",
): { before: string; section: string; after: string } {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  expect(a, `${START} marker in ${DOC}`).toBeGreaterThanOrEqual(0);
  expect(b, `${END} marker after ${START}`).toBeGreaterThan(a);
  return {
    before: doc.slice(0, a + START.length),
    section: doc.slice(a + START.length, b),
    after: doc.slice(b),
  };
}

describe("docs/sheet-format.md", () => {
  it("has the column reference generated from the catalogue", () => {
    let doc = readFileSync(DOC, "utf8");
    const expected = `\n${columnReferenceMarkdown()}\n`;
    if (process.env["UPDATE_SHEET_FORMAT"] === "1") {
      const { before, after } = generatedSection(doc);
      doc = `${before}${expected}${after}`;
      writeFileSync(DOC, doc);
    }
    expect(generatedSection(doc).section).toBe(expected);
  });

  it("lists every column of every table mode, and every sync_status value", () => {
    const section = generatedSection(readFileSync(DOC, "utf8")).section;
    const modes = [
      { table: "bundles" as const },
      { table: "videos" as const },
      { table: "videos" as const, singleTable: true },
    ];
    for (const mode of modes) {
      for (const column of knownColumns(mode)) expect(section).toContain(`| \`${column}\``);
    }
    const doc = readFileSync(DOC, "utf8");
    for (const status of SYNC_STATUSES) expect(doc).toContain(`| \`${status}\` |`);
  });

  it("lists every finding code, generated from the findings catalogue", () => {
    const markers = ["<!-- codes:start -->", "<!-- codes:end -->"] as const;
    let doc = readFileSync(DOC, "utf8");
    const expected = `\n${findingCodesMarkdown()}\n`;
    if (process.env["UPDATE_SHEET_FORMAT"] === "1") {
      const { before, after } = generatedSection(doc, ...markers);
      doc = `${before}${expected}${after}`;
      writeFileSync(DOC, doc);
    }
    const section = generatedSection(doc, ...markers).section;
    expect(section).toBe(expected);
    for (const code of Object.keys(CATALOGUE)) expect(section).toContain(`| \`${code}\` |`);
  });
});
