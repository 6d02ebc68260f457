/**
 * Uploads from disk: what a presigned upload of a large local video adds to the RSS. A sparse file
 * (default 500 MB) is made in a temp dir; a child process of its own starts the sandbox on loopback,
 * orders a bundle, then uploads the file through `MediaUploader` (hash, then the presigned flow) while
 * sampling its RSS. Client and sandbox share that process, so the figure covers both ends of the PUT.
 * Writes the `upload-stream` section of BENCHMARKS.md.
 *
 *   npx tsx bench/upload-stream.ts [megabytes=500] [--before <checkout>]
 *
 * `--before <dir>`: the same child against another checkout's sources (the code before streaming).
 */
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAndPositionals } from "./args.ts";
import { machineLines, report } from "./report.ts";

interface ChildResult {
  ms: number;
  startMb: number;
  sampledMaxMb: number;
  peakAfterMb: number;
  sizeBytes: number;
  /** The upload's error, when it failed. */
  error?: string;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

async function child(root: string, file: string): Promise<void> {
  const load = (rel: string) => import(pathToFileURL(path.join(root, rel)).href);
  const { startEmulator } = await load("src/emulator/app.ts");
  const { TokPortalClient } = await load("src/api/client.ts");
  const { MediaUploader } = await load("src/sync/uploads.ts");
  const emu = await startEmulator({ seed: 1, credits: 100_000, quiet: true });
  const client = new TokPortalClient({ baseUrl: emu.url, apiKey: emu.apiKey });
  try {
    const created = await client.bundles.create(
      { bundle_type: "account_and_videos", country: "USA", videos_quantity: 1, external_ref: "bench-upload" },
      { idempotencyKey: "bench-upload-create-0001" },
    );
    const uploader = new MediaUploader(client, { prefix: "bench" });
    (globalThis as { gc?: () => void }).gc?.();
    const startMb = mb(process.memoryUsage().rss);
    let sampledMaxMb = startMb;
    const timer = setInterval(() => {
      sampledMaxMb = Math.max(sampledMaxMb, mb(process.memoryUsage().rss));
    }, 5);
    const t0 = performance.now();
    const size = statSync(file).size;
    let error: string | undefined;
    try {
      await uploader.resolve(
        { kind: "file", path: file, sizeBytes: size, mtimeMs: 0 },
        "video",
        created.data.id,
        "bench-upload",
      );
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const ms = performance.now() - t0;
    clearInterval(timer);
    const result: ChildResult = {
      ms,
      startMb,
      sampledMaxMb: Math.max(sampledMaxMb, mb(process.memoryUsage().rss)),
      peakAfterMb: process.resourceUsage().maxRSS / 1024,
      sizeBytes:
        Object.values(emu.state().uploads as Record<string, { size_bytes: number }>)[0]?.size_bytes ?? 0,
      ...(error ? { error } : {}),
    };
    console.log(JSON.stringify(result));
  } finally {
    await client.close();
    await emu.stop();
  }
}

function runChild(root: string, file: string): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", self, "--child", root, file], {
    encoding: "utf8",
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as ChildResult;
}

function main(): void {
  const { before, positionals } = beforeAndPositionals(process.argv.slice(2));
  const megabytes = Number(positionals[0] ?? 500);
  const here = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
  const dir = mkdtempSync(path.join(tmpdir(), "bench-upload-"));
  try {
    const file = path.join(dir, "clip.mp4");
    const fd = openSync(file, "w");
    ftruncateSync(fd, megabytes * 1024 * 1024); // sparse: no disk used, reads as zeros
    closeSync(fd);
    const now = runChild(here, file);
    const then = before ? runChild(before, file) : null;
    if (now.sizeBytes !== megabytes * 1024 * 1024) throw new Error(`the sandbox got ${now.sizeBytes} bytes`);
    if (now.error) throw new Error(now.error);
    const added = (r: ChildResult) => `${(r.peakAfterMb - r.startMb).toFixed(0)} MB`;
    const sampled = (r: ChildResult) => `${(r.sampledMaxMb - r.startMb).toFixed(0)} MB`;
    const col = (f: (r: ChildResult) => string) => (then ? `${f(then)} | ${f(now)}` : f(now));
    const outcome = (r: ChildResult) => (r.error ? `failed: ${r.error.replaceAll("|", "/")}` : "uploaded");
    const body = `## Uploads from disk

\`npx tsx bench/upload-stream.ts ${megabytes}${before ? " --before <checkout of the code before>" : ""}\`: a sparse ${megabytes} MB
\`.mp4\` in a temp dir uploaded by \`MediaUploader\` (SHA-256 of the file, then the presigned flow: ask for
the URL, PUT the bytes) to the sandbox on loopback, both in one child process of their own (\`node
--expose-gc\`). Added RSS = the process's peak RSS after the upload minus its RSS just before it (after a
GC); the sampled figure is the highest RSS seen every 5 ms during the upload, minus the same start. The
sandbox received ${now.sizeBytes.toLocaleString("en-US")} bytes (counted and hashed; above 16 MiB it keeps no bytes).${before ? " The before column runs the same child against the sources before streaming (whole file read, whole body buffered and kept as base64)." : ""}

${machineLines().join("\n")}

| figure | ${before ? "before | " : ""}now |
|---|---:|${before ? "---:|" : ""}
| added to the peak RSS | ${col(added)} |
| highest sampled RSS − RSS at start | ${col(sampled)} |
| outcome | ${col(outcome)} |
| upload time (hash + PUT) | ${col((r) => `${(r.ms / 1000).toFixed(1)} s`)} |
`;
    report("upload-stream", [body]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3]!, process.argv[4]!);
} else {
  main();
}
