/**
 * CSV write-back memory: what one `snapshot.write()` adds to the RSS of a process that has read a
 * 100,000-row videos CSV. Each case runs in a child process of its own (so the RSS is the write-back's
 * and the read's only): the child reads the file, builds the patches, then writes them back while
 * sampling its RSS. Each case twice: the file saved just before the run (the write-back reads it again)
 * and saved long before it (the version the run read: it is not parsed again, src/sources/csv-version.ts).
 * Writes the `csv-writeback` section of BENCHMARKS.md.
 *
 *   npx tsx bench/csv-writeback.ts [rows] [--before <checkout>]
 *
 * `--before <dir>`: also run the children against the sources of another checkout (the code before the
 * patches were placed as the file streams), for the side-by-side columns.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAndPositionals } from "./args.ts";
import { machineLines, report } from "./report.ts";
import { writeVideosCsv } from "./videos-csv.ts";

interface ChildResult {
  patches: number;
  cellsWritten: number;
  writeMs: number;
  /** Peak RSS before the write-back (the read's), after it, and the RSS when it started (after a GC). */
  peakBeforeMb: number;
  peakAfterMb: number;
  startMb: number;
  /** Highest RSS sampled every 2 ms during the write-back. */
  sampledMaxMb: number;
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const peakMb = () => process.resourceUsage().maxRSS / 1024;

async function child(root: string, file: string, every: number): Promise<void> {
  const { CsvSource } = await import(pathToFileURL(path.join(root, "src/sources/csv.ts")).href);
  const snapshot = await new CsvSource({ videosPath: file }).read();
  const patches = [];
  for (let i = 0; i < snapshot.videos.length; i += every) {
    const cells = snapshot.videos[i].cells;
    patches.push({
      key: { table: "videos", bundleRef: cells.bundle_ref, videoRef: cells.video_ref },
      values: { video_id: `id-${i}`, sync_status: "synced" },
    });
  }
  (globalThis as { gc?: () => void }).gc?.();
  const peakBeforeMb = peakMb();
  const startMb = mb(process.memoryUsage().rss);
  let sampledMaxMb = startMb;
  const timer = setInterval(() => {
    sampledMaxMb = Math.max(sampledMaxMb, mb(process.memoryUsage().rss));
  }, 2);
  const t0 = performance.now();
  const written = await snapshot.write(patches);
  const writeMs = performance.now() - t0;
  clearInterval(timer);
  sampledMaxMb = Math.max(sampledMaxMb, mb(process.memoryUsage().rss));
  const result: ChildResult = {
    patches: patches.length,
    cellsWritten: written.cellsWritten,
    writeMs,
    peakBeforeMb,
    peakAfterMb: peakMb(),
    startMb,
    sampledMaxMb,
  };
  console.log(JSON.stringify(result));
}

function runChild(root: string, file: string, every: number): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", self, "--child", root, file, String(every)],
    { encoding: "utf8", cwd: root },
  );
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as ChildResult;
}

async function main(): Promise<void> {
  const { before, positionals } = beforeAndPositionals(process.argv.slice(2));
  const rows = Number(positionals[0] ?? 100_000);
  const here = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
  const dir = mkdtempSync(path.join(tmpdir(), "bench-csv-wb-"));
  try {
    const pristine = path.join(dir, "pristine.csv");
    await writeVideosCsv(pristine, rows);
    const sizeMb = mb(statSync(pristine).size);
    const cases = [
      { label: "every row (2 cells each)", every: 1 },
      { label: "1,000 rows spread through the file", every: Math.max(1, Math.floor(rows / 1000)) },
    ];
    const measure = (root: string, every: number, savedBefore = false) => {
      const file = path.join(dir, "videos.csv");
      copyFileSync(pristine, file);
      if (savedBefore) {
        const hourAgo = new Date(Date.now() - 3_600_000);
        utimesSync(file, hourAgo, hourAgo);
      }
      return runChild(root, file, every);
    };
    const lines: string[] = [];
    for (const c of cases) {
      const runs = [
        ...(before ? [measure(before, c.every)] : []),
        measure(here, c.every),
        measure(here, c.every, true),
      ];
      const now = runs.at(-1)!;
      const added = (r: ChildResult) => Math.max(0, r.peakAfterMb - r.peakBeforeMb);
      const sampled = (r: ChildResult) => r.sampledMaxMb - r.startMb;
      const cells = (f: (r: ChildResult) => string) => runs.map(f).join(" | ");
      const cell = (f: (r: ChildResult) => number, unit: string) =>
        cells((r) => `${f(r).toFixed(0)} ${unit}`);
      lines.push(
        `| ${c.label}: ${now.patches.toLocaleString("en-US")} patches, ${now.cellsWritten.toLocaleString("en-US")} cells | added to the peak RSS | ${cell(added, "MB")} |`,
        `| | RSS sampled during the write − RSS at its start | ${cell(sampled, "MB")} |`,
        `| | peak RSS before → after | ${cells((r) => `${r.peakBeforeMb.toFixed(0)} → ${r.peakAfterMb.toFixed(0)} MB`)} |`,
        `| | write-back time | ${cell((r) => r.writeMs, "ms")} |`,
      );
    }
    const columns = [
      ...(before ? ["before (sparse grid, one object per cell)"] : []),
      "now, file saved just before the run (read again)",
      "now, file saved long before (the version read: not parsed again)",
    ];
    const head = `| case | figure | ${columns.join(" | ")} |\n|---|---|${columns.map(() => "---:|").join("")}`;
    const body = `## CSV write-back memory

\`npx tsx bench/csv-writeback.ts ${rows}${before ? " --before <checkout of the code before>" : ""}\`: the videos CSV of
the CSV source bench (${rows.toLocaleString("en-US")} rows, CRLF, ${sizeMb.toFixed(1)} MB) read through \`CsvSource.read()\`
in a child process of its own (\`node --expose-gc\`), then one \`snapshot.write()\`: lock, streamed re-read
placing by ref as the records pass, streamed rewrite to a temporary file, atomic replace. When the file is still the
version the run read (saved more than 2 s before it: src/sources/csv-version.ts), the re-read is a walk of the grid
the read kept and the rewrite cuts the text where the read found each record, with no parse. "Added to the peak" is the process's
peak RSS after the write-back minus its peak before it (the read's); the sampled figure is the highest
RSS seen every 2 ms during the write-back minus the RSS when it began (after a GC).${before ? " The before column runs the same children against the sources before the patches were placed as the file streams (a sparse grid of the wanted rows, one change and one cell object per cell)." : ""}

${machineLines().join("\n")}

${head}
${lines.join("\n")}
`;
    report("csv-writeback", [body]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
} else {
  await main();
}
