/**
 * CSV source at scale: generate a videos CSV (default 100,000 rows) in a temp dir, read it through
 * `CsvSource.read()` and `coerceCampaign`, then one write-back of 1,000 patches. Reports times and peak RSS
 * in the `csv-read` section of BENCHMARKS.md.
 *
 *   npx tsx bench/csv-read.ts [rows]
 */

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { coerceCampaign } from "../src/sources/coerce.ts";
import { CsvSource } from "../src/sources/csv.ts";
import type { CellPatch } from "../src/sources/types.ts";
import { machineLines, report } from "./report.ts";
import { writeVideosCsv } from "./videos-csv.ts";

const rows = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(path.join(tmpdir(), "bench-csv-"));
const file = path.join(dir, "videos.csv");

const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

try {
  await writeVideosCsv(file, rows);
  const sizeMb = statSync(file).size / 1024 / 1024;
  const rssBefore = peakRssMb();

  const source = new CsvSource({ videosPath: file });
  const t0 = performance.now();
  const tables = await source.read();
  const t1 = performance.now();
  const typed = coerceCampaign(tables);
  const t2 = performance.now();
  const rssAfterRead = peakRssMb();
  if (tables.videos.length !== rows) throw new Error(`read ${tables.videos.length} rows, expected ${rows}`);
  if (tables.problems.length + typed.problems.length > 0)
    throw new Error("unexpected problems in generated file");

  // One write-back: 1,000 rows spread through the file get an id and a status.
  const patches: CellPatch[] = [];
  for (let i = 0; i < rows; i += Math.max(1, Math.floor(rows / 1000))) {
    patches.push({
      key: { table: "videos", bundleRef: `b${Math.floor(i / 10)}`, videoRef: `v${i}` },
      values: { video_id: `id-${i}`, sync_status: "synced" },
    });
  }
  const t3 = performance.now();
  const written = await tables.write(patches);
  const t4 = performance.now();
  const rssEnd = peakRssMb();
  if (written.cellsWritten !== patches.length * 2) throw new Error(`wrote ${written.cellsWritten} cells`);

  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const body = `## CSV source: read, coerce, write-back

\`npx tsx bench/csv-read.ts ${rows}\`: a generated videos CSV (${rows.toLocaleString("en-US")} rows, CRLF, ${sizeMb.toFixed(1)} MB,
every 5th description quoted with commas and quotes, every 11th row with a quoted two-line note) read
through \`CsvSource.read()\` (papaparse streaming) and \`coerceCampaign\`, then one \`snapshot.write()\` of
${patches.length.toLocaleString("en-US")} patches (2 cells each, two new output columns): lock, re-read, locate by ref, atomic rewrite.

${machineLines().join("\n")}

| step | result |
|---|---:|
| read (stream + rows) | ${ms(t1 - t0)} |
| coerce (typed rows, duplicate checks) | ${ms(t2 - t1)} |
| read + coerce, rows/s | ${Math.round(rows / ((t2 - t0) / 1000)).toLocaleString("en-US")} |
| write-back of ${patches.length.toLocaleString("en-US")} patches | ${ms(t4 - t3)} |
| peak RSS after generating the file | ${rssBefore.toFixed(0)} MB |
| peak RSS after read + coerce | ${rssAfterRead.toFixed(0)} MB |
| peak RSS after write-back | ${rssEnd.toFixed(0)} MB |
`;
  report("csv-read", [body]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
