/**
 * Figures the reliability suite measures (trials, rows converged, duplicates, misplaced cells, …). Tests
 * always assert on them; when RELIABILITY_FIGURES names a file (set by `npm run bench:reliability`), each
 * figure is also appended to it as one JSON line, from which bench/reliability.ts writes the reliability
 * section of BENCHMARKS.md.
 */
import { appendFileSync } from "node:fs";

export type Figures = Record<string, number | string | boolean>;

export function recordFigures(suite: string, figures: Figures): void {
  const file = process.env["RELIABILITY_FIGURES"];
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ suite, ...figures })}\n`);
}
