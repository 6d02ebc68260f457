/**
 * Running `tokportal-sync` as a user does, for the CLI tests: a child process (the CLI, see cliEntry())
 * in a temp dir holding a copy of fixtures/campaign and a config file, with TOKPORTAL_BASE_URL /
 * TOKPORTAL_API_KEY pointing at a test emulator over HTTP (a key of its own per test, not the public
 * sandbox key, so "the key never appears in the output" means something).
 *
 *   const cli = cliHarness();            // registers the hooks: fresh dir, key and log start per test
 *   cli.writeConfig({ max_credits: 10 });
 *   const r = await cli.run(["sync", "--yes", "--json"]);   // { code, stdout, stderr }
 *   cli.expectClean(r); cli.log();        // requests the emulator saw during this test
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Papa from "papaparse";
import { afterEach, beforeEach, expect } from "vitest";
import { cliEntry } from "../support/cli-entry.ts";
import { sharedEmulator } from "../support/emulator.ts";

export const root = fileURLToPath(new URL("../../", import.meta.url));

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cliHarness() {
  const emu = sharedEmulator();
  let dir = "";
  let key = "";
  /** The emulator's request log outlives its resets: each test reads from where it started. */
  let logStart = 0;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tps-cli-"));
    cpSync(path.join(root, "fixtures/campaign"), path.join(dir, "campaign"), { recursive: true });
    key = emu.createKey({ credits: 10_000 }).apiKey;
    logStart = (emu.requestLog().at(-1)?.index ?? -1) + 1;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const log = () => emu.requestLog(logStart);

  function writeConfig(extra: Record<string, unknown> = {}, name = "tokportal-sync.json"): string {
    const config = {
      tokportal: { base_url: "https://tokportal.invalid/api/ext" },
      source: { type: "csv", bundles: "campaign/bundles.csv", videos: "campaign/videos.csv" },
      ref_prefix: "cli-",
      defaults: { publish: true },
      ...extra,
    };
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  }

  function run(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
    const base: Record<string, string | undefined> = {
      ...process.env,
      TOKPORTAL_BASE_URL: emu.url,
      TOKPORTAL_API_KEY: key,
    };
    delete base.DEBUG;
    delete base.FORCE_COLOR;
    const merged = { ...base, ...env };
    const childEnv = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliEntry(), ...args], {
        cwd: dir,
        env: childEnv,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString("utf8");
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** What every run must respect, whatever its exit code: no key, no stack trace. */
  function expectClean(r: Result): void {
    expect(r.stdout).not.toContain(key);
    expect(r.stderr).not.toContain(key);
    expect(r.stderr).not.toMatch(/^\s+at \S/m);
  }

  return {
    emu,
    dir: () => dir,
    key: () => key,
    log,
    writes: () => log().filter((e) => e.method !== "GET"),
    writeConfig,
    run,
    expectClean,
  };
}

export function csvRows(file: string): Record<string, string>[] {
  return Papa.parse<Record<string, string>>(readFileSync(file, "utf8"), {
    header: true,
    skipEmptyLines: true,
  }).data;
}
