/**
 * The lock a CSV write-back holds on the file it rewrites (`<file>.lock`), so two runs never interleave a
 * re-read and a replace of the same file.
 */
import { promises as fsp } from "node:fs";
import lockfile from "proper-lockfile";
import { SourceError } from "./errors.ts";

export class CsvSourceError extends SourceError {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** What locks a CSV file while it is being rewritten (also the file named in the lock error). */
export function lockPathFor(file: string): string {
  return `${file}.lock`;
}

/**
 * Takes `file`'s lock, retrying for `waitMs` (0: fail at once). The returned release throws when the lock
 * was taken over meanwhile. `display` shows a path the way the user's messages do.
 */
export async function lockCsvFile(
  file: string,
  waitMs: number,
  display: (file: string) => string,
): Promise<() => Promise<void>> {
  const lockPath = lockPathFor(file);
  let compromised: Error | null = null;
  try {
    const release = await lockfile.lock(file, {
      realpath: false,
      lockfilePath: lockPath,
      stale: 30_000,
      update: 10_000,
      retries: waitMs ? { retries: Math.ceil(waitMs / 100), minTimeout: 100, maxTimeout: 100, factor: 1 } : 0,
      onCompromised: (err) => {
        compromised = err;
      },
    });
    return async () => {
      await release().catch(() => undefined);
      if (compromised) {
        throw new CsvSourceError(
          `The lock ${display(lockPath)} was taken over by another process while ${display(file)} was being written; check the file and run again.`,
          file,
        );
      }
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOCKED") {
      const since = await fsp
        .stat(lockPath)
        .then((s) => ` since ${s.mtime.toISOString()}`)
        .catch(() => "");
      throw new CsvSourceError(
        `${display(file)} is locked by another tokportal-sync process (lock ${display(lockPath)} held${since}); wait for that run to finish, or remove ${display(lockPath)} if no other run is going.`,
        file,
      );
    }
    throw err;
  }
}
