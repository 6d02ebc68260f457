/**
 * What a command needs to run a sync from a loaded config: the source, the TokPortal client and, for
 * `base_url: "sandbox"`, the emulator started in-process. `close()` releases all of it (the sandbox's
 * state is saved in `.sandbox/` next to the config, so the next run finds the same world).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import writeFileAtomic from "write-file-atomic";
import { TokPortalClient } from "../api/client.ts";
import type { RateGate } from "../api/rate-gate.ts";
import { DEFAULT_MAX_WAIT_MS } from "../api/retry.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { EmulatorHandle } from "../emulator/index.ts";
import { createSource, lockPathFor, type Source } from "../sources/index.ts";
import type { SheetsRateLimiter } from "../sources/sheets-limiter.ts";
import { SourceLockedError } from "./outcome.ts";

export interface Runtime {
  source: Source;
  client: TokPortalClient;
  /** The key in use (to keep it out of any output). */
  apiKey: string;
  /** The in-process sandbox, when the config asks for it. */
  sandbox: EmulatorHandle | null;
  close(): Promise<void>;
}

export const SANDBOX_DIR = ".sandbox";
export const SANDBOX_STATE_FILE = "emulator-state.json";
/** The sandbox's clock and seed, kept beside its state so every later run continues the same world. */
export const SANDBOX_CLOCK_FILE = "sandbox-clock.json";

/**
 * How a sandbox's simulated clock runs. The emulator saves only how far it was advanced; the start time,
 * speed and seed are ours to keep, or a restart would begin from another "now" with other ids.
 */
export interface SandboxClock {
  /** Simulated start time (ISO). */
  start: string;
  /** Simulated seconds per real second (0: time moves only when advanced). */
  speed: number;
  seed: number;
}

export interface RuntimeOptions {
  /**
   * For a fresh sandbox (no state file yet): its clock, saved for the runs after it. A sandbox that
   * already has a saved clock keeps it; one created without this option runs on the real clock.
   */
  sandboxClock?: SandboxClock;
  /** The wait ceiling for this run's calls (ms); default `tokportal.max_wait_seconds`, else 5 minutes. */
  maxWaitMs?: number;
  /** The rate gate of this key, shared with the service's other campaigns on the same key (default: its own). */
  gate?: RateGate;
  /** Google Sheets' quota limiter of this service account (default: the process's one). */
  sheetsLimiter?: SheetsRateLimiter;
  /** A source already opened: the run lock's, whose connection the sheet's lease uses (src/cli/run-lock.ts). */
  source?: Source;
}

/** Where a config's sandbox keeps its state: `.sandbox/` next to the config file. */
export function sandboxDirOf(loaded: LoadedConfig): string {
  return path.join(loaded.baseDir, SANDBOX_DIR);
}

function isSandboxClock(v: unknown): v is SandboxClock {
  const c = v as Partial<SandboxClock> | null;
  return (
    typeof c === "object" &&
    c !== null &&
    typeof c.start === "string" &&
    Number.isFinite(Date.parse(c.start)) &&
    typeof c.speed === "number" &&
    c.speed >= 0 &&
    Number.isSafeInteger(c.seed)
  );
}

/** The saved clock of the sandbox in `dir`, or null when it has none. */
export function readSandboxClock(dir: string): SandboxClock | null {
  const file = path.join(dir, SANDBOX_CLOCK_FILE);
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); delete ${dir} to start afresh.`);
  }
  if (!isSandboxClock(parsed)) {
    throw new Error(
      `${file} should hold {"start": ISO time, "speed": number >= 0, "seed": integer}; delete ${dir} to start afresh.`,
    );
  }
  return parsed;
}

/**
 * The clock a sandbox in `dir` runs on: its saved one; else, when it is fresh, the one asked for (saved
 * now, before the emulator writes its first state, so the two always go together); else none.
 */
async function sandboxClockFor(dir: string, wanted: SandboxClock | undefined): Promise<SandboxClock | null> {
  const saved = readSandboxClock(dir);
  if (saved) return saved;
  if (!wanted || existsSync(path.join(dir, SANDBOX_STATE_FILE))) return null;
  await writeFileAtomic(path.join(dir, SANDBOX_CLOCK_FILE), `${JSON.stringify(wanted, null, 2)}\n`);
  return wanted;
}

/** Same staleness as the CsvSource's own lock: a lock older than this is a crashed run's. */
const LOCK_STALE_MS = 30_000;

/** The files a CSV source writes (its outputs, else its inputs): where its locks are taken. */
export function csvTargets(loaded: LoadedConfig): string[] {
  const s = loaded.source;
  if (s.type !== "csv") return [];
  const files = [s.output?.videos ?? s.videos];
  if (s.bundles) files.unshift(s.output?.bundles ?? s.bundles);
  return files.map((f) => path.resolve(loaded.baseDir, f));
}

/**
 * Refuses to start while another run holds a CSV file's lock: finding out only at write-back would mean
 * applying to TokPortal and then being unable to record the results.
 */
export async function assertSourceUnlocked(loaded: LoadedConfig): Promise<void> {
  for (const file of csvTargets(loaded)) {
    const lockPath = lockPathFor(file);
    const held = await lockfile.check(file, {
      realpath: false,
      lockfilePath: lockPath,
      stale: LOCK_STALE_MS,
    });
    if (held) {
      const shown = path.relative(process.cwd(), lockPath) || lockPath;
      throw new SourceLockedError(
        `${path.relative(process.cwd(), file) || file} is locked by another tokportal-sync run (lock ${shown}); wait for that run to finish, or remove ${shown} if no other run is going.`,
      );
    }
  }
}

/** The config's wait ceiling in ms (`tokportal.max_wait_seconds`), or the client's default. */
export function maxWaitMsOf(loaded: LoadedConfig): number {
  const seconds = loaded.config.tokportal.max_wait_seconds;
  return seconds === undefined ? DEFAULT_MAX_WAIT_MS : seconds * 1000;
}

export async function openRuntime(loaded: LoadedConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  // First what can fail on the config alone, so nothing is left running when it does.
  const source =
    options.source ??
    createSource(loaded.source, {
      baseDir: loaded.baseDir,
      ...(options.sheetsLimiter ? { sheets: { limiter: options.sheetsLimiter } } : {}),
    });
  let sandbox: EmulatorHandle | null = null;
  let baseUrl = loaded.baseUrl;
  let apiKey = loaded.apiKey;
  if (baseUrl === "sandbox") {
    const { startEmulator, DEFAULT_API_KEY } = await import("../emulator/index.ts");
    const dir = sandboxDirOf(loaded);
    mkdirSync(dir, { recursive: true });
    const clock = await sandboxClockFor(dir, options.sandboxClock);
    sandbox = await startEmulator({
      port: 0,
      quiet: true,
      stateFile: path.join(dir, SANDBOX_STATE_FILE),
      ...(clock ? { now: clock.start, speed: clock.speed, seed: clock.seed } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    baseUrl = sandbox.url;
    apiKey = apiKey ?? DEFAULT_API_KEY;
  }
  const concurrency = loaded.config.tokportal.concurrency;
  let client: TokPortalClient;
  try {
    if (!apiKey) throw new Error(`${loaded.apiKeyEnv} is not set`);
    client = new TokPortalClient({
      baseUrl,
      apiKey,
      ...(concurrency ? { concurrency } : {}),
      retry: { maxWaitMs: options.maxWaitMs ?? maxWaitMsOf(loaded) },
      ...(options.gate ? { gate: options.gate } : {}),
    });
  } catch (err) {
    await sandbox?.stop();
    throw err;
  }
  const emulator = sandbox;
  return {
    source,
    client,
    apiKey,
    sandbox,
    async close() {
      await client.close().catch(() => undefined);
      await emulator?.stop();
    },
  };
}
