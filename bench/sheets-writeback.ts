/**
 * Google Sheets source at campaign sizes: one read, a first write-back of every output cell, and a rerun
 * with nothing changed, through the real @googleapis/sheets client against the fake Sheets server
 * (loopback HTTP). Counts requests and body sizes from the fake's own log. Updates only its own section
 * of BENCHMARKS.md.
 *
 *   npx tsx bench/sheets-writeback.ts [rows…]      (default: 1000 10000 100000)
 *
 * Fails when a write request's body passes the 2 MB Google recommends (the source's `maxBodyBytes`).
 */
import { performance } from "node:perf_hooks";
import { GoogleSheetsSource } from "../src/sources/google-sheets.ts";
import { SheetsRateLimiter } from "../src/sources/sheets-limiter.ts";
import type { CellValue } from "../test/support/fake-sheets/cells.ts";
import { startFakeSheets } from "../test/support/fake-sheets/server.ts";
import { outputPatchesFor } from "../test/support/fake-sheets/workload.ts";
import { machineLines, report } from "./report.ts";

const NAME = "sheets-writeback";
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
if (sizes.length === 0) sizes.push(1000, 10_000, 100_000);
/** The body size Google recommends staying under, and the source's default chunk budget. */
const BODY_LIMIT = 2_000_000;

interface Result {
  rows: number;
  readMs: number;
  readRequests: number;
  writeMs: number;
  writeRequests: string;
  cells: number;
  bodyBytes: number;
  totalBytes: number;
  noopMs: number;
  noopRequests: number;
}

async function measure(rows: number): Promise<Result> {
  const fake = await startFakeSheets();
  try {
    const grid: CellValue[][] = [["video_ref", "bundle_ref", "description", "target_publish_date", "notes"]];
    for (let i = 0; i < rows; i++) {
      grid.push([`v${i}`, `b${Math.floor(i / 10)}`, `video number ${i}`, 46_000 + (i % 30), `note ${i}`]);
    }
    fake.createSpreadsheet({ id: "bench", tabs: [{ title: "videos", rows: grid }] });
    const limiter = new SheetsRateLimiter({ limit: 1000 });
    const make = () =>
      new GoogleSheetsSource({
        spreadsheetId: "bench",
        videosTab: "videos",
        rootUrl: fake.rootUrl,
        auth: { apiKey: "bench-key" },
        limiter,
      });
    const src = make();
    let t = performance.now();
    const tables = await src.read();
    const readMs = performance.now() - t;
    const readRequests = fake.log.length;
    const patches = outputPatchesFor(tables.videos);
    fake.clearLog();
    t = performance.now();
    const written = await tables.write(patches);
    const writeMs = performance.now() - t;
    const reads = fake.log.filter((e) => e.bucket === "read").length;
    const writes = fake.log.filter((e) => e.bucket === "write");
    const bodyBytes = Math.max(...writes.map((e) => e.bodyBytes));
    const totalBytes = writes.reduce((sum, e) => sum + e.bodyBytes, 0);
    if (bodyBytes > BODY_LIMIT) throw new Error(`${rows} rows: a write body of ${bodyBytes} bytes`);

    const next = make();
    const again = await next.read();
    fake.clearLog();
    t = performance.now();
    await again.write(patches);
    const noopMs = performance.now() - t;
    return {
      rows,
      readMs,
      readRequests,
      writeMs,
      writeRequests: `${reads} read + ${writes.length} write`,
      cells: written.cellsWritten,
      bodyBytes,
      totalBytes,
      noopMs,
      noopRequests: fake.log.length,
    };
  } finally {
    await fake.close();
  }
}

async function main(): Promise<void> {
  // One warm-up so JIT and the HTTP agent are not in the first figure.
  await measure(200);
  const results: Result[] = [];
  for (const n of sizes) results.push(await measure(n));
  const ms = (x: number) => x.toFixed(0);
  report(NAME, [
    "## Google Sheets write-back",
    "",
    `\`npx tsx bench/sheets-writeback.ts ${sizes.join(" ")}\`: GoogleSheetsSource through the real`,
    "@googleapis/sheets client against the fake Sheets server on loopback (one process). A videos tab of",
    "N rows; `read()`, then `write()` of 7 output cells on every row (7 new columns: header cells + values),",
    "then a fresh source's `read()` + `write()` of the same patches (nothing changes). Requests and body",
    "sizes are counted by the fake's log; times are wall-clock and include the fake's own work (the",
    "machine was shared: expect the times to vary by about 2x between runs; the request",
    "counts do not vary). Writes are chunked so no body passes 2 MB (Google's recommended request size):",
    "the write requests and their total body size grow with the cells, the read stays one request.",
    "",
    ...machineLines(),
    "",
    "| rows | read ms | read requests | write ms | write requests | cells written | largest body | all write bodies | no-op write ms | no-op requests |",
    "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ...results.map(
      (r) =>
        `| ${r.rows} | ${ms(r.readMs)} | ${r.readRequests} | ${ms(r.writeMs)} | ${r.writeRequests} | ${r.cells} | ${(r.bodyBytes / 1e6).toFixed(2)} MB | ${(r.totalBytes / 1e6).toFixed(2)} MB | ${ms(r.noopMs)} | ${r.noopRequests} |`,
    ),
  ]);
}

await main();
