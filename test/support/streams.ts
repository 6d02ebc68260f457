/** Reading a child process's output, and a command's, in tests and benches. */
import type { ChildProcess } from "node:child_process";
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

/**
 * The first line `child` prints on its stdout, read as JSON: how a server started as a child (a sandbox)
 * says where it listens. Fails if the child exits first (`what` names it).
 */
export function firstJsonLine<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf("\n");
      if (end >= 0) resolve(JSON.parse(text.slice(0, end)) as T);
    });
    child.once("exit", (code) =>
      reject(new Error(`${what} exited (${code}) before saying where it listens`)),
    );
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
