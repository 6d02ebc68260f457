/**
 * The cron service and a manual `sync` share one run lock per sheet (src/cli/run-lock.ts): whichever
 * holds it, the other stands aside (the manual sync exits 5; the service skips the tick and goes on).
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliHarness } from "./cli-harness.ts";
import { type LogLine, startService } from "./cron-harness.ts";

const cli = cliHarness();
afterEach(() => cli.emu.setFaults({}));

const EVERY_SECOND = ["--schedule", "* * * * * *"];
const finished = (l: LogLine) => l.event === "run_finished";

describe("tokportal-sync cron and the run lock", () => {
  it("a manual sync while the service is running on the sheet exits 5 and names the lock", async () => {
    cli.writeConfig({ max_credits: 1000 });
    // Slow calls, so the service's first run is still going when the manual sync starts.
    cli.emu.setFaults({ latencyMs: 250 });
    const svc = startService(cli, EVERY_SECOND);
    await svc.waitFor((l) => l.event === "run_started");
    const manual = await cli.run(["sync", "--yes"]);
    cli.expectClean(manual);
    expect(manual.code).toBe(5);
    expect(manual.stderr).toContain("videos.csv.run.lock");
    // The service was not disturbed: its run finishes and applies the campaign.
    const done = await svc.waitFor(finished, 20_000);
    expect(done.status).toBe("ok");
    expect(done.counts).toMatchObject({ synced: 17 });
    svc.kill("SIGTERM");
    expect((await svc.exited).code).toBe(0);
  });

  it("skips a tick while another run holds the sheet's lock, logs it, and keeps going", async () => {
    cli.writeConfig({ max_credits: 1000 });
    // A lock as a running `sync` holds it (proper-lockfile's lock directory, fresh).
    const lock = path.join(cli.dir(), "campaign/videos.csv.run.lock");
    mkdirSync(lock);
    const svc = startService(cli, EVERY_SECOND);
    const skipped = await svc.waitFor((l) => l.event === "tick_skipped");
    expect(skipped.reason).toBe("locked");
    expect(skipped.level).toBe("warn");
    expect(String(skipped.error)).toContain("videos.csv.run.lock");
    expect(svc.count(finished)).toBe(0);
    expect(cli.writes()).toHaveLength(0);
    rmSync(lock, { recursive: true });
    const done = await svc.waitFor(finished, 15_000);
    expect(done.counts).toMatchObject({ synced: 17 });
    svc.kill("SIGINT");
    expect((await svc.exited).code).toBe(0);
  });
});
