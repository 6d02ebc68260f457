/**
 * One lock per sheet for a whole run (read, plan, apply, write-back), so a manual `sync` and the `cron`
 * service never work on the same sheet at once: the second one stops before spending anything.
 *
 * CSV: a lock next to the videos file (`<videos>.run.lock`). It must not be the lock the CsvSource takes
 * while it rewrites a file (`<file>.lock`): the run holds this one while the source takes that one.
 * Google Sheets: a lock in the OS temp dir keyed by the spreadsheet id (runs on this machine), then the
 * lease kept in the spreadsheet itself (src/sources/sheet-lease.ts: runs on any machine). A run whose lease
 * is lost stops starting new work and writes nothing to the sheet (`RunHold`).
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import type { LoadedConfig } from "../config/load.ts";
import { type CreateSourceOptions, createSource, GoogleSheetsSource, type Source } from "../sources/index.ts";
import type { LeaseRecord } from "../sources/lease-record.ts";
import {
  leaseHolder,
  SheetLease,
  SheetLeaseHeldError,
  type SheetLeaseLostError,
  type SheetLeaseOptions,
} from "../sources/sheet-lease.ts";
import { SourceLockedError } from "./outcome.ts";
import { assertSourceUnlocked } from "./runtime.ts";

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
  /**
   * Called if the lock or the sheet's lease is lost mid-run (the lock's mtime could not be refreshed, or
   * another process took it; the lease was taken or not renewed in time).
   */
  onCompromised?: (err: Error) => void;
  tmpDir?: string;
  /** Google Sheets: the connection the lease is kept through (tests: the fake server; the service's limiter). */
  sheets?: CreateSourceOptions["sheets"];
  /** Google Sheets: the lease's TTL, renewal interval, clock and holder (tests shorten them). */
  lease?: Omit<SheetLeaseOptions, "onLost">;
}

function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

/** Why a run was refused: a code, with its words in `lockedWords` only. */
export type RunLockCode = "run_lock_held" | "run_lease_held";

export type RunLockParams =
  | { code: "run_lock_held"; lockPath: string; since: string | null; onThisMachine: boolean }
  | { code: "run_lease_held"; lease: LeaseRecord };

/** Another run holds this sheet (exit 5; a cron tick is skipped with reason `locked`). */
export class RunLockedError extends SourceLockedError {
  readonly code: RunLockCode;
  constructor(readonly params: RunLockParams) {
    super(lockedWords(params));
    this.code = params.code;
  }
}

/** The one wording of a refused run. */
export function lockedWords(p: RunLockParams): string {
  if (p.code === "run_lease_held") {
    const { holder, acquired_at, expires_at } = p.lease;
    return `Another tokportal-sync run holds this sheet's lease: ${holder.host} (process ${holder.pid}), since ${acquired_at}, until ${expires_at} unless it renews; wait for it to finish (a lease its run stopped renewing is taken over once it expires).`;
  }
  const lock = shown(p.lockPath);
  const since = p.since ? ` since ${p.since}` : "";
  const where = p.onThisMachine ? " on this machine" : "";
  return `Another tokportal-sync run is working on this sheet${where} (lock ${lock} held${since}); wait for it to finish, or remove ${lock} if no other run is going.`;
}

/** What a run holding the lock gets: a stop signal and, for Google Sheets, the source to run on. */
export interface RunHold {
  /** Aborted when the lease is lost: the run starts no new work. */
  signal: AbortSignal;
  /** Throws when the lease is lost (never for CSV). */
  assertHeld(): void;
  /**
   * Google Sheets: the source whose connection keeps the lease (one sign-in per run), its snapshots writing
   * only while the lease is held; give it to `openRuntime`. Null for CSV.
   */
  source: Source | null;
}

/** Makes the source's snapshots renew the lease right before they write, and write only if it is ours. */
function guarded(source: Source, lease: SheetLease): Source {
  const read = source.read.bind(source);
  source.read = async () => {
    const snapshot = await read();
    const write = snapshot.write.bind(snapshot);
    snapshot.write = async (patches, extras) => {
      await lease.confirm();
      return write(patches, extras);
    };
    return snapshot;
  };
  return source;
}

/** Takes the sheet's lease (Google Sheets only), or says who holds it. */
async function takeLease(
  loaded: LoadedConfig,
  options: RunLockOptions,
  onLost: (err: SheetLeaseLostError) => void,
): Promise<{ lease: SheetLease; source: Source } | null> {
  if (loaded.source.type !== "google_sheets") return null;
  const source = createSource(loaded.source, {
    baseDir: loaded.baseDir,
    ...(options.sheets ? { sheets: options.sheets } : {}),
  });
  if (!(source instanceof GoogleSheetsSource)) return null;
  const ctx = await source.connection();
  try {
    const lease = await SheetLease.acquire(ctx, { ...options.lease, onLost });
    return { lease, source: guarded(source, lease) };
  } catch (err) {
    if (err instanceof SheetLeaseHeldError)
      throw new RunLockedError({ code: "run_lease_held", lease: err.lease });
    throw err;
  }
}

/**
 * Who holds this config's sheet right now, by its lease (one read; null when free or expired, and for CSV,
 * which has no lease): for pages showing whether a campaign is running somewhere.
 */
export async function sheetLeaseHolder(
  loaded: LoadedConfig,
  options: Pick<RunLockOptions, "sheets"> = {},
  now: number = Date.now(),
): Promise<LeaseRecord | null> {
  if (loaded.source.type !== "google_sheets") return null;
  const source = createSource(loaded.source, {
    baseDir: loaded.baseDir,
    ...(options.sheets ? { sheets: options.sheets } : {}),
  });
  if (!(source instanceof GoogleSheetsSource)) return null;
  return leaseHolder(await source.connection(), now);
}

/**
 * True while a run holds the sheet (the status page's "sync now" asks before starting one): its run lock (a manual `sync` here), a CSV file's write lock, or
 * a Google Sheet's lease (src/sources/sheet-lease.ts).
 */
export async function sheetHeld(loaded: LoadedConfig): Promise<boolean> {
  const target = runLockTarget(loaded);
  try {
    const held = await lockfile.check(target.file, {
      realpath: false,
      lockfilePath: target.lockPath,
      stale: RUN_LOCK_STALE_MS,
    });
    if (held) return true;
    await assertSourceUnlocked(loaded);
    // Another machine's run (a laptop's `sync`, a second replica) holds the spreadsheet's lease.
    return (await sheetLeaseHolder(loaded)) !== null;
  } catch {
    return true;
  }
}

/**
 * Runs `fn` holding the sheet's run lock (and, for Google Sheets, its lease), released afterwards whatever
 * `fn` does. Throws `RunLockedError` (exit 5) at once, without calling `fn`, when another run holds either.
 */
export async function withRunLock<T>(
  loaded: LoadedConfig,
  fn: (hold: RunHold) => Promise<T>,
  options: RunLockOptions = {},
): Promise<T> {
  const compromised = (err: Error, what: string) => {
    if (options.onCompromised) options.onCompromised(err);
    else process.stderr.write(`warning: ${what} was lost: ${err.message}\n`);
  };
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
      onCompromised: (err) => compromised(err, `the run lock ${shown(lockPath)}`),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOCKED") {
      const since = await fsp
        .stat(lockPath)
        .then((st) => st.mtime.toISOString())
        .catch(() => null);
      throw new RunLockedError({
        code: "run_lock_held",
        lockPath,
        since,
        onThisMachine: loaded.source.type !== "csv",
      });
    }
    throw err;
  }
  const controller = new AbortController();
  let taken: { lease: SheetLease; source: Source } | null = null;
  try {
    taken = await takeLease(loaded, options, (err) => {
      controller.abort(err);
      compromised(err, "the sheet's run lease");
    });
    const lease = taken?.lease ?? null;
    return await fn({
      signal: controller.signal,
      assertHeld: () => lease?.assertHeld(),
      source: taken?.source ?? null,
    });
  } finally {
    await taken?.lease.release();
    // Already released (compromised) or removed by hand: nothing left to do.
    await release().catch(() => undefined);
  }
}
