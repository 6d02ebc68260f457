/**
 * The `cron` service as a child process, for the cron tests: started in the cliHarness's temp dir against
 * its test emulator, its stdout read as JSON log lines as they come.
 *
 *   const svc = startService(cli, ["--schedule", "* * * * * *", "--health-port", "0"]);
 *   await svc.waitFor((l) => l.event === "run_finished");   // the line, or a timeout naming what was seen
 *   svc.kill("SIGTERM"); const { code } = await svc.exited;
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterEach } from "vitest";
import { cliEntry } from "../support/cli-entry.ts";
import type { cliHarness } from "./cli-harness.ts";

export type LogLine = Record<string, unknown> & { event?: string; msg?: string; level?: string };

export interface Service {
  child: ChildProcess;
  lines: LogLine[];
  /** Stdout as received (to check nothing but JSON lines is written, and no key). */
  stdout(): string;
  stderr(): string;
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Lines seen so far matching `pred`. */
  count(pred: (l: LogLine) => boolean): number;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

afterEach(() => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  running.clear();
});

export function startService(
  cli: ReturnType<typeof cliHarness>,
  args: string[],
  env: Record<string, string> = {},
): Service {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) childEnv[k] = v;
  delete childEnv.DEBUG;
  Object.assign(childEnv, { TOKPORTAL_BASE_URL: cli.emu.url, TOKPORTAL_API_KEY: cli.key(), ...env });
  const child = spawn(process.execPath, [cliEntry(), "cron", ...args], {
    cwd: cli.dir(),
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const lines: LogLine[] = [];
  let out = "";
  let err = "";
  let partial = "";
  const waiters: Array<() => void> = [];
  child.stdout?.on("data", (d: Buffer) => {
    const text = d.toString("utf8");
    out += text;
    partial += text;
    let nl = partial.indexOf("\n");
    while (nl >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      // Anything but a JSON object on stdout is a bug the tests should see: keep it as a marker line.
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ event: "NOT_JSON", msg: line });
      }
      nl = partial.indexOf("\n");
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    });
  });

  function waitFor(pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no matching log line within ${timeoutMs} ms; saw events: ${lines.map((l) => l.event).join(", ")}; stderr: ${err}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        const hit = lines.find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`the service exited (${child.exitCode ?? child.signalCode}); stderr: ${err}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  }

  return {
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    count: (pred) => lines.filter(pred).length,
    kill: (signal) => child.kill(signal),
    exited,
  };
}
