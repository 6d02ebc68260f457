/**
 * `tokportal-sync sync` through a child process, the runs that apply: exit 0 (JSON report, summary),
 * exit 1 (a bad row), and the in-process sandbox. See cli-harness.ts for the setup.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { RunReportOf } from "../../src/sync/types.ts";
import { cliHarness, csvRows } from "./cli-harness.ts";

const cli = cliHarness();

describe("tokportal-sync sync", () => {
  it("exit 0: applies the campaign and prints one RunReport as JSON", async () => {
    cli.writeConfig();
    const r = await cli.run(["sync", "--yes", "--json"]);
    cli.expectClean(r);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RunReportOf<"apply">;
    expect(report.mode).toBe("apply");
    expect(report.counts.error).toBe(0);
    expect(report.counts.locked).toBe(0);
    expect(report.counts.synced).toBeGreaterThan(0);
    expect(report.rows).toHaveLength(17);
    // 3 account bundles and 1 account-only bundle, each with its account: what the plan priced was charged.
    expect(report.creditsCharged).toBe(report.plan.totals.cost);
    expect(report.creditsCharged).toBeGreaterThan(0);
    expect(report.calls.createBundle).toBe(4);
    expect(report.write?.cellsWritten).toBeGreaterThan(0);
    const remote = (await cli.emu.api("GET", "/bundles", { key: cli.key(), query: { per_page: 100 } })).body
      .data as Array<{
      external_ref: string;
    }>;
    expect(remote.map((b) => b.external_ref).sort()).toEqual([
      "cli-spring-es-1",
      "cli-spring-fr-1",
      "cli-spring-uk-1",
      "cli-spring-us-1",
    ]);
    const bundles = csvRows(path.join(cli.dir(), "campaign/bundles.csv"));
    expect(bundles.every((b) => /^[0-9a-f-]{36}$/.test(b.bundle_id ?? ""))).toBe(true);
    expect(bundles.every((b) => b.sync_status === "synced")).toBe(true);
  });

  it("exit 0 without --json: a short summary of rows, credits, calls and where results went", async () => {
    cli.writeConfig({ max_credits: 1000 });
    const r = await cli.run(["sync"]);
    cli.expectClean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Sync of campaign\/bundles\.csv \+ campaign\/videos\.csv$/m);
    expect(r.stdout).toMatch(/^ {2}rows: {5}17 rows: \d+ synced/m);
    expect(r.stdout).toMatch(/^ {2}credits: {2}\d+ charged \(balance before 10000\), max_credits 1000$/m);
    expect(r.stdout).toMatch(/^ {2}calls: {4}\d+ TokPortal calls, 0 rate-limited \(429\)$/m);
    expect(r.stdout).toMatch(
      /^ {2}results: {2}\d+ cells written to campaign\/bundles\.csv \+ campaign\/videos\.csv$/m,
    );
    expect(r.stdout).not.toContain("\x1b[");
  });

  it("exit 1: a bad row is reported on its row, the other rows sync", async () => {
    cli.writeConfig();
    const videos = path.join(cli.dir(), "campaign/videos.csv");
    // Row 3 (us-v2): a date TokPortal's clock says is too soon (the test emulator's today is 2026-09-01).
    writeFileSync(
      videos,
      readFileSync(videos, "utf8").replace(
        "Three outfits one jacket #style,2027-03-02",
        "Three outfits one jacket #style,2026-09-02",
      ),
    );
    const r = await cli.run(["sync", "--yes", "--json"]);
    cli.expectClean(r);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as RunReportOf<"apply">;
    const bad = report.rows.filter((row) => row.outcome === "error");
    expect(bad.map((row) => row.row.id)).toEqual(["v:spring-us-1/us-v2"]);
    // --json carries the finding's code and column beside its words.
    expect(bad[0]).toMatchObject({ code: "date_too_soon", column: "target_publish_date" });
    expect(report.counts.synced).toBeGreaterThan(0);
    const row = csvRows(videos).find((v) => v.video_ref === "us-v2")!;
    expect(row.sync_status).toBe("error");
    expect(row.sync_message).toBe(bad[0]!.message);
  });

  it('base_url "sandbox": the emulator runs in-process, its state kept in .sandbox/ next to the config', async () => {
    cli.writeConfig({ tokportal: { base_url: "sandbox" } });
    const env = { TOKPORTAL_BASE_URL: undefined, TOKPORTAL_API_KEY: undefined };
    const first = await cli.run(["sync", "--yes", "--json"], env);
    cli.expectClean(first);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as RunReportOf<"apply">;
    expect(report.calls.createBundle).toBe(4);
    expect(report.creditsCharged).toBeGreaterThan(0);
    expect(existsSync(path.join(cli.dir(), ".sandbox/emulator-state.json"))).toBe(true);
    // The next run starts a new emulator on the saved state: the bundles are there, none is created again.
    const second = JSON.parse(
      (await cli.run(["sync", "--yes", "--json"], env)).stdout,
    ) as RunReportOf<"apply">;
    expect(second.calls.listBundles).toBe(1);
    expect(second.calls.createBundle).toBeUndefined();
    expect(second.creditsCharged).toBe(0);
    expect(cli.log()).toEqual([]);
  });

  it("--analytics-only: one export call, only the analytics columns change, nothing written to TokPortal", async () => {
    cli.writeConfig();
    expect((await cli.run(["sync", "--yes"])).code).toBe(0);
    const videosCsv = path.join(cli.dir(), "campaign/videos.csv");
    const before = csvRows(videosCsv);
    // The example's posts are dated 2027-03-01…05: move the sandbox past them so managers post and measure.
    await cli.emu.advance(200 * 86_400);
    const from = cli.log().length;
    const r = await cli.run(["sync", "--analytics-only", "--json"]);
    cli.expectClean(r);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RunReportOf<"analytics">;
    expect(report.mode).toBe("analytics");
    // Every field of the run report but the plan and the apply report: nothing was planned.
    expect(Object.keys(report)).toEqual([
      ...["mode", "source", "startedAt", "durationMs", "rows", "counts", "creditsCharged", "calls"],
      ...["rateLimited", "write", "warnings", "analytics"],
    ]);
    expect(report.analytics?.source).toBe("export");
    const calls = cli.log().slice(from);
    expect(calls.map((e) => e.operationId)).toEqual(["exportAnalyticsVideos"]);
    const after = csvRows(videosCsv);
    const measured = after.filter((v) => v.views !== undefined && v.views !== "");
    expect(measured.length).toBeGreaterThan(0);
    for (const [i, row] of after.entries()) {
      // Statuses and everything else stay as the last sync left them; only analytics columns moved.
      expect(row.video_status).toBe(before[i]!.video_status);
      expect(row.sync_fingerprint).toBe(before[i]!.sync_fingerprint);
    }
    expect((await cli.run(["sync", "--analytics-only", "--prune"])).code).toBe(2);
  });
});
