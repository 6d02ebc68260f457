/**
 * The cron service when runs are slow (the emulator's latency fault): a tick that comes while a run is
 * going is skipped and logged; SIGTERM mid-run lets the calls in flight and the write-back finish, leaves
 * the rows not started pending, writes whole files, and exits 0.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliHarness, csvRows } from "./cli-harness.ts";
import { type LogLine, startService } from "./cron-harness.ts";

const cli = cliHarness();
afterEach(() => cli.emu.setFaults({}));

const EVERY_SECOND = ["--schedule", "* * * * * *"];
const finished = (l: LogLine) => l.event === "run_finished";

describe("tokportal-sync cron with slow runs", () => {
  it("skips a tick that comes while the previous run is still going, and logs it", async () => {
    cli.writeConfig({ max_credits: 1000 });
    // Every call takes 400 ms: the first run (several rounds of calls) spans more than one tick.
    cli.emu.setFaults({ latencyMs: 400 });
    const svc = startService(cli, EVERY_SECOND);
    const skipped = await svc.waitFor((l) => l.event === "tick_skipped" && l.reason === "overrun", 15_000);
    expect(skipped.level).toBe("warn");
    expect(skipped.msg).toMatch(/previous run is still going/);
    const first = await svc.waitFor(finished, 20_000);
    expect(first.run).toBe(1);
    // The skip came while run 1 was going: before its summary line, and no second run started meanwhile.
    const at = (pred: (l: LogLine) => boolean) => svc.lines.findIndex(pred);
    expect(at((l) => l.event === "tick_skipped")).toBeLessThan(at(finished));
    expect(at((l) => l.event === "run_started" && l.run === 2)).toBe(-1);
    expect(first.counts).toMatchObject({ synced: 17 });
    // One run's worth of creates: the skipped ticks did not start a second, overlapping run.
    expect(cli.log().filter((e) => e.operationId === "createBundle")).toHaveLength(4);
    svc.kill("SIGTERM");
    expect((await svc.exited).code).toBe(0);
  });

  it("SIGTERM mid-run: calls in flight and the write-back finish, exit 0, whole files, nothing left over", async () => {
    cli.writeConfig({ max_credits: 1000 });
    cli.emu.setFaults({ latencyMs: 300 });
    const svc = startService(cli, EVERY_SECOND);
    await svc.waitFor((l) => l.event === "run_started");
    // Mid-apply: the first bundle exists on TokPortal, the rest of the run is not done.
    const deadline = Date.now() + 15_000;
    while (!cli.log().some((e) => e.operationId === "createBundle" && e.status === 201)) {
      if (Date.now() > deadline) throw new Error("the run never created a bundle");
      await new Promise((r) => setTimeout(r, 20));
    }
    svc.kill("SIGTERM");
    const { code } = await svc.exited;
    expect(code).toBe(0);

    const stopping = svc.lines.find((l) => l.event === "service_stopping");
    expect(stopping).toMatchObject({ signal: "SIGTERM", running: true });
    const run = svc.lines.find(finished);
    expect(run).toBeDefined();
    expect(run?.stopped).toBe(true);
    expect(run?.status).toBe("ok");
    expect(run?.nextRunAt).toBeNull();
    expect(svc.lines.at(-1)?.event).toBe("service_stopped");
    expect(svc.count((l) => l.event === "run_started")).toBe(1);

    // The write-back ran to the end: both files parse, and every row of the run says how it stands.
    const dir = path.join(cli.dir(), "campaign");
    const bundles = csvRows(path.join(dir, "bundles.csv"));
    const videos = csvRows(path.join(dir, "videos.csv"));
    expect(bundles).toHaveLength(4);
    expect(videos).toHaveLength(13);
    for (const row of [...bundles, ...videos]) expect(row.sync_status).toMatch(/^(synced|pending)$/);
    // Work done before the stop is recorded: each bundle TokPortal created has its id in the sheet.
    const created = cli.log().filter((e) => e.operationId === "createBundle" && e.status === 201).length;
    expect(bundles.filter((b) => /^[0-9a-f-]{36}$/.test(b.bundle_id ?? ""))).toHaveLength(created);
    // And the stop did cut the run short: rows not started wait for the next run.
    expect([...bundles, ...videos].some((r) => r.sync_status === "pending")).toBe(true);
    // No temp file, no lock left behind.
    expect(readdirSync(dir).sort()).toEqual(["bundles.csv", "videos.csv"]);
    expect(svc.stdout()).not.toContain(cli.key());
  });
});
