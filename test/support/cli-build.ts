/**
 * Vitest global setup: compiles the CLI once per test run, so the tests that spawn it pay node's start-up
 * rather than tsx's (registering the loader and transforming every source file again in each child).
 *
 * The build is src/cli.ts bundled as `npm run build` bundles it (scripts/bundle.js), but with every package
 * left external, resolved from node_modules as usual.
 *
 * Tests reach it through cliEntry() (test/support/cli-entry.ts). test/cli/quickstart.test.ts still runs
 * bin/tokportal-sync.js itself, which proves the shipped entry point.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { TestProject } from "vitest/node";
import { bundleOptions } from "../../scripts/bundle.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

export default async function setup(project: TestProject): Promise<() => void> {
  // Inside node_modules so the bundle's bare imports resolve to the installed packages.
  const cache = path.join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(path.join(cache, "tokportal-sync-cli-"));
  // Packages stay in node_modules (faster to build; the shipped bundle holds them: scripts/build.js).
  await build({
    ...bundleOptions({ entryPoints: { cli: path.join(root, "src/cli.ts") }, outdir }),
    packages: "external",
  });
  project.provide("cliEntry", path.join(outdir, "cli.mjs"));
  return () => rmSync(outdir, { recursive: true, force: true });
}
