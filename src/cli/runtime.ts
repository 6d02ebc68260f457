/**
 * What a command needs to run a sync from a loaded config: the source, the TokPortal client and, for
 * `base_url: "sandbox"`, the emulator started in-process. `close()` releases all of it (the sandbox's
 * state is saved in `.sandbox/` next to the config, so the next run finds the same world).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import { TokPortalClient } from "../api/client.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { EmulatorHandle } from "../emulator/index.ts";
import { createSource, lockPathFor, type Source } from "../sources/index.ts";
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

export async function openRuntime(loaded: LoadedConfig): Promise<Runtime> {
  // First what can fail on the config alone, so nothing is left running when it does.
  const source = createSource(loaded.source, { baseDir: loaded.baseDir });
  let sandbox: EmulatorHandle | null = null;
  let baseUrl = loaded.baseUrl;
  let apiKey = loaded.apiKey;
  if (baseUrl === "sandbox") {
    const { startEmulator, DEFAULT_API_KEY } = await import("../emulator/index.ts");
    const dir = path.join(loaded.baseDir, SANDBOX_DIR);
    mkdirSync(dir, { recursive: true });
    sandbox = await startEmulator({
      port: 0,
      quiet: true,
      stateFile: path.join(dir, SANDBOX_STATE_FILE),
      ...(apiKey ? { apiKey } : {}),
    });
    baseUrl = sandbox.url;
    apiKey = apiKey ?? DEFAULT_API_KEY;
  }
  const concurrency = loaded.config.tokportal.concurrency;
  let client: TokPortalClient;
  try {
    if (!apiKey) throw new Error("TOKPORTAL_API_KEY is not set");
    client = new TokPortalClient({ baseUrl, apiKey, ...(concurrency ? { concurrency } : {}) });
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
