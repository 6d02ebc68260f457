/**
 * The code's shape, held to what docs/architecture.md promises: the map names every folder of src/, no
 * source file grows past 500 lines (the generated contract types excepted), and no import circle exists
 * (no files importing each other, directly or around a loop).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve("src");
const GENERATED = path.join(SRC, "api", "generated");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (full === GENERATED) return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

/** Relative imports of a file, resolved to files (type-only imports too: they bind modules just the same). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^;'"]*?from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    found.push(path.resolve(path.dirname(file), m[1]!));
  }
  for (const m of text.matchAll(/import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)) {
    found.push(path.resolve(path.dirname(file), m[1]!));
  }
  return found;
}

const rel = (f: string) => path.relative(path.resolve("."), f);

describe("the code's shape", () => {
  const files = sourceFiles(SRC);

  it("docs/architecture.md names every folder of src/", () => {
    const doc = readFileSync(path.resolve("docs/architecture.md"), "utf8");
    const folders = readdirSync(SRC).filter((n) => statSync(path.join(SRC, n)).isDirectory());
    expect(folders.length).toBeGreaterThan(5);
    expect(folders.filter((f) => !doc.includes(`src/${f}/`))).toEqual([]);
  });

  it("has no source file over 500 lines", () => {
    const long = files
      .map((f) => ({ file: rel(f), lines: readFileSync(f, "utf8").split("\n").length }))
      .filter((f) => f.lines > 500);
    expect(long).toEqual([]);
  });

  it("has no import circle", () => {
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => t !== f)]));
    const state = new Map<string, "open" | "done">();
    const circles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        circles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(" → "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...trail, file]);
      state.set(file, "done");
    };
    for (const f of files) visit(f, []);
    expect(circles).toEqual([]);
  });
});
