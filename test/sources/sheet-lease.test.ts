/**
 * The run lease in a spreadsheet's developer metadata (src/sources/sheet-lease.ts), through the real
 * @googleapis/sheets client against the fake Sheets server: the fake's developer metadata first (the
 * compare-and-set rests on it), then acquire, refuse, take-over only after expiry, a stolen lease, release,
 * and the requests each step costs.
 */
import { sheets } from "@googleapis/sheets";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GoogleSheetsSource } from "../../src/sources/google-sheets.ts";
import {
  encodeLease,
  LEASE_KEY,
  LEASE_METADATA_ID,
  leaseState,
  newLease,
  parseLease,
  thisHolder,
} from "../../src/sources/lease-record.ts";
import { leaseHolder, SheetLease, SheetLeaseHeldError } from "../../src/sources/sheet-lease.ts";
import type { SheetsContext } from "../../src/sources/sheets-read.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

const ID = "lease-sheet-0001";
const TTL = 120_000;
let fake: FakeSheets;
let clock = 0;
const now = () => clock;

beforeAll(async () => {
  fake = await startFakeSheets();
});
afterAll(() => fake?.close());

let n = 0;
let sheetId = ID;
beforeEach(() => {
  sheetId = `${ID}-${n++}`;
  fake.createSpreadsheet({ id: sheetId, tabs: [{ title: "videos" }] });
  fake.clearLog();
  clock = Date.parse("2026-12-04T10:00:00.000Z");
});

async function connection(maxRetries = 0): Promise<SheetsContext> {
  const source = new GoogleSheetsSource({
    spreadsheetId: sheetId,
    videosTab: "videos",
    rootUrl: fake.rootUrl,
    auth: { apiKey: "test-key" },
    retry: { maxRetries, baseDelayMs: 1, maxDelayMs: 1, random: () => 0 },
  });
  return source.connection();
}

/** Options of a holder whose timer never fires: the test renews by hand (or never: a dead holder). */
const by = (host: string) => ({ host, now, ttlMs: TTL, renewEveryMs: 3_600_000 });

const counts = () => ({
  writes: fake.requests("spreadsheets.batchUpdate").length,
  reads: fake.requests("developerMetadata.get").length,
});

describe("the fake's developer metadata", () => {
  const api = () => sheets({ version: "v4", rootUrl: fake.rootUrl, auth: "test-key" });
  const create = (value: string) => ({
    createDeveloperMetadata: {
      developerMetadata: {
        metadataId: 42,
        metadataKey: "k",
        metadataValue: value,
        location: { spreadsheet: true },
        visibility: "DOCUMENT",
      },
    },
  });

  it("keeps ids unique, fails a whole batch on a duplicate, selects by id and value, and refuses unknown fields", async () => {
    const c = api();
    const spreadsheetId = sheetId;
    await c.spreadsheets.batchUpdate({ spreadsheetId, requestBody: { requests: [create("a")] } });
    const got = await c.spreadsheets.developerMetadata.get({ spreadsheetId, metadataId: 42 });
    expect(got.data).toMatchObject({
      metadataId: 42,
      metadataValue: "a",
      location: { spreadsheet: true, locationType: "SPREADSHEET" },
    });

    // A delete that matched, then a create of an id that exists: the whole batch is undone.
    const dup = c.spreadsheets.batchUpdate({
      spreadsheetId,
      requestBody: {
        requests: [
          { addSheet: { properties: { title: "extra" } } },
          { deleteDeveloperMetadata: { dataFilter: { developerMetadataLookup: { metadataKey: "nope" } } } },
          create("b"),
        ],
      },
    });
    await expect(dup).rejects.toMatchObject({ status: 400 });
    expect(fake.book(spreadsheetId).titles()).toEqual(["videos"]);

    // id + a value that is not the stored one: nothing updated, and the answer says so.
    const miss = await c.spreadsheets.batchUpdate({
      spreadsheetId,
      requestBody: {
        requests: [
          {
            updateDeveloperMetadata: {
              dataFilters: [{ developerMetadataLookup: { metadataId: 42, metadataValue: "zzz" } }],
              developerMetadata: { metadataValue: "c" },
              fields: "metadataValue",
            },
          },
        ],
      },
    });
    expect(miss.data.replies?.[0]?.updateDeveloperMetadata?.developerMetadata ?? []).toEqual([]);

    const found = await c.spreadsheets.developerMetadata.search({
      spreadsheetId,
      requestBody: { dataFilters: [{ developerMetadataLookup: { metadataKey: "k" } }] },
    });
    expect(found.data.matchedDeveloperMetadata?.map((m) => m.developerMetadata?.metadataValue)).toEqual([
      "a",
    ]);

    const typo = c.spreadsheets.batchUpdate({
      spreadsheetId,
      requestBody: {
        requests: [
          {
            deleteDeveloperMetadata: {
              dataFilter: { developerMetadataLookup: { metadataIdd: 42 } as never },
            },
          },
        ],
      },
    });
    await expect(typo).rejects.toMatchObject({ status: 400 });
    await expect(
      c.spreadsheets.developerMetadata.get({ spreadsheetId, metadataId: 7 }),
    ).rejects.toMatchObject({ status: 404 });
  });
});

describe("the lease record", () => {
  it("round-trips its value and reads garbage as an expired entry anyone may take over", () => {
    const lease = newLease(thisHolder("a"), 0, TTL);
    expect(parseLease(encodeLease(lease))).toEqual(lease);
    expect(leaseState(encodeLease(lease), true, TTL - 1).kind).toBe("held");
    expect(leaseState(encodeLease(lease), true, TTL).kind).toBe("expired");
    expect(leaseState("not json", true, 0)).toMatchObject({ kind: "expired", lease: null });
    expect(leaseState(null, false, 0).kind).toBe("free");
  });
});

describe("SheetLease", () => {
  it("a free sheet costs one write to take, one per renewal and one to release", async () => {
    const ctx = await connection();
    const lease = await SheetLease.acquire(ctx, by("machine-a"));
    expect(counts()).toEqual({ writes: 1, reads: 0 });
    const meta = fake.book(sheetId).metadata.get(LEASE_METADATA_ID);
    expect(meta).toMatchObject({ metadataKey: LEASE_KEY, location: { spreadsheet: true } });
    expect(parseLease(meta.metadataValue)?.holder.host).toBe("machine-a");

    for (let i = 0; i < 3; i++) {
      clock += 30_000;
      expect(await lease.renew()).toBe(true);
    }
    expect(parseLease(fake.book(sheetId).metadata.get(LEASE_METADATA_ID).metadataValue)?.expires_at).toBe(
      new Date(clock + TTL).toISOString(),
    );
    await lease.release();
    expect(counts()).toEqual({ writes: 1 + 3 + 1, reads: 0 });
    expect(fake.book(sheetId).metadata.entries.size).toBe(0);
  });

  it("a second holder is refused, naming the first, for one write and one read", async () => {
    const ctx = await connection();
    const first = await SheetLease.acquire(ctx, by("machine-a"));
    fake.clearLog();
    const err = await SheetLease.acquire(await connection(), by("machine-b")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SheetLeaseHeldError);
    expect((err as SheetLeaseHeldError).lease.holder.host).toBe("machine-a");
    expect(counts()).toEqual({ writes: 1, reads: 1 });
    expect((await leaseHolder(ctx, clock))?.holder.host).toBe("machine-a");
    await first.release();
    expect(await leaseHolder(ctx, clock)).toBeNull();
  });

  it("a holder that stops renewing is taken over only once its lease expired; it then finds it lost", async () => {
    const dead = await SheetLease.acquire(await connection(), by("machine-a"));
    clock += TTL - 1;
    await expect(SheetLease.acquire(await connection(), by("machine-b"))).rejects.toBeInstanceOf(
      SheetLeaseHeldError,
    );
    clock += 1;
    expect(dead.lost?.reason).toBe("expired");
    fake.clearLog();
    const next = await SheetLease.acquire(await connection(), by("machine-b"));
    // The create that failed, the read, the [delete + create] batch.
    expect(counts()).toEqual({ writes: 2, reads: 1 });
    expect(next.record.holder.host).toBe("machine-b");
    // The old holder's release deletes only its own value: the new lease stays.
    await dead.release();
    expect(parseLease(fake.book(sheetId).metadata.get(LEASE_METADATA_ID).metadataValue)?.holder.host).toBe(
      "machine-b",
    );
    await next.release();
  });

  it("a renewal that finds another value stops the holder (stolen), and the lost lease refuses writes", async () => {
    const ctx = await connection();
    const lost: string[] = [];
    const mine = await SheetLease.acquire(ctx, { ...by("machine-a"), onLost: (e) => lost.push(e.reason) });
    // Someone else's value in its place (an expired take-over seen from a clock far ahead).
    const other = encodeLease(newLease(thisHolder("machine-b"), clock, TTL));
    fake.book(sheetId).metadata.entries.get(LEASE_METADATA_ID)!.metadataValue = other;
    clock += 30_000;
    expect(await mine.renew()).toBe(false);
    expect(lost).toEqual(["stolen"]);
    expect(() => mine.assertHeld()).toThrow(/taken by another run/);
    await mine.release();
    expect(fake.book(sheetId).metadata.get(LEASE_METADATA_ID).metadataValue).toBe(other);
  });

  it("two runs racing for one expired lease: exactly one takes it", async () => {
    await SheetLease.acquire(await connection(), by("machine-a"));
    clock += TTL;
    const results = await Promise.allSettled(
      ["machine-b", "machine-c", "machine-d"].map(async (h) => SheetLease.acquire(await connection(), by(h))),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(SheetLeaseHeldError);
    }
  });

  it("a take whose answer was lost is sent again, finds the lease its own and keeps it", async () => {
    const ctx = await connection(2);
    const spreadsheets = ctx.api.spreadsheets;
    const send = spreadsheets.batchUpdate.bind(spreadsheets) as (...a: unknown[]) => Promise<unknown>;
    let dropped = false;
    // The first batch reaches the fake and is applied; its answer never comes back.
    spreadsheets.batchUpdate = (async (...a: unknown[]) => {
      const res = await send(...a);
      if (dropped) return res;
      dropped = true;
      throw Object.assign(new Error("socket hang up"), {
        code: "ECONNRESET",
        config: { url: `${fake.rootUrl}v4/spreadsheets/${sheetId}:batchUpdate` },
      });
    }) as never;
    const lease = await SheetLease.acquire(ctx, by("machine-a"));
    expect(lease.record.holder.host).toBe("machine-a");
    // The create applied, the same create again (refused: the id exists), the read that finds it ours.
    expect(counts()).toEqual({ writes: 2, reads: 1 });
    await lease.release();
    expect(fake.book(sheetId).metadata.entries.size).toBe(0);
  });

  it("a lease left by a process of this machine that is gone is taken at once; a live one is waited for", async () => {
    await SheetLease.acquire(await connection(), { ...by("machine-a") });
    const stale = fake.book(sheetId).metadata.entries.get(LEASE_METADATA_ID)!;
    const record = parseLease(stale.metadataValue)!;
    stale.metadataValue = encodeLease({ ...record, holder: { ...record.holder, pid: 999_999 } });
    await expect(
      SheetLease.acquire(await connection(), { ...by("machine-a"), alive: () => true }),
    ).rejects.toBeInstanceOf(SheetLeaseHeldError);
    const taken = await SheetLease.acquire(await connection(), { ...by("machine-a"), alive: () => false });
    expect(taken.record.holder.pid).toBe(process.pid);
    await taken.release();
  });
});
