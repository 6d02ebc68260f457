/**
 * `tokportal-sync cron` through a child process against a test emulator, with a one-second schedule:
 * ticks, the health endpoints, the budget rule, the key kept out of the logs, and the usage errors.
 * (The run lock shared with `sync`: cron-lock.test.ts; overruns and SIGTERM mid-run: cron-stop.test.ts.)
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliHarness, csvRows } from "./cli-harness.ts";
import { type LogLine, startService } from "./cron-harness.ts";

const cli = cliHarness();
afterEach(() => cli.emu.setFaults({}));

const EVERY_SECOND = ["--schedule", "* * * * * *"];
const finished = (l: LogLine) => l.event === "run_finished";

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("tokportal-sync cron", () => {
  it("runs a sync on every tick, logs one JSON summary line per run, answers /healthz, exits 0 on SIGTERM", async () => {
    cli.writeConfig({ max_credits: 1000 });
    const svc = startService(cli, [...EVERY_SECOND, "--health-port", "0"]);
    const started = await svc.waitFor((l) => l.event === "service_started");
    const health = String(started.health);
    expect(health).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const before = await getJson(`${health}/last-run`);
    // Either no run has finished yet, or the first one just did.
    expect([200, 404]).toContain(before.status);

    await svc.waitFor((l) => finished(l) && l.run === 2, 15_000);
    const runs = svc.lines.filter(finished);
    const first = runs[0] as LogLine & Record<string, never>;
    expect(first.status).toBe("ok");
    expect(first.counts).toMatchObject({ synced: 17, error: 0, locked: 0 });
    expect(first.creditsCharged).toBeGreaterThan(0);
    expect(first.calls).toBeGreaterThan(0);
    expect(first.rateLimited).toBe(0);
    expect(typeof first.durationMs).toBe("number");
    expect(Date.parse(String(first.nextRunAt))).toBeGreaterThan(Date.parse(String(first.finishedAt)) - 1000);
    // The second tick finds nothing to buy: level-based, nothing charged twice.
    expect((runs[1] as LogLine).creditsCharged).toBe(0);
    expect(cli.log().filter((e) => e.operationId === "createBundle")).toHaveLength(4);

    const hz = await getJson(`${health}/healthz`);
    expect(hz.status).toBe(200);
    expect(hz.body.status).toBe("ok");
    expect(typeof hz.body.running).toBe("boolean");
    expect(Date.parse(String(hz.body.lastRunAt))).not.toBeNaN();
    expect(Date.parse(String(hz.body.nextRunAt))).not.toBeNaN();
    const last = await getJson(`${health}/last-run`);
    expect(last.status).toBe(200);
    expect(last.body.status).toBe("ok");
    expect(last.body.run).toBeGreaterThanOrEqual(2);
    expect((await fetch(`${health}/nope`)).status).toBe(404);

    svc.kill("SIGTERM");
    const { code } = await svc.exited;
    expect(code).toBe(0);
    expect(svc.lines.at(-1)?.event).toBe("service_stopped");
    // Only JSON lines on stdout, every one with a level and a time; nothing on stderr.
    expect(svc.count((l) => l.event === "NOT_JSON")).toBe(0);
    expect(svc.lines.every((l) => typeof l.level === "string" && typeof l.time === "string")).toBe(true);
    expect(svc.stderr()).toBe("");
    // The key, never: not in the logs, not in what the health server said.
    expect(svc.stdout()).not.toContain(cli.key());
    expect(JSON.stringify([hz.body, last.body])).not.toContain(cli.key());
    for (const row of csvRows(path.join(cli.dir(), "campaign/videos.csv"))) {
      expect(row.sync_status).toBe("synced");
    }
  });

  it("a run that fails entirely: one error line, /healthz 503, and the service keeps ticking", async () => {
    cli.writeConfig({ max_credits: 1000 });
    // A well-formed key TokPortal does not know: every run is refused.
    const unknown = `sk_${"ab".repeat(32)}`;
    const svc = startService(cli, [...EVERY_SECOND, "--health-port", "0"], { TOKPORTAL_API_KEY: unknown });
    const started = await svc.waitFor((l) => l.event === "service_started");
    const failed = await svc.waitFor((l) => l.event === "run_failed", 15_000);
    expect(failed.level).toBe("error");
    expect(failed.status).toBe("failed");
    expect(String(failed.error)).toMatch(/TokPortal refused the API key/);
    const hz = await getJson(`${String(started.health)}/healthz`);
    expect(hz.status).toBe(503);
    expect(hz.body.status).toBe("failing");
    expect(String(hz.body.error)).toMatch(/refused the API key/);
    const last = await getJson(`${String(started.health)}/last-run`);
    expect(last.body).toMatchObject({ status: "failed", run: 1 });
    // Still scheduled: the next tick tries again.
    await svc.waitFor((l) => l.event === "run_failed" && l.run === 2, 15_000);
    svc.kill("SIGTERM");
    expect((await svc.exited).code).toBe(0);
    expect(svc.stdout()).not.toContain(unknown);
    expect(svc.stdout()).not.toContain(unknown.slice(3));
  });

  it("without max_credits, spends nothing: charged work waits and is logged", async () => {
    cli.writeConfig();
    const svc = startService(cli, EVERY_SECOND);
    const warn = await svc.waitFor((l) => l.event === "no_budget");
    expect(warn.level).toBe("warn");
    const done = await svc.waitFor(finished, 15_000);
    expect(done.creditsCharged).toBe(0);
    expect((done.deferred as { bundles: number }).bundles).toBe(4);
    expect(done.counts).toMatchObject({ synced: 0 });
    svc.kill("SIGTERM");
    expect((await svc.exited).code).toBe(0);
    expect(cli.log().filter((e) => e.operationId === "createBundle")).toHaveLength(0);
    const rows = csvRows(path.join(cli.dir(), "campaign/bundles.csv"));
    expect(rows.every((r) => r.sync_status === "pending")).toBe(true);
  });

  it("exit 2 without a schedule, with a bad one, or with a bad config; nothing runs", async () => {
    cli.writeConfig({ max_credits: 1000 });
    const none = await cli.run(["cron"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no schedule: pass --schedule/);
    const bad = await cli.run(["cron", "--schedule", "every minute"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid schedule "every minute"/);
    cli.writeConfig({ max_credits: 1000, schedule: "*/5 * * * *", timezone: "Mars/Olympus" });
    const tz = await cli.run(["cron"]);
    expect(tz.code).toBe(2);
    expect(tz.stderr).toMatch(/timezone/);
    for (const r of [none, bad, tz]) {
      cli.expectClean(r);
      expect(r.stdout).toBe("");
    }
    expect(cli.log()).toHaveLength(0);
    expect(readdirSync(path.join(cli.dir(), "campaign")).sort()).toEqual(["bundles.csv", "videos.csv"]);
    expect(existsSync(path.join(cli.dir(), "campaign/videos.csv.run.lock"))).toBe(false);
  });
});
