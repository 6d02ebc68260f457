#!/usr/bin/env node
/**
 * `npm run build`, which `npm ci` runs through the `prepare` script: bundles src/cli.ts into dist/ with
 * esbuild, so the command starts without transforming TypeScript and without resolving the hundreds of
 * small files its packages are made of (docs/architecture.md, "Start-up"; figures in BENCHMARKS.md).
 * Then writes dist/build-stamp.json, which bin/tokportal-sync.js compares with src/ so a stale build is
 * never run.
 *
 * dist/cli.mjs and one chunk per lazily imported module, all in dist/, as scripts/bundle.js says (the
 * packages only some commands load, and that find files of their own at run time, stay external).
 *
 * No typecheck here: `npm test` typechecks. Without esbuild installed (`npm ci --omit=dev`), it says so
 * and leaves dist/ as it is: a production install takes dist/ from a build (the Dockerfile's build stage).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { STAMP_FILE } from "../bin/build-stamp.js";
import { bundleOptions } from "./bundle.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const outdir = path.join(root, "dist");

let build;
try {
  ({ build } = await import("esbuild"));
} catch {
  process.stdout.write("build: esbuild is not installed (a development dependency); dist/ left as it is.\n");
  process.exit(0);
}

const startedAt = Date.now();
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build(bundleOptions({ entryPoints: { cli: path.join(root, "src/cli.ts") }, outdir }));
writeFileSync(path.join(root, STAMP_FILE), `${JSON.stringify({ started_at: startedAt }, null, 2)}\n`);
