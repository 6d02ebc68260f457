#!/usr/bin/env node
/**
 * The `tokportal-sync` command. It runs dist/cli.mjs, the CLI that `npm run build` bundled (`npm ci` runs
 * it through the `prepare` script), while that build is current (bin/build-stamp.js): a developer who
 * edits src/ and runs the command runs the edit, through tsx, never a stale build. See
 * docs/architecture.md, "Start-up".
 */
import module from "node:module";
import { fileURLToPath } from "node:url";
import { BUNDLE_FILE, buildState } from "./build-stamp.js";

const root = fileURLToPath(new URL("../", import.meta.url));

if (buildState(root) === "current") {
  // Node 22.1 and later keep V8's compiled code between starts (in the system's temporary folder, or
  // NODE_COMPILE_CACHE); Node 20 has no such cache and goes on without it.
  module.enableCompileCache?.();
  await import(new URL(`../${BUNDLE_FILE.split("\\").join("/")}`, import.meta.url).href);
} else {
  let register;
  try {
    ({ register } = await import("tsx/esm/api"));
  } catch {
    process.stderr.write(
      "tokportal-sync: dist/ is missing or older than src/, and tsx (a development dependency) is not installed to run the sources: run `npm run build`, or `npm ci` with development dependencies.\n",
    );
    process.exit(1);
  }
  register();
  await import("../src/cli.ts");
}
