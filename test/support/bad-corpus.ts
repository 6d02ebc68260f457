/**
 * fixtures/bad/cases.json, typed: read by test/sources/bad-corpus.test.ts (the parser's and coercion's
 * messages) and test/reliability/bad-input.test.ts (a whole sync of each case).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ColumnAliases } from "../../src/sources/index.ts";
import type { TableName } from "../../src/sources/types.ts";

export const CORPUS_DIR = fileURLToPath(new URL("../../fixtures/bad/", import.meta.url));

export interface ExpectedMessage {
  table: TableName;
  rowNumber?: number;
  column?: string;
  messageIncludes: string;
  fatal?: boolean;
}

export interface BadCase {
  name: string;
  about: string;
  bundles?: string;
  videos: string;
  options?: { date_format?: "DD/MM/YYYY" | "MM/DD/YYYY"; delimiter?: string; columns?: ColumnAliases };
  /** What the parser and coercion report. */
  expected: ExpectedMessage[];
  /** Rows per table that read without a problem. */
  validRows: Partial<Record<TableName, number>>;
  /** What a whole sync of the case gives. */
  sync: {
    exit: 0 | 1 | 2;
    /** Rows (bundles and videos) whose sync_status is `synced` in the written CSV files. */
    synced: number;
    /** Messages only the sync engine gives (desired state, planner), on top of `expected`. */
    expected: ExpectedMessage[];
    /** A known gap: rows whose message is printed but cannot be written to their row (and why). */
    notInSheet?: { rows: number[]; why: string };
    /** Rows whose written cells must hold this status and message (e.g. rows written by row number). */
    inSheet?: { table: TableName; rowNumber: number; sync_status: string; messageIncludes: string }[];
  };
}

export function readCorpus(): BadCase[] {
  const text = readFileSync(path.join(CORPUS_DIR, "cases.json"), "utf8");
  return (JSON.parse(text) as { cases: BadCase[] }).cases;
}
