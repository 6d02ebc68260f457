/**
 * The doctor against the sandbox over HTTP: it passes on the sandbox, changes nothing there (every write a
 * dry run), and names each difference when the sandbox's fault rules make it answer other shapes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import { doctorCalls } from "../../src/doctor/calls.ts";
import type { CheckCode, CheckResult } from "../../src/doctor/checks.ts";
import { type DoctorRun, runDoctor } from "../../src/doctor/run.ts";
import type { FaultRule } from "../../src/emulator/faults.ts";
import { sharedEmulator, type TestEmulator } from "../support/emulator.ts";

const emu = sharedEmulator();
afterEach(() => {
  emu.setFaults({});
});

/** A workspace with one bundle in setup (account configured), like a user's after a first sync. */
async function world(e: TestEmulator): Promise<{ key: string; bundleId: string }> {
  const key = e.createKey({ credits: 1000, email: "someone@example.com" }).apiKey;
  const created = await e.api("POST", "/bundles", {
    key,
    headers: { "idempotency-key": "doctor-test-create" },
    body: {
      bundle_type: "account_and_videos",
      country: "USA",
      videos_quantity: 3,
      external_ref: "acme-us-1",
    },
  });
  expect(created.status).toBe(201);
  const bundleId = created.body.data.id as string;
  const account = await e.api("PUT", `/bundles/${bundleId}/account`, {
    key,
    headers: { "idempotency-key": "doctor-test-account" },
    body: { username: "jane.doe", visible_name: "Jane Doe" },
  });
  expect(account.status).toBe(200);
  return { key, bundleId };
}

async function doctor(baseUrl: string, apiKey: string): Promise<DoctorRun> {
  const client = new TokPortalClient({ baseUrl, apiKey, retry: { maxRetries: 0 } });
  try {
    return await runDoctor(doctorCalls(client));
  } finally {
    await client.close();
  }
}

function result(run: DoctorRun, code: CheckCode): CheckResult {
  const r = run.results.find((x) => x.code === code);
  if (!r) throw new Error(`no result for ${code}`);
  return r;
}

function findingCodes(run: DoctorRun, code: CheckCode): string[] {
  return result(run, code).findings.map((f) => (f.subject ? `${f.code}:${f.subject}` : f.code));
}

const BAD: ReadonlyArray<CheckResult["outcome"]> = ["differs", "unreadable", "failed", "key_refused"];

describe("doctor on the sandbox", () => {
  it("passes, checks every kind of write the sync makes, and changes nothing", async () => {
    const { key } = await world(emu);
    const before = await emu.api("GET", "/credits/balance", { key });
    const start = (emu.requestLog().at(-1)?.index ?? -1) + 1;
    const run = await doctor(emu.url, key);

    expect(run.keyRefused).toBe(false);
    expect(run.results.filter((r) => BAD.includes(r.outcome))).toEqual([]);
    for (const code of [
      "write.patch_bundle",
      "write.create_bundle",
      "write.add_video_slots",
      "write.add_edit_slots",
      "write.configure_account",
      "write.configure_videos",
      "write.patch_video",
      "write.upload_video",
      "write.upload_image",
    ] as const)
      expect(result(run, code).outcome, code).toBe("ok");
    // A bundle whose videos are not configured cannot be published: refused as things are, not a difference.
    expect(result(run, "write.publish_bundle").outcome).toBe("refused");
    expect(findingCodes(run, "write.unschedule")).toEqual(["destructive"]);
    expect(findingCodes(run, "write.upload_presigned")).toEqual(["outside_dry_run"]);

    const log = emu.requestLog(start);
    const writes = log.filter((e) => e.method !== "GET");
    expect(writes.length).toBeGreaterThanOrEqual(12);
    expect(writes.filter((e) => !e.dry_run)).toEqual([]);
    // The first write is the edit that changes nothing even without the dry-run header.
    expect(writes[0]?.operationId).toBe("updateBundle");
    const after = await emu.api("GET", "/credits/balance", { key });
    expect(after.body.data.total_credits).toBe(before.body.data.total_credits);
    const bundles = await emu.api("GET", "/bundles", { key });
    expect(bundles.body.data).toHaveLength(1);
  });

  it("on an account with no bundle yet: passes, and lists the writes that need one as not checked", async () => {
    const key = emu.createKey({ credits: 100 }).apiKey;
    const run = await doctor(emu.url, key);
    expect(run.results.filter((r) => BAD.includes(r.outcome))).toEqual([]);
    expect(result(run, "write.create_bundle").outcome).toBe("ok");
    expect(findingCodes(run, "write.configure_videos")).toEqual(["no_bundle"]);
    expect(findingCodes(run, "read.videos")).toEqual(["no_bundle"]);
  });

  it("a revoked key: key_refused, and nothing else is sent", async () => {
    const key = emu.createKey({ credits: 100 }).apiKey;
    await emu.admin("POST", "/keys/revoke", { api_key: key });
    const start = (emu.requestLog().at(-1)?.index ?? -1) + 1;
    const run = await doctor(emu.url, key);
    expect(run.keyRefused).toBe(true);
    expect(run.results.map((r) => `${r.code}:${r.outcome}`)).toEqual(["key:key_refused"]);
    expect(emu.requestLog(start)).toHaveLength(1);
  });

  it("a read-only key: reads pass, the first write is refused as the key's (exit 3 in the CLI)", async () => {
    const key = emu.createKey({ credits: 100, scope: "read" }).apiKey;
    const run = await doctor(emu.url, key);
    expect(run.keyRefused).toBe(true);
    expect(result(run, "read.credit_costs").outcome).toBe("ok");
    expect(result(run, "write.create_bundle").outcome).toBe("key_refused");
  });
});

describe("doctor names each difference when TokPortal answers other shapes", () => {
  /** The doctor on a user-like workspace, the sandbox answering every matching request as `rules` say. */
  async function through(rules: FaultRule[]): Promise<DoctorRun> {
    const { key } = await world(emu);
    emu.setFaults({ rules: rules.map((r) => ({ always: true, ...r })) });
    return doctor(emu.url, key);
  }

  it("fields, headers, the batch answer, pagination and the export header", async () => {
    // One rule answers a request, so each carries the header removal that every answer gets.
    const noRemaining = ["x-ratelimit-remaining"];
    const run = await through([
      {
        operationId: "listBundles",
        action: "rewrite",
        rewrite: {
          omit: ["pagination", "data.*.edits_quantity", "data.*.saved_account_id"],
          removeHeaders: noRemaining,
        },
      },
      {
        operationId: "batchConfigureBundleVideos",
        action: "rewrite",
        rewrite: { set: { data: "ok" }, removeHeaders: noRemaining },
      },
      {
        operationId: "getCreditCosts",
        action: "rewrite",
        rewrite: { set: { "data.costs.video_edit": "three" }, removeHeaders: noRemaining },
      },
      {
        operationId: "exportAnalyticsVideos",
        action: "rewrite",
        rewrite: {
          text: "Video ID,View Count,likes,comments,bookmarks,engagement_rate\n",
          headers: { "content-type": "text/csv; charset=utf-8" },
          removeHeaders: noRemaining,
        },
      },
      { action: "rewrite", rewrite: { removeHeaders: noRemaining } },
    ]);
    expect(findingCodes(run, "headers.rate_limit")).toEqual(["no_header:X-RateLimit-Remaining"]);
    expect(findingCodes(run, "read.bundles")).toEqual([
      "missing:data[].edits_quantity",
      "missing:data[].saved_account_id",
      "no_pagination:pagination.total_pages",
    ]);
    expect(result(run, "read.bundles").outcome).toBe("differs");
    expect(findingCodes(run, "read.credit_costs")).toEqual(["wrong_type:data.costs.video_edit"]);
    expect(findingCodes(run, "write.configure_videos")).toEqual(["no_results:data.results"]);
    expect(findingCodes(run, "read.analytics_export")).toEqual(["csv_no_metric:shares"]);
    expect(run.keyRefused).toBe(false);
  });

  it("an answer a required field is missing from is unreadable, naming the field", async () => {
    const run = await through([
      {
        operationId: "getCreditBalance",
        action: "rewrite",
        rewrite: { json: { data: { balance_is_elsewhere: 1 } } },
      },
    ]);
    expect(result(run, "read.balance").outcome).toBe("unreadable");
    expect(findingCodes(run, "read.balance")).toEqual(["missing:data.total_credits"]);
  });

  it("a refusal without TokPortal's error envelope is a difference; a 5xx is no answer", async () => {
    const run = await through([
      {
        path: "/bundles/*/publish",
        dryRun: true,
        action: "rewrite",
        rewrite: { status: 409, text: "<h1>Conflict</h1>", headers: { "content-type": "text/html" } },
      },
      { operationId: "listCountries", action: "rewrite", rewrite: { status: 502, text: "bad gateway" } },
    ]);
    expect(findingCodes(run, "write.publish_bundle")).toEqual(["error_not_enveloped"]);
    expect(result(run, "read.countries").outcome).toBe("failed");
  });

  it("an answer to a dry run that does not say so: no further write is sent", async () => {
    const start = (emu.requestLog().at(-1)?.index ?? -1) + 1;
    const run = await through([
      { method: "PATCH", dryRun: true, action: "rewrite", rewrite: { omit: ["dry_run", "dry_run_notice"] } },
    ]);
    expect(findingCodes(run, "write.patch_bundle")).toEqual(["no_dry_run_marker:dry_run"]);
    expect(findingCodes(run, "write.create_bundle")).toEqual(["writes_stopped"]);
    expect(findingCodes(run, "write.upload_image")).toEqual(["writes_stopped"]);
    const writes = emu.requestLog(start).filter((e) => e.method !== "GET" && e.dry_run);
    expect(writes.map((e) => e.operationId)).toEqual(["updateBundle"]);
  });

  it("an account answered flat, without the profile fields", async () => {
    const run = await through([
      {
        method: "GET",
        path: "/bundles/*/account",
        action: "rewrite",
        rewrite: { json: { data: { status: "configured" } } },
      },
    ]);
    expect(findingCodes(run, "read.account")).toEqual([
      "missing:data.username",
      "missing:data.visible_name",
      "missing:data.biography",
      "missing:data.profile_picture_url",
    ]);
  });
});
