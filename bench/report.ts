/**
 * What every benchmark shares: the machine line and the rewrite of its own section of BENCHMARKS.md.
 * Each section sits between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->`; a run replaces
 * only what is between its own markers (adding them at the end when absent), so benchmarks can run in any
 * order and the top section written by hand is never touched.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";

const FILE = new URL("../BENCHMARKS.md", import.meta.url);

/** "Machine: … Run at …" lines; the figures of a shared machine vary between runs, so say when and where. */
export function machineLines(): string[] {
  const cpu = cpus()[0]?.model.trim() || "unknown CPU";
  return [
    `Machine: ${cpus().length} cores (${cpu}), Node ${process.version}; shared with other jobs while measured.`,
    `Run at ${new Date().toISOString()}.`,
  ];
}

/** Replaces the body of section `name` (markers excluded) with `body`, leaving the rest of the file as is. */
export function writeSection(name: string, body: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${body.trimEnd()}\n${end}`;
  let text = "# Benchmarks\n";
  try {
    text = readFileSync(FILE, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text =
    from >= 0 && to > from
      ? text.slice(0, from) + block + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, text);
}

/** Writes the section and prints it, which is what every benchmark does last. */
export function report(name: string, lines: readonly string[]): void {
  const body = lines.join("\n");
  writeSection(name, body);
  console.log(body);
}

/** The median of the figures (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
