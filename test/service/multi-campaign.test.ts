/**
 * A service of several campaigns, in-process, against two sandbox emulators on ports (one TokPortal
 * workspace and key each, with a scaled-down bucket of TokPortal's shape so the campaigns contend for it):
 * 3 campaigns on key A, 3 on key B, plus one with a refused key, one whose sheet is missing and one whose
 * config is bad. Over a few ticks: per key, no 429 and no more calls than the bucket allows in any
 * window; the failing campaigns keep failing on schedule while the others keep theirs; /healthz, /runs,
 * `history --json` and a manual `sync` all see the same run history; retention pruned an old month.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CronFlags, runCronCommand } from "../../src/cli/cron-run.ts";
import { runHistoryCommand } from "../../src/cli/history-run.ts";
import { runSyncCommand } from "../../src/cli/sync-run.ts";
import { createServiceLogger } from "../../src/service/logger.ts";
import type { RunRecord } from "../../src/service/run-record.ts";
import { root } from "../cli/cli-harness.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { textIO } from "../support/streams.ts";

const BUCKET = { capacity: 20, refillPerSecond: 20 };
const KEY_A = `sk_${"a1".repeat(32)}`;
const KEY_B = `sk_${"b2".repeat(32)}`;
const KEY_REFUSED = `sk_${"c3".repeat(32)}`;
const EVERY_2S = "*/2 * * * * *";

function sink() {
  const lines: Array<Record<string, unknown>> = [];
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { stream, lines, text: () => text };
}

let dir = "";
let emuA: TestEmulator;
let emuB: TestEmulator;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-multi-"));
  emuA = await startTestEmulator({ apiKey: KEY_A, bucket: BUCKET, credits: 100_000 });
  emuB = await startTestEmulator({ apiKey: KEY_B, bucket: BUCKET, credits: 100_000 });
});
afterAll(async () => {
  await emuA?.stop();
  await emuB?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function campaign(name: string, emu: TestEmulator, keyEnv: string, extra: Record<string, unknown> = {}) {
  cpSync(path.join(root, "fixtures/campaign"), path.join(dir, name), { recursive: true });
  return {
    tokportal: { base_url: emu.url, api_key_env: keyEnv },
    source: { type: "csv", bundles: `${name}/bundles.csv`, videos: `${name}/videos.csv` },
    ref_prefix: `${name}-`,
    defaults: { publish: true },
    max_credits: 1000,
    schedule: EVERY_2S,
    timezone: "Europe/Paris",
    ...extra,
  };
}

/** A campaign in a file of its own, in its folder: `<name>/<name>.json` (sources relative to it). */
function campaignFile(name: string, emu: TestEmulator, keyEnv: string, extra: Record<string, unknown> = {}) {
  const c = campaign(name, emu, keyEnv, extra);
  const file = path.join(dir, name, `${name}.json`);
  const source = { type: "csv", bundles: "bundles.csv", videos: "videos.csv" };
  writeFileSync(file, JSON.stringify({ ...c, source: { ...source, ...(extra.source as object) } }));
  return { config: `${name}/${name}.json` };
}

describe("cron with several campaigns", () => {
  it("6 campaigns on 2 keys: no 429, calls within each bucket, failing campaigns do not hold the others, history everywhere", async () => {
    const service = {
      campaigns: [
        campaignFile("a1", emuA, "KEY_A"),
        campaignFile("a2", emuA, "KEY_A"),
        { name: "a3", ...campaign("a3", emuA, "KEY_A") },
        campaignFile("b1", emuB, "KEY_B"),
        campaignFile("b2", emuB, "KEY_B"),
        { name: "b3", ...campaign("b3", emuB, "KEY_B") },
        { name: "refused", ...campaign("refused", emuA, "KEY_REFUSED") },
        campaignFile("nosheet", emuB, "KEY_B", { source: { videos: "missing.csv" } }),
        { name: "broken", ...campaign("broken", emuB, "KEY_B"), max_credits: "lots" },
      ],
      state_dir: "state",
      history_retention_days: 30,
    };
    const file = path.join(dir, "service.json");
    writeFileSync(file, JSON.stringify(service));
    // A run from long ago: retention deletes its month at start.
    mkdirSync(path.join(dir, "state/history/a1"), { recursive: true });
    const old = path.join(dir, "state/history/a1/2020-01.jsonl");
    writeFileSync(
      old,
      `${JSON.stringify({ v: 1, campaign: "a1", startedAt: "2020-01-02T00:00:00.000Z", finishedAt: "2020-01-02T00:00:01.000Z" })}\n`,
    );

    const env = { KEY_A, KEY_B, KEY_REFUSED };
    const log = sink();
    const stderr = sink();
    let stop: (sig: string) => void = () => undefined;
    const stopSignal = new Promise<string>((resolve) => {
      stop = resolve;
    });
    const flags: CronFlags = { config: file, healthPort: 0, healthHost: "127.0.0.1" };
    const errText: string[] = [];
    const done = runCronCommand(flags, {
      stderr: new Writable({
        write(chunk, _e, cb) {
          errText.push(String(chunk));
          cb();
        },
      }),
      env,
      logger: createServiceLogger({ destination: log.stream, apiKeys: [KEY_A, KEY_B, KEY_REFUSED] }),
      stopSignal,
      gate: BUCKET,
    });
    void stderr;

    const until = async (pred: () => boolean, ms: number, what: string) => {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end)
          throw new Error(
            `timed out waiting for ${what}; events: ${log.lines.map((l) => `${l.campaign ?? ""}:${l.event}`).join(", ")}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const runsOf = (name: string, event: string) =>
      log.lines.filter((l) => l.campaign === name && l.event === event).length;
    const good = ["a1", "a2", "a3", "b1", "b2", "b3"];
    await until(() => log.lines.some((l) => l.event === "service_started"), 10_000, "start");
    const started = log.lines.find((l) => l.event === "service_started") as Record<string, unknown>;
    expect(started).toMatchObject({ campaigns: 8, invalid: ["broken"], sharedKeys: 2 });
    // At start: each campaign's next run, in its time zone; the bad one reported on stderr and in the log.
    const scheduled = log.lines.filter((l) => l.event === "campaign_scheduled");
    expect(scheduled.map((l) => l.campaign).sort()).toEqual([...good, "nosheet", "refused"].sort());
    expect(String(scheduled[0]?.nextRunLocal)).toMatch(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(Europe\/Paris\)$/,
    );
    expect(errText.join("")).toMatch(
      /^error: campaign "broken": .*service\.json: campaigns\[8\] \(broken\): max_credits: /m,
    );
    expect(log.lines.find((l) => l.event === "campaign_invalid")).toMatchObject({
      campaign: "broken",
      level: "error",
    });
    expect(existsSync(old)).toBe(false);

    await until(
      () => good.every((n) => runsOf(n, "run_finished") >= 3),
      60_000,
      "3 runs of every good campaign",
    );
    await until(
      () => runsOf("refused", "run_failed") >= 3 && runsOf("nosheet", "run_failed") >= 3,
      20_000,
      "failures",
    );

    const health = String(started.health);
    const hz = await fetch(`${health}/healthz`);
    const hzBody = (await hz.json()) as { status: string; campaigns: Array<Record<string, unknown>> };
    expect(hz.status).toBe(200);
    expect(hzBody.status).toBe("degraded");
    const byName = Object.fromEntries(hzBody.campaigns.map((c) => [c.name, c]));
    expect(byName.a1).toMatchObject({ status: "ok", lastRun: { status: "ok" } });
    expect(byName.refused).toMatchObject({ status: "failing", lastRun: { status: "failed" } });
    expect(byName.broken).toMatchObject({
      status: "invalid",
      problems: [expect.stringMatching(/max_credits/)],
    });
    const runs = (await (await fetch(`${health}/runs?campaign=a1&since=1h`)).json()) as { runs: RunRecord[] };
    expect(runs.runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.runs.every((r) => r.campaign === "a1" && r.trigger === "cron")).toBe(true);
    expect((await fetch(`${health}/runs?since=yesterday`)).status).toBe(400);
    const lastB1 = (await (await fetch(`${health}/last-run?campaign=b1`)).json()) as Record<string, unknown>;
    expect(lastB1.status).toBe("ok");

    stop("SIGTERM");
    expect(await done).toBe(0);
    expect(log.lines.at(-1)?.event).toBe("service_stopped");

    // Per key: not one 429 from the sandbox's bucket (TokPortal's own rule, so the campaigns sharing a key
    // never asked for more than it allows), over more calls than the bucket holds (so they competed).
    for (const emu of [emuA, emuB]) {
      const requests = emu.requestLog();
      expect(requests.filter((e) => e.status === 429)).toEqual([]);
      const counted = requests.filter((e) => e.status !== 401).length;
      console.log(`${emu === emuA ? "key A" : "key B"}: ${counted} calls, 0 429s`);
      expect(counted).toBeGreaterThan(BUCKET.capacity * 2);
    }
    // The first run of each good campaign bought its 4 bundles, once.
    expect(emuA.requestLog().filter((e) => e.operationId === "createBundle" && e.status < 300)).toHaveLength(
      12,
    );

    // The history, read back: one record per run logged, with what a person asks.
    const { io, out } = textIO({});
    expect(await runHistoryCommand({ config: file, json: true }, io)).toBe(0);
    const records = out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RunRecord);
    for (const name of [...good, "refused", "nosheet"]) {
      const logged = runsOf(name, "run_finished") + runsOf(name, "run_failed");
      expect(records.filter((r) => r.campaign === name)).toHaveLength(logged);
    }
    const firstA1 = records.find((r) => r.campaign === "a1") as RunRecord;
    expect(firstA1).toMatchObject({ status: "ok", mode: "apply", exitCode: 0, rateLimited: 0 });
    expect(firstA1.creditsCharged).toBeGreaterThan(0);
    // Every row of the example campaign (fixtures/campaign) synced on the first run.
    const exampleRows = ["bundles.csv", "videos.csv"]
      .map(
        (f) =>
          readFileSync(path.join(root, "fixtures/campaign", f), "utf8")
            .trim()
            .split("\n").length - 1,
      )
      .reduce((a, b) => a + b, 0);
    expect(firstA1.counts?.synced).toBe(exampleRows);
    expect(records.find((r) => r.campaign === "refused")).toMatchObject({
      status: "failed",
      exitCode: 3,
      mode: null,
    });
    expect(records.find((r) => r.campaign === "refused")?.error).toMatch(/Check KEY_REFUSED/);
    const table = textIO({});
    expect(await runHistoryCommand({ config: file, campaign: "nosheet" }, table.io)).toBe(0);
    expect(table.out.stdout).toMatch(/^started \(UTC\)\s+campaign/);
    expect(table.out.stdout.trim().split("\n")).toHaveLength(runsOf("nosheet", "run_failed") + 1);

    // A manual sync of a campaign records its run beside the service's.
    const manual = textIO({ KEY_A, TOKPORTAL_SYNC_STATE_DIR: path.join(dir, "state") });
    expect(
      await runSyncCommand({ config: path.join(dir, "a1/a1.json"), yes: true, json: true }, manual.io),
    ).toBe(0);
    const after = textIO({});
    await runHistoryCommand({ config: file, campaign: "a1", json: true }, after.io);
    expect(JSON.parse(after.out.stdout.trim().split("\n").at(-1) ?? "{}")).toMatchObject({
      campaign: "a1",
      trigger: "sync",
      exitCode: 0,
    });

    // No key anywhere: logs, stderr, history.
    const everything = [log.text(), errText.join(""), out.stdout, after.out.stdout].join("\n");
    for (const key of [KEY_A, KEY_B, KEY_REFUSED]) expect(everything).not.toContain(key);
  }, 120_000);

  it("the control: the same 3 campaigns as 3 separate services on one key collide in the bucket (429s)", async () => {
    const emu = await startTestEmulator({ apiKey: KEY_A, bucket: BUCKET, credits: 100_000 });
    try {
      const stops: Array<(s: string) => void> = [];
      const finished: number[] = [0, 0, 0];
      const services = ["c1", "c2", "c3"].map((name, i) => {
        const c = campaignFile(name, emu, "KEY_A");
        const log = sink();
        const stopSignal = new Promise<string>((resolve) => stops.push(resolve));
        const run = runCronCommand(
          { config: path.join(dir, c.config), healthHost: "127.0.0.1" },
          {
            stderr: new Writable({ write: (_c, _e, cb) => cb() }),
            env: { KEY_A },
            logger: createServiceLogger({ destination: log.stream, apiKey: KEY_A }),
            stopSignal,
          },
        );
        return { run, log, i };
      });
      const end = Date.now() + 30_000;
      while (services.some((s) => !s.log.lines.some((l) => l.event === "run_finished")) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const stop of stops) stop("SIGTERM");
      for (const s of services) {
        expect(await s.run).toBe(0);
        finished[s.i] = s.log.lines.filter((l) => l.event === "run_finished").length;
      }
      expect(finished.every((n) => n >= 1)).toBe(true);
      const refused = emu.requestLog().filter((e) => e.status === 429).length;
      console.log(`control, 3 services on one key: ${refused} 429s`);
      expect(refused).toBeGreaterThan(0);
    } finally {
      await emu.stop();
    }
  }, 60_000);
});
