/**
 * The run history's store, its retention, `--since`, and what the service config reports of a bad
 * campaign; the shared limits keyed without the key. In-process, on a temp folder.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConfigError } from "../../src/config/errors.ts";
import type { LoadedConfig } from "../../src/config/load.ts";
import { historyTarget, loadService } from "../../src/config/service.ts";
import { RunHistory } from "../../src/service/history.ts";
import type { RunRecord } from "../../src/service/run-record.ts";
import { keyIdentity, SharedLimits } from "../../src/service/shared-limits.ts";
import { parseSince } from "../../src/service/since.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tps-history-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(campaign: string, startedAt: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    v: 1,
    campaign,
    trigger: "cron",
    startedAt,
    finishedAt: startedAt,
    durationMs: 10,
    mode: "apply",
    status: "ok",
    stopped: false,
    counts: { synced: 1, pending: 0, locked: 0, error: 0, skipped: 0 },
    creditsCharged: 0,
    deferred: { bundles: 0, cost: 0 },
    calls: 3,
    rateLimited: 0,
    errorRows: 0,
    errors: [],
    error: null,
    exitCode: 0,
    ...extra,
  };
}

describe("RunHistory", () => {
  it("appends one line per run in a month file per campaign, reads back by campaign and since, skips a torn line", async () => {
    const h = new RunHistory(dir);
    await h.append(record("acme", "2026-04-30T23:59:00.000Z"));
    await h.append(record("acme", "2026-05-01T10:00:00.000Z"));
    await h.append(record("beta", "2026-05-02T10:00:00.000Z", { status: "failed", exitCode: 3 }));
    expect(existsSync(path.join(dir, "history/acme/2026-04.jsonl"))).toBe(true);
    expect(readFileSync(path.join(dir, "history/acme/2026-05.jsonl"), "utf8").split("\n")).toHaveLength(2);
    appendFileSync(path.join(dir, "history/acme/2026-05.jsonl"), '{"v":1,"campaign":"acme","sta');
    expect((await h.read()).map((r) => r.campaign)).toEqual(["acme", "acme", "beta"]);
    expect(await h.read({ campaign: "acme" })).toHaveLength(2);
    expect(await h.read({ since: Date.parse("2026-05-01T00:00:00Z") })).toHaveLength(2);
    expect(await h.read({ limit: 1 })).toMatchObject([{ campaign: "beta", exitCode: 3 }]);
    expect((await h.latest("acme"))?.startedAt).toBe("2026-05-01T10:00:00.000Z");
    expect(await h.campaigns()).toEqual(["acme", "beta"]);
  });

  it("retention: deletes whole months past it, rewrites the month that straddles it, keeps the rest", async () => {
    const h = new RunHistory(dir);
    await h.append(record("acme", "2026-01-15T00:00:00.000Z"));
    await h.append(record("acme", "2026-03-10T00:00:00.000Z"));
    await h.append(record("acme", "2026-03-25T00:00:00.000Z"));
    await h.append(record("acme", "2026-04-05T00:00:00.000Z"));
    // 20 days before 2026-04-09: 2026-03-20.
    const removed = await h.prune(20, Date.parse("2026-04-09T00:00:00Z"));
    expect(removed).toBe(2);
    expect(existsSync(path.join(dir, "history/acme/2026-01.jsonl"))).toBe(false);
    expect((await h.read()).map((r) => r.startedAt)).toEqual([
      "2026-03-25T00:00:00.000Z",
      "2026-04-05T00:00:00.000Z",
    ]);
    expect(await h.prune(20, Date.parse("2026-04-09T00:00:00Z"))).toBe(0);
  });
});

describe("parseSince", () => {
  const now = Date.parse("2026-05-10T12:00:00Z");
  it("reads dates, ISO times and durations; refuses the rest", () => {
    expect(parseSince("2026-05-01", now)).toBe(Date.parse("2026-05-01T00:00:00Z"));
    expect(parseSince("2026-05-01T06:30:00+02:00", now)).toBe(Date.parse("2026-05-01T04:30:00Z"));
    expect(parseSince("24h", now)).toBe(now - 86_400_000);
    expect(parseSince("7d", now)).toBe(now - 7 * 86_400_000);
    expect(parseSince("30m", now)).toBe(now - 1_800_000);
    for (const bad of ["yesterday", "7", "2026-13-01", ""]) expect(parseSince(bad, now)).toBeNull();
  });
});

describe("service config", () => {
  const write = (file: string, value: unknown) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), JSON.stringify(value));
    return path.join(dir, file);
  };
  const campaign = (prefix: string) => ({
    tokportal: { base_url: "sandbox" },
    source: { type: "csv", videos: "videos.csv" },
    ref_prefix: prefix,
  });

  it("loads file and inline campaigns; a bad campaign's lines name it and its file; the others load", () => {
    write("a/acme.json", campaign("acme-"));
    write("b/beta.json", { ...campaign("beta-"), source: { type: "csv", videos: 3 } });
    const file = write("service.json", {
      campaigns: [
        { config: "a/acme.json" },
        { name: "beta", config: "b/beta.json" },
        { name: "gamma", ...campaign("gamma-"), max_credits: -1 },
        { name: "delta", ...campaign("delta-") },
      ],
      state_dir: "state",
      history_retention_days: 30,
    });
    const s = loadService({ config: file }, {});
    expect(s.kind).toBe("service");
    expect(s.stateDir).toBe(path.join(dir, "state"));
    expect(s.retentionDays).toBe(30);
    expect(s.campaigns.map((c) => [c.name, c.loaded !== null])).toEqual([
      ["acme", true],
      ["beta", false],
      ["gamma", false],
      ["delta", true],
    ]);
    const beta = s.campaigns[1]?.problems ?? [];
    expect(beta).toHaveLength(1);
    expect(beta[0]).toMatch(/^campaign "beta": .*b\/beta\.json: source\.videos: expected a file path/);
    expect(s.campaigns[2]?.problems[0]).toMatch(
      /^campaign "gamma": .*service\.json: campaigns\[2\] \(gamma\): max_credits:/,
    );
    // Inline paths resolve against the service config's folder.
    expect(s.campaigns[3]?.loaded?.baseDir).toBe(dir);
  });

  it("stops everything for the service's own problems: duplicate names, an inline campaign without a name, no campaign", () => {
    write("a/x.json", campaign("a-"));
    write("b/x.json", campaign("b-"));
    const dup = write("dup.json", { campaigns: [{ config: "a/x.json" }, { config: "b/x.json" }] });
    expect(() => loadService({ config: dup }, {})).toThrow(/2 campaigns are named "x"/);
    const noName = write("noname.json", { campaigns: [campaign("c-")] });
    expect(() => loadService({ config: noName }, {})).toThrow(/campaigns\[0\]\.name: missing/);
    const none = write("none.json", { campaigns: [], state_dir: 3 });
    try {
      loadService({ config: none }, {});
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        expect.stringMatching(/none\.json: campaigns: expected at least one campaign/),
        expect.stringMatching(/none\.json: state_dir: expected a folder path/),
      ]);
    }
  });

  it("--config-dir: one campaign per *.json, named by file; the history folder beside them", () => {
    write("dir/acme.json", campaign("acme-"));
    write("dir/beta.json", campaign("beta-"));
    writeFileSync(path.join(dir, "dir/notes.txt"), "not a campaign");
    const s = loadService({ config: "unused.json", configDir: path.join(dir, "dir") }, {});
    expect(s.campaigns.map((c) => c.name)).toEqual(["acme", "beta"]);
    expect(s.stateDir).toBe(path.join(dir, "dir/.tokportal-sync"));
    expect(historyTarget({ config: path.join(dir, "dir/acme.json") })).toEqual({
      stateDir: path.join(dir, "dir/.tokportal-sync"),
      retentionDays: 90,
      campaign: "acme",
    });
  });

  it("api_key_env: the key comes from the variable it names; a missing one names that variable", () => {
    const key = `sk_${"c".repeat(64)}`;
    const withEnv = {
      ...campaign("k-"),
      tokportal: { base_url: "https://tokportal.invalid/api/ext", api_key_env: "ACME_KEY" },
    };
    const file = write("service.json", { campaigns: [{ name: "acme", ...withEnv }] });
    expect(loadService({ config: file }, { ACME_KEY: key }).campaigns[0]?.loaded?.apiKey).toBe(key);
    const missing = loadService({ config: file }, { TOKPORTAL_API_KEY: key }).campaigns[0];
    expect(missing?.problems[0]).toMatch(/^campaign "acme": ACME_KEY is not set/);
  });
});

describe("SharedLimits", () => {
  it("one gate per key (and base URL), none keyed by the key's text", () => {
    const key = `sk_${"d".repeat(64)}`;
    const loaded = (apiKey: string, baseUrl = "https://tokportal.invalid/api/ext") =>
      ({ apiKey, baseUrl, source: { type: "csv" } }) as unknown as LoadedConfig;
    const limits = new SharedLimits();
    const a = keyIdentity(loaded(key)) as string;
    expect(a).not.toContain(key);
    expect(a).not.toContain(key.slice(3, 20));
    expect(limits.gate(a, 1000)).toBe(limits.gate(keyIdentity(loaded(key)) as string, 5));
    expect(limits.gate(keyIdentity(loaded(`sk_${"e".repeat(64)}`)) as string, 1000)).not.toBe(
      limits.gate(a, 1),
    );
    expect(keyIdentity(loaded(key, "sandbox"))).toBeNull();
    expect(JSON.stringify(limits)).not.toContain(key);
  });
});
