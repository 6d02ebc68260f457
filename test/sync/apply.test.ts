/**
 * applyPlan against the emulator over HTTP, with hand-built plans: the calls it makes (request log), the
 * keys it sends (the emulator's idempotency store), the money it spends, and what every row ends with.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TokPortalClient } from "../../src/api/index.ts";
import { applyPlan } from "../../src/sync/apply.ts";
import type { ApplyReport, RowResult } from "../../src/sync/types.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding, expectNote } from "../support/findings.ts";
import { applyReport, clientFor, coldBundle, PREFIX, planOf, WRITES } from "./apply-fixtures.ts";

const emu = sharedEmulator();
const clients: TokPortalClient[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()?.close();
});

function client(apiKey?: string): TokPortalClient {
  const c = clientFor(emu, apiKey);
  clients.push(c);
  return c;
}

const noBudget = { maxCredits: null, balance: null };
const logStart = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
const writesSince = (start: number) => emu.requestLog(start).filter((e) => WRITES.has(e.method));

function row(report: ApplyReport, id: string): RowResult {
  const r = report.rows.find((x) => x.row.id === id);
  if (!r) throw new Error(`no result for ${id}`);
  return r;
}

function credits(): number {
  return Object.values(emu.state().workspaces)[0]!.credits;
}

function bundleByRef(ref: string) {
  return Object.values(emu.state().bundles).filter((b) => b.external_ref === `${PREFIX}${ref}`);
}

describe("a cold bundle: create → account → batch → publish", () => {
  it("makes exactly those four writes, each with an Idempotency-Key, and every row ends synced", async () => {
    const plan = planOf([coldBundle({ ref: "alpha" })]);
    const start = logStart();
    const progress: string[] = [];
    const report = await applyReport(plan, client(), {
      ...noBudget,
      onProgress: (e) => progress.push(`${e.opId}:${e.status}:${e.done}/${e.total}`),
    });

    const writes = writesSince(start);
    expect(writes.map((w) => w.operationId)).toEqual([
      "createBundle",
      "configureBundleAccount",
      "batchConfigureBundleVideos",
      "publishBundle",
    ]);
    expect(emu.requestLog(start)).toHaveLength(4);
    expect(writes.every((w) => w.status < 300 && !w.replayed)).toBe(true);
    // Every write was stored under its key: one record per write, for that method and path, keyed tps_….
    const stored = Object.values(emu.state().idempotency);
    expect(stored).toHaveLength(4);
    expect(stored.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      writes.map((w) => `${w.method} ${w.path}`).sort(),
    );
    for (const r of stored) expect(r.key.split(":").at(-1)).toMatch(/^tps_[0-9a-f]{32}$/);

    const [bundle] = bundleByRef("alpha");
    expect(bundle?.status).toBe("published");
    expect(bundle?.videos.map((v) => v.status)).toEqual(["published", "published", "published"]);
    expect(bundle?.videos.map((v) => v.external_ref)).toEqual(["v1", "v2", "v3"]);

    expect(report.creditsCharged).toBe(38);
    expect(credits()).toBe(10_000 - 38);
    const b = row(report, "b:alpha");
    expect(b).toMatchObject({ outcome: "synced", message: "", changed: true, creditsCharged: 38 });
    expect(b.values).toMatchObject({
      bundle_id: bundle?.id,
      bundle_status: "published",
      credits_charged: 38,
      sync_fingerprint: plan.rows[0]?.fingerprint,
    });
    for (const [i, v] of ["v1", "v2", "v3"].entries()) {
      const r = row(report, `v:alpha/${v}`);
      expect(r.outcome).toBe("synced");
      expect(r.changed).toBe(true);
      expect(r.values).toMatchObject({
        video_id: bundle?.videos[i]?.id,
        position: i + 1,
        video_status: "published",
      });
      expect(r.values.sync_fingerprint).toMatch(/^v1-/);
    }
    expect(Object.values(report.ops).map((o) => o.status)).toEqual(["done", "done", "done", "done"]);
    expect(progress).toEqual([
      "alpha:createBundle:done:1/4",
      "alpha:configureAccount:done:2/4",
      "alpha:configureVideos:done:3/4",
      "alpha:publishBundle:done:4/4",
    ]);
  });

  it("applying the same plan again replays every write: nothing new on TokPortal, 0 credits this run", async () => {
    const plan = planOf([coldBundle({ ref: "alpha" }), coldBundle({ ref: "beta", row: 3 })]);
    const first = await applyReport(plan, client(), noBudget);
    expect(first.creditsCharged).toBe(76);
    const balanceAfterFirst = credits();
    const start = logStart();

    const second = await applyReport(plan, client(), noBudget);

    const writes = writesSince(start);
    expect(writes).toHaveLength(8);
    expect(writes.every((w) => w.replayed)).toBe(true);
    expect(second.creditsCharged).toBe(0);
    expect(credits()).toBe(balanceAfterFirst);
    expect(Object.values(emu.state().bundles)).toHaveLength(2);
    expect(Object.values(second.ops).every((o) => o.status === "done")).toBe(true);
    expect(second.ops["alpha:createBundle"]?.replayed).toBe(true);
    // Same ids as the first time; this run charged nothing, the cell still shows what the bundle cost.
    for (const ref of ["alpha", "beta"]) {
      const a = row(first, `b:${ref}`);
      const b = row(second, `b:${ref}`);
      expect(b.values.bundle_id).toBe(a.values.bundle_id);
      expect(b.creditsCharged).toBe(0);
      expect(b.values.credits_charged).toBe(38);
      expect(b.outcome).toBe("synced");
    }
  });

  it("a create answered DUPLICATE_ACCOUNT_BUNDLE adopts the existing bundle: no charge, row says so", async () => {
    const made = await emu.api("POST", "/bundles", {
      body: {
        bundle_type: "account_and_videos",
        country: "USA",
        videos_quantity: 3,
        external_ref: `${PREFIX}alpha`,
      },
    });
    expect(made.status).toBe(201);
    const existingId: string = made.body.data.id;
    const before = credits();
    const start = logStart();

    const report = await applyReport(planOf([coldBundle({ ref: "alpha" })]), client(), noBudget);

    expect(writesSince(start).map((w) => `${w.operationId}:${w.status}`)).toEqual([
      "createBundle:409",
      "configureBundleAccount:200",
      "batchConfigureBundleVideos:200",
      "publishBundle:200",
    ]);
    expect(credits()).toBe(before);
    expect(report.creditsCharged).toBe(0);
    expect(bundleByRef("alpha")).toHaveLength(1);
    expect(bundleByRef("alpha")[0]?.status).toBe("published");
    const b = row(report, "b:alpha");
    expect(b.outcome).toBe("synced");
    expect(b.values.bundle_id).toBe(existingId);
    expect(b.creditsCharged).toBe(0);
    expectNote(b, "bundle_adopted", undefined, { externalRef: `${PREFIX}alpha`, bundleId: existingId });
    expect(report.ops["alpha:createBundle"]).toMatchObject({ status: "done" });
    expect(row(report, "v:alpha/v2").values.video_status).toBe("published");
    // Only the bundles row takes bundle columns; a videos row served by the create gets none.
    expect(row(report, "v:alpha/v2").values.bundle_id).toBeUndefined();
    expect(row(report, "v:alpha/v2").message).toBe("");
    expect(row(report, "v:alpha/v2").code).toBeUndefined();
  });
});

describe("failures stay on their rows", () => {
  it("a batch with one failing position: that row is an error naming the date column, the others sync", async () => {
    const day = "2026-09-06";
    const videos = ["v1", "v2", "v3", "v4"].map((ref) => ({ ref, date: day }));
    const report = await applyReport(planOf([coldBundle({ ref: "alpha", videos })]), client(), noBudget);

    const bad = row(report, "v:alpha/v4");
    expect(bad.outcome).toBe("error");
    expectFinding(bad, "day_full_server", "target_publish_date", {
      date: day,
      count: 3,
    });
    expect(bad.values.video_id).toBeUndefined();
    expect(bad.values.sync_fingerprint).toBeUndefined();
    for (const ref of ["v1", "v2", "v3"]) {
      const r = row(report, `v:alpha/${ref}`);
      expect(r.outcome).toBe("synced");
      expect(r.values.video_status).toBe("published");
    }
    expect(row(report, "b:alpha").outcome).toBe("synced");
    expect(report.ops["alpha:configureVideos"]).toMatchObject({
      status: "done",
      message: "3 of 4 configured",
    });
    const [bundle] = bundleByRef("alpha");
    expect(bundle?.videos.map((v) => v.status)).toEqual(["published", "published", "published", "pending"]);
  });

  it("a failing create skips the rest of its bundle; another bundle syncs", async () => {
    const broken = coldBundle({ ref: "broken", row: 2, create: { country: "ZZZ" } });
    const good = coldBundle({ ref: "good", row: 3 });
    const start = logStart();
    const report = await applyReport(planOf([broken, good]), client(), noBudget);

    const ops = writesSince(start).map((w) => `${w.operationId}:${w.status}`);
    expect(ops.filter((o) => o.startsWith("createBundle:4"))).toHaveLength(1);
    expect(ops).toHaveLength(5);
    const b = row(report, "b:broken");
    expect(b.outcome).toBe("error");
    const refused = {
      step: "createBundle",
      tpCode: "COUNTRY_NOT_ENABLED",
      message: 'Country "ZZZ" is not open for new accounts',
      gone: false,
    };
    expectFinding(b, "tokportal_refused", undefined, refused);
    expect(b.values.bundle_id).toBeUndefined();
    const v = row(report, "v:broken/v1");
    expect(v.outcome).toBe("error");
    expectFinding(v, "tokportal_refused", undefined, refused);
    expect(v.values.bundle_id).toBeUndefined();
    expect(report.ops["broken:createBundle"]?.status).toBe("failed");
    expect(report.ops["broken:configureAccount"]?.status).toBe("skipped");
    expect(report.ops["broken:publishBundle"]?.status).toBe("skipped");
    expect(row(report, "b:good").outcome).toBe("synced");
    expect(row(report, "v:good/v3").outcome).toBe("synced");
    expect(report.creditsCharged).toBe(38);
  });

  it("a publish that is not ready leaves the bundle row pending with the blockers; ids are kept", async () => {
    const part = coldBundle({ ref: "alpha" });
    // No account step: the profile stays empty, so TokPortal refuses to publish.
    part.ops = part.ops.filter((o) => o.kind !== "configureAccount");
    const report = await applyReport(planOf([part]), client(), noBudget);

    const b = row(report, "b:alpha");
    expect(b.outcome).toBe("pending");
    expectFinding(b, "not_published_yet", undefined, {
      step: "publishBundle",
      missingColumns: ["username", "visible_name", "biography", "profile_picture"],
      noVideos: false,
      codes: [],
      messages: [],
      said: "",
    });
    expect(b.values.bundle_id).toBe(bundleByRef("alpha")[0]?.id);
    expect(b.values.sync_fingerprint).toBeUndefined();
    expect(b.values.credits_charged).toBe(38);
    expect(row(report, "v:alpha/v1").values.video_status).toBe("configured");
  });
});

describe("budget", () => {
  it("max_credits for one bundle of two: one is created, the other's rows are pending with the amount", async () => {
    const plan = planOf([coldBundle({ ref: "alpha", row: 2 }), coldBundle({ ref: "beta", row: 3 })]);
    const start = logStart();
    const report = await applyReport(plan, client(), { maxCredits: 50, balance: null, concurrency: 4 });

    const creates = writesSince(start).filter((w) => w.operationId === "createBundle");
    expect(creates).toHaveLength(1);
    expect(Object.values(emu.state().bundles)).toHaveLength(1);
    expect(report.creditsCharged).toBe(38);
    expect(row(report, "b:alpha").outcome).toBe("synced");
    const b = row(report, "b:beta");
    expect(b.outcome).toBe("pending");
    expect(b.code).toBe("credits_short");
    const short = { step: "createBundle", cost: 38, missing: 26, limit: "max_credits", of: 50 } as const;
    expectFinding(b, "credits_short", undefined, short);
    for (const v of ["v1", "v2", "v3"]) {
      const r = row(report, `v:beta/${v}`);
      expect(r.outcome).toBe("pending");
      expectFinding(r, "credits_short", undefined, short);
    }
    expect(report.ops["beta:createBundle"]).toMatchObject({ status: "skipped" });
    expect(writesSince(start).filter((w) => w.path.includes("beta"))).toHaveLength(0);
  });

  it("a balance for one bundle: the second waits, measured against TokPortal's credits_remaining", async () => {
    await emu.admin("POST", "/credits", { set: 40 });
    const plan = planOf([coldBundle({ ref: "alpha", row: 2 }), coldBundle({ ref: "beta", row: 3 })]);
    const report = await applyReport(plan, client(), { maxCredits: null, balance: 40, concurrency: 1 });

    expect(credits()).toBe(2);
    expect(report.creditsCharged).toBe(38);
    expect(row(report, "b:beta").outcome).toBe("pending");
    expectFinding(row(report, "b:beta"), "credits_short", undefined, {
      step: "createBundle",
      cost: 38,
      missing: 36,
      limit: "balance",
      of: 2,
    });
  });
});

describe("auth", () => {
  it("a revoked key: applyPlan names it as what stopped the run, and no call is made after the refused one", async () => {
    const created = emu.createKey({ credits: 1000 });
    await emu.admin("POST", "/keys/revoke", { api_key: created.apiKey });
    const plan = planOf([coldBundle({ ref: "alpha", row: 2 }), coldBundle({ ref: "beta", row: 3 })]);
    const start = logStart();
    const statuses: string[] = [];

    const { report, stoppedBy } = await applyPlan(plan, client(created.apiKey), {
      ...noBudget,
      concurrency: 1,
      onProgress: (e) => statuses.push(`${e.opId}:${e.status}`),
    });
    expect(stoppedBy).toMatchObject({ status: 401, code: "AUTH_REVOKED_KEY" });
    expect(row(report, "b:alpha").outcome).toBe("error");
    expect(report.ops["beta:createBundle"]?.status).toBe("skipped");

    const log = emu.requestLog(start);
    expect(log.map((e) => `${e.operationId}:${e.status}`)).toEqual(["createBundle:401"]);
    expect(statuses[0]).toBe("alpha:createBundle:failed");
    expect(statuses.slice(1).every((s) => s.endsWith(":skipped"))).toBe(true);
    expect(statuses).toHaveLength(8);
  });
});
