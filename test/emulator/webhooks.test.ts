import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpec } from "../../src/api/spec.ts";
import { verifySignature } from "../../src/service/webhook-verify.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

/** The sandbox's signature as the service's receiver checks it (src/service/webhook-verify.ts). */
const signedBy = (body: string, header: string, secret: string): boolean =>
  verifySignature(Buffer.from(body), header, { secrets: [secret], nowMs: Date.now() }).ok;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that records every request and answers `status`. */
class Receiver {
  readonly received: Received[] = [];
  status = 200;
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      this.received.push({
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(this.status, { "content-type": "text/plain" }).end("ok");
    });
  });
  url = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let emu: TestEmulator;
let receiver: Receiver;

beforeAll(async () => {
  emu = await startTestEmulator();
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await emu.stop();
  await receiver.stop();
});

async function createEndpoint(path: string, events: string[], extra: Record<string, unknown> = {}) {
  const res = await emu.api("POST", "/webhooks", {
    body: { url: `${receiver.url}${path}`, events, ...extra },
  });
  expect(res.status).toBe(201);
  return res.body.data as { id: string; signing_secret: string; url: string };
}

async function settle(): Promise<void> {
  // advance(0) runs the managers and waits for the dispatcher's queue to drain.
  await emu.advance(0);
}

describe("event catalog", () => {
  it("is public and lists 30 event types with the delivery and signature contract", async () => {
    const res = await emu.api("GET", "/webhooks/events", { key: null });
    expect(res.status).toBe(200);
    const { events, delivery, signature, envelope } = res.body.data;
    expect(events).toHaveLength(30);
    expect(new Set(events.map((e: { type: string }) => e.type)).size).toBe(30);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(
        [
          "availability",
          "category",
          "description",
          "example_payload",
          "payload_schema",
          "type",
          "when",
        ].sort(),
      );
    }
    expect(events.filter((e: { availability: string }) => e.availability === "emitted")).toHaveLength(13);
    expect(delivery).toMatchObject({
      method: "POST",
      timeout_ms: 8000,
      user_agent: "TokPortal-Webhooks/1.0",
    });
    expect(signature).toMatchObject({ header: "TokPortal-Signature", default_tolerance_seconds: 300 });
    expect(envelope.api_version).toBe("2026-05-25");
  });

  it("fits the spec's WebhookEventsResponse, apart from the 17 event types newer than the spec", async () => {
    const res = await emu.api("GET", "/webhooks/events", { key: null });
    const events = res.body.data.events as Array<{ availability: string }>;
    const result = loadSpec().validateSchema("WebhookEventsResponse", res.body);
    const unexpected = result.issues.filter((issue) => {
      const m = /^data\.events\.(\d+)\.(type|category)$/.exec(issue.field);
      return !(m && events[Number(m[1])]?.availability === "subscribable");
    });
    expect(unexpected).toEqual([]);
  });
});

describe("endpoints", () => {
  it("returns the signing secret only at creation, and refuses a duplicate URL", async () => {
    const created = await createEndpoint("/secret", ["bundle.created"], { description: "ops" });
    expect(created.signing_secret).toMatch(/^whsec_[0-9a-f]{64}$/);

    const got = await emu.api("GET", `/webhooks/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ id: created.id, description: "ops", enabled: true });
    expect(JSON.stringify(got.body)).not.toContain(created.signing_secret);
    const list = await emu.api("GET", "/webhooks");
    expect(JSON.stringify(list.body)).not.toContain("whsec_");

    const dup = await emu.api("POST", "/webhooks", {
      body: { url: created.url, events: ["bundle.created"] },
    });
    expect(dup.status).toBe(409);

    const withKey = await emu.api("POST", "/webhooks", {
      body: { url: `${receiver.url}/other`, events: ["bundle.created"] },
      headers: { "idempotency-key": "hook-1" },
    });
    expect(withKey.status).toBe(400);
    expect(withKey.body.error.code).toBe("IDEMPOTENCY_KEY_NOT_ALLOWED_FOR_SENSITIVE_RESPONSE");

    const del = await emu.api("DELETE", `/webhooks/${created.id}`);
    expect(del.status).toBe(204);
    expect((await emu.api("GET", `/webhooks/${created.id}`)).status).toBe(404);
  });

  it("accepts http only for loopback hosts", async () => {
    const res = await emu.api("POST", "/webhooks", {
      body: { url: "http://hooks.example.com/tokportal", events: ["bundle.created"] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe("url");
    const https = await emu.api("POST", "/webhooks", {
      body: { url: "https://hooks.example.com/tokportal", events: ["bundle.created"], enabled: false },
    });
    expect(https.status).toBe(201);
  });

  it("filters the list by enabled and event, and patches fields", async () => {
    const a = await createEndpoint("/filter-a", ["video.finalized"]);
    await createEndpoint("/filter-b", ["bundle.published"], { enabled: false });
    const byEvent = await emu.api("GET", "/webhooks", { query: { event: "video.finalized" } });
    expect(byEvent.body.data.map((w: { id: string }) => w.id)).toContain(a.id);
    expect(byEvent.body.data.every((w: { events: string[] }) => w.events.includes("video.finalized"))).toBe(
      true,
    );
    const disabled = await emu.api("GET", "/webhooks", { query: { enabled: "false" } });
    expect(disabled.body.data.length).toBeGreaterThan(0);
    expect(disabled.body.data.every((w: { enabled: boolean }) => w.enabled === false)).toBe(true);
    expect(disabled.body.pagination).toMatchObject({ page: 1, per_page: 25 });

    const patched = await emu.api("PATCH", `/webhooks/${a.id}`, {
      body: { description: "patched", events: ["video.finalized", "video.in_review"] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      description: "patched",
      events: ["video.finalized", "video.in_review"],
    });
    const cleared = await emu.api("PATCH", `/webhooks/${a.id}`, { body: { description: null } });
    expect(cleared.body.data.description).toBeNull();
  });

  it("hides another workspace's endpoints", async () => {
    const mine = await createEndpoint("/private", ["bundle.created"]);
    const other = await emu.createKey({ credits: 0 });
    const res = await emu.api("GET", `/webhooks/${mine.id}`, { key: other.apiKey });
    expect(res.status).toBe(404);
    const list = await emu.api("GET", "/webhooks", { key: other.apiKey });
    expect(list.body.data).toEqual([]);
  });
});

describe("deliveries", () => {
  it("delivers signed events that verify, and a tampered body does not", async () => {
    const endpoint = await createEndpoint("/signed", ["bundle.created"]);
    const before = receiver.received.length;
    const created = await emu.api("POST", "/bundles", {
      body: { bundle_type: "account_only", platform: "tiktok", country: "USA", external_ref: "hook-ref-1" },
    });
    expect(created.status).toBe(201);
    await settle();

    const got = receiver.received.slice(before).filter((r) => r.path === "/signed");
    expect(got).toHaveLength(1);
    const delivery = got[0]!;
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(delivery.headers["user-agent"]).toBe("TokPortal-Webhooks/1.0");
    expect(delivery.headers["tokportal-event-type"]).toBe("bundle.created");
    const envelope = JSON.parse(delivery.body);
    expect(envelope).toMatchObject({ type: "bundle.created", api_version: "2026-05-25" });
    expect(envelope.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(delivery.headers["tokportal-event-id"]).toBe(envelope.id);
    expect(envelope.data).toMatchObject({ bundle_id: created.body.data.id, external_ref: "hook-ref-1" });

    const header = delivery.headers["tokportal-signature"] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(signedBy(delivery.body, header, endpoint.signing_secret)).toBe(true);
    expect(signedBy(delivery.body.replace("hook-ref-1", "hook-ref-2"), header, endpoint.signing_secret)).toBe(
      false,
    );
    expect(signedBy(delivery.body, header, "whsec_wrong")).toBe(false);

    const log = await emu.api("GET", `/webhooks/${endpoint.id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.data).toHaveLength(1);
    expect(log.body.data[0]).toMatchObject({
      event_id: envelope.id,
      event_type: "bundle.created",
      success: true,
      response_status: 200,
      attempt: 1,
      error: null,
    });
  });

  it("does not deliver to disabled or unsubscribed endpoints", async () => {
    await createEndpoint("/disabled", ["bundle.created"], { enabled: false });
    await createEndpoint("/unsubscribed", ["video.finalized"]);
    const before = receiver.received.length;
    await emu.api("POST", "/bundles", {
      body: { bundle_type: "account_only", platform: "tiktok", country: "USA" },
    });
    await settle();
    const paths = receiver.received.slice(before).map((r) => r.path);
    expect(paths).not.toContain("/disabled");
    expect(paths).not.toContain("/unsubscribed");
  });

  it("records failures, and a retry re-sends the same event id with a fresh signature", async () => {
    const endpoint = await createEndpoint("/flaky", ["bundle.created"]);
    receiver.status = 500;
    const before = receiver.received.length;
    try {
      await emu.api("POST", "/bundles", {
        body: { bundle_type: "account_only", platform: "tiktok", country: "USA" },
      });
      await settle();
    } finally {
      receiver.status = 200;
    }
    const failed = await emu.api("GET", `/webhooks/${endpoint.id}/deliveries`, {
      query: { success: "false" },
    });
    expect(failed.body.data).toHaveLength(1);
    const first = failed.body.data[0];
    expect(first).toMatchObject({ success: false, response_status: 500, attempt: 1, delivered_at: null });
    expect(first.error).toContain("500");
    expect(
      (await emu.api("GET", `/webhooks/${endpoint.id}/deliveries`, { query: { success: "true" } })).body.data,
    ).toEqual([]);

    const retry = await emu.api("POST", `/webhooks/${endpoint.id}/deliveries/${first.id}/retry`);
    expect(retry.status).toBe(200);
    expect(retry.body.data).toMatchObject({
      event_id: first.event_id,
      success: true,
      response_status: 200,
      attempt: 2,
    });
    const sent = receiver.received.slice(before).filter((r) => r.path === "/flaky");
    expect(sent).toHaveLength(2);
    expect(sent[0]!.body).toBe(sent[1]!.body);
    expect(sent[1]!.headers["tokportal-event-id"]).toBe(first.event_id);
    expect(
      signedBy(sent[1]!.body, sent[1]!.headers["tokportal-signature"] as string, endpoint.signing_secret),
    ).toBe(true);
    const all = await emu.api("GET", `/webhooks/${endpoint.id}/deliveries`);
    expect(all.body.data.map((d: { attempt: number }) => d.attempt)).toEqual([2, 1]);

    await emu.api("PATCH", `/webhooks/${endpoint.id}`, { body: { enabled: false } });
    const refused = await emu.api("POST", `/webhooks/${endpoint.id}/deliveries/${first.id}/retry`);
    expect(refused.status).toBe(409);
    const unknown = await emu.api(
      "POST",
      `/webhooks/${endpoint.id}/deliveries/00000000-0000-4000-8000-00000000dead/retry`,
    );
    expect(unknown.status).toBe(404);
  });

  it("records a delivery that could not connect", async () => {
    const dead = await new Receiver().start();
    await dead.stop();
    const res = await emu.api("POST", "/webhooks", {
      body: { url: `${dead.url}/gone`, events: ["webhook.test"] },
    });
    const test = await emu.api("POST", `/webhooks/${res.body.data.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body.data).toMatchObject({
      success: false,
      response_status: null,
      event_type: "webhook.test",
    });
    expect(test.body.data.error).toMatch(/ECONNREFUSED|Connection failed/);
  });

  it("sends a signed webhook.test from the test endpoint and records it", async () => {
    const endpoint = await createEndpoint("/test-me", ["video.finalized"]);
    const before = receiver.received.length;
    const res = await emu.api("POST", `/webhooks/${endpoint.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ event_type: "webhook.test", success: true, response_status: 200 });
    const got = receiver.received.slice(before);
    expect(got).toHaveLength(1);
    const body = JSON.parse(got[0]!.body);
    expect(body).toMatchObject({ type: "webhook.test", data: { webhook_id: endpoint.id } });
    expect(
      signedBy(got[0]!.body, got[0]!.headers["tokportal-signature"] as string, endpoint.signing_secret),
    ).toBe(true);
    const log = await emu.api("GET", `/webhooks/${endpoint.id}/deliveries`, {
      query: { event_type: "webhook.test" },
    });
    expect(log.body.data).toHaveLength(1);
    expect(log.body.data[0].event_id).toBe(body.id);
  });
});

describe("dry run", () => {
  it("sends and records nothing", async () => {
    const endpoint = await createEndpoint("/dry", ["bundle.created"]);
    const before = receiver.received.length;
    const res = await emu.api("POST", `/webhooks/${endpoint.id}/test`, {
      headers: { "x-tokportal-dry-run": "true" },
    });
    expect(res.status).toBe(200);
    expect(res.body.dry_run).toBe(true);
    const created = await emu.api("POST", "/bundles", {
      body: { bundle_type: "account_only", platform: "tiktok", country: "USA" },
      headers: { "x-tokportal-dry-run": "true" },
    });
    expect(created.status).toBe(201);
    await settle();
    expect(receiver.received.slice(before)).toEqual([]);
    expect((await emu.api("GET", `/webhooks/${endpoint.id}/deliveries`)).body.data).toEqual([]);
  });
});
