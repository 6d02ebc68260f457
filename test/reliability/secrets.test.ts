/**
 * Reliability: secrets. A distinctive API key per test (issued by the emulator, `sk_` + 64 hex)
 * goes through every path that could print it: plan (table, --json, --out file), sync (human, --json, the
 * progress bar on a terminal, DEBUG's stack traces), validate (online and offline), the cron service's JSON
 * logs, and the failures: key refused (401), 5xx until the retries are used up, connection refused, config
 * errors that hold the key (in the config file, in TOKPORTAL_BASE_URL, a mangled TOKPORTAL_API_KEY), and
 * the emulator run as a command with its own key (banner, diagnostics, state file, request log). Every
 * stdout and stderr, every file left in the run's directory (plan files, CSVs, lock and state files) and
 * the emulator's request log are scanned for the key and for anything key-shaped.
 *
 * The same scan runs on every test's console output through test/support/secrets-guard.ts (setup file);
 * the last test checks that guard can fail.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { type CommandIO, runSyncCommand } from "../../src/cli/sync-run.ts";
import { cliHarness, type Result } from "../cli/cli-harness.ts";
import { startService } from "../cli/cron-harness.ts";
import { cliEntry } from "../support/cli-entry.ts";
import { findApiKeys, guardInstalled, inspectOutput, maskKey, takeLeaks } from "../support/secrets-guard.ts";
import { recordFigures } from "./figures.ts";

const cli = cliHarness();

const figures = { outputs: 0, bytes: 0, keysFound: 0 };
afterAll(() => {
  recordFigures("secrets", {
    outputs_scanned: figures.outputs,
    bytes_scanned: figures.bytes,
    keys_found: figures.keysFound,
  });
});

/** A key TokPortal never issued, in the right shape: what a user pastes from another workspace. */
const foreignKey = (): string => `sk_${randomBytes(32).toString("hex")}`;

/**
 * Scans one captured text for the given keys (verbatim, or without their `sk_`) and for anything
 * key-shaped; returns what it found, masked, with where.
 */
function scan(label: string, text: string, keys: readonly string[]): string[] {
  figures.outputs++;
  figures.bytes += Buffer.byteLength(text);
  const found = new Set<string>();
  for (const k of keys) {
    if (text.includes(k) || text.includes(k.slice(3))) found.add(k);
  }
  for (const k of findApiKeys(text)) found.add(k);
  figures.keysFound += found.size;
  return [...found].map((k) => `${label}: ${maskKey(k)}`);
}

function scanResult(label: string, r: Result, keys: readonly string[]): string[] {
  return [...scan(`${label} stdout`, r.stdout, keys), ...scan(`${label} stderr`, r.stderr, keys)];
}

/** Every file under `dir` (plan files, CSVs, lock files, state files) but `except`, scanned as text. */
function scanTree(dir: string, keys: readonly string[], except: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const file = path.join(dir, entry);
    if (except.includes(file) || !statSync(file).isFile()) continue;
    out.push(...scan(`file ${entry}`, readFileSync(file, "latin1"), keys));
  }
  return out;
}

/** What the emulator saw during this test (headers included, if it kept them). */
function scanEmulatorLog(keys: readonly string[]): string[] {
  return scan("emulator request log", JSON.stringify(cli.log()), keys);
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the API key never appears in any output, file or log", () => {
  it("plan (table, --json, --out) and validate (online, offline, --json)", async () => {
    cli.writeConfig();
    const key = cli.key();
    const runs = await Promise.all([
      cli.run(["plan"]),
      cli.run(["plan", "--json"]),
      cli.run(["plan", "--out", "plan.json"]),
      cli.run(["validate"]),
      cli.run(["validate", "--json"]),
      cli.run(["validate", "--offline"]),
    ]);
    const labels = ["plan", "plan --json", "plan --out", "validate", "validate --json", "validate --offline"];
    // They did their work (a plan with creates, a plan file), or scanning them would prove little.
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(runs[0]!.stdout).toContain("create bundle");
    expect(readFileSync(path.join(cli.dir(), "plan.json"), "utf8")).toContain('"ops"');
    const leaks = [
      ...runs.flatMap((r, i) => scanResult(labels[i]!, r, [key])),
      ...scanTree(cli.dir(), [key]),
      ...scanEmulatorLog([key]),
    ];
    expect(leaks).toEqual([]);
  });

  it("sync (human, then --json, then a saved plan), and the CSVs it writes", async () => {
    cli.writeConfig();
    const key = cli.key();
    const human = await cli.run(["sync", "--yes"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("credits:");
    const json = await cli.run(["sync", "--yes", "--json"]);
    expect(json.code).toBe(0);
    const planned = await cli.run(["plan", "--out", "again.json"]);
    const applied = await cli.run(["sync", "--plan", "again.json", "--json"]);
    expect(applied.code).toBe(0);
    const leaks = [
      ...scanResult("sync", human, [key]),
      ...scanResult("sync --json", json, [key]),
      ...scanResult("plan --out", planned, [key]),
      ...scanResult("sync --plan", applied, [key]),
      ...scanTree(cli.dir(), [key]),
      ...scanEmulatorLog([key]),
    ];
    expect(leaks).toEqual([]);
  });

  it("sync on a terminal (progress bar), and DEBUG's stack trace of a refused key", async () => {
    const file = cli.writeConfig();
    const key = cli.key();
    const term = (apiKey: string, env: Record<string, string> = {}) => {
      const out = { stdout: "", stderr: "" };
      const sink = (name: "stdout" | "stderr") => {
        const s = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
        s.on("data", (d: Buffer) => {
          out[name] += d.toString("utf8");
        });
        return s;
      };
      const io: CommandIO = {
        stdin: Object.assign(new PassThrough(), { isTTY: false }),
        stdout: sink("stdout"),
        stderr: sink("stderr"),
        env: { TOKPORTAL_BASE_URL: cli.emu.url, TOKPORTAL_API_KEY: apiKey, ...env },
        color: true,
        stderrTTY: true,
        stderrColor: true,
      };
      return { io, out };
    };
    const bar = term(key);
    expect(await runSyncCommand({ config: file, yes: true }, bar.io)).toBe(0);
    // The bar was drawn (it writes its frames to stderr).
    expect(bar.out.stderr.length).toBeGreaterThan(0);

    const wrong = foreignKey();
    const debug = term(wrong, { DEBUG: "1" });
    expect(await runSyncCommand({ config: file, yes: true }, debug.io)).toBe(3);
    expect(debug.out.stderr).toMatch(/\n\s+at /);
    const leaks = [
      ...scan("sync on a terminal, stdout", bar.out.stdout, [key]),
      ...scan("sync on a terminal, stderr", bar.out.stderr, [key]),
      ...scan("DEBUG=1 refused key, stdout", debug.out.stdout, [wrong, key]),
      ...scan("DEBUG=1 refused key, stderr", debug.out.stderr, [wrong, key]),
      ...scanTree(cli.dir(), [key, wrong]),
      ...scanEmulatorLog([key, wrong]),
    ];
    expect(leaks).toEqual([]);
  });

  it("cron: the service's JSON logs, with a good key and with a refused one", async () => {
    cli.writeConfig({ max_credits: 1000 });
    const key = cli.key();
    const svc = startService(cli, ["--schedule", "* * * * * *"]);
    await svc.waitFor((l) => l.event === "run_finished", 20_000);
    svc.kill("SIGTERM");
    expect((await svc.exited).code).toBe(0);

    const wrong = foreignKey();
    const refused = startService(cli, ["--schedule", "* * * * * *"], { TOKPORTAL_API_KEY: wrong });
    await refused.waitFor((l) => /refused the API key/.test(JSON.stringify(l)), 20_000);
    refused.kill("SIGTERM");
    await refused.exited;
    const leaks = [
      ...scan("cron stdout", svc.stdout(), [key]),
      ...scan("cron stderr", svc.stderr(), [key]),
      ...scan("cron (refused key) stdout", refused.stdout(), [wrong, key]),
      ...scan("cron (refused key) stderr", refused.stderr(), [wrong, key]),
      ...scanTree(cli.dir(), [key, wrong]),
      ...scanEmulatorLog([key, wrong]),
    ];
    expect(leaks).toEqual([]);
  });

  it("errors: key refused (401), 5xx until the retries are used up, connection refused", async () => {
    cli.writeConfig();
    const key = cli.key();
    const wrong = foreignKey();
    const [refused, refusedJson] = await Promise.all([
      cli.run(["sync", "--yes"], { TOKPORTAL_API_KEY: wrong }),
      cli.run(["plan", "--json"], { TOKPORTAL_API_KEY: wrong }),
    ]);
    expect([refused.code, refusedJson.code]).toEqual([3, 3]);
    expect(refused.stderr).toContain("TokPortal refused the API key");

    // One after the other: two syncs of one sheet at once would meet the run lock instead (exit 5).
    const port = await closedPort();
    const down = await cli.run(["sync", "--yes"], { TOKPORTAL_BASE_URL: `http://127.0.0.1:${port}/api/ext` });
    cli.emu.setFaults({ rules: [{ action: "status", status: 503, always: true }] });
    const exhausted = await cli.run(["sync", "--yes"]);
    cli.emu.setFaults({});
    expect(down.code, down.stderr).toBe(1);
    expect(down.stderr).toMatch(/ECONNREFUSED|connect|reach/i);
    expect(exhausted.code, exhausted.stderr).toBe(1);
    // The retries were used up against the 503s: more than one attempt per call.
    expect(cli.log().filter((e) => e.status === 503).length).toBeGreaterThan(1);
    const leaks = [
      ...scanResult("sync, refused key", refused, [wrong, key]),
      ...scanResult("plan --json, refused key", refusedJson, [wrong, key]),
      ...scanResult("sync, connection refused", down, [key]),
      ...scanResult("sync, 5xx exhausted", exhausted, [key]),
      ...scanTree(cli.dir(), [key, wrong]),
      ...scanEmulatorLog([key, wrong]),
    ];
    expect(leaks).toEqual([]);
  });

  it("config errors that hold the key: in the config file, in TOKPORTAL_BASE_URL, a mangled key", async () => {
    const key = cli.key();
    const inFile = cli.writeConfig(
      { api_key: key, tokportal: { base_url: cli.emu.url, api_key: key } },
      "bad.json",
    );
    const runs: Array<[string, Result]> = [
      ["key in the config file", await cli.run(["sync", "--yes", "-c", inFile])],
      ["key in the config file, validate", await cli.run(["validate", "-c", inFile])],
    ];
    cli.writeConfig();
    const url = new URL(cli.emu.url);
    const variants: Array<[string, Record<string, string>]> = [
      ["key as the URL's password", { TOKPORTAL_BASE_URL: `http://user:${key}@${url.host}/api/ext` }],
      ["key in the URL's query", { TOKPORTAL_BASE_URL: `${cli.emu.url}?api_key=${key}` }],
      ["key with a stray character", { TOKPORTAL_API_KEY: `${key}x` }],
      ["key with a quote", { TOKPORTAL_API_KEY: `"${key}` }],
    ];
    const results = await Promise.all(variants.map(([, env]) => cli.run(["plan"], env)));
    variants.forEach(([label], i) => {
      runs.push([label, results[i]!]);
    });
    for (const [label, r] of runs) expect(r.code, `${label}: ${r.stderr}`).toBe(2);
    const leaks = [
      ...runs.flatMap(([label, r]) => scanResult(label, r, [key])),
      // The config the "user" wrote the key into is theirs; everything else in the dir is the tool's.
      ...scanTree(cli.dir(), [key], [inFile]),
      ...scanEmulatorLog([key]),
    ];
    expect(leaks).toEqual([]);
  });

  it("the emulator as a command with its own key: banner, diagnostics, state file", async () => {
    const key = foreignKey();
    const stateFile = path.join(cli.dir(), "sandbox-state.json");
    const child: ChildProcess = spawn(
      process.execPath,
      [cliEntry(), "emulator", "--port", "0", "--api-key", key, "--state", stateFile, "--speed", "0"],
      { cwd: cli.dir(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString("utf8");
        const m = /base URL: (\S+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.on("close", (code) => reject(new Error(`the emulator exited (${code}): ${stderr}`)));
    });
    try {
      const call = (p: string, init: RequestInit = {}) =>
        fetch(`${base}${p}`, { ...init, headers: { "x-api-key": key, ...(init.headers ?? {}) } });
      const answers = await Promise.all([
        call("/bundles"),
        call("/bundles", {
          method: "POST",
          body: "{not json",
          headers: { "content-type": "application/json" },
        }),
        call("/bundles", {
          method: "POST",
          body: JSON.stringify({ bundle_type: "nope" }),
          headers: { "content-type": "application/json", "idempotency-key": "secrets-test" },
        }),
        fetch(`${base}/bundles?api_key=${key}`),
        call("/bundles", { headers: { "x-api-key": `${key}0` } }),
      ]);
      expect(answers[0]!.status).toBe(200);
      const bodies = await Promise.all(answers.map((a) => a.text()));
      const leaks = [
        ...bodies.flatMap((b, i) => scan(`emulator answer ${i}`, b, [key])),
        ...scan("emulator stdout", stdout, [key]),
      ];
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("close", resolve));
      leaks.push(...scan("emulator stderr", stderr, [key]), ...scanTree(cli.dir(), [key]));
      expect(stdout).toContain(`…${key.slice(-4)}`);
      expect(leaks).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it("the setup file's guard is installed, and catches a key in output (masked when reported)", () => {
    // Checked through the guard's own entry point: printing a key here to prove it would print a key.
    expect(guardInstalled()).toBe(true);
    const key = foreignKey();
    takeLeaks();
    inspectOutput("console.log", `oops: ${key}`);
    inspectOutput(
      "stderr",
      Buffer.from(`half a key: ${key.slice(0, 20)}, the public one: sk_${"0".repeat(64)}`),
    );
    expect(takeLeaks()).toEqual([{ where: "console.log", key }]);
    expect(maskKey(key)).not.toContain(key.slice(6, -4));
  });
});
