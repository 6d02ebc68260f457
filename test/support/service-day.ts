/**
 * A simulated day of an agency's service, shared by `test/service/simulated-day.test.ts` and
 * `bench/service-day.ts`: 12 CSV campaigns on 4 TokPortal keys (3 per key, each key its own sandbox
 * workspace on a port), run by `cron` in this process, with a second service instance over the same 12
 * campaigns (a standby replica) started beside it. Two campaigns lose their videos file for the middle
 * third of the day; one campaign's key is refused all day.
 *
 * How time is driven, and why it is honest: the day is `ticks` ticks of the campaigns' schedule, each
 * `tickSeconds` of real time (a cron schedule with seconds), and the sandbox's clock runs at the speed
 * that makes those ticks last one simulated day, so its account managers move the world as a day would.
 * The rate bucket is TokPortal's own (capacity 120, 2 tokens/s) on the real clock, as the sandbox always
 * keeps it: compressing the day does not compress the bucket, so each key is asked for far more per real
 * second than a real day would ask, and the gate its campaigns share is tested harder than in production.
 *
 * What is measured comes from outside the service: each sandbox's request log (per key: calls, 429s, the
 * worst excess over the bucket's bound in any window), the run records both instances wrote (start and
 * end of every run, to compare with the ticks and to find overlapping runs of one campaign), and the CSV
 * files (every row's `sync_status` at the end).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { loadSpec } from "../../src/api/spec.ts";
import { runCronCommand } from "../../src/cli/cron-run.ts";
import { DEFAULT_BUCKET } from "../../src/emulator/bucket.ts";
import type { RequestLogEntry } from "../../src/emulator/request-log.ts";
import { RunHistory } from "../../src/service/history.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import type { RunRecord } from "../../src/service/run-record.ts";
import { readCsvRows, writeCampaign } from "./campaign.ts";
import { firstJsonLine } from "./streams.ts";

export interface DayOptions {
  /** Ticks in the day (96 = every 15 minutes). */
  ticks: number;
  /** Real seconds per tick (a divisor of 60: the schedule is `*\/N * * * * *`). */
  tickSeconds: number;
  bundles: number;
  videosPerBundle: number;
}

export const KEYS = ["A", "B", "C", "D"] as const;
/** Campaigns whose videos file is moved away for the middle third of the day. */
export const FAILING_SHEET = ["b3", "c3"];
/** The campaign whose key the sandbox refuses. */
export const REFUSED = "d3";
/**
 * A run's record starts at its tick, before the run takes the lock (overlapsOf): overlaps up to this long
 * are that gap, counted apart; two runs that held the lock together would overlap by a whole run.
 */
export const TICK_TO_LOCK_MS = 100;
/** When (fractions of the day) those files are gone. */
export const SHEETS_GONE = [0.15, 0.45] as const;
/**
 * When a second service instance over the same campaigns runs. Before it, one service holds each key's
 * gate; while it runs, two do.
 */
export const REPLICA = [0.35, 0.6] as const;
/** Longest the evening may last: see runServiceDay. */
const EVENING_SECONDS = 15;
export const CAMPAIGNS = KEYS.flatMap((k) => [1, 2, 3].map((i) => `${k.toLowerCase()}${i}`));
export const HEALTHY = CAMPAIGNS.filter((c) => c !== REFUSED && !FAILING_SHEET.includes(c));

const keyOf = (k: string) => `sk_${k.toLowerCase().charCodeAt(0).toString(16).repeat(32)}`;
const REFUSED_KEY = `sk_${"e".repeat(64)}`;
const DAY_START = "2026-09-01T00:00:00.000Z";

export interface KeyFigures {
  key: string;
  /** Calls the bucket counted (every keyed call but 401s, which take no token). */
  calls: number;
  rateLimited: number;
  /** The largest (calls in a window) − (capacity + refill × window) over every window; ≤ 0 is within. */
  worstExcess: number;
}

export interface TickFigures {
  campaign: string;
  runs: number;
  /** Ticks at which the campaign was idle (no run of either instance in flight). */
  idleTicks: number;
  /** Idle ticks with no run starting at them. */
  missed: number;
  /** Slowest start after its tick (ms). */
  worstLateMs: number;
  /** The missed ticks, in seconds from the day's start. */
  missedAt: number[];
}

export interface DayResult {
  wallMs: number;
  /** Every campaign that can run had a whole run after the disturbances, before the stop. */
  settled: boolean;
  /** How long the evening took (ms after the day's last tick). */
  eveningMs: number;
  /** Per key, while one instance ran (the morning), and once the replica had joined. */
  perKey: { alone: KeyFigures[]; withReplica: KeyFigures[] };
  /** Every run record of both instances, tagged with the instance. */
  records: Array<RunRecord & { instance: 1 | 2 }>;
  ticks: TickFigures[];
  /** Pairs of runs of one campaign whose [start, end] intersect, across both instances. */
  overlapping: string[][];
  /** Overlaps of at most TICK_TO_LOCK_MS: a tick stamped just before the other instance released the lock. */
  tickToLock: number;
  /** Per campaign, rows whose `sync_status` is not `synced` in its files at the end, and those in `error` or `locked`. */
  unsynced: Record<string, number>;
  failedRows: Record<string, number>;
  rows: number;
  exitCodes: number[];
}

/** The worst excess of a request log over a bucket, over every window [i, j] of its timed entries. */
export function worstExcess(times: readonly number[], capacity: number, refillPerSecond: number): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const allowed = capacity + (refillPerSecond * ((times[j] as number) - (times[i] as number))) / 1000;
      worst = Math.max(worst, j - i + 1 - allowed);
    }
  }
  return times.length === 0 ? 0 : worst;
}

/** A service's log, kept only for when each kind of event was first seen. */
function counter() {
  const firstAt: Record<string, number> = {};
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) {
        const m = /"event":"([a-z_]+)"/.exec(line);
        if (m?.[1]) firstAt[m[1]] ??= Date.now();
      }
      done();
    },
  });
  return { stream, firstAt };
}

const isPublic = (operationId: string | null): boolean =>
  operationId !== null && loadSpec().operation(operationId).public;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sandboxes {
  child: ChildProcess;
  urls: Record<string, { url: string; origin: string }>;
}

function startSandboxes(options: {
  keys: Record<string, string>;
  now: string;
  speed: number;
}): Promise<Sandboxes> {
  const script = fileURLToPath(new URL("./service-day-sandbox.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return firstJsonLine<Omit<Sandboxes, "child">>(child, "the sandboxes").then((line) => ({ child, ...line }));
}

/** A sandbox's whole request log, through its admin API. */
async function requestLog(origin: string): Promise<RequestLogEntry[]> {
  const out: RequestLogEntry[] = [];
  for (let since = 0; ; ) {
    const page = (await (await fetch(`${origin}/__emulator/requests?since=${since}`)).json()) as {
      data: RequestLogEntry[];
      next: number;
    };
    if (page.data.length === 0) return out;
    out.push(...page.data);
    since = page.next;
  }
}

/** A campaign's runs in one line each, for a failure's message. */
export function trail(day: DayResult, campaign: string): string[] {
  const t0 = Math.min(...day.records.map((r) => Date.parse(r.startedAt)));
  return day.records
    .filter((r) => r.campaign === campaign)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .map(
      (r) =>
        `#${r.instance} ${((Date.parse(r.startedAt) - t0) / 1000).toFixed(1)}s +${r.durationMs}ms ${r.status}${r.stopped ? " stopped" : ""} ${JSON.stringify(r.counts)} ${r.error ?? ""}`,
    );
}

export async function runServiceDay(o: DayOptions): Promise<DayResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "tps-day-"));
  const dayMs = o.ticks * o.tickSeconds * 1000;
  const sandbox = await startSandboxes({
    keys: Object.fromEntries(KEYS.map((k) => [k, keyOf(k)])),
    now: DAY_START,
    speed: 86_400_000 / dayMs,
  });
  const emulators = sandbox.urls;
  try {
    const env: Record<string, string> = { KEY_REFUSED: REFUSED_KEY };
    for (const k of KEYS) env[`KEY_${k}`] = keyOf(k);
    let rows = 0;
    const campaigns = CAMPAIGNS.map((name) => {
      const k = name[0]?.toUpperCase() as (typeof KEYS)[number];
      writeCampaign(mkdirOf(dir, name), {
        bundles: o.bundles,
        videosPerBundle: o.videosPerBundle,
        // Four days after the day starts: past the 3-day lead time of an undelivered account all day.
        startDate: "2026-09-05",
      });
      rows += o.bundles * (1 + o.videosPerBundle);
      return {
        name,
        tokportal: {
          base_url: emulators[k]?.url,
          api_key_env: name === REFUSED ? "KEY_REFUSED" : `KEY_${k}`,
        },
        source: { type: "csv", bundles: `${name}/bundles.csv`, videos: `${name}/videos.csv` },
        ref_prefix: `${name}-`,
        defaults: { publish: true },
        max_credits: 100_000,
        analytics: true,
        schedule: `*/${o.tickSeconds} * * * * *`,
        timezone: "UTC",
      };
    });
    const file = path.join(dir, "service.json");
    writeFileSync(file, JSON.stringify({ campaigns }));

    const apiKeys = Object.values(env);
    const stops: Array<(s: string) => void> = [];
    const serviceLogs: Array<ReturnType<typeof counter>> = [];
    const runs: Array<Promise<number>> = [];
    const startInstance = (n: number) => {
      const log = counter();
      serviceLogs.push(log);
      runs.push(
        runCronCommand(
          { config: file, stateDir: path.join(dir, `state-${n}`), healthHost: "127.0.0.1" },
          {
            stderr: new Writable({ write: (_c, _e, cb) => cb() }),
            env,
            logger: createServiceLogger({ destination: log.stream, apiKeys }),
            stopSignal: new Promise<string>((resolve) => stops.push(resolve)),
          },
        ),
      );
    };
    const started = Date.now();
    const at = (fraction: number) => sleep(Math.max(0, started + dayMs * fraction - Date.now()));
    startInstance(1);
    // Timeline: the two sheets are gone from SHEETS_GONE[0] to SHEETS_GONE[1] of the day, the replica runs
    // in its window (a second replica, or a rolling deploy's overlap), and the day ends with one service.
    const steps: Array<[number, () => void]> = [
      [SHEETS_GONE[0], () => moveSheets(dir, ".away", "")],
      [SHEETS_GONE[1], () => moveSheets(dir, "", ".away")],
    ];
    let replicaFrom = Number.POSITIVE_INFINITY;
    steps.push([
      REPLICA[0],
      () => {
        replicaFrom = Date.now();
        startInstance(2);
      },
    ]);
    steps.push([REPLICA[1], () => stops[1]?.("SIGTERM")]);
    for (const [fraction, step] of steps.sort((a, b) => a[0] - b[0])) {
      await at(fraction);
      step();
    }
    await at(1);
    // The evening: the day ends once every campaign that can run has had a whole run since the sheets came
    // back and the replica finished draining (at most EVENING_SECONDS more), so what the files show at the
    // end is where the service converges, not a run the stop cut short.
    const replicaDone = runs[1] ? await runs[1] : null;
    const calm = Math.max(started + dayMs * SHEETS_GONE[1], Date.now());
    const settleBy = Date.now() + EVENING_SECONDS * 1000;
    let settled = false;
    while (!settled && Date.now() < settleBy) {
      await sleep(250);
      const done = await new RunHistory(path.join(dir, "state-1")).read({ since: calm });
      settled = CAMPAIGNS.filter((c) => c !== REFUSED).every((c) =>
        done.some(
          (r) => r.campaign === c && r.status === "ok" && !r.stopped && Date.parse(r.startedAt) >= calm,
        ),
      );
    }
    const stoppedAt = Date.now();
    stops[0]?.("SIGTERM");
    const exitCodes = [await (runs[0] as Promise<number>), ...(replicaDone === null ? [] : [replicaDone])];
    const wallMs = Date.now() - started;

    const records: DayResult["records"] = [];
    for (let n = 1; n <= runs.length; n++) {
      for (const r of await new RunHistory(path.join(dir, `state-${n}`)).read()) {
        records.push({ ...r, instance: n as 1 | 2 });
      }
    }
    const logs = new Map<string, RequestLogEntry[]>();
    for (const k of KEYS) logs.set(k, await requestLog(emulators[k]?.origin as string));
    const figures = (k: string, from: number, to: number): KeyFigures => {
      const log = (logs.get(k) ?? []).filter((e) => {
        const t = Date.parse(e.at);
        return t >= from && t < to;
      });
      // What the bucket counts: every call with a key it accepted (a 401 takes no token), public operations
      // (countries, prices) aside: they need no key and take no token.
      const counted = log.filter((e) => e.status !== 401 && !isPublic(e.operationId));
      const accepted = counted.filter((e) => e.status !== 429);
      return {
        key: k,
        calls: counted.length,
        rateLimited: counted.length - accepted.length,
        // The log is in order of completion; `at` is each request's arrival, where it took its token.
        worstExcess: worstExcess(
          accepted.map((e) => Date.parse(e.at)).sort((a, b) => a - b),
          DEFAULT_BUCKET.capacity,
          DEFAULT_BUCKET.refillPerSecond,
        ),
      };
    };
    const perKey = {
      alone: KEYS.map((k) => figures(k, 0, replicaFrom)),
      withReplica: KEYS.map((k) => figures(k, replicaFrom, Number.POSITIVE_INFINITY)),
    };
    const unsynced: Record<string, number> = {};
    const failedRows: Record<string, number> = {};
    for (const c of CAMPAIGNS) {
      const all = [...readCsvRows(path.join(dir, c, "bundles.csv")), ...readCsvRows(videosOf(dir, c))];
      unsynced[c] = all.filter((r) => r.sync_status !== "synced").length;
      failedRows[c] = all.filter((r) => r.sync_status === "error" || r.sync_status === "locked").length;
    }
    const overlapping = overlapsOf(records, TICK_TO_LOCK_MS);
    return {
      wallMs,
      settled,
      eveningMs: stoppedAt - (started + dayMs),
      perKey,
      records,
      // Ticks count once the first service has started (loading 12 campaigns takes a moment).
      ticks: CAMPAIGNS.map((c) =>
        tickFigures(
          c,
          records,
          serviceLogs[0]?.firstAt.service_started ?? started,
          stoppedAt,
          o.tickSeconds * 1000,
        ),
      ),
      overlapping,
      tickToLock: overlapsOf(records).length - overlapping.length,
      unsynced,
      failedRows,
      rows,
      exitCodes,
    };
  } finally {
    sandbox.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function mkdirOf(dir: string, name: string): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

function moveSheets(dir: string, to: string, from: string): void {
  for (const c of FAILING_SHEET) renameSync(`${videosOf(dir, c)}${from}`, `${videosOf(dir, c)}${to}`);
}

function videosOf(dir: string, c: string): string {
  return path.join(dir, c, "videos.csv");
}

/**
 * Runs of one campaign (either instance) whose spans intersect, each pair as two lines and the overlap. A
 * record's start is its tick, before the run takes the lock: a tick that fires just before the other
 * instance's run releases the lock, and takes it just after, shows as an overlap of a few milliseconds
 * although the two never held the lock together.
 */
export function overlapsOf(records: ReadonlyArray<RunRecord & { instance: number }>, overMs = 0): string[][] {
  const pairs: string[][] = [];
  const line = (r: RunRecord & { instance: number }) =>
    `#${r.instance} ${r.campaign} ${r.startedAt}–${r.finishedAt} ${r.status} ${r.error ?? ""}`;
  for (const c of new Set(records.map((r) => r.campaign))) {
    const runs = records
      .filter((r) => r.campaign === c)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (let i = 1; i < runs.length; i++) {
      const [a, b] = [runs[i - 1], runs[i]] as [
        RunRecord & { instance: number },
        RunRecord & { instance: number },
      ];
      const overlapMs = Date.parse(a.finishedAt) - Date.parse(b.startedAt);
      if (overlapMs > overMs) pairs.push([line(a), line(b), `overlap ${overlapMs} ms`]);
    }
  }
  return pairs;
}

/**
 * A campaign's runs against its ticks: every tick at which no run of the campaign was in flight must
 * start one (a run is late by its start minus its tick). Ticks are the schedule's: multiples of the
 * period, in the day.
 */
export function tickFigures(
  campaign: string,
  records: ReadonlyArray<RunRecord>,
  from: number,
  to: number,
  periodMs: number,
  toleranceMs = 1000,
  // A run's record is stamped before it is appended to the history, and the run counts as going until then.
  bookkeepingMs = 250,
): TickFigures {
  const spans = records
    .filter((r) => r.campaign === campaign)
    .map((r) => ({ start: Date.parse(r.startedAt), end: Date.parse(r.finishedAt) }));
  let idleTicks = 0;
  let missed = 0;
  let worstLateMs = 0;
  const missedAt: number[] = [];
  const last = to - periodMs; // the final tick may meet the stop
  for (let t = Math.ceil(from / periodMs) * periodMs; t <= last; t += periodMs) {
    if (spans.some((s) => s.start < t && s.end + bookkeepingMs > t)) continue;
    idleTicks++;
    const run = spans.find((s) => s.start >= t - 50 && s.start <= t + toleranceMs);
    if (!run) {
      missed++;
      missedAt.push((t - from) / 1000);
    } else worstLateMs = Math.max(worstLateMs, run.start - t);
  }
  return { campaign, runs: spans.length, idleTicks, missed, worstLateMs, missedAt };
}
