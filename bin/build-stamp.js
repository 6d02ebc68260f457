/**
 * Whether dist/ was built from the sources as they are now. `npm run build` (scripts/build.js) writes
 * dist/build-stamp.json with the time the build started; the build is current while no file or folder
 * under src/, nor package.json, package-lock.json (the bundle holds the packages too), tsconfig.json or
 * scripts/build.js, scripts/bundle.js, changed after that time. One stat per file (about 300): a few milliseconds at each start. A folder's time changes
 * when a file is added, removed or renamed in it, so those count too. Without src/ (an installed copy, the
 * container image) dist/ is all there is and counts as current.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export const STAMP_FILE = path.join("dist", "build-stamp.json");
export const BUNDLE_FILE = path.join("dist", "cli.mjs");
/** Besides src/: the packages the bundle holds, and how it is built. */
const BUILD_INPUTS = [
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  path.join("scripts", "build.js"),
  path.join("scripts", "bundle.js"),
];

/** The newest change time (ms) under src/ and of the package files; null when there is no src/. */
export function newestSourceChange(root) {
  const src = path.join(root, "src");
  let newest;
  try {
    newest = statSync(src).mtimeMs;
  } catch {
    return null;
  }
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      newest = Math.max(newest, statSync(file).mtimeMs);
      if (entry.isDirectory()) walk(file);
    }
  };
  walk(src);
  for (const file of BUILD_INPUTS) {
    try {
      newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
    } catch {
      // absent: nothing to compare
    }
  }
  return newest;
}

/** "current", "missing" (no build, or no stamp) or "stale" (a source changed since the build started). */
export function buildState(root) {
  let startedAt;
  try {
    startedAt = JSON.parse(readFileSync(path.join(root, STAMP_FILE), "utf8")).started_at;
    statSync(path.join(root, BUNDLE_FILE));
  } catch {
    return "missing";
  }
  if (typeof startedAt !== "number") return "missing";
  const newest = newestSourceChange(root);
  return newest === null || newest <= startedAt ? "current" : "stale";
}
