/**
 * The run lease's record and the decisions taken on it, with no I/O: what a holder writes into the
 * spreadsheet's developer metadata (src/sources/sheet-lease.ts sends it; docs/google-sheets.md "The run
 * lease" says which Sheets behaviour it relies on), how a stored value is read back, and whether it still
 * keeps others out.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";

/** The developer metadata key of the lease (spreadsheet-level). */
export const LEASE_KEY = "tokportal-sync.run-lease";
/**
 * The fixed metadata id of the lease: ids are unique in a spreadsheet, so creating it again fails while it
 * exists. Any positive 32-bit integer works; this one spells "tps" and is unlikely to collide.
 */
export const LEASE_METADATA_ID = 7_631_731;
/** A lease not renewed for this long is expired and may be taken over. */
export const LEASE_TTL_MS = 120_000;
/** How often a live run renews its lease: four chances before it expires. */
export const LEASE_RENEW_MS = 30_000;

export interface LeaseHolder {
  host: string;
  pid: number;
  /** Random per run: two runs of one process are told apart. */
  run: string;
}

export interface LeaseRecord {
  holder: LeaseHolder;
  /** ISO times. */
  acquired_at: string;
  expires_at: string;
}

/** This process, for a new run (`host`: tests stand for several machines in one process). */
export function thisHolder(host: string = os.hostname()): LeaseHolder {
  return { host, pid: process.pid, run: randomBytes(6).toString("hex") };
}

/** Whether a process of this machine is running (EPERM: it is, as another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A lease left by a run of this machine whose process is gone (it crashed, or could not release, e.g. its
 * sign-in was revoked): no need to wait for its expiry. A live process, or any other machine's, is waited for.
 */
export function leftBehind(
  lease: LeaseRecord,
  me: LeaseHolder,
  alive: (pid: number) => boolean = processAlive,
): boolean {
  return lease.holder.host === me.host && lease.holder.pid !== me.pid && !alive(lease.holder.pid);
}

export function newLease(holder: LeaseHolder, now: number, ttlMs: number): LeaseRecord {
  return {
    holder,
    acquired_at: new Date(now).toISOString(),
    expires_at: new Date(now + ttlMs).toISOString(),
  };
}

export function renewedLease(lease: LeaseRecord, now: number, ttlMs: number): LeaseRecord {
  return { ...lease, expires_at: new Date(now + ttlMs).toISOString() };
}

/** The metadata value: the exact string a compare-and-set matches on, so it is always built here. */
export function encodeLease(lease: LeaseRecord): string {
  const { host, pid, run } = lease.holder;
  return JSON.stringify({
    holder: { host, pid, run },
    acquired_at: lease.acquired_at,
    expires_at: lease.expires_at,
  });
}

/** A stored value read back; null when it is not a lease this program wrote (see `leaseState`). */
export function parseLease(value: string | null | undefined): LeaseRecord | null {
  if (typeof value !== "string") return null;
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return null;
  }
  const r = v as Partial<LeaseRecord> | null;
  const h = r?.holder as Partial<LeaseHolder> | undefined;
  if (
    !r ||
    typeof h?.host !== "string" ||
    typeof h.pid !== "number" ||
    typeof h.run !== "string" ||
    typeof r.acquired_at !== "string" ||
    typeof r.expires_at !== "string" ||
    !Number.isFinite(Date.parse(r.expires_at))
  ) {
    return null;
  }
  return {
    holder: { host: h.host, pid: h.pid, run: h.run },
    acquired_at: r.acquired_at,
    expires_at: r.expires_at,
  };
}

export type LeaseState =
  | { kind: "free" }
  | { kind: "held"; lease: LeaseRecord }
  /** `lease` is null for a value that is not a lease record: nobody can renew it, so it is taken over. */
  | { kind: "expired"; lease: LeaseRecord | null; value: string };

/**
 * What a stored value means at `now`: free (no entry), held by someone, or expired (or `gone`: its holder
 * is known to have stopped) and open to take over.
 */
export function leaseState(
  value: string | null | undefined,
  exists: boolean,
  now: number,
  gone: (lease: LeaseRecord) => boolean = () => false,
): LeaseState {
  if (!exists) return { kind: "free" };
  const lease = parseLease(value);
  if (lease && Date.parse(lease.expires_at) > now && !gone(lease)) return { kind: "held", lease };
  return { kind: "expired", lease, value: value ?? "" };
}

/**
 * Whether a holder may still write at `now`: its last renewal's expiry, less a margin, is ahead. The margin
 * covers a write-back that starts just before expiry and the clock difference between machines.
 */
export function stillHeld(lease: LeaseRecord, now: number, marginMs: number): boolean {
  return Date.parse(lease.expires_at) - marginMs > now;
}

export function sameHolder(a: LeaseHolder, b: LeaseHolder): boolean {
  return a.host === b.host && a.pid === b.pid && a.run === b.run;
}
