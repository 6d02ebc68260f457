/**
 * Vitest global setup: compiles the CLI once per test run, so the tests that spawn it pay node's start-up
 * rather than tsx's (registering the loader and transforming every source file again in each child).
 *
 * The build is src/cli.ts bundled by esbuild (what tsx itself transforms with), one chunk per lazily
 * imported module so a command loads what it loads under tsx. Packages stay external, resolved from
 * node_modules as usual. Every `import.meta.url` is pinned to its source file's URL, so the paths the
 * code finds from it (package.json, the OpenAPI spec, the example campaign) are the ones tsx gives it.
 *
 * Tests reach it through cliEntry() (test/support/cli-entry.ts). test/cli/quickstart.test.ts still runs
 * bin/tokportal-sync.js itself, which proves the shipped entry point.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { TestProject } from "vitest/node";

const root = fileURLToPath(new URL("../../", import.meta.url));

export default async function setup(project: TestProject): Promise<() => void> {
  // Inside node_modules so the bundle's bare imports resolve to the installed packages.
  const cache = path.join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(path.join(cache, "tokportal-sync-cli-"));
  await build({
    entryPoints: { cli: path.join(root, "src/cli.ts") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
    plugins: [
      {
        name: "pin-import-meta-url",
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, "utf8").replaceAll(
              "import.meta.url",
              JSON.stringify(pathToFileURL(args.path).href),
            ),
            loader: "ts",
          }));
        },
      },
    ],
  });
  project.provide("cliEntry", path.join(outdir, "cli.mjs"));
  return () => rmSync(outdir, { recursive: true, force: true });
}
