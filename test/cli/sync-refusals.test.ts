/**
 * `tokportal-sync sync` through a child process, the runs that stop: exit 2 (config, key, option,
 * source), 3 (key refused), 4 (spend not confirmed, budget), 5 (lock held), and `--help`.
 * See cli-harness.ts for the setup.
 */
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import { describe, expect, it } from "vitest";
import type { RunReportOf } from "../../src/sync/types.ts";
import { cliHarness } from "./cli-harness.ts";

const cli = cliHarness();

describe("tokportal-sync sync refuses", () => {
  it("exit 2: a bad config field is named, with no stack trace and nothing sent", async () => {
    const file = cli.writeConfig({ source: { type: "csv", videos: 3 } }, "bad.json");
    const r = await cli.run(["sync", "-c", path.basename(file), "--yes"]);
    cli.expectClean(r);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("error: bad.json: source.videos: expected a file path (string), got 3\n");
    expect(cli.log()).toEqual([]);
  });

  it("exit 2: a missing config file, a missing key, an unknown option, an unreadable source", async () => {
    const missing = await cli.run(["sync"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("tokportal-sync.json: no such config file");
    expect(missing.stderr).toContain("cp config.example.json tokportal-sync.json");

    cli.writeConfig();
    const noKey = await cli.run(["sync", "--yes"], { TOKPORTAL_API_KEY: undefined });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^error: TOKPORTAL_API_KEY is not set/);

    const option = await cli.run(["sync", "--yse"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--yse'");

    rmSync(path.join(cli.dir(), "campaign/videos.csv"));
    const source = await cli.run(["sync", "--yes"]);
    cli.expectClean(source);
    expect(source.code).toBe(2);
    expect(source.stderr.trim().split("\n")).toHaveLength(1);
    expect(source.stderr).toContain("videos.csv");
    expect(cli.writes()).toEqual([]);
  });

  it("exit 3: TokPortal refuses a revoked key", async () => {
    cli.writeConfig();
    expect((await cli.emu.admin("POST", "/keys/revoke", { api_key: cli.key() })).status).toBe(200);
    const r = await cli.run(["sync", "--yes", "--json"]);
    cli.expectClean(r);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^error: TokPortal refused the API key: listBundles: .*\[AUTH_REVOKED_KEY, HTTP 401, .*\] Check TOKPORTAL_API_KEY\.\n$/,
    );
    expect(cli.writes()).toEqual([]);
  });

  it("exit 4: without a terminal, spending needs --yes or max_credits; nothing is done", async () => {
    cli.writeConfig();
    const before = readFileSync(path.join(cli.dir(), "campaign/videos.csv"), "utf8");
    const r = await cli.run(["sync", "--json"]);
    cli.expectClean(r);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^error: This run would spend \d+ credits \(balance 10000\) and there is no terminal to confirm it: pass --yes, or set a budget with max_credits in the config \(or --max-credits N\)\. Nothing was done\.\n$/,
    );
    expect(cli.writes()).toEqual([]);
    expect(readFileSync(path.join(cli.dir(), "campaign/videos.csv"), "utf8")).toBe(before);
  });

  it("exit 4: a budget too small for the plan creates only what fits and says what is missing", async () => {
    cli.writeConfig();
    const r = await cli.run(["sync", "--max-credits", "40", "--json"]);
    cli.expectClean(r);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as RunReportOf<"apply">;
    expect(report.creditsCharged).toBeLessThanOrEqual(40);
    expect(report.plan.totals.maxCredits).toBe(40);
    expect(report.plan.totals.deferred.bundles.length).toBeGreaterThan(0);
    const creates = cli.log().filter((e) => e.operationId === "createBundle");
    expect(creates.length).toBeLessThan(4);
  });

  it("exit 5: another run holds the sheet's run lock; nothing is sent to TokPortal", async () => {
    cli.writeConfig();
    const videos = path.join(cli.dir(), "campaign/videos.csv");
    const before = readFileSync(videos, "utf8");
    const release = await lockfile.lock(`${videos}.run`, {
      realpath: false,
      lockfilePath: `${videos}.run.lock`,
    });
    try {
      const r = await cli.run(["sync", "--yes"]);
      cli.expectClean(r);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(
        /^error: Another tokportal-sync run is working on this sheet \(lock campaign\/videos\.csv\.run\.lock held since /,
      );
      expect(cli.log()).toEqual([]);
      expect(readFileSync(videos, "utf8")).toBe(before);
    } finally {
      await release();
    }
  });

  it("exit 5: a CSV file being rewritten by another process; nothing is sent to TokPortal", async () => {
    cli.writeConfig();
    const videos = path.join(cli.dir(), "campaign/videos.csv");
    const release = await lockfile.lock(videos, { realpath: false, lockfilePath: `${videos}.lock` });
    try {
      const r = await cli.run(["sync", "--yes"]);
      cli.expectClean(r);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(
        /^error: campaign\/videos\.csv is locked by another tokportal-sync run \(lock campaign\/videos\.csv\.lock\)/,
      );
      expect(cli.log()).toEqual([]);
    } finally {
      await release();
    }
  });

  it("--help documents the exit codes and shows examples", async () => {
    const r = await cli.run(["sync", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("tokportal-sync sync -c campaign.json --yes");
    for (const code of [0, 1, 2, 3, 4, 5]) expect(r.stdout).toMatch(new RegExp(`^ {2}${code} {2}\\S`, "m"));
  });
});
