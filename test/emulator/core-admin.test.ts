import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.ts";
import { startTestEmulator, TEST_NOW } from "../support/emulator.ts";
import { readUntil } from "../support/streams.ts";

const ACCOUNT = { bundle_type: "account_only", country: "USA" };

describe("emulator core: state file, admin endpoints, CLI", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tokportal-emu-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the world in --state FILE across a restart", async () => {
    const stateFile = join(dir, "state.json");
    const first = await startTestEmulator({ stateFile });
    const created = await first.api("POST", "/bundles", {
      body: ACCOUNT,
      headers: { "idempotency-key": "a" },
    });
    expect(created.status).toBe(201);
    await first.advance(3600);
    await first.stop();
    // write-file-atomic writes a temporary file and renames it: none may be left behind.
    expect(readdirSync(dir).filter((f) => f.startsWith("state.json"))).toEqual(["state.json"]);
    const saved = JSON.parse(readFileSync(stateFile, "utf8"));
    expect(saved.version).toBe(1);
    expect(Object.keys(saved.bundles)).toEqual([created.body.data.id]);

    const second = await startTestEmulator({ stateFile });
    try {
      const got = await second.api("GET", `/bundles/${created.body.data.id}`);
      expect(got.status).toBe(200);
      expect((await second.api("GET", "/credits/balance")).body.data.total_credits).toBe(10_000 - 32);
      // The idempotency store and the clock offset survive too.
      const replay = await second.api("POST", "/bundles", {
        body: ACCOUNT,
        headers: { "idempotency-key": "a" },
      });
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(second.clock.iso()).toBe(new Date(Date.parse(TEST_NOW) + 3600_000).toISOString());
      // New ids continue the sequence instead of repeating it.
      const next = await second.api("POST", "/bundles", { body: ACCOUNT });
      expect(next.body.data.id).not.toBe(created.body.data.id);
    } finally {
      await second.stop();
    }
  });

  it("derives ids from the seed: the same seed and requests give the same ids", async () => {
    const ids: string[] = [];
    for (const seed of [5, 5, 6]) {
      const emu = await startTestEmulator({ seed });
      try {
        ids.push((await emu.api("POST", "/bundles", { body: ACCOUNT })).body.data.id);
      } finally {
        await emu.stop();
      }
    }
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it("refuses a state file of another version with a clear message", async () => {
    const stateFile = join(dir, "old.json");
    writeFileSync(stateFile, JSON.stringify({ version: 99, workspaces: {} }));
    await expect(startEmulator({ port: 0, stateFile, quiet: true })).rejects.toThrow(/version 99.*version 1/);
  });

  it("--speed runs the simulated clock that many times real time, on top of admin advances", async () => {
    const real = { t: 1_800_000_000_000 };
    const emu = await startTestEmulator({ speed: 60, realClock: () => real.t });
    try {
      const now = async () => (await emu.admin("POST", "/advance", { seconds: 0 })).body.data.now;
      expect(await now()).toBe(TEST_NOW);
      real.t += 10_000;
      expect(await now()).toBe("2026-09-01T12:10:00.000Z");
      await emu.admin("POST", "/advance", { seconds: 3600 });
      real.t += 500;
      expect(await now()).toBe("2026-09-01T13:10:30.000Z");
    } finally {
      await emu.stop();
    }
  });

  it("starts the simulated clock at the real current time unless told otherwise", async () => {
    const before = Date.now();
    const emu = await startTestEmulator({ now: undefined });
    try {
      const now = Date.parse((await emu.admin("POST", "/advance", { seconds: 0 })).body.data.now);
      expect(now).toBeGreaterThanOrEqual(before);
      expect(now).toBeLessThanOrEqual(Date.now());
    } finally {
      await emu.stop();
    }
  });

  it("admin: reset, advance, state, keys, rules", async () => {
    const emu = await startTestEmulator({ credits: 500 });
    try {
      await emu.api("POST", "/bundles", { body: ACCOUNT });
      const advanced = await emu.admin("POST", "/advance", { seconds: 90 });
      expect(advanced.body.data.now).toBe(new Date(Date.parse(TEST_NOW) + 90_000).toISOString());
      expect((await emu.admin("POST", "/advance", { seconds: -1 })).status).toBe(400);

      const state = await emu.admin("GET", "/state");
      expect(state.body.version).toBe(1);
      expect(Object.keys(state.body.bundles)).toHaveLength(1);
      expect(state.body.clockOffsetMs).toBe(90_000);

      const key = await emu.admin("POST", "/keys", {
        credits: 7,
        email: "team@example.com",
        plan_tier: "starter",
      });
      expect(key.status).toBe(201);
      const me = await emu.api("GET", "/me", { key: key.body.data.api_key });
      expect(me.body.data).toMatchObject({ email: "team@example.com", credits: { balance: 7 } });
      expect(me.body.data.id).toBe(key.body.data.workspace_id);
      expect((await emu.admin("POST", "/keys", { scope: "admin" })).status).toBe(400);

      const rules = await emu.admin("POST", "/rules", {
        defaultPlanTier: "creator",
        managers: { acceptAfterSeconds: 5 },
      });
      expect(rules.body.data.defaultPlanTier).toBe("creator");
      expect(rules.body.data.managers.acceptAfterSeconds).toBe(5);
      expect(rules.body.data.managers.postAtHourUtc).toBe(emu.rules().managers.postAtHourUtc);
      expect(
        (await emu.admin("POST", "/rules", { createCapacity: { limit: 0, windowSeconds: 1 } })).status,
      ).toBe(400);

      const reset = await emu.admin("POST", "/reset");
      expect(reset.status).toBe(200);
      expect(Object.keys(emu.state().bundles)).toHaveLength(0);
      expect(Object.keys(emu.state().workspaces)).toHaveLength(1);
      expect((await emu.api("GET", "/credits/balance")).body.data.total_credits).toBe(500);
      expect((await emu.api("GET", "/me", { key: key.body.data.api_key })).status).toBe(401);
      expect(emu.clock.iso()).toBe(TEST_NOW);

      expect((await emu.admin("POST", "/advance", "not json")).status).toBe(400);
    } finally {
      await emu.stop();
    }
  });

  it("CLI: `emulator` prints the base URL and the key, serves until stopped, and saves --state on stop", async () => {
    const stateFile = join(dir, "cli.json");
    let bundleId = "";
    const child = spawn(
      process.execPath,
      ["bin/tokportal-sync.js", "emulator", "--port", "0", "--seed", "3", "--state", stateFile],
      {
        cwd: join(import.meta.dirname, "../.."),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      const out = await readUntil(child.stdout, /Ctrl\+C/);
      const url = /base URL: (\S+)/.exec(out)?.[1];
      const key = /API key: +(\S+)/.exec(out)?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/ext$/);
      expect(key).toBe(`sk_${"0".repeat(64)}`);
      const res = await fetch(`${url}/credits/balance`, { headers: { "x-api-key": key ?? "" } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: { total_credits: number } }).data.total_credits).toBe(10_000);
      const created = await fetch(`${url}/bundles`, {
        method: "POST",
        headers: { "x-api-key": key ?? "", "content-type": "application/json" },
        body: JSON.stringify(ACCOUNT),
      });
      expect(created.status).toBe(201);
      bundleId = ((await created.json()) as { data: { id: string } }).data.id;
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, "utf8")).bundles)).toEqual([bundleId]);
  });

  it("CLI: a key given by the user is shown only by its last 4 characters", async () => {
    const secret = `sk_${"ab12".repeat(15)}cdef`;
    const child = spawn(
      process.execPath,
      ["bin/tokportal-sync.js", "emulator", "--port", "0", "--api-key", secret, "--credits", "5"],
      { cwd: join(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const out = await readUntil(child.stdout, /Ctrl\+C/);
      expect(out).not.toContain(secret);
      expect(out).not.toContain("ab12ab12");
      expect(out).toContain("cdef");
      const url = /base URL: (\S+)/.exec(out)?.[1];
      const res = await fetch(`${url}/me`, { headers: { "x-api-key": secret } });
      expect(((await res.json()) as { data: { credits: { balance: number } } }).data.credits.balance).toBe(5);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
