/**
 * `tokportal-sync doctor` as a user runs it (a child process) against a test sandbox over HTTP: the table
 * and the exit codes, `--json` with stable codes, `--save` without the key or any account data,
 * `--sandbox` with a config, and a sandbox told by its fault rules to answer other shapes, as a user would
 * set one up by hand with `tokportal-sync emulator` and its admin API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DoctorReport } from "../../src/cli/doctor-render.ts";
import { CHECKS } from "../../src/doctor/checks.ts";
import { cliEntry } from "../support/cli-entry.ts";
import { readUntil } from "../support/streams.ts";
import { cliHarness } from "./cli-harness.ts";

const cli = cliHarness();
const children: ChildProcess[] = [];
afterEach(async () => {
  cli.emu.setFaults({});
  for (const child of children.splice(0)) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
});

/** What a real account holds that must never reach a report: set up on a key of its own. */
const PERSONAL = {
  email: "jane.doe@agency.example",
  username: "jane_doe_nyc",
  visibleName: "Jane Doe NYC",
  title: "Acme spring launch",
  ref: "acme-spring-us-1",
};

async function account(): Promise<{ key: string; bundleId: string }> {
  const key = cli.emu.createKey({ credits: 1000, email: PERSONAL.email }).apiKey;
  const created = await cli.emu.api("POST", "/bundles", {
    key,
    headers: { "idempotency-key": "cli-doctor-create" },
    body: {
      bundle_type: "account_and_videos",
      country: "USA",
      videos_quantity: 2,
      external_ref: PERSONAL.ref,
      title: PERSONAL.title,
    },
  });
  expect(created.status).toBe(201);
  const bundleId = created.body.data.id as string;
  const configured = await cli.emu.api("PUT", `/bundles/${bundleId}/account`, {
    key,
    headers: { "idempotency-key": "cli-doctor-account" },
    body: { username: PERSONAL.username, visible_name: PERSONAL.visibleName },
  });
  expect(configured.status).toBe(200);
  return { key, bundleId };
}

describe("tokportal-sync doctor", () => {
  it("passes on the sandbox: a header, the table, what to do next; exit 0", async () => {
    const { key } = await account();
    const r = await cli.run(["doctor"], { TOKPORTAL_API_KEY: key });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(key);
    expect(r.stdout).toMatch(/^tokportal-sync doctor: /);
    expect(r.stdout).toMatch(/nothing is created, changed or charged/);
    expect(r.stdout).toMatch(/^ {2}✓ create bundle +ok$/m);
    expect(r.stdout).toMatch(/^ {2}- unschedule video +destructive/m);
    expect(r.stdout).toMatch(/^Next: tokportal-sync validate, then tokportal-sync plan\.$/m);
    // Besides the two writes that set up the account, only dry runs reached TokPortal.
    const real = cli.writes().filter((e) => !e.dry_run);
    expect(real.map((e) => e.operationId)).toEqual(["createBundle", "configureBundleAccount"]);
    expect(cli.writes().length).toBeGreaterThan(12);
  });

  it("--json: one document, every check by its stable code", async () => {
    const { key } = await account();
    const r = await cli.run(["doctor", "--json"], { TOKPORTAL_API_KEY: key });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.exit_code).toBe(0);
    expect(report.target).toBe("custom");
    expect(report.checks.map((c) => c.code)).toEqual(CHECKS.map((c) => c.code));
    expect(report.counts.differs + report.counts.unreadable + report.counts.failed).toBe(0);
  });

  it("--save writes a report with no key and no personal data (shapes and types only)", async () => {
    const { key, bundleId } = await account();
    const r = await cli.run(["doctor", "--save", "report.json"], { TOKPORTAL_API_KEY: key });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Report saved to report\.json/m);
    const text = readFileSync(path.join(cli.dir(), "report.json"), "utf8");
    const report = JSON.parse(text) as DoctorReport;
    // It is a useful report: the shapes of the answers are there.
    const bundles = report.checks.find((c) => c.code === "read.bundles");
    expect(bundles?.shape).toMatchObject({
      data: [{ id: "string(uuid)", external_ref: "string", title: "string" }],
    });
    const me = report.checks.find((c) => c.code === "read.me");
    expect(me?.shape).toMatchObject({ data: { email: "string(email)" } });
    // And nothing of the account's.
    for (const secret of [key, bundleId, ...Object.values(PERSONAL)]) expect(text).not.toContain(secret);
    expect(text).not.toContain("jane");
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
    expect(text).not.toMatch(/@|https?:\/\/|127\.0\.0\.1|sk_/);
  });

  it("exit 1 when the sync would do less, naming what and what it does instead", async () => {
    const { key } = await account();
    cli.emu.setFaults({
      rules: [
        {
          operationId: "listBundles",
          action: "rewrite",
          always: true,
          rewrite: { omit: ["data.*.edits_quantity"] },
        },
      ],
    });
    const r = await cli.run(["doctor"], { TOKPORTAL_API_KEY: key });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}! bundle list +edits_quantity missing +cannot compare edit_slots/m);
    expect(r.stdout).toMatch(/^The sync will do less than usual: bundle list/m);
    const json = await cli.run(["doctor", "--json"], { TOKPORTAL_API_KEY: key });
    const report = JSON.parse(json.stdout) as DoctorReport;
    const bundles = report.checks.find((c) => c.code === "read.bundles");
    expect(bundles?.outcome).toBe("differs");
    expect(bundles?.findings).toEqual([
      { code: "missing", subject: "data[].edits_quantity", severity: "differs" },
    ]);
  });

  it("by hand: `emulator` told through its admin API to answer the batch without results; doctor exits 1 naming it", async () => {
    // The sandbox as a user starts it, in a terminal of its own.
    const emulator = spawn(
      process.execPath,
      [cliEntry(), "emulator", "--port", "0", "--seed", "7", "--quiet"],
      {
        cwd: cli.dir(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(emulator);
    const banner = await readUntil(emulator.stdout!, /Ctrl\+C/);
    const url = /export TOKPORTAL_BASE_URL=(\S+)/.exec(banner)?.[1] ?? "";
    const key = /export TOKPORTAL_API_KEY=(\S+)/.exec(banner)?.[1] ?? "";
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/ext$/);
    const admin = `${new URL(url).origin}/__emulator`;
    // A bundle to configure videos on, as after a first sync.
    const created = await fetch(`${url}/bundles`, {
      method: "POST",
      headers: { "x-api-key": key, "content-type": "application/json" },
      body: JSON.stringify({ bundle_type: "account_and_videos", country: "USA", videos_quantity: 2 }),
    });
    expect(created.status).toBe(201);
    // The rule docs/emulator.md gives for it, sent as a user would with curl.
    const set = await fetch(`${admin}/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        rules: [
          {
            operationId: "batchConfigureBundleVideos",
            action: "rewrite",
            always: true,
            rewrite: { omit: ["data.results"] },
          },
        ],
      }),
    });
    expect(set.status).toBe(200);

    const r = await cli.run(["doctor"], { TOKPORTAL_BASE_URL: url, TOKPORTAL_API_KEY: key });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^ {2}! batch-configure videos +no per-video results +reads the bundle's slots back to learn each video's outcome/m,
    );
    expect(r.stdout).toMatch(/^The sync will do less than usual: batch-configure videos/m);
    const json = await cli.run(["doctor", "--json"], { TOKPORTAL_BASE_URL: url, TOKPORTAL_API_KEY: key });
    const report = JSON.parse(json.stdout) as DoctorReport;
    expect(report.exit_code).toBe(1);
    const differing = report.checks.filter(
      (c) => c.outcome !== "ok" && c.findings.some((f) => f.severity === "differs"),
    );
    expect(differing.map((c) => [c.code, c.findings])).toEqual([
      ["write.configure_videos", [{ code: "no_results", subject: "data.results", severity: "differs" }]],
    ]);
    // The batch was only ever a dry run: the sandbox's bundle still has no configured video.
    const log = (await (await fetch(`${admin}/requests?since=0`)).json()) as {
      data: Array<{ operationId: string | null; dry_run: boolean; fault: string | null }>;
    };
    const batches = log.data.filter((e) => e.operationId === "batchConfigureBundleVideos");
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((e) => e.dry_run && e.fault === "rule:rewrite")).toBe(true);
  });

  it("exit 3 when TokPortal refuses the key", async () => {
    await cli.emu.admin("POST", "/keys/revoke", { api_key: cli.key() });
    const r = await cli.run(["doctor"]);
    cli.expectClean(r);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^ {2}✗ API key +refused, HTTP 401 +every command stops with exit 3/m);
    expect(r.stdout).toMatch(/^TokPortal refused the API key\.$/m);
  });

  it("exit 2 without a key (and no config file)", async () => {
    const r = await cli.run(["doctor"], { TOKPORTAL_API_KEY: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TOKPORTAL_API_KEY is not set/);
    expect(r.stderr).toMatch(/doctor --sandbox/);
  });

  it("--sandbox with a config: the config's sandbox, in-process; nothing sent elsewhere", async () => {
    cli.writeConfig();
    const r = await cli.run(["doctor", "--sandbox"], { TOKPORTAL_API_KEY: undefined });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^TokPortal: the sandbox/m);
    expect(existsSync(path.join(cli.dir(), ".sandbox"))).toBe(true);
    expect(cli.log()).toEqual([]);
  });
});
