/**
 * When bin/tokportal-sync.js runs the build (dist/cli.mjs) and when the sources through tsx: the build is
 * current only while nothing under src/, nor package.json or package-lock.json, changed after it started.
 * Times are set by hand an hour back, so a change the test makes now counts as after the build.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildState } from "../../bin/build-stamp.js";

const BUILT = Date.now() - 3_600_000;
const before = new Date(BUILT - 60_000);
const after = new Date(BUILT + 60_000);

let root: string;
const at = (...parts: string[]) => path.join(root, ...parts);

function write(file: string, when: Date, text = ""): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  utimesSync(file, when, when);
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "tps-stamp-"));
  write(at("src", "cli", "validate.ts"), before);
  write(at("src", "cli.ts"), before);
  for (const dir of [at("src", "cli"), at("src")]) utimesSync(dir, before, before);
  write(at("package.json"), before, "{}");
  write(at("dist", "cli.mjs"), after);
  write(at("dist", "build-stamp.json"), after, JSON.stringify({ started_at: BUILT }));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("the bin's choice between the build and the sources", () => {
  it("runs the build made after the last change", () => {
    expect(buildState(root)).toBe("current");
  });

  it("runs the sources once a source file is edited after the build started", () => {
    utimesSync(at("src", "cli", "validate.ts"), after, after);
    expect(buildState(root)).toBe("stale");
  });

  it("runs the sources once a source file is added or removed (its folder changes)", () => {
    unlinkSync(at("src", "cli", "validate.ts"));
    expect(buildState(root)).toBe("stale");
  });

  it("runs the sources once the dependencies or the way to build change", () => {
    write(at("package-lock.json"), after, "{}");
    expect(buildState(root)).toBe("stale");
    utimesSync(at("package-lock.json"), before, before);
    expect(buildState(root)).toBe("current");
    write(at("scripts", "build.js"), after);
    expect(buildState(root)).toBe("stale");
  });

  it("runs the sources when there is no build, or no stamp saying when it was made", () => {
    unlinkSync(at("dist", "build-stamp.json"));
    expect(buildState(root)).toBe("missing");
    write(at("dist", "build-stamp.json"), after, JSON.stringify({ started_at: BUILT }));
    unlinkSync(at("dist", "cli.mjs"));
    expect(buildState(root)).toBe("missing");
  });

  it("runs the build as it is where there are no sources (an installed copy, the container image)", () => {
    rmSync(at("src"), { recursive: true });
    expect(buildState(root)).toBe("current");
  });
});
