/**
 * How the sources are bundled, for the command (scripts/build.js → dist/) and for the benchmarks that
 * measure the code as it ships (bench/compiled.ts): esbuild, ES modules, one chunk per lazily imported
 * module, the packages bundled but EXTERNAL.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

/** Loaded lazily by the commands that need them, and they read files of their own: kept out of the bundle. */
export const EXTERNAL = ["@googleapis/sheets", "google-auth-library", "pino"];

/**
 * esbuild options bundling `entryPoints` (name → source file) into `outdir`. Each source's
 * `import.meta.url` becomes that source file's URL found from the output file's own, so the paths found
 * from it (package.json, spec/, fixtures/) are the ones the sources find under tsx, with or without src/
 * beside the output, as long as the output keeps its place relative to the package root.
 */
export function bundleOptions({ entryPoints, outdir }) {
  return {
    entryPoints,
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
            // Every output file sits in outdir, chunks included.
            const fromOut = path.relative(outdir, args.path).split(path.sep).join("/");
            const url = `new URL(${JSON.stringify(fromOut)}, import.meta.url).href`;
            return {
              contents: readFileSync(args.path, "utf8").replaceAll("import.meta.url", url),
              loader: "ts",
            };
          });
        },
      },
    ],
  };
}
