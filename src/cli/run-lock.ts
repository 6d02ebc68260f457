/**
 * One lock per sheet for a whole run (read, plan, apply, write-back), so a manual `sync` and the `cron`
 * service never work on the same sheet at once: the second one stops before spending anything.
 *
 * CSV: a lock next to the videos file (`<videos>.run.lock`). It must not be the lock the CsvSource takes
 * while it rewrites a file (`<file>.lock`): the run holds this one while the source takes that one.
 * Google Sheets: a lock in the OS temp dir keyed by the spreadsheet id, so it only covers runs on one
 * machine.
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import type { LoadedConfig } from "../config/load.ts";
import { SourceLockedError } from "./outcome.ts";

/** A lock whose mtime is older than this belongs to a crashed run and is taken over. */
export const RUN_LOCK_STALE_MS = 30_000;
/** How often a live run refreshes its lock's mtime (well inside the stale threshold). */
const RUN_LOCK_UPDATE_MS = 10_000;

export interface RunLockTarget {
  /** The path proper-lockfile is keyed by (need not exist). */
  file: string;
  /** The lock directory it creates. */
  lockPath: string;
}

/** Where the run lock of this config's sheet lives. */
export function runLockTarget(loaded: LoadedConfig, tmpDir: string = os.tmpdir()): RunLockTarget {
  const s = loaded.source;
  if (s.type === "csv") {
    // The input videos file names the sheet: two configs writing the same campaign share it.
    const file = `${path.resolve(loaded.baseDir, s.videos)}.run`;
    return { file, lockPath: `${file}.lock` };
  }
  // Spreadsheet ids are [A-Za-z0-9_-] (checked by the config schema), safe in a file name.
  const file = path.join(tmpDir, `tokportal-sync-${s.spreadsheet_id}.run`);
  return { file, lockPath: `${file}.lock` };
}

export interface RunLockOptions {
  /** Called if the lock is lost mid-run (its mtime could not be refreshed, or another process took it). */
  onCompromised?: (err: Error) => void;
  tmpDir?: string;
}

function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

/**
 * Runs `fn` holding the sheet's run lock, released afterwards whatever `fn` does. Throws
 * `SourceLockedError` (exit 5) at once, without calling `fn`, when another run holds it.
 */
export async function withRunLock<T>(
  loaded: LoadedConfig,
  fn: () => Promise<T>,
  options: RunLockOptions = {},
): Promise<T> {
  const { file, lockPath } = runLockTarget(loaded, options.tmpDir);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      lockfilePath: lockPath,
      stale: RUN_LOCK_STALE_MS,
      update: RUN_LOCK_UPDATE_MS,
      retries: 0,
      // The default throws from a timer, which would kill the process mid-write-back; a lost lock is
      // reported and the run finishes what it started.
      onCompromised: (err) => {
        if (options.onCompromised) options.onCompromised(err);
        else process.stderr.write(`warning: the run lock ${shown(lockPath)} was lost: ${err.message}\n`);
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOCKED") {
      const since = await fsp
        .stat(lockPath)
        .then((st) => ` since ${st.mtime.toISOString()}`)
        .catch(() => "");
      const where = loaded.source.type === "csv" ? "" : " on this machine";
      throw new SourceLockedError(
        `Another tokportal-sync run is working on this sheet${where} (lock ${shown(lockPath)} held${since}); wait for it to finish, or remove ${shown(lockPath)} if no other run is going.`,
      );
    }
    throw err;
  }
  try {
    return await fn();
  } finally {
    // Already released (compromised) or removed by hand: nothing left to do.
    await release().catch(() => undefined);
  }
}
