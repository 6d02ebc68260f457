/**
 * Benchmarks of the code as it ships: a bench's child entry bundled the way `npm run build` bundles the
 * command (scripts/bundle.js), then run by plain node. Through tsx the same child would carry the loader
 * and the TypeScript transform (about 35 MB of RSS before the first row) that a user's command does not.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { buildState } from "../bin/build-stamp.js";
import { bundleOptions } from "../scripts/bundle.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Bundles `entry` (a file under bench/) and returns the path of the module to run with node. */
export async function compiledEntry(entry: string): Promise<string> {
  const name = path.basename(entry).replace(/\.ts$/, "");
  // Inside node_modules so the external packages resolve to the installed ones.
  const outdir = path.join(ROOT, "node_modules", ".cache", "tokportal-sync-bench", name);
  mkdirSync(outdir, { recursive: true });
  await build(bundleOptions({ entryPoints: { [name]: path.resolve(ROOT, entry) }, outdir }));
  return path.join(outdir, `${name}.mjs`);
}

/** Runs `npm run build` unless dist/ is current (bin/build-stamp.js): a bench of the command measures the bundle. */
export function ensureBuilt(): void {
  const state = buildState(ROOT);
  if (state === "current") return;
  console.log(`dist/ is ${state}: npm run build`);
  const built = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) throw new Error("npm run build failed");
}
