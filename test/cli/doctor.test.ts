/**
 * `tokportal-sync doctor` as a user runs it (a child process) against a test sandbox over HTTP: the table
 * and the exit codes, `--json` with stable codes, `--save` without the key or any account data, and
 * `--sandbox` with a config.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DoctorReport } from "../../src/cli/doctor-render.ts";
import { CHECKS } from "../../src/doctor/checks.ts";
import { editJson, type ShapeProxy, startShapeProxy } from "../doctor/shape-proxy.ts";
import { cliHarness } from "./cli-harness.ts";

const cli = cliHarness();
let proxy: ShapeProxy | null = null;
afterEach(async () => {
  await proxy?.stop();
  proxy = null;
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
    proxy = await startShapeProxy(cli.emu.origin, (req, a) =>
      req.method === "GET" && req.path === "/bundles"
        ? editJson(a, (b) => ({
            ...b,
            data: (b.data as Array<Record<string, unknown>>).map(({ edits_quantity, ...rest }) => rest),
          }))
        : undefined,
    );
    const r = await cli.run(["doctor"], { TOKPORTAL_API_KEY: key, TOKPORTAL_BASE_URL: proxy.url });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}! bundle list +edits_quantity missing +cannot compare edit_slots/m);
    expect(r.stdout).toMatch(/^The sync will do less than usual: bundle list/m);
    const json = await cli.run(["doctor", "--json"], {
      TOKPORTAL_API_KEY: key,
      TOKPORTAL_BASE_URL: proxy.url,
    });
    const report = JSON.parse(json.stdout) as DoctorReport;
    const bundles = report.checks.find((c) => c.code === "read.bundles");
    expect(bundles?.outcome).toBe("differs");
    expect(bundles?.findings).toEqual([
      { code: "missing", subject: "data[].edits_quantity", severity: "differs" },
    ]);
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
