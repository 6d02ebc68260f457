/**
 * `cron --config-dir` and `history` through the CLI as a user runs them: two campaign files in a folder on
 * one key, each on its schedule; the run history read back by `history`; a bad campaign file reported, and
 * refused under --strict.
 */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cliHarness, root } from "./cli-harness.ts";
import { type LogLine, startService } from "./cron-harness.ts";

const cli = cliHarness();

function campaignDir(): string {
  const svc = path.join(cli.dir(), "campaigns");
  mkdirSync(svc, { recursive: true });
  for (const name of ["acme", "beta"]) {
    cpSync(path.join(root, "fixtures/campaign"), path.join(cli.dir(), `sheets-${name}`), { recursive: true });
    writeFileSync(
      path.join(svc, `${name}.json`),
      JSON.stringify({
        tokportal: { base_url: "https://tokportal.invalid/api/ext" },
        source: {
          type: "csv",
          bundles: `../sheets-${name}/bundles.csv`,
          videos: `../sheets-${name}/videos.csv`,
        },
        ref_prefix: `${name}-`,
        defaults: { publish: true },
        max_credits: 1000,
        schedule: "* * * * * *",
        timezone: "UTC",
      }),
    );
  }
  return svc;
}

describe("cron --config-dir and history", () => {
  it("runs each campaign file of the folder on its schedule; `history` reads their runs back", async () => {
    campaignDir();
    const svc = startService(cli, ["--config-dir", "campaigns"]);
    const done = (c: string) => (l: LogLine) => l.event === "run_finished" && l.campaign === c && l.run === 2;
    await svc.waitFor(done("acme"), 20_000);
    await svc.waitFor(done("beta"), 20_000);
    const scheduled = svc.lines.filter((l) => l.event === "campaign_scheduled");
    expect(scheduled.map((l) => l.campaign)).toEqual(["acme", "beta"]);
    expect(String(scheduled[0]?.msg)).toMatch(/^acme: next run \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(UTC\)$/);
    svc.kill("SIGTERM");
    expect((await svc.exited).code).toBe(0);
    expect(svc.stderr()).toBe("");

    const json = await cli.run(["history", "--config-dir", "campaigns", "--json"]);
    cli.expectClean(json);
    expect(json.code).toBe(0);
    const records = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const c of ["acme", "beta"]) {
      const logged = svc.count(
        (l) => l.campaign === c && (l.event === "run_finished" || l.event === "run_failed"),
      );
      expect(records.filter((r) => r.campaign === c)).toHaveLength(logged);
    }
    expect(records.find((r) => r.campaign === "acme")).toMatchObject({
      status: "ok",
      trigger: "cron",
      exitCode: 0,
    });
    const table = await cli.run(["history", "-c", "campaigns/beta.json", "--since", "1h"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^started \(UTC\)\s+campaign\s+by\s+status/);
    expect(table.stdout).not.toMatch(/acme/);
    const bad = await cli.run(["history", "--config-dir", "campaigns", "--since", "last week"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --since: expected a date/);
  }, 60_000);

  it("a bad campaign file: reported naming the campaign and the file, the others run; --strict refuses to start", async () => {
    const dir = campaignDir();
    writeFileSync(path.join(dir, "broken.json"), '{"source": {"type": "csv"}, "max_credits": -3}');
    const strict = await cli.run(["cron", "--config-dir", "campaigns", "--strict"]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(
      /^error: campaign "broken": campaigns\/broken\.json: source\.videos: missing/m,
    );
    expect(strict.stderr).toMatch(/^error: campaign "broken": campaigns\/broken\.json: max_credits: /m);
    expect(strict.stderr).toMatch(/--strict: every campaign must be valid; the service did not start\.$/m);
    expect(cli.log()).toHaveLength(0);

    const svc = startService(cli, ["--config-dir", "campaigns", "--health-port", "0"]);
    const started = await svc.waitFor((l) => l.event === "service_started");
    expect(started.invalid).toEqual(["broken"]);
    await svc.waitFor((l) => l.event === "run_finished" && l.campaign === "acme", 20_000);
    const hz = (await (await fetch(`${String(started.health)}/healthz`)).json()) as Record<string, unknown>;
    expect(hz.status).toBe("degraded");
    svc.kill("SIGTERM");
    expect((await svc.exited).code).toBe(0);
    expect(svc.stderr()).toMatch(/^error: campaign "broken": campaigns\/broken\.json: source\.videos/m);
  }, 60_000);
});
