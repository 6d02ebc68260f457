/**
 * `tokportal-sync plan` through a child process against a test emulator: the table, `--json`, and
 * `--server-check` (dry runs that change nothing). Saved plans and `sync --plan`: plan-apply.test.ts.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePlanFile } from "../../src/sync/plan-file.ts";
import type { ServerCheck } from "../../src/sync/server-check.ts";
import type { Plan } from "../../src/sync/types.ts";
import { editCsv } from "../support/campaign.ts";
import { cliHarness } from "./cli-harness.ts";

const cli = cliHarness();

/** An ANSI escape sequence (colours) anywhere in the text. */
const hasAnsi = (text: string): boolean => text.includes("\u001b[");

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

/** The workspace as TokPortal sees it: balance and bundles, read through the API with the test's key. */
async function workspace(): Promise<{ balance: number; bundles: number }> {
  const balance = await cli.emu.api("GET", "/credits/balance", { key: cli.key() });
  const bundles = await cli.emu.api("GET", "/bundles", { key: cli.key(), query: { per_page: 100 } });
  expect(balance.status).toBe(200);
  expect(bundles.status).toBe(200);
  return { balance: balance.body.data.total_credits, bundles: bundles.body.data.length };
}

describe("tokportal-sync plan", () => {
  it("prints the plan as a table and writes nothing, not to TokPortal, not to the sheet", async () => {
    cli.writeConfig();
    const before = snapshot();
    const r = await cli.run(["plan"]);
    cli.expectClean(r);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(cli.writes()).toEqual([]);
    expect(snapshot()).toEqual(before);
    // One line per op: symbol, bundle, what it does, the rows it serves, its credits.
    expect(r.stdout).toMatch(
      /^ {2}\+ {2}spring-us-1 {2}create bundle +bundles 2; videos 2-5 +40 credits {2}new bundle/m,
    );
    expect(r.stdout).toMatch(/^ {2}~ {2}spring-us-1 {2}configure 3 videos +videos 2-4 /m);
    expect(r.stdout).toMatch(/^ {2}→ {2}spring-us-1 {2}publish bundle /m);
    expect(r.stdout).toMatch(
      /^Plan: 16 operations \(4 to create, 9 to change, 3 to publish\), 169 credits$/m,
    );
    expect(r.stdout).toMatch(/^ {2}balance: +10000 now, 9831 after$/m);
    expect(r.stdout).toMatch(/^ {2}max_credits: +none/m);
    expect(hasAnsi(r.stdout)).toBe(false);
  });

  it("marks rows that will not sync with !, their status and message, and exits as sync would", async () => {
    cli.writeConfig();
    editCsv(campaignFiles().videos, (rows) => {
      rows[1]!["description"] = "";
      return rows;
    });
    const r = await cli.run(["plan"]);
    cli.expectClean(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}! videos 3 {2}error {4}Row 3, column description: is empty/m);
    expect(r.stdout).toMatch(/^ {2}rows: +17 \(once applied: 16 synced, 1 error\)$/m);
    expect(cli.writes()).toEqual([]);
  });

  it("refuses a plan holding key-like text, as a table or as JSON: nothing printed, the key not echoed", async () => {
    cli.writeConfig();
    const key = `sk_${"5a".repeat(32)}`;
    editCsv(campaignFiles().videos, (rows) => {
      rows[1]!["description"] = `promo ${key}`;
      return rows;
    });
    for (const args of [["plan"], ["plan", "--json"]]) {
      const r = await cli.run(args);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/looks like a TokPortal API key/);
      expect(r.stderr).not.toContain(key);
    }
    expect(cli.writes()).toEqual([]);
  });

  it("--json prints the plan document: ops, rows and totals, the same JSON as the plan file", async () => {
    cli.writeConfig({ max_credits: 500 });
    const r = await cli.run(["plan", "--json"]);
    cli.expectClean(r);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(Object.keys(plan)).toEqual([
      "version",
      "createdAt",
      "prefix",
      "prune",
      "inputsFingerprint",
      "totals",
      "orphans",
      "ops",
      "rows",
    ]);
    // Read back as a saved plan, it is the same document.
    expect(JSON.parse(JSON.stringify(parsePlanFile(r.stdout)))).toEqual(plan);
    expect(plan.totals.cost).toBe(169);
    expect(plan.totals.maxCredits).toBe(500);
    expect(plan.totals.balance).toBe(10_000);
    expect(plan.totals.ops.createBundle).toBe(4);
    expect(plan.ops).toHaveLength(16);
    expect(plan.rows).toHaveLength(17);
    const create = plan.ops.find((op) => op.kind === "createBundle");
    expect(create?.rows).toContain("b:spring-us-1");
    expect(cli.writes()).toEqual([]);
  });

  it("--server-check sends every checkable write as a dry run: balance and bundles unchanged", async () => {
    cli.writeConfig();
    const before = await workspace();
    const r = await cli.run(["plan", "--server-check", "--json"]);
    cli.expectClean(r);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Plan & { serverCheck: ServerCheck };
    const check = doc.serverCheck;
    expect(check.ops.map((o) => o.op)).toEqual(doc.ops.map((op) => op.id));
    // Creates are checked by TokPortal; the steps of bundles that do not exist yet only locally.
    for (const o of check.ops) {
      expect(o.status).toBe(o.kind === "createBundle" ? "accepted" : "local");
      if (o.kind === "createBundle") {
        expect(o.wouldCharge).toBe(doc.ops.find((op) => op.id === o.op)?.cost);
      }
    }
    expect(check.counts).toEqual({ accepted: 4, refused: 0, uncertain: 0, local: 12 });
    const writes = cli.writes();
    expect(writes.map((e) => e.operationId)).toEqual([
      "createBundle",
      "createBundle",
      "createBundle",
      "createBundle",
    ]);
    expect(writes.every((e) => e.dry_run)).toBe(true);
    expect(await workspace()).toEqual(before);
  });

  it("--server-check on existing bundles checks each step and reports what TokPortal said", async () => {
    cli.writeConfig();
    expect((await cli.run(["sync", "--yes"])).code).toBe(0);
    editCsv(campaignFiles().bundles, (rows) => {
      rows[2]!["title"] = "Spring launch UK, renamed";
      return rows;
    });
    // A bundle whose saved account does not exist: only TokPortal can tell.
    editCsv(campaignFiles().bundles, (rows) => [
      ...rows,
      {
        bundle_ref: "spring-saved-1",
        bundle_type: "videos_only",
        platform: "tiktok",
        country: "",
        title: "Saved account",
        account_id: "7b0c9a4e-1f5d-4c3b-9a2e-6d8f0b1c2d3e",
        publish: "no",
      },
    ]);
    editCsv(campaignFiles().videos, (rows) => [
      ...rows,
      {
        video_ref: "sv-v1",
        bundle_ref: "spring-saved-1",
        video_type: "video",
        description: "On a saved account",
        target_publish_date: "2027-03-09",
        video_url: "https://example.com/media/sv-v1.mp4",
        publish: "no",
      },
      // A new video on a bundle that has no free slot: the slot is added first, which a dry run of the
      // configure cannot see.
      {
        video_ref: "us-v9",
        bundle_ref: "spring-us-1",
        video_type: "video",
        description: "One more look",
        target_publish_date: "2027-03-09",
        video_url: "https://example.com/media/us-v9.mp4",
        publish: "yes",
      },
    ]);
    const before = await workspace();
    const earlier = cli.writes().length;
    const r = await cli.run(["plan", "--server-check"]);
    cli.expectClean(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}✓ spring-uk-1 +update bundle +accepted$/m);
    expect(r.stdout).toMatch(
      /^ {2}✗ spring-saved-1 +create bundle +TokPortal says: .*SAVED_ACCOUNT_NOT_FOUND/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}· spring-saved-1 +configure 1 video +checked locally only: the bundle does not exist yet/m,
    );
    expect(r.stdout).toMatch(/^ {2}✓ spring-us-1 +add 1 video slot +accepted \(would charge 2 credits\)$/m);
    expect(r.stdout).toMatch(
      /^ {2}\? spring-us-1 +configure 1 video +1 of 1 video refused \(checked against the bundle as it is now/m,
    );
    expect(r.stdout).toMatch(
      /^Server check: 2 accepted, 1 refused, 2 uncertain \(they depend on earlier steps\), 1 checked locally only\.$/m,
    );
    const writes = cli.writes().slice(earlier);
    expect(writes.map((e) => e.operationId).sort()).toEqual([
      "addVideoSlots",
      "batchConfigureBundleVideos",
      "createBundle",
      "publishBundleVideo",
      "updateBundle",
    ]);
    expect(writes.every((e) => e.dry_run)).toBe(true);
    expect(await workspace()).toEqual(before);
  });

  it("colours: none when not a terminal or with NO_COLOR; FORCE_COLOR turns them on", async () => {
    cli.writeConfig();
    const plain = await cli.run(["plan"]);
    expect(hasAnsi(plain.stdout)).toBe(false);
    const forced = await cli.run(["plan"], { FORCE_COLOR: "1" });
    expect(hasAnsi(forced.stdout)).toBe(true);
    const noColor = await cli.run(["plan"], { FORCE_COLOR: "1", NO_COLOR: "1" });
    expect(noColor.code).toBe(0);
    expect(hasAnsi(noColor.stdout)).toBe(false);
    expect(noColor.stdout).toBe(plain.stdout);
  });

  it("--help shows examples, the table's symbols and the exit codes", async () => {
    const r = await cli.run(["plan", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--server-check");
    expect(r.stdout).toContain("+ create, ~ change");
    expect(r.stdout).toContain("Exit codes:");
  });
});
