/**
 * Every way a call can fail gives a TokPortalError of the right class and code, and the API key shows up in
 * none of them: not in the message, not in JSON.stringify, not in util.inspect, not in the cause chain.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientOptionsFromEnv, TokPortalClient, type TokPortalClientOptions } from "../../src/api/client.ts";
import {
  CapacityCooldownError,
  RequestValidationError,
  registerSecret,
  sanitizeCause,
  scrubSecrets,
  TokPortalError,
} from "../../src/api/errors.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { exposedForms } from "./client-support.ts";

const KEY_SHAPE = /sk_[0-9a-f]{64}/;

let emu: TestEmulator;
let key: string;
const clients: TokPortalClient[] = [];

function client(opts: Partial<TokPortalClientOptions> = {}): TokPortalClient {
  const c = new TokPortalClient({
    baseUrl: emu.url,
    apiKey: key,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...opts,
  });
  clients.push(c);
  return c;
}

/** Runs `fn`, expecting it to fail; returns the error after checking no key leaks from it. */
async function failure(fn: () => Promise<unknown>, secrets: string[] = [key]): Promise<TokPortalError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TokPortalError);
  for (const form of exposedForms(caught)) {
    for (const s of secrets) expect(form).not.toContain(s);
    expect(form).not.toMatch(KEY_SHAPE);
  }
  return caught as TokPortalError;
}

const ref = () => `err-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  emu = await startTestEmulator({ bucket: { capacity: 120, refillPerSecond: 100 } });
  key = emu.createKey({ credits: 5000 }).apiKey;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emu.stop();
});

describe("error paths over HTTP", () => {
  it("401: an unknown key", async () => {
    const wrong = `sk_${randomBytes(32).toString("hex")}`;
    const error = await failure(
      () => client({ apiKey: wrong }).bundles.get(crypto.randomUUID()),
      [wrong, key],
    );
    expect(error).toMatchObject({ status: 401, code: "AUTH_INVALID_KEY", retryable: false, kind: "http" });
    expect(error.operationId).toBe("getBundle");
    expect(error.requestId).toMatch(/^tps-/);
    expect(error.attempts).toBe(1);
  });

  it("402: not enough credits, with the breakdown in details", async () => {
    const poor = emu.createKey({ credits: 3 }).apiKey;
    const error = await failure(
      () =>
        client({ apiKey: poor }).bundles.create(
          { bundle_type: "account_only", country: "USA", external_ref: ref() },
          { idempotencyKey: `k-${ref()}` },
        ),
      [poor, key],
    );
    expect(error).toMatchObject({ status: 402, code: "INSUFFICIENT_CREDITS", retryable: false });
    expect(error.details).toMatchObject({ available: 3 });
    expect(error.message).toContain("createBundle");
  });

  it("404: an unknown bundle", async () => {
    const error = await failure(() => client().bundles.get(crypto.randomUUID()));
    expect(error).toMatchObject({ status: 404, code: "BUNDLE_NOT_FOUND", retryable: false });
    expect(error.rateLimit?.limit).toBe(120);
  });

  it("409: a second bundle with the same external_ref names the existing one", async () => {
    const c = client();
    const r = ref();
    const first = await c.bundles.create(
      { bundle_type: "account_only", country: "USA", external_ref: r },
      {
        idempotencyKey: `a-${r}`,
      },
    );
    const error = await failure(() =>
      c.bundles.create(
        { bundle_type: "account_only", country: "USA", external_ref: r },
        { idempotencyKey: `b-${r}` },
      ),
    );
    expect(error).toMatchObject({ status: 409, code: "DUPLICATE_ACCOUNT_BUNDLE", retryable: false });
    expect(error.details.existing_bundle_id).toBe(first.data.id);
  });

  it("400 from the server: a business rule the schema cannot express", async () => {
    const error = await failure(() =>
      client().bundles.create(
        { bundle_type: "account_and_videos", country: "USA", videos_quantity: 0, external_ref: ref() },
        { idempotencyKey: `v-${ref()}` },
      ),
    );
    expect(error).toMatchObject({ status: 400, code: "VALIDATION_ERROR", retryable: false });
    expect(error.details.field).toBe("videos_quantity");
  });

  it("400 caught locally: a body that breaks the spec never leaves the process", async () => {
    const before = emu.requestLog().length;
    const error = await failure(() =>
      client().bundles.create(
        // @ts-expect-error: the point is an unknown field
        { bundle_type: "account_only", country: "USA", colour: "blue" },
        { idempotencyKey: "x" },
      ),
    );
    expect(error).toBeInstanceOf(RequestValidationError);
    expect(error).toMatchObject({ code: "REQUEST_VALIDATION", status: null, retryable: false });
    expect((error as RequestValidationError).issues).toContainEqual(
      expect.objectContaining({ kind: "unknown_field", field: "colour" }),
    );
    expect(error.message).toContain("colour");
    const bad = await failure(() =>
      client().videos.configure(
        crypto.randomUUID(),
        1,
        {
          video_type: "video",
          description: "",
          target_publish_date: "soon",
        },
        { idempotencyKey: "y" },
      ),
    );
    expect((bad as RequestValidationError).issues.map((i) => i.field)).toEqual(
      expect.arrayContaining(["description", "target_publish_date"]),
    );
    expect(emu.requestLog().length).toBe(before);
  });

  it("timeout: headers that do not come in time, retried, then reported as TIMEOUT", async () => {
    emu.setFaults({ latencyMs: 1500 });
    try {
      const c = client({ transport: { headersTimeoutMs: 150 }, retry: { maxRetries: 1, baseDelayMs: 5 } });
      const error = await failure(() => c.credits.balance());
      expect(error).toMatchObject({
        kind: "timeout",
        code: "TIMEOUT",
        status: null,
        retryable: true,
        attempts: 2,
      });
      expect(error.message).toContain("getCreditBalance");
      expect((error.cause as { code?: string }).code).toBe("UND_ERR_HEADERS_TIMEOUT");
      const perCall = await failure(() =>
        client({ retry: { maxRetries: 0 } }).credits.balance({ timeoutMs: 100 }),
      );
      expect(perCall).toMatchObject({ kind: "timeout", code: "TIMEOUT" });
    } finally {
      emu.setFaults({});
    }
  });

  it("capacity_cooldown: waits (configurable), then a distinct retryable CapacityCooldownError", async () => {
    const own = emu.createKey({ credits: 1000 });
    const events: string[] = [];
    const c = client({
      apiKey: own.apiKey,
      retry: { cooldownMs: 10, maxCooldownWaits: 2 },
      onEvent: (e) => {
        if (e.type === "retry") events.push(`${e.reason}:${e.delayMs}`);
      },
    });
    const create = () =>
      c.bundles.create({ bundle_type: "account_only", country: "USA" }, { idempotencyKey: `c-${ref()}` });
    // The emulator's window runs on its simulated clock, which stands still here: it stays full.
    emu.setRules({ createCapacity: { limit: 1, windowSeconds: 1 } });
    try {
      await create();
      const error = await failure(create, [own.apiKey]);
      expect(error).toBeInstanceOf(CapacityCooldownError);
      expect(error).toMatchObject({ status: 429, code: "capacity_cooldown", retryable: true, attempts: 3 });
      // The server's Retry-After (1 s) is longer than the configured 10 ms, and wins.
      expect(events).toEqual(["cooldown:1000", "cooldown:1000"]);
      expect(c.stats()).toMatchObject({ cooldowns: 3, rateLimited: 0 });
      // A window the server says lasts an hour is not waited out inside a run.
      emu.setRules({ createCapacity: { limit: 1, windowSeconds: 3600 } });
      events.length = 0;
      const long = await failure(create, [own.apiKey]);
      expect(long).toBeInstanceOf(CapacityCooldownError);
      expect(long.attempts).toBe(1);
      expect(events).toEqual([]);
    } finally {
      emu.setRules({ createCapacity: null });
    }
  });

  it("a dropped connection is a retryable NETWORK_ERROR; the request is retried", async () => {
    emu.setFaults({ rules: [{ operationId: "getCreditBalance", action: "drop", times: 5 }] });
    try {
      const error = await failure(() =>
        client({ retry: { maxRetries: 2, baseDelayMs: 1 } }).credits.balance(),
      );
      expect(error).toMatchObject({ kind: "network", code: "NETWORK_ERROR", retryable: true, attempts: 3 });
      const balance = await client({ retry: { maxRetries: 3, baseDelayMs: 1 } }).credits.balance();
      expect(balance.total_credits).toBeGreaterThan(0);
    } finally {
      emu.setFaults({});
    }
  });

  it("a 5xx answered in the envelope is retryable and retried", async () => {
    emu.setFaults({ rules: [{ operationId: "getCreditBalance", action: "status", status: 503, times: 2 }] });
    try {
      const c = client({ retry: { maxRetries: 3, baseDelayMs: 1 } });
      await expect(c.credits.balance()).resolves.toMatchObject({ total_credits: expect.any(Number) });
      expect(c.stats().retries).toBe(2);
      emu.setFaults({
        rules: [{ operationId: "getCreditBalance", action: "status", status: 503, times: 5 }],
      });
      const error = await failure(() =>
        client({ retry: { maxRetries: 1, baseDelayMs: 1 } }).credits.balance(),
      );
      expect(error).toMatchObject({ status: 503, retryable: true, attempts: 2 });
    } finally {
      emu.setFaults({});
    }
  });
});

describe("bodies TokPortal would never send (a proxy in the way)", () => {
  let proxy: Server;
  let url: string;
  const seen: Array<{ method: string; url: string; headers: Record<string, unknown> }> = [];

  beforeAll(async () => {
    proxy = createServer((req, res) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers } });
      if (req.url?.endsWith("/bundles/redirect-me")) {
        res.writeHead(302, { location: "http://elsewhere.invalid/steal" });
        res.end();
      } else if (req.url?.endsWith("/credits/balance")) {
        res.writeHead(502, { "content-type": "text/html" });
        res.end("<html><head><title>502</title></head><body><h1>Bad Gateway</h1><p>nginx</p></body></html>");
      } else if (req.url?.endsWith("/me")) {
        res.writeHead(200, { "content-type": "application/json", "x-tokportal-request-id": "req_proxy1" });
        res.end('{"data": {"id": "trunc');
      } else if (req.url?.endsWith("/bundles") && req.method === "POST") {
        res.writeHead(201, { "content-type": "application/json", "x-tokportal-request-id": "req_proxy2" });
        res.end(JSON.stringify({ data: { status: "pending_setup", echoed: req.headers["x-api-key"] } }));
      } else {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end(`not here: ${req.headers["x-api-key"]}`);
      }
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/ext`;
  });

  afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

  it("an HTML 502 is a retryable error with a readable excerpt, not a JSON parse crash", async () => {
    const c = client({ baseUrl: url, retry: { maxRetries: 1, baseDelayMs: 1 } });
    const error = await failure(() => c.credits.balance());
    expect(error).toMatchObject({ status: 502, code: "HTTP_502", retryable: true, attempts: 2 });
    expect(error.bodySnippet).toBe("502 Bad Gateway nginx");
    expect(error.message).toContain("text/html");
  });

  it("truncated JSON on a 200 names the operation and the request id", async () => {
    const error = await failure(() => client({ baseUrl: url }).call("getCurrentUser"));
    expect(error).toMatchObject({
      code: "UNREADABLE_RESPONSE",
      status: 200,
      requestId: "req_proxy1",
      retryable: false,
    });
    expect(error.message).toContain("getCurrentUser");
    expect(error.message).toContain("req_proxy1");
  });

  it("a create answer without an id names the missing field", async () => {
    const error = await failure(() =>
      client({ baseUrl: url }).bundles.create(
        { bundle_type: "account_only", country: "USA" },
        { idempotencyKey: "k1" },
      ),
    );
    expect(error.code).toBe("UNREADABLE_RESPONSE");
    expect(error.message).toContain("data.id");
    expect(error.message).toContain("bundle_id");
    expect(error.message).toContain("req_proxy2");
  });

  it("sends the key only as X-API-Key, with the client name, a request id, the key and dry-run headers", async () => {
    seen.length = 0;
    await client({ baseUrl: url })
      .bundles.create(
        { bundle_type: "account_only", country: "USA" },
        { idempotencyKey: "tps_abc", dryRun: true },
      )
      .catch(() => undefined);
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req).toMatchObject({ method: "POST", url: "/api/ext/bundles" });
    expect(req!.headers).toMatchObject({
      "x-api-key": key,
      "x-tokportal-client": "tokportal-sync/0.1.0",
      "idempotency-key": "tps_abc",
      "x-tokportal-dry-run": "true",
      "content-type": "application/json",
      "x-request-id": expect.stringMatching(/^tps-[0-9a-f]{16}-1$/),
    });
    expect(req!.url).not.toContain("sk_");
  });

  it("does not follow a redirect (the key would go with it): a terminal HTTP_302", async () => {
    seen.length = 0;
    const error = await failure(() => client({ baseUrl: url }).bundles.get("redirect-me"));
    expect(error).toMatchObject({ status: 302, code: "HTTP_302", retryable: false });
    expect(seen).toHaveLength(1);
  });

  it("a server that echoes the key into its error text gets it scrubbed", async () => {
    const error = await failure(() => client({ baseUrl: url }).call("listAccounts"));
    expect(error.status).toBe(404);
    expect(error.bodySnippet).toContain("not here: sk_***");
  });
});

describe("configuration", () => {
  it("reads base URL and key from the environment, and names a missing key without a value", () => {
    expect(clientOptionsFromEnv({ TOKPORTAL_API_KEY: " sk_x " })).toEqual({
      baseUrl: "https://app.tokportal.com/api/ext",
      apiKey: "sk_x",
    });
    expect(
      clientOptionsFromEnv({ TOKPORTAL_API_KEY: "k", TOKPORTAL_BASE_URL: "http://127.0.0.1:4010/api/ext" }),
    ).toEqual({
      baseUrl: "http://127.0.0.1:4010/api/ext",
      apiKey: "k",
    });
    expect(() => clientOptionsFromEnv({})).toThrow(/TOKPORTAL_API_KEY is not set/);
  });

  it("refuses a base URL that carries credentials or a query (they would end up in logs)", () => {
    const secret = `sk_${"1".repeat(64)}`;
    expect(() => new TokPortalClient({ apiKey: "k", baseUrl: `https://u:${secret}@host/api/ext` })).toThrow(
      /must not carry credentials/,
    );
    expect(
      () => new TokPortalClient({ apiKey: "k", baseUrl: `https://host/api/ext?api_key=${secret}` }),
    ).toThrow(/must not carry credentials or a query/);
    expect(() => new TokPortalClient({ apiKey: "", baseUrl: "https://host" })).toThrow(/API key missing/);
  });
});

describe("scrubbing, without a server", () => {
  it("removes keys from messages, details and causes, including undici-style errors holding headers", () => {
    const secret = `sk_${randomBytes(32).toString("hex")}`;
    const odd = `custom-secret-${randomBytes(6).toString("hex")}`;
    registerSecret(odd);
    const undiciLike = Object.assign(new Error(`socket hang up for ${secret}`), {
      code: "UND_ERR_SOCKET",
      headers: { "x-api-key": secret },
      socket: { localAddress: "127.0.0.1", _httpMessage: { headers: [`x-api-key: ${secret}`] } },
      cause: Object.assign(new Error(`inner ${odd}`), { request: { headers: { "x-api-key": secret } } }),
    });
    const error = new TokPortalError({
      kind: "network",
      status: null,
      code: "NETWORK_ERROR",
      message: `failed with ${secret} and ${odd}`,
      operationId: "getBundle",
      details: { key: secret, headers: { "x-api-key": secret }, nested: [{ note: `used ${secret}` }] },
      cause: undiciLike,
    });
    for (const form of exposedForms(error)) {
      expect(form).not.toContain(secret);
      expect(form).not.toContain(odd);
    }
    expect(error.message).toBe("failed with sk_*** and ***");
    expect(error.details).toEqual({ key: "sk_***", nested: [{ note: "used sk_***" }] });
    expect((error.cause as Error & { code: string }).code).toBe("UND_ERR_SOCKET");
    expect(Object.keys(error.cause as object)).not.toContain("headers");
    expect(scrubSecrets(`tok_live_${"a".repeat(32)}`)).toBe("tok_live_***");
    expect(sanitizeCause("plain string").message).toBe("plain string");
  });

  it("serializes to the documented fields", () => {
    const error = new TokPortalError({
      kind: "http",
      status: 429,
      code: "RATE_LIMIT_EXCEEDED",
      message: "slow down",
      operationId: "listBundles",
      requestId: "req_1",
      retryAfterSeconds: 2,
      rateLimit: { limit: 120, remaining: 0, reset: 1_800_000_060 },
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: "TokPortalError",
      kind: "http",
      status: 429,
      code: "RATE_LIMIT_EXCEEDED",
      message: "slow down",
      details: {},
      requestId: "req_1",
      retryAfterSeconds: 2,
      rateLimit: { limit: 120, remaining: 0, reset: 1_800_000_060 },
      operationId: "listBundles",
      retryable: true,
      attempts: 1,
      replayed: false,
    });
    expect(error.isRateLimit).toBe(true);
    expect(error.isCapacityCooldown).toBe(false);
  });
});

describe("a refusal answered from a stored Idempotency-Key", () => {
  it("carries replayed: true (and only the replay does), in its properties and serialized form", async () => {
    const poor = emu.createKey({ credits: 1 }).apiKey;
    const c = client({ apiKey: poor });
    const order = { bundle_type: "account_and_videos", country: "USA", videos_quantity: 1 } as const;
    const options = { idempotencyKey: `refusal-${ref()}` };
    const first = await failure(() => c.bundles.create(order, options), [poor]);
    expect([first.status, first.code, first.replayed]).toEqual([402, "INSUFFICIENT_CREDITS", false]);
    const again = await failure(() => c.bundles.create(order, options), [poor]);
    expect([again.status, again.code, again.replayed]).toEqual([402, "INSUFFICIENT_CREDITS", true]);
    expect(JSON.parse(JSON.stringify(again))).toMatchObject({ code: "INSUFFICIENT_CREDITS", replayed: true });
    expect(typeof again.requestId).toBe("string");
  });

  it("a success replayed on a retry says which attempt got it", async () => {
    const order = { bundle_type: "account_and_videos", country: "USA", videos_quantity: 1 } as const;
    const options = { idempotencyKey: `attempt-${ref()}` };
    const c = client();
    emu.setFaults({ rules: [{ operationId: "createBundle", action: "drop_after", times: 1 }] });
    try {
      const created = await c.bundles.create(order, options);
      expect([created.replayed, created.attempt]).toEqual([true, 2]);
    } finally {
      emu.setFaults({});
    }
    const again = await c.bundles.create(order, options);
    expect([again.replayed, again.attempt]).toEqual([true, 1]);
  });
});
