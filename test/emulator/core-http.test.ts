import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operations } from "../../src/emulator/ops/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

const NEW_ACCOUNT = { bundle_type: "account_only", country: "USA" };

function expectCommonHeaders(headers: Headers) {
  expect(headers.get("x-tokportal-api-version")).toBe("2026-05-25");
  expect(headers.get("x-tokportal-api-stability")).toBe("stable");
  expect(headers.get("x-tokportal-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
}

describe("emulator core: envelopes, headers, auth, validation, routing", () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(() => emu.stop());

  it("answers a success in the data envelope with the API and rate-limit headers", async () => {
    const res = await emu.api("GET", "/me");
    expect(res.status).toBe(200);
    expectCommonHeaders(res.headers);
    expect(res.headers.get("x-ratelimit-limit")).toBe("120");
    expect(Number(res.headers.get("x-ratelimit-remaining"))).toBeLessThan(120);
    expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000 - 1);
    expect(res.body.data.credits).toEqual({ balance: 10_000 });
    expect(res.body.data.email).toMatch(/@/);
    expect(res.body.data.api_key.name).toBe("Sandbox key");
  });

  it("sends the same headers on errors, unknown routes and wrong methods", async () => {
    const missing = await emu.api("GET", "/no/such/thing");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("NOT_FOUND");
    expectCommonHeaders(missing.headers);

    const outside = await fetch(`${emu.origin}/elsewhere`);
    expect(outside.status).toBe(404);
    expectCommonHeaders(outside.headers);

    const wrong = await emu.api("DELETE", "/me");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    expectCommonHeaders(wrong.headers);
  });

  it("echoes a valid X-Request-ID and replaces an unsafe one", async () => {
    const echoed = await emu.api("GET", "/me", { headers: { "x-request-id": "trace-42:abc" } });
    expect(echoed.headers.get("x-tokportal-request-id")).toBe("trace-42:abc");
    const spaced = await emu.api("GET", "/me", { headers: { "x-request-id": "has space" } });
    expect(spaced.headers.get("x-tokportal-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    const long = await emu.api("GET", "/me", { headers: { "x-request-id": "x".repeat(129) } });
    expect(long.headers.get("x-tokportal-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    const max = await emu.api("GET", "/nope", { headers: { "x-request-id": "y".repeat(128) } });
    expect(max.headers.get("x-tokportal-request-id")).toBe("y".repeat(128));
    const log = emu.requestLog();
    expect(log.some((e) => e.request_id === "trace-42:abc" && e.operationId === "getCurrentUser")).toBe(true);
  });

  it("refuses missing, unknown and revoked keys with 401 and never reads a key from the URL", async () => {
    const none = await emu.api("GET", "/me", { key: null });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("AUTH_MISSING_KEY");
    expect(none.headers.get("x-ratelimit-limit")).toBeNull();
    expectCommonHeaders(none.headers);

    const inUrl = await emu.api("GET", "/me", { key: null, query: { api_key: emu.apiKey } });
    expect(inUrl.status).toBe(401);
    expect(inUrl.body.error.code).toBe("AUTH_MISSING_KEY");
    expect(inUrl.text).not.toContain(emu.apiKey);

    const unknown = await emu.api("GET", "/me", { key: `sk_${"a".repeat(64)}` });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe("AUTH_INVALID_KEY");
    expect(unknown.text).not.toContain("a".repeat(64));

    const extra = emu.createKey({ credits: 5 });
    expect((await emu.api("GET", "/me", { key: extra.apiKey })).status).toBe(200);
    const revoke = await emu.admin("POST", "/keys/revoke", { api_key: extra.apiKey });
    expect(revoke.status).toBe(200);
    const revoked = await emu.api("GET", "/me", { key: extra.apiKey });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe("AUTH_REVOKED_KEY");
  });

  it("stores keys only as SHA-256 hashes", async () => {
    const state = await emu.admin("GET", "/state");
    expect(state.text).not.toContain(emu.apiKey);
    expect(state.body.apiKeys[0].hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("serves public operations without a key", async () => {
    const countries = await emu.api("GET", "/countries", { key: null });
    expect(countries.status).toBe(200);
    const codes = countries.body.data.map((c: { code: string }) => c.code);
    for (const code of ["USA", "US", "UK", "GB", "FR", "CA", "IT", "PH"]) expect(codes).toContain(code);
    expect(countries.body.videos_only_countries.map((c: { code: string }) => c.code)).toContain("DE");
    const costs = await emu.api("GET", "/credit-costs", { key: null });
    expect(costs.body.data.costs.account_creation).toBe(32);
    expect(costs.body.data.currency).toBe("credits");
    const platforms = await emu.api("GET", "/platforms", { key: null });
    expect(
      platforms.body.data.filter((p: { orderable: boolean }) => p.orderable).map((p: { id: string }) => p.id),
    ).toEqual(["tiktok", "instagram"]);
  });

  it("a read-scoped key may read but not write (403)", async () => {
    const reader = await emu.admin("POST", "/keys", { scope: "read", credits: 100 });
    expect(reader.status).toBe(201);
    const key = reader.body.data.api_key as string;
    expect(key).toMatch(/^sk_[0-9a-f]{64}$/);
    expect((await emu.api("GET", "/credits/balance", { key })).status).toBe(200);
    const write = await emu.api("POST", "/bundles", { key, body: NEW_ACCOUNT });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe("AUTH_INSUFFICIENT_SCOPE");
    expect(Object.values(emu.state().bundles).length).toBe(0);
  });

  it("isolates workspaces: another workspace's bundle is 403, a malformed or unknown id 404", async () => {
    const created = await emu.api("POST", "/bundles", { body: NEW_ACCOUNT });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    const other = emu.createKey({ credits: 100 });
    const mine = await emu.api("GET", `/bundles/${id}`);
    expect(mine.status).toBe(200);
    const theirs = await emu.api("GET", `/bundles/${id}`, { key: other.apiKey });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error.code).toBe("BUNDLE_NOT_OWNED");
    const malformed = await emu.api("GET", "/bundles/not-a-uuid");
    expect(malformed.status).toBe(404);
    expect(malformed.body.error.code).toBe("BUNDLE_NOT_FOUND");
    const unknown = await emu.api("GET", "/bundles/3f0c8a52-1b2c-4d3e-8f40-123456789abc");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("BUNDLE_NOT_FOUND");
  });

  it("rejects an unknown field with UNKNOWN_FIELD and other violations with VALIDATION_ERROR naming the field", async () => {
    const unknown = await emu.api("POST", "/bundles", { body: { ...NEW_ACCOUNT, colour: "red" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("UNKNOWN_FIELD");
    expect(unknown.body.error.details.field).toBe("colour");

    const invalid = await emu.api("POST", "/bundles", { body: { bundle_type: "lots", country: "USA" } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe("VALIDATION_ERROR");
    expect(invalid.body.error.details.field).toBe("bundle_type");
    expect(invalid.body.error.details.issues.length).toBeGreaterThan(0);

    const malformed = await emu.api("POST", "/bundles", {
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("VALIDATION_ERROR");

    const query = await emu.api("GET", "/credits/history", { query: { per_page: 1000 } });
    expect(query.status).toBe(400);
    expect(query.body.error.code).toBe("VALIDATION_ERROR");
    expect(query.body.error.details.field).toBe("per_page");
  });

  it("ignores an empty body on an operation without one, but refuses a non-empty JSON body", async () => {
    const id = Object.keys(emu.state().bundles)[0];
    const withBody = await emu.api("POST", `/bundles/${id}/unpublish`, { body: { force: true } });
    expect(withBody.status).toBe(400);
    expect(withBody.body.error.code).toBe("VALIDATION_ERROR");
    const empty = await emu.api("POST", `/bundles/${id}/unpublish`, { body: {} });
    expect(empty.status).not.toBe(400);
    expect(empty.status).not.toBe(501);
  });

  it("routes static segments before parameters", async () => {
    const id = Object.keys(emu.state().bundles)[0];
    await emu.api("PUT", `/bundles/${id}/videos/batch`, { body: { videos: [] } });
    await emu.api("GET", `/bundles/${id}/videos/3`);
    const log = emu.requestLog().slice(-2);
    expect(log.map((e) => e.operationId)).toEqual(["batchConfigureBundleVideos", "getBundleVideo"]);
  });

  it("answers 501 NOT_IMPLEMENTED for an operation without a handler", async () => {
    const saved = operations.getCreditBalance;
    delete operations.getCreditBalance;
    try {
      const res = await emu.api("GET", "/credits/balance");
      expect(res.status).toBe(501);
      expect(res.body.error.code).toBe("NOT_IMPLEMENTED");
      expectCommonHeaders(res.headers);
    } finally {
      if (saved) operations.getCreditBalance = saved;
    }
  });

  it("answers 500 INTERNAL_ERROR without a stack when a handler throws", async () => {
    const saved = operations.getCreditBalance;
    operations.getCreditBalance = () => {
      throw new Error("boom at /secret/path.ts:12");
    };
    try {
      const res = await emu.api("GET", "/credits/balance");
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe("INTERNAL_ERROR");
      expect(res.text).not.toContain("secret");
      expect(res.text).not.toContain("boom");
    } finally {
      if (saved) operations.getCreditBalance = saved;
    }
  });

  it("logs every request with its outcome", async () => {
    await emu.admin("DELETE", "/requests");
    await emu.api("GET", "/me?x=1");
    await emu.api("GET", "/me", { key: null });
    const res = await emu.admin("GET", "/requests");
    expect(res.body.data).toHaveLength(2);
    const [first, second] = res.body.data;
    expect(first).toMatchObject({
      method: "GET",
      path: "/api/ext/me",
      status: 200,
      operationId: "getCurrentUser",
    });
    expect(first).toMatchObject({ replayed: false, dry_run: false, fault: null });
    expect(second.status).toBe(401);
    expect(Date.parse(first.at)).toBeGreaterThan(0);
    const since = await emu.admin("GET", `/requests?since=${second.index}`);
    expect(since.body.data).toHaveLength(1);
    await emu.admin("POST", "/requests/clear");
    expect(emu.requestLog()).toHaveLength(0);
  });
});

describe("emulator core: multipart bodies", () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(() => emu.stop());

  it("hands files and fields to the handler, hides the key, and replays a retry with a new boundary", async () => {
    const seen: Array<{
      body: unknown;
      files: Record<string, { filename: string; size: number }>;
      key?: string;
    }> = [];
    const saved = operations.uploadVideoDirect;
    operations.uploadVideoDirect = (req) => {
      const files = Object.fromEntries(
        Object.entries(req.files).map(([k, f]) => [k, { filename: f.filename, size: f.bytes.length }]),
      );
      seen.push({
        body: req.body,
        files,
        ...(req.headers["x-api-key"] ? { key: req.headers["x-api-key"] } : {}),
      });
      return { status: 200, body: { data: { received: files } } };
    };
    const form = () => {
      const f = new FormData();
      f.append("bundle_id", "3f0c8a52-1b2c-4d3e-8f40-123456789abc");
      f.append("file", new Blob([new Uint8Array(1000).fill(7)], { type: "video/mp4" }), "clip.mp4");
      return f;
    };
    try {
      const headers = { "idempotency-key": "upload-1" };
      const first = await emu.api("POST", "/upload/video/direct", { body: form(), headers });
      expect(first.status).toBe(200);
      expect(seen).toEqual([
        {
          body: { bundle_id: "3f0c8a52-1b2c-4d3e-8f40-123456789abc" },
          files: { file: { filename: "clip.mp4", size: 1000 } },
        },
      ]);
      const retry = await emu.api("POST", "/upload/video/direct", { body: form(), headers });
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(seen).toHaveLength(1);

      const json = await emu.api("POST", "/upload/video/direct", { body: { bundle_id: "x" } });
      expect(json.status).toBe(400);
      expect(json.body.error.code).toBe("VALIDATION_ERROR");
    } finally {
      if (saved) operations.uploadVideoDirect = saved;
    }
  });
});
