/**
 * The run lease across machines (src/cli/run-lock.ts, src/sources/sheet-lease.ts): two `CampaignService`s
 * standing for two machines (each its own local lock directory, so only the lease in the spreadsheet can
 * keep them apart, and its own host name on the lease) run one Google Sheets campaign on the sandbox
 * emulator and the fake Sheets server, each ticking every other second, offset by one,  with runs
 * alternately longer and shorter than the offset. Every run's start and end is
 * recorded: no two runs overlap, and both machines do run over time. Then a run whose lease is taken
 * mid-run stops before its write-back with nothing written, and what the lease costs a run in requests.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOptionsOf } from "../../src/cli/command.ts";
import { exitCodeForError, SourceLockedError } from "../../src/cli/outcome.ts";
import { type RunLockOptions, sheetLeaseHolder, withRunLock } from "../../src/cli/run-lock.ts";
import { openRuntime } from "../../src/cli/runtime.ts";
import { type LoadedConfig, loadConfig } from "../../src/config/load.ts";
import { EXIT } from "../../src/exit-codes.ts";
import { CampaignService } from "../../src/service/campaigns.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import { encodeLease, LEASE_METADATA_ID, newLease, thisHolder } from "../../src/sources/lease-record.ts";
import { SheetLeaseLostError } from "../../src/sources/sheet-lease.ts";
import { SheetsRateLimiter } from "../../src/sources/sheets-limiter.ts";
import { runSync } from "../../src/sync/run.ts";
import type { RunReport } from "../../src/sync/types.ts";
import { seedCampaignSheet } from "../support/campaign.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { type FakeSheets, startFakeSheets } from "../support/fake-sheets/server.ts";

const KEY = `sk_${"d4".repeat(32)}`;
let dir = "";
let emu: TestEmulator;
let fake: FakeSheets;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-lease-"));
  emu = await startTestEmulator({ apiKey: KEY, credits: 100_000 });
  // Each Sheets request takes 60 ms, so a run lasts long enough for the other machine's tick to meet it.
  fake = await startFakeSheets({
    latencyMs: 60,
    limits: { readPerUser: 10_000, writePerUser: 10_000, readPerProject: 10_000, writePerProject: 10_000 },
  });
});
afterAll(async () => {
  await fake?.close();
  await emu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function campaignConfig(id: string): LoadedConfig {
  seedCampaignSheet(fake, id, { bundles: 2, videosPerBundle: 2, prefix: `${id}-` });
  const file = path.join(dir, `${id}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      tokportal: { base_url: emu.url, api_key_env: "TP_KEY" },
      source: { type: "google_sheets", spreadsheet_id: id, bundles_tab: "bundles", videos_tab: "videos" },
      max_credits: 10_000,
    }),
  );
  return loadConfig(file, { TP_KEY: KEY });
}

interface Machine {
  name: string;
  lock: RunLockOptions;
}

/** A machine: its own temp dir for the local lock, its own host name on the lease, a generous limiter. */
function machine(name: string, lease: RunLockOptions["lease"] = {}): Machine {
  const tmp = path.join(dir, `tmp-${name}`);
  mkdirSync(tmp, { recursive: true });
  return {
    name,
    lock: {
      tmpDir: tmp,
      sheets: {
        rootUrl: fake.rootUrl,
        auth: { apiKey: "test-key" },
        limiter: new SheetsRateLimiter({ limit: 10_000 }),
        retry: { maxRetries: 0 },
      },
      lease: { host: name, ...lease },
    },
  };
}

interface RunSpan {
  machine: string;
  start: number;
  end: number;
}

/** What `serviceRun` does (src/cli/cron-run.ts), on this machine's lock options. */
function runOn(
  m: Machine,
  loaded: LoadedConfig,
  signal: AbortSignal,
  spans: RunSpan[] = [],
  /** A slow run: held this long before it starts (its lease renewed meanwhile). */
  slowMs = 0,
): Promise<RunReport> {
  return withRunLock(
    loaded,
    async (hold) => {
      const span = { machine: m.name, start: performance.now(), end: Number.NaN };
      await new Promise((r) => setTimeout(r, slowMs));
      const runtime = await openRuntime(loaded, hold.source ? { source: hold.source } : {});
      try {
        return await runSync({
          ...runOptionsOf(loaded, runtime),
          maxCredits: 10_000,
          prune: false,
          mode: "apply",
          analytics: false,
          signal: AbortSignal.any([signal, hold.signal]),
          confirm: async () => true,
        });
      } finally {
        await runtime.close().catch(() => undefined);
        span.end = performance.now();
        spans.push(span);
      }
    },
    { ...m.lock, onCompromised: () => undefined },
  );
}

function logSink() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createServiceLogger({ destination, apiKey: KEY }) };
}

describe("two machines on one Google Sheet", () => {
  it("never run at once: ticks every second, offset by one, runs of up to 2 s, for 9 s; both run, none overlap", async () => {
    const loaded = campaignConfig("lease-two-machines");
    const spans: RunSpan[] = [];
    const sinks = [logSink(), logSink()];
    const machines = [
      { m: machine("machine-a", { ttlMs: 4_000, renewEveryMs: 500 }), schedule: "*/2 * * * * *" },
      { m: machine("machine-b", { ttlMs: 4_000, renewEveryMs: 500 }), schedule: "1-59/2 * * * * *" },
    ];
    const turns = [0, 0];
    const services = machines.map(
      ({ m, schedule }, i) =>
        new CampaignService({
          logger: (sinks[i] as ReturnType<typeof logSink>).logger,
          campaigns: [
            {
              name: "shared",
              schedule,
              // Runs alternately longer than the offset (the other machine's tick meets them) and shorter.
              runOnce: (signal) => {
                const turn = (turns[i] ?? 0) + 1;
                turns[i] = turn;
                return runOn(m, loaded, signal, spans, turn % 2 === 1 ? 1_300 : 200);
              },
              isLocked: (err) => err instanceof SourceLockedError,
              describeError: (err) => (err as Error).message,
            },
          ],
        }),
    );
    for (const s of services) s.start();
    await new Promise((r) => setTimeout(r, 9_000));
    await Promise.all(services.map((s) => s.stop()));

    const overlaps = spans.flatMap((a, i) =>
      spans.slice(i + 1).filter((b) => a.start < b.end && b.start < a.end),
    );
    expect(overlaps).toEqual([]);
    const ran = (name: string) => spans.filter((s) => s.machine === name).length;
    expect(ran("machine-a")).toBeGreaterThan(0);
    expect(ran("machine-b")).toBeGreaterThan(0);
    // Every failure is a refusal by the lease (a skipped tick), never a failed run.
    const events = sinks.flatMap((s) => s.lines);
    expect(events.filter((e) => e.event === "run_failed")).toEqual([]);
    // A tick is skipped because the other machine holds the lease (locked), or this machine's own run is
    // still going (overrun, the scheduler's own rule).
    const skipped = events.filter((e) => e.event === "tick_skipped");
    expect(skipped.filter((e) => e.reason !== "locked" && e.reason !== "overrun")).toEqual([]);
    const locked = skipped.filter((e) => e.reason === "locked");
    expect(locked.length).toBeGreaterThan(0);
    // Runs outlast the other machine's tick: the lease turned them away, and was renewed while they ran.
    expect(locked.every((e) => String(e.error).includes("holds this sheet's lease"))).toBe(true);
    expect(
      fake.requests().filter((e) => e.requests.includes("updateDeveloperMetadata")).length,
    ).toBeGreaterThan(0);
    // The lease was released at the end of the last run.
    expect(fake.book("lease-two-machines").metadata.entries.size).toBe(0);
    console.log(
      `two machines: ${ran("machine-a")} + ${ran("machine-b")} runs, ${locked.length} ticks skipped (locked), 0 overlapping`,
    );
  }, 30_000);

  it("a sync while another machine holds the lease exits 5 naming the holder, before any request to TokPortal", async () => {
    const loaded = campaignConfig("lease-held-sync");
    const other = newLease(thisHolder("build-server-7"), Date.now(), 120_000);
    fake.book("lease-held-sync").metadata.request(
      "createDeveloperMetadata",
      {
        developerMetadata: {
          metadataId: LEASE_METADATA_ID,
          metadataKey: "tokportal-sync.run-lease",
          metadataValue: encodeLease(other),
          location: { spreadsheet: true },
          visibility: "DOCUMENT",
        },
      },
      0,
    );
    const before = emu.requestLog().length;
    const err = await runOn(machine("laptop"), loaded, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "run_lease_held" });
    expect(exitCodeForError(err)).toBe(EXIT.locked);
    expect((err as Error).message).toContain("build-server-7");
    expect((err as Error).message).toContain(other.acquired_at);
    expect((err as Error).message).toContain(other.expires_at);
    expect(emu.requestLog().length).toBe(before);
    // What a status page asks: who holds this campaign's sheet now (one read).
    expect((await sheetLeaseHolder(loaded, machine("status").lock))?.holder.host).toBe("build-server-7");
  });

  it("a run whose lease is taken mid-run stops before its write-back: nothing is written to the sheet", async () => {
    const id = "lease-stolen";
    const loaded = campaignConfig(id);
    fake.clearLog();
    // Right after the run reads the sheet, another machine's value replaces ours (as a take-over would).
    fake.beforeHandle = (entry) => {
      if (entry.op !== "values.batchGet" || entry.spreadsheetId !== id) return;
      const stored = fake.book(id).metadata.entries.get(LEASE_METADATA_ID);
      if (stored) stored.metadataValue = encodeLease(newLease(thisHolder("thief"), Date.now(), 120_000));
    };
    try {
      const err = await runOn(machine("machine-a"), loaded, new AbortController().signal).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SheetLeaseLostError);
      expect(err).toMatchObject({ reason: "stolen" });
    } finally {
      fake.beforeHandle = null;
    }
    expect(fake.requests("values.batchUpdate").filter((e) => e.spreadsheetId === id)).toEqual([]);
    // The thief's lease is left alone.
    expect(fake.book(id).metadata.get(LEASE_METADATA_ID).metadataValue).toContain("thief");
  });

  it("the lease costs a run a fixed few requests: take, renew before the write-back, release", async () => {
    const id = "lease-costs";
    const loaded = campaignConfig(id);
    const leaseOps = () =>
      fake
        .requests()
        .filter((e) => e.spreadsheetId === id)
        .filter(
          (e) => e.op === "developerMetadata.get" || e.requests.some((r) => r.includes("DeveloperMetadata")),
        )
        .map((e) => `${e.op} ${e.requests.join("+")}`.trim());
    fake.clearLog();
    // The first run creates bundles and writes back; the second finds nothing to write.
    for (let run = 0; run < 2; run++) await runOn(machine("machine-a"), loaded, new AbortController().signal);
    expect(leaseOps()).toEqual([
      "spreadsheets.batchUpdate createDeveloperMetadata",
      "spreadsheets.batchUpdate updateDeveloperMetadata",
      "spreadsheets.batchUpdate deleteDeveloperMetadata",
      "spreadsheets.batchUpdate createDeveloperMetadata",
      "spreadsheets.batchUpdate deleteDeveloperMetadata",
    ]);
    const all = fake.requests().filter((e) => e.spreadsheetId === id).length;
    console.log(`lease requests for 2 runs: ${leaseOps().length} of ${all} Sheets requests`);
  });
});
