#!/usr/bin/env node
/**
 * `npm run build`, which `npm ci` runs through the `prepare` script: bundles src/cli.ts into dist/ with
 * esbuild, so the command starts without transforming TypeScript and without resolving the hundreds of
 * small files its packages are made of (docs/architecture.md, "Start-up"; figures in BENCHMARKS.md).
 * Then writes dist/build-stamp.json, which bin/tokportal-sync.js compares with src/ so a stale build is
 * never run.
 *
 * dist/cli.mjs and one chunk per lazily imported module, all in dist/. The packages only some commands
 * load, and that find files of their own at run time, stay external (resolved from node_modules): the
 * Google client and auth libraries, pino. Each source's `import.meta.url` becomes that source file's URL
 * found from the package root, so the paths found from it (package.json, spec/, fixtures/) are the ones
 * the sources find under tsx, with or without src/ next to dist/.
 *
 * No typecheck here: `npm test` typechecks. Without esbuild installed (`npm ci --omit=dev`), it says so
 * and leaves dist/ as it is: a production install takes dist/ from a build (the Dockerfile's build stage).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { STAMP_FILE } from "../bin/build-stamp.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const outdir = path.join(root, "dist");

/** Loaded lazily by the commands that need them, and they read files of their own: kept out of the bundle. */
export const EXTERNAL = ["@googleapis/sheets", "google-auth-library", "pino"];

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
await build({
  entryPoints: { cli: path.join(root, "src/cli.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outExtension: { ".js": ".mjs" },
  external: EXTERNAL,
  // Bundled CommonJS packages use require() and __filename (write-file-atomic names its temporary files
  // with it), which an ES module does not have.
  banner: {
    js: [
      'import { createRequire as __createRequire } from "node:module";',
      'import { fileURLToPath as __fileURLToPath } from "node:url";',
      "const require = __createRequire(import.meta.url);",
      "const __filename = __fileURLToPath(import.meta.url);",
      'const __dirname = __fileURLToPath(new URL(".", import.meta.url));',
    ].join("\n"),
  },
  logLevel: "warning",
  // Less to read at each start; names are kept, so a DEBUG=1 stack still says where.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  plugins: [
    {
      name: "source-import-meta-url",
      setup(b) {
        b.onLoad({ filter: /\.ts$/ }, (args) => {
          const fromRoot = path.relative(root, args.path).split(path.sep).join("/");
          // Every output file sits in dist/, one level below the package root.
          const url = `new URL(${JSON.stringify(`../${fromRoot}`)}, import.meta.url).href`;
          return {
            contents: readFileSync(args.path, "utf8").replaceAll("import.meta.url", url),
            loader: "ts",
          };
        });
      },
    },
  ],
});
writeFileSync(path.join(root, STAMP_FILE), `${JSON.stringify({ started_at: startedAt }, null, 2)}\n`);
