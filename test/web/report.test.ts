/**
 * `tokportal-sync report`: one HTML file holding everything (styles, script, uPlot, data), from the
 * sheet and its run log, with no request anywhere and nothing written but the file.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, expect, it } from "vitest";
import type { CommandIO } from "../../src/cli/io.ts";
import { runReportCommand } from "../../src/cli/report-run.ts";
import { root } from "../cli/cli-harness.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sink = () =>
  new Writable({
    write(_c, _e, done) {
      done();
    },
  });

it("writes a self-contained page of the campaign, reading only", async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-report-"));
  cpSync(path.join(root, "fixtures/campaign"), path.join(dir, "campaign"), { recursive: true });
  writeFileSync(
    path.join(dir, "acme.json"),
    JSON.stringify({
      tokportal: { base_url: "https://tokportal.invalid/api/ext" },
      source: { type: "csv", bundles: "campaign/bundles.csv", videos: "campaign/videos.csv", run_log: true },
      ref_prefix: "acme-",
    }),
  );
  writeFileSync(
    path.join(dir, "campaign/sync-runs.csv"),
    "started_at,ended_at,mode,synced,pending,locked,error,skipped,credits_charged,tokportal_calls,rate_limited,errors,exit_code,quiet_runs,last_quiet_at\n2026-09-01T09:00:00.000Z,2026-09-01T09:00:01.000Z,apply,17,0,0,0,0,169,25,0,,0,0,\n",
  );
  const before = readFileSync(path.join(dir, "campaign/videos.csv"), "utf8");
  const io: CommandIO = { stdout: sink(), stderr: sink(), stdin: process.stdin, env: {}, color: false };
  const out = path.join(dir, "out.html");
  expect(await runReportCommand({ config: path.join(dir, "acme.json"), out }, io)).toBe(0);
  const page = readFileSync(out, "utf8");
  expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet[^>]+href=|https?:\/\/[^"]*\.(js|css)/);
  expect(page).toContain("uPlot");
  expect(page).toContain('data-k="run-credits">169<');
  expect(page).toContain("spring-us-1");
  expect(page).not.toContain("<form");
  expect(readFileSync(path.join(dir, "campaign/videos.csv"), "utf8")).toBe(before);
});
