/**
 * The run lease kept in the spreadsheet itself, so runs on different machines (a second replica, a manual
 * `sync` on a laptop) never work on one sheet at once. One spreadsheet-level developer metadata entry with
 * a fixed id (src/sources/lease-record.ts) holds {holder, acquired_at, expires_at}; every change is one
 * `spreadsheets.batchUpdate`, which Google applies whole or not at all, so each step is a compare-and-set
 * (docs/google-sheets.md "The run lease"):
 *
 *   acquire  create with the fixed id (fails while the entry exists); if it exists, read it; if expired
 *            (or left by a process of this machine that is gone), [delete id + the exact value read,
 *            create with the id]: when another run changed or took it first, the delete matches nothing
 *            and the create fails, so the batch does nothing
 *   renew    update id + our value → our value with a later expiry; an answer that updated nothing means
 *            the lease is no longer ours. Every renewal interval, and once more right before the write-back
 *   release  delete id + our value
 *
 * Requests per run: 1 write to acquire a free lease, 1 per renewal (one per interval, plus one before a
 * write-back), 1 to release; a refused run costs 1 write + 1 read, a take-over 2 writes + 1 read.
 */
import type { sheets_v4 } from "@googleapis/sheets";
import { SourceError } from "./errors.ts";
import {
  encodeLease,
  LEASE_KEY,
  LEASE_METADATA_ID,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  type LeaseHolder,
  type LeaseRecord,
  leaseState,
  leftBehind,
  newLease,
  parseLease,
  renewedLease,
  sameHolder,
  stillHeld,
  thisHolder,
} from "./lease-record.ts";
import { SheetsSourceError } from "./sheets-calls.ts";
import { PER_CALL, type SheetsContext } from "./sheets-read.ts";

export interface SheetLeaseOptions {
  /** Default 2 minutes. */
  ttlMs?: number;
  /** Default 30 s. */
  renewEveryMs?: number;
  now?: () => number;
  /** The machine name the lease shows (default the host's; tests stand for several machines). */
  host?: string;
  /** Whether a process of this machine runs (default: a signal 0 to it), to take over a crashed run's lease. */
  alive?: (pid: number) => boolean;
  /** Called once when the lease is found lost (stolen, or not renewed in time). */
  onLost?: (err: SheetLeaseLostError) => void;
}

/** Another run holds the sheet's lease and it has not expired. */
export class SheetLeaseHeldError extends SourceError {
  constructor(readonly lease: LeaseRecord) {
    super(
      `Another tokportal-sync run holds this sheet's lease (${lease.holder.host}, since ${lease.acquired_at}, until ${lease.expires_at}).`,
    );
  }
}

/** This run's lease was taken by another run or could not be renewed before it expired. */
export class SheetLeaseLostError extends SourceError {
  constructor(
    readonly reason: "stolen" | "expired",
    readonly holder: LeaseHolder,
  ) {
    super(
      reason === "stolen"
        ? "This run's lease on the sheet was taken by another run."
        : "This run's lease on the sheet could not be renewed before it expired.",
    );
  }
}

const LOOKUP = { metadataId: LEASE_METADATA_ID };

/** The request that writes the lease entry holding `value` (also how a test stands for another machine). */
export function leaseCreateRequest(value: string): sheets_v4.Schema$Request {
  return {
    createDeveloperMetadata: {
      developerMetadata: {
        metadataId: LEASE_METADATA_ID,
        metadataKey: LEASE_KEY,
        metadataValue: value,
        location: { spreadsheet: true },
        visibility: "DOCUMENT",
      },
    },
  };
}

function deleteRequest(value: string): sheets_v4.Schema$Request {
  return {
    deleteDeveloperMetadata: {
      dataFilter: { developerMetadataLookup: { ...LOOKUP, metadataValue: value } },
    },
  };
}

function batch(ctx: SheetsContext, what: string, requests: sheets_v4.Schema$Request[]) {
  return ctx.calls.run("write", what, () =>
    ctx.api.spreadsheets.batchUpdate(
      { spreadsheetId: ctx.spreadsheetId, requestBody: { requests } },
      PER_CALL,
    ),
  );
}

/** Google refused the request itself (not a transient failure): for a create, the id already exists. */
function refused(err: unknown): boolean {
  return err instanceof SheetsSourceError && err.status === 400;
}

/** The lease entry as stored, or null when there is none (one `developerMetadata.get`). */
async function readEntry(ctx: SheetsContext): Promise<{ value: string } | null> {
  try {
    const res = await ctx.calls.run("read", "read of the run lease (developerMetadata.get)", () =>
      ctx.api.spreadsheets.developerMetadata.get(
        { spreadsheetId: ctx.spreadsheetId, metadataId: LEASE_METADATA_ID },
        PER_CALL,
      ),
    );
    return { value: res.data.metadataValue ?? "" };
  } catch (err) {
    if (err instanceof SheetsSourceError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Who holds this sheet's lease right now (null when it is free or expired): one read. For pages that show
 * whether a campaign is running somewhere.
 */
export async function leaseHolder(ctx: SheetsContext, now: number = Date.now()): Promise<LeaseRecord | null> {
  const entry = await readEntry(ctx);
  const state = leaseState(entry?.value, entry !== null, now);
  return state.kind === "held" ? state.lease : null;
}

export class SheetLease {
  private lease: LeaseRecord;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** The renewal in flight: renewals never overlap (two updates of one value: the second finds it gone). */
  private renewing: Promise<boolean> | null = null;
  private lostError: SheetLeaseLostError | null = null;
  private released = false;

  private constructor(
    private readonly ctx: SheetsContext,
    lease: LeaseRecord,
    private readonly o: Required<Pick<SheetLeaseOptions, "ttlMs" | "renewEveryMs" | "now">> &
      Pick<SheetLeaseOptions, "onLost">,
  ) {
    this.lease = lease;
  }

  /**
   * Takes the sheet's lease and starts renewing it; throws `SheetLeaseHeldError` when another run holds it.
   * A lease left by a run that died is taken over only once it has expired (at once when that run was a
   * process of this machine that is gone).
   */
  static async acquire(ctx: SheetsContext, options: SheetLeaseOptions = {}): Promise<SheetLease> {
    const o = {
      ttlMs: options.ttlMs ?? LEASE_TTL_MS,
      renewEveryMs: options.renewEveryMs ?? LEASE_RENEW_MS,
      now: options.now ?? Date.now,
      ...(options.onLost ? { onLost: options.onLost } : {}),
    };
    const holder = thisHolder(options.host);
    const gone = (lease: LeaseRecord) => leftBehind(lease, holder, options.alive);
    // Each failed attempt means another run changed the entry between our read and our write: read again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const mine = newLease(holder, o.now(), o.ttlMs);
      try {
        await batch(ctx, "take of the run lease (createDeveloperMetadata)", [
          leaseCreateRequest(encodeLease(mine)),
        ]);
        return new SheetLease(ctx, mine, o).start();
      } catch (err) {
        if (!refused(err)) throw err;
      }
      const entry = await readEntry(ctx);
      const state = leaseState(entry?.value, entry !== null, o.now(), gone);
      // Ours already: a write that reached Google but whose answer was lost, then was sent again.
      if (state.kind === "held" && sameHolder(state.lease.holder, holder)) {
        return new SheetLease(ctx, state.lease, o).start();
      }
      if (state.kind === "held") throw new SheetLeaseHeldError(state.lease);
      if (state.kind === "free") continue;
      const taken = newLease(holder, o.now(), o.ttlMs);
      try {
        await batch(ctx, "take-over of an expired run lease (delete + createDeveloperMetadata)", [
          deleteRequest(state.value),
          leaseCreateRequest(encodeLease(taken)),
        ]);
        return new SheetLease(ctx, taken, o).start();
      } catch (err) {
        if (!refused(err)) throw err;
      }
    }
    const last = await readEntry(ctx);
    const lease = parseLease(last?.value);
    if (lease) throw new SheetLeaseHeldError(lease);
    throw new SourceError("The sheet's run lease kept changing while this run tried to take it; run again.");
  }

  get record(): LeaseRecord {
    return this.lease;
  }

  /** Why the lease is no longer ours, or null while it is. */
  get lost(): SheetLeaseLostError | null {
    if (!this.lostError && !this.released && !stillHeld(this.lease, this.o.now(), this.margin())) {
      this.markLost("expired");
    }
    return this.lostError;
  }

  /** Throws when the lease is no longer ours: checked right before writing to the sheet. */
  assertHeld(): void {
    const lost = this.lost;
    if (lost) throw lost;
  }

  /**
   * Renews now, right before writing to the sheet, and throws if the lease is no longer ours: the write
   * then has a whole TTL of certainty whatever the renewal timer last saw.
   */
  async confirm(): Promise<void> {
    await this.renew();
    this.assertHeld();
  }

  /** One renewal, after the one in flight (the timer's; tests call it directly). False once the lease is lost. */
  renew(): Promise<boolean> {
    const next = (this.renewing ?? Promise.resolve(true)).then(() => this.renewNow());
    const tracked = next.finally(() => {
      if (this.renewing === tracked) this.renewing = null;
    });
    this.renewing = tracked;
    return tracked;
  }

  private async renewNow(): Promise<boolean> {
    if (this.lost) return false;
    const next = renewedLease(this.lease, this.o.now(), this.o.ttlMs);
    try {
      const res = await batch(this.ctx, "renewal of the run lease (updateDeveloperMetadata)", [
        {
          updateDeveloperMetadata: {
            dataFilters: [{ developerMetadataLookup: { ...LOOKUP, metadataValue: encodeLease(this.lease) } }],
            developerMetadata: { metadataValue: encodeLease(next) },
            fields: "metadataValue",
          },
        },
      ]);
      const updated = res.data.replies?.[0]?.updateDeveloperMetadata?.developerMetadata ?? [];
      if (updated.length === 0) {
        this.markLost("stolen");
        return false;
      }
      this.lease = next;
      return true;
    } catch (err) {
      // A refusal means the filter found no entry to update (what Google does then is not documented: the
      // empty answer above and a 400 both mean our value is gone). Transient failures were retried by
      // SheetsCalls; the next tick tries again, and `lost` turns true if none succeeds before expiry.
      if (refused(err)) {
        this.markLost("stolen");
        return false;
      }
      return !this.lost;
    }
  }

  /** Stops renewing and deletes the entry if it still holds our value; never throws (it expires anyway). */
  async release(): Promise<void> {
    this.stop();
    await this.renewing?.catch(() => undefined);
    if (this.released) return;
    this.released = true;
    // Matched by our own value, so even a lease thought lost is deleted only if it is still ours.
    await batch(this.ctx, "release of the run lease (deleteDeveloperMetadata)", [
      deleteRequest(encodeLease(this.lease)),
    ]).catch(() => undefined);
  }

  private start(): this {
    this.timer = setInterval(() => {
      if (!this.renewing) void this.renew();
    }, this.o.renewEveryMs);
    this.timer.unref?.();
    return this;
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A renewal interval before expiry: a write-back starting later could outlast the lease. */
  private margin(): number {
    return Math.min(this.o.renewEveryMs, this.o.ttlMs / 2);
  }

  private markLost(reason: "stolen" | "expired"): void {
    if (this.lostError) return;
    this.stop();
    this.lostError = new SheetLeaseLostError(reason, this.lease.holder);
    this.o.onLost?.(this.lostError);
  }
}
