/**
 * A saved plan through child processes against a test emulator: `plan --out` then `sync --plan` applies
 * exactly it; a sheet edit in between makes it stale (exit 2, nothing sent); unusable files are usage errors.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePlanFile } from "../../src/sync/plan-file.ts";
import type { RunReportOf } from "../../src/sync/types.ts";
import { editCsv } from "../support/campaign.ts";
import { cliHarness, csvRows } from "./cli-harness.ts";

const cli = cliHarness();

function campaignFiles(): { bundles: string; videos: string } {
  return {
    bundles: path.join(cli.dir(), "campaign/bundles.csv"),
    videos: path.join(cli.dir(), "campaign/videos.csv"),
  };
}

function snapshot(): string[] {
  const f = campaignFiles();
  return [readFileSync(f.bundles, "utf8"), readFileSync(f.videos, "utf8")];
}

async function balance(): Promise<number> {
  const res = await cli.emu.api("GET", "/credits/balance", { key: cli.key() });
  expect(res.status).toBe(200);
  return res.body.data.total_credits;
}

describe("tokportal-sync sync --plan", () => {
  it("--out saves the plan and `sync --plan` applies exactly it", async () => {
    cli.writeConfig();
    const before = snapshot();
    const saved = await cli.run(["plan", "--out", "plan.json"]);
    cli.expectClean(saved);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain(
      "Saved to plan.json; apply exactly this plan with: tokportal-sync sync --plan plan.json",
    );
    expect(snapshot()).toEqual(before);
    const plan = parsePlanFile(readFileSync(path.join(cli.dir(), "plan.json"), "utf8"));
    expect(plan.ops).toHaveLength(16);
    expect(cli.writes()).toEqual([]);

    // No --yes and no terminal: a reviewed plan is its own confirmation.
    const r = await cli.run(["sync", "--plan", "plan.json", "--json"]);
    cli.expectClean(r);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RunReportOf<"apply">;
    expect(report.plan.inputsFingerprint).toBe(plan.inputsFingerprint);
    expect(report.plan.createdAt).toBe(plan.createdAt);
    expect(report.creditsCharged).toBe(plan.totals.cost);
    const creates = cli.writes().filter((e) => e.operationId === "createBundle");
    expect(creates).toHaveLength(4);
    expect(await balance()).toBe(10_000 - plan.totals.cost);
    expect(csvRows(campaignFiles().bundles).every((row) => row["bundle_id"] !== "")).toBe(true);
  });

  it("`sync --plan` refuses a plan made before the sheet changed: exit 2, nothing sent", async () => {
    cli.writeConfig();
    expect((await cli.run(["plan", "--out", "plan.json"])).code).toBe(0);
    editCsv(campaignFiles().videos, (rows) => {
      rows[0]!["description"] = "Edited after the plan was saved";
      return rows;
    });
    const before = snapshot();
    const r = await cli.run(["sync", "--plan", "plan.json", "--yes"]);
    cli.expectClean(r);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^error: The saved plan was made at \S+ from a different sheet or TokPortal state, so it is not applied .*Run `plan` again and review the new plan\.\n$/,
    );
    expect(cli.writes()).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it("`sync --plan` with a missing or malformed file, or a different budget, is a usage error", async () => {
    cli.writeConfig();
    const missing = await cli.run(["sync", "--plan", "nope.json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: cannot read the plan file nope\.json: no such file\./);
    writeFileSync(path.join(cli.dir(), "bad.json"), JSON.stringify({ version: 1, ops: "all of them" }));
    const malformed = await cli.run(["sync", "--plan", "bad.json"]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^error: The plan file is not a tokportal-sync plan: /);
    const unsaved = await cli.run(["plan", "--out", "no-such-folder/plan.json"]);
    expect(unsaved.code).toBe(2);
    expect(unsaved.stderr).toBe(
      "error: cannot save the plan to no-such-folder/plan.json: its folder does not exist.\n",
    );
    expect((await cli.run(["plan", "--out", "plan.json"])).code).toBe(0);
    const budget = await cli.run(["sync", "--plan", "plan.json", "--max-credits", "10"]);
    expect(budget.code).toBe(2);
    expect(budget.stderr).toContain("the saved plan was made with no credit budget");
    expect(cli.writes()).toEqual([]);
  });
});
