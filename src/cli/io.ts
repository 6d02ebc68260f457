/**
 * Where a command reads and writes: the process's streams unless a caller (a test, the quick start)
 * swaps them, and what those streams take (colours, a progress bar).
 */
import { colorEnabled } from "./color.ts";

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
