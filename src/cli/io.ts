/**
 * Where a command reads and writes: the process's streams unless a caller (a test, the quick start)
 * swaps them, and what those streams take (colours, a progress bar).
 */
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { colorEnabled } from "./color.ts";
import { UsageError } from "./outcome.ts";

export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Whether stdout takes colours (a terminal, NO_COLOR unset). */
  color: boolean;
  /** Whether stderr is a terminal (a progress bar is drawn there, nowhere else). Default false. */
  stderrTTY?: boolean;
  /** Whether stderr takes colours (its error lines). Default false. */
  stderrColor?: boolean;
}

export function processIO(): CommandIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    color: colorEnabled(process.stdout, process.env),
    stderrTTY: !!process.stderr.isTTY && process.env.TERM !== "dumb",
    stderrColor: colorEnabled(process.stderr, process.env),
  };
}

/** Resolves once the text is handed to the stream (so an exit right after loses nothing). */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** Writes a file a command was asked to save (`--out`, `--save`), atomically; a failure is one line of why. */
export async function saveFile(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFileAtomic(path.resolve(file), text);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === "ENOENT"
        ? "its folder does not exist"
        : e.code === "EACCES"
          ? "permission denied"
          : e.message;
    throw new UsageError(`cannot save ${what} to ${file}: ${why}.`);
  }
}
