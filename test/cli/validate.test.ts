/**
 * `tokportal-sync validate` through a child process against a test emulator: exit 0 on a valid sheet,
 * 1 with each bad row (row, column, message), 2 on a config error; reads only, `--offline` asks nothing.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ValidationResult } from "../../src/cli/validate-run.ts";
import { finding, renderFinding } from "../../src/findings/index.ts";
import { editCsv } from "../support/campaign.ts";
import { cliHarness } from "./cli-harness.ts";

const cli = cliHarness();

function videosFile(): string {
  return path.join(cli.dir(), "campaign/videos.csv");
}

function snapshot(): string[] {
  return ["bundles.csv", "videos.csv"].map((f) => readFileSync(path.join(cli.dir(), "campaign", f), "utf8"));
}

/** Breaks two rows: one the rows alone show (row 3), one only TokPortal's clock shows (row 5). */
function breakRows(): void {
  editCsv(videosFile(), (rows) => {
    rows[1]!["description"] = "";
    // The test emulator's today is 2026-09-01: a new account needs 3 days' notice.
    rows[3]!["target_publish_date"] = "2026-09-02";
    return rows;
  });
}

describe("tokportal-sync validate", () => {
  it("exit 0: every row valid, checked against TokPortal with reads only", async () => {
    cli.writeConfig();
    const before = snapshot();
    const r = await cli.run(["validate"]);
    cli.expectClean(r);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "Validation of campaign/bundles.csv + campaign/videos.csv\nAll 17 rows are valid (4 bundles rows, 13 videos rows, checked on their own and against TokPortal, reading only).\n",
    );
    expect(cli.log().length).toBeGreaterThan(0);
    expect(cli.writes()).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it("exit 1: each problem with its row, column and message, and a count", async () => {
    cli.writeConfig();
    breakRows();
    const before = snapshot();
    const r = await cli.run(["validate"]);
    cli.expectClean(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^ {2}✗ videos row 3 {2}error {4}\[description\] is empty; a video needs a description/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}✗ videos row 5 {2}error {4}\[target_publish_date\] 2026-09-02 is too soon/m,
    );
    expect(r.stdout).toMatch(/^2 of 17 rows are not valid \(4 bundles rows, 13 videos rows, /m);
    expect(cli.writes()).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it("--offline checks the rows on their own and sends nothing to TokPortal", async () => {
    cli.writeConfig();
    breakRows();
    const r = await cli.run(["validate", "--offline", "--json"], { TOKPORTAL_API_KEY: undefined });
    cli.expectClean(r);
    expect(r.code).toBe(1);
    expect(cli.log()).toEqual([]);
    const result = JSON.parse(r.stdout) as ValidationResult;
    expect(result).toMatchObject({ valid: false, checked: "offline", invalidRows: 1 });
    expect(result.rows).toEqual({ bundles: 4, videos: 13 });
    // The lead time needs TokPortal's today: offline, only the empty description is found.
    expect(result.problems).toEqual([
      {
        table: "videos",
        rows: [3],
        column: "description",
        status: "error",
        code: "description_missing",
        params: { videoType: "video" },
        message: renderFinding([3], finding("description_missing", "description", { videoType: "video" })),
      },
    ]);
  });

  it("--json: the result document with every problem", async () => {
    cli.writeConfig();
    breakRows();
    const r = await cli.run(["validate", "--json"]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as ValidationResult;
    expect(result.valid).toBe(false);
    expect(result.checked).toBe("tokportal");
    expect(result.invalidRows).toBe(2);
    expect(result.problems.map((p) => [p.table, p.rows, p.column, p.status, p.code])).toEqual([
      ["videos", [3], "description", "error", "description_missing"],
      ["videos", [5], "target_publish_date", "error", "date_too_soon"],
    ]);
    expect(result.problems[1]?.params).toMatchObject({ date: "2026-09-02", days: 3, creating: true });
  });

  it("without TOKPORTAL_API_KEY it checks offline and says so; exit 0 on a valid sheet", async () => {
    cli.writeConfig();
    const r = await cli.run(["validate"], { TOKPORTAL_API_KEY: undefined });
    cli.expectClean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("checked on their own, not against TokPortal");
    expect(r.stdout).toContain("Note: TOKPORTAL_API_KEY is not set");
    expect(cli.log()).toEqual([]);
  });

  it("TokPortal unreachable: checks offline with a note; a bundle_ref without a row is a note, not an error", async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    cli.writeConfig({ tokportal: { base_url: "http://127.0.0.1:9/api/ext" } });
    editCsv(videosFile(), (rows) => [
      ...rows,
      {
        video_ref: "x-v1",
        bundle_ref: "elsewhere",
        video_type: "video",
        description: "On a bundle made elsewhere",
        target_publish_date: "2027-03-09",
        video_url: "https://example.com/media/x-v1.mp4",
      },
    ]);
    const r = await cli.run(["validate"], { TOKPORTAL_BASE_URL: undefined });
    cli.expectClean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ {2}! videos row 15 {2}warning {2}\[bundle_ref\] no bundles row has bundle_ref elsewhere: fine only if TokPortal already has a bundle with external_ref cli-elsewhere/m,
    );
    expect(r.stdout).toContain(
      "All 18 rows are valid (4 bundles rows, 14 videos rows, checked on their own, not against TokPortal); 1 note.",
    );
    expect(r.stdout).toMatch(
      /^Note: TokPortal could not be reached \(listBundles: network error \(ECONNREFUSED\)/m,
    );
  });

  it("exit 2: a config error names the field", async () => {
    const file = cli.writeConfig();
    const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...config, max_credits: "lots" }));
    const r = await cli.run(["validate"]);
    cli.expectClean(r);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: .*max_credits/m);
    expect(cli.log()).toEqual([]);
  });

  it("exit 2: the sheet cannot be read", async () => {
    cli.writeConfig({
      source: { type: "csv", bundles: "campaign/bundles.csv", videos: "campaign/missing.csv" },
    });
    const r = await cli.run(["validate", "--offline"]);
    cli.expectClean(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*missing\.csv/);
  });

  it("exit 3: TokPortal refuses the key", async () => {
    cli.writeConfig();
    expect((await cli.emu.admin("POST", "/keys/revoke", { api_key: cli.key() })).status).toBe(200);
    const r = await cli.run(["validate"]);
    cli.expectClean(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: TokPortal refused the API key/);
  });

  it("--help shows examples and the exit codes", async () => {
    const r = await cli.run(["validate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--offline");
    expect(r.stdout).toMatch(/^ {2}1 {2}some rows are not valid/m);
  });
});
