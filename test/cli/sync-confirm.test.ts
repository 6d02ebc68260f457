/**
 * The parts of `sync` a child process cannot reach without a terminal: the spend question on a TTY, and
 * DEBUG's stack traces. `runSyncCommand` runs in-process with its streams swapped, against the emulator
 * over HTTP.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CommandIO, runSyncCommand } from "../../src/cli/sync-run.ts";
import { sharedEmulator } from "../support/emulator.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const emu = sharedEmulator();

let dir = "";
let key = "";
let logStart = 0;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-cli-confirm-"));
  cpSync(path.join(root, "fixtures/campaign"), path.join(dir, "campaign"), { recursive: true });
  key = emu.createKey({ credits: 10_000 }).apiKey;
  logStart = (emu.requestLog().at(-1)?.index ?? -1) + 1;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function config(extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, "tokportal-sync.json");
  writeFileSync(
    file,
    JSON.stringify({
      source: { type: "csv", bundles: "campaign/bundles.csv", videos: "campaign/videos.csv" },
      ref_prefix: "tty-",
      defaults: { publish: true },
      ...extra,
    }),
  );
  return file;
}

/**
 * A fake terminal: stdin and stdout say they are TTYs (stdout not, with `piped`), stdin holds `answer`;
 * stdout and stderr are collected.
 */
function terminal(answer: string | null, env: Record<string, string> = {}, piped = false) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  if (answer !== null) stdin.end(answer);
  const out = { stdout: "", stderr: "" };
  const sink = (name: "stdout" | "stderr") => {
    const s = Object.assign(new PassThrough(), name === "stdout" && !piped ? { isTTY: true } : {});
    s.on("data", (d: Buffer) => {
      out[name] += d.toString("utf8");
    });
    return s;
  };
  const io: CommandIO = {
    stdin,
    stdout: sink("stdout"),
    stderr: sink("stderr"),
    env: { TOKPORTAL_BASE_URL: emu.url, TOKPORTAL_API_KEY: key, ...env },
    color: false,
  };
  return { io, out };
}

const creates = () => emu.requestLog(logStart).filter((e) => e.operationId === "createBundle").length;

describe("sync on a terminal", () => {
  it("asks before spending; no (or just Enter) does nothing and exits 4", async () => {
    const file = config();
    for (const answer of ["n\n", "\n", ""]) {
      const { io, out } = terminal(answer);
      const code = await runSyncCommand({ config: file }, io);
      expect(code).toBe(4);
      expect(out.stderr).toMatch(/Spend \d+ credits \(balance 10000\)\? \[y\/N\] /);
      expect(out.stderr).toMatch(/error: Nothing was done: spending \d+ credits was declined\.\n$/);
      expect(out.stdout).toBe("");
      expect(creates()).toBe(0);
    }
  });

  it("yes applies the plan", async () => {
    const { io, out } = terminal("y\n");
    const code = await runSyncCommand({ config: config() }, io);
    expect(out.stderr).toMatch(/Spend \d+ credits \(balance 10000\)\? \[y\/N\] /);
    // The plan is shown first: what the credits buy.
    expect(out.stderr).toMatch(/^ {2}\+ {2}spring-us-1 {2}create bundle /m);
    expect(out.stderr.indexOf("Plan: 16 operations")).toBeLessThan(out.stderr.indexOf("Spend "));
    expect(code).toBe(0);
    expect(creates()).toBe(4);
    expect(out.stdout).toContain("credits:");
  });

  it("does not ask with --yes", async () => {
    const yes = terminal(null);
    expect(await runSyncCommand({ config: config(), yes: true, json: true }, yes.io)).toBe(0);
    expect(yes.out.stderr).toBe("");
    expect(JSON.parse(yes.out.stdout).mode).toBe("apply");
    expect(creates()).toBe(4);
  });

  it("still asks with a budget (max_credits is a ceiling, not a yes)", async () => {
    const no = terminal("n\n");
    expect(await runSyncCommand({ config: config({ max_credits: 5000 }) }, no.io)).toBe(4);
    expect(no.out.stderr.indexOf("Plan: 16 operations")).toBeLessThan(no.out.stderr.indexOf("Spend "));
    expect(no.out.stderr).toMatch(/Spend \d+ credits \(balance 10000\)\? \[y\/N\] /);
    expect(creates()).toBe(0);

    const flag = terminal("n\n");
    expect(await runSyncCommand({ config: config(), maxCredits: 5000 }, flag.io)).toBe(4);
    expect(flag.out.stderr).toMatch(/Spend \d+ credits/);
    expect(creates()).toBe(0);
  });

  it("spends within a budget without asking when stdout is not a terminal", async () => {
    const budget = terminal(null, {}, true);
    expect(await runSyncCommand({ config: config({ max_credits: 5000 }) }, budget.io)).toBe(0);
    expect(budget.out.stderr).toBe("");
    expect(creates()).toBe(4);
  });

  it("does not ask with --yes and a budget", async () => {
    const yes = terminal(null);
    expect(await runSyncCommand({ config: config({ max_credits: 5000 }), yes: true }, yes.io)).toBe(0);
    expect(yes.out.stderr).toBe("");
    expect(creates()).toBe(4);
  });
});

describe("sync errors", () => {
  it("print one line without a stack trace, and the stack only with DEBUG", async () => {
    const file = config({ tokportal: { concurrency: 99 } });
    const plain = terminal(null);
    expect(await runSyncCommand({ config: file }, plain.io)).toBe(2);
    expect(plain.out.stderr).toBe(
      `error: ${file}: tokportal.concurrency: expected a whole number from 1 to 32, got 99\n`,
    );

    const debug = terminal(null, { DEBUG: "1" });
    expect(await runSyncCommand({ config: file }, debug.io)).toBe(2);
    expect(debug.out.stderr.split("\n")[0]).toBe(plain.out.stderr.trimEnd());
    expect(debug.out.stderr).toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(debug.out.stderr).not.toContain(key);
  });
});
