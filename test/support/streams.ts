/** Reading a child process's output, and a command's, in tests. */
import { Writable } from "node:stream";
import type { CommandIO } from "../../src/cli/io.ts";

/** Resolves with everything read once `pattern` shows in the stream; fails after 20 s without it. */
export function readUntil(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in output: ${text}`)), 20_000);
    stream.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

/** A command's IO whose stdout and stderr are kept as text (`out`), in the given environment. */
export function textIO(env: Record<string, string | undefined>) {
  const out = { stdout: "", stderr: "" };
  const stream = (k: "stdout" | "stderr") =>
    new Writable({
      write(chunk, _enc, done) {
        out[k] += String(chunk);
        done();
      },
    });
  const io: CommandIO = {
    stdout: stream("stdout"),
    stderr: stream("stderr"),
    stdin: process.stdin,
    env,
    color: false,
  };
  return { io, out };
}
