/**
 * Ctrl+C during `sync`: no new step starts, the calls in flight and the write-back finish, so every
 * bundle TokPortal created is recorded in the sheet, and rows not started say they wait for the next run.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { finding, findingText } from "../../src/findings/index.ts";
import { cliEntry } from "../support/cli-entry.ts";
import { cliHarness, csvRows } from "./cli-harness.ts";

const cli = cliHarness();

describe("tokportal-sync sync stopped by SIGINT", () => {
  it("finishes the calls in flight and the write-back, then exits with the report's code", async () => {
    cli.writeConfig();
    // Slow answers, so the signal lands while the apply is going.
    expect((await cli.emu.admin("POST", "/faults", { latencyMs: 250 })).status).toBe(200);
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        TOKPORTAL_BASE_URL: cli.emu.url,
        TOKPORTAL_API_KEY: cli.key(),
      };
      delete env.FORCE_COLOR;
      delete env.DEBUG;
      const child = spawn(process.execPath, [cliEntry(), "sync", "--yes"], {
        cwd: cli.dir(),
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString("utf8");
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString("utf8");
      });
      let closed = false;
      const exited = new Promise<number | null>((resolve) =>
        child.on("close", (code) => {
          closed = true;
          resolve(code);
        }),
      );
      // The first bundle created: the apply is under way.
      while (!closed && !cli.log().some((e) => e.operationId === "createBundle" && e.status === 201)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(closed).toBe(false);
      child.kill("SIGINT");
      const code = await exited;

      expect(stderr).toContain("Stopping: the calls in flight and the write-back finish first");
      expect(stderr).not.toContain(cli.key());
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Sync of /);
      // Every bundle TokPortal has is in the sheet with its id: nothing done went unrecorded.
      const remote = await cli.emu.api("GET", "/bundles", { key: cli.key(), query: { per_page: 100 } });
      const ids = (remote.body.data as Array<{ id: string }>).map((b) => b.id).sort();
      expect(ids.length).toBeGreaterThan(0);
      const bundles = csvRows(path.join(cli.dir(), "campaign/bundles.csv"));
      expect(
        bundles
          .map((b) => b["bundle_id"])
          .filter(Boolean)
          .sort(),
      ).toEqual(ids);
      // Some steps never started: their rows wait for the next run, and say so.
      const videos = csvRows(path.join(cli.dir(), "campaign/videos.csv"));
      const waiting = [...bundles, ...videos].filter((r) => r["sync_status"] === "pending");
      expect(waiting.length).toBeGreaterThan(0);
      const stopped = findingText(finding("stopped_by_user", undefined, {}));
      expect(waiting.some((r) => (r["sync_message"] ?? "").endsWith(stopped))).toBe(true);
    } finally {
      await cli.emu.admin("POST", "/faults", {});
    }
  });
});
