/**
 * 300 writes while the emulator injects faults (5xx, connections dropped before and after the work, 429
 * bursts): every write is applied exactly once and charged exactly once, because each carries an
 * Idempotency-Key and the client retries only what is safe to retry.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import { TokPortalError } from "../../src/api/errors.ts";
import { idempotencyKey } from "../../src/api/idempotency.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

let emu: TestEmulator;
let client: TokPortalClient;
let workspaceId: string;

beforeAll(async () => {
  emu = await startTestEmulator({ seed: 7, bucket: { capacity: 120, refillPerSecond: 100 } });
  const created = emu.createKey({ credits: 20_000 });
  workspaceId = created.workspaceId;
  client = new TokPortalClient({
    baseUrl: emu.url,
    apiKey: created.apiKey,
    concurrency: 8,
    retry: { maxRetries: 8, baseDelayMs: 5, maxDelayMs: 100 },
  });
});

afterAll(async () => {
  await client.close();
  await emu.stop();
});

type Outcome = { ok: true } | { ok: false; error: unknown };

async function runAll<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<Outcome[]> {
  const out: Outcome[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!).then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

describe("writes under injected faults", () => {
  it("applies and charges each of 300 writes exactly once", async () => {
    emu.setFaults({
      errorRate: 0.1,
      dropRate: 0.015,
      dropAfterRate: 0.015,
      storm: { everyRequests: 80, length: 3 },
    });
    const refs = Array.from({ length: 200 }, (_, i) => `fault-${String(i).padStart(3, "0")}`);
    const ids = new Map<string, string>();
    const creates = await runAll(refs, 8, async (ref) => {
      const res = await client.bundles.create(
        { bundle_type: "account_and_videos", country: "USA", videos_quantity: 1, external_ref: ref },
        {
          idempotencyKey: idempotencyKey({
            prefix: "faults",
            ref,
            operation: "createBundle",
            fingerprint: "1",
          }),
        },
      );
      ids.set(ref, res.data.id);
    });
    const slotRefs = refs.slice(0, 100);
    const slots = await runAll(slotRefs, 8, (ref) =>
      client.bundles.addVideoSlots(ids.get(ref)!, 1, {
        idempotencyKey: idempotencyKey({
          prefix: "faults",
          ref,
          operation: "addVideoSlots",
          fingerprint: "1",
        }),
      }),
    );
    emu.setFaults({});

    // Every call ended: succeeded, or failed with a terminal error naming its operation.
    for (const o of [...creates, ...slots]) {
      if (o.ok) continue;
      expect(o.error).toBeInstanceOf(TokPortalError);
      expect((o.error as TokPortalError).retryable).toBe(false);
      expect((o.error as TokPortalError).message).toMatch(/createBundle|addVideoSlots/);
    }
    expect(creates.filter((o) => o.ok)).toHaveLength(200);
    expect(slots.filter((o) => o.ok)).toHaveLength(100);

    // The faults did happen, and some answers were replays of work done before a lost response.
    const log = emu
      .requestLog()
      .filter((e) => e.operationId === "createBundle" || e.operationId === "addVideoSlots");
    const faults = new Set(log.map((e) => e.fault?.replace(/^status:5\d\d$/, "status:5xx")).filter(Boolean));
    expect(faults).toEqual(new Set(["drop", "drop_after", "storm", "status:5xx"]));
    expect(log.filter((e) => e.fault?.startsWith("status:")).length).toBeGreaterThan(15);
    expect(log.filter((e) => e.fault === "drop_after").length).toBeGreaterThan(0);
    expect(log.filter((e) => e.replayed).length).toBeGreaterThan(0);
    expect(client.stats().retries).toBeGreaterThan(30);

    // Exactly once, in the emulator's own books.
    const state = emu.state();
    const bundles = Object.values(state.bundles).filter((b) => b.workspaceId === workspaceId);
    expect(bundles).toHaveLength(200);
    expect(new Set(bundles.map((b) => b.external_ref)).size).toBe(200);
    for (const b of bundles) {
      const withSlot = slotRefs.includes(b.external_ref!);
      expect(b.videos_quantity).toBe(withSlot ? 2 : 1);
      expect(b.videos).toHaveLength(withSlot ? 2 : 1);
    }
    const ledger = state.workspaces[workspaceId]!.ledger.filter((l) => l.type === "debit");
    const perBundle = new Map<string, number[]>();
    for (const l of ledger)
      perBundle.set(l.bundle_id ?? "?", [...(perBundle.get(l.bundle_id ?? "?") ?? []), l.amount]);
    expect(ledger).toHaveLength(300);
    for (const [ref, id] of ids) {
      expect(perBundle.get(id)?.sort()).toEqual(slotRefs.includes(ref) ? [-2, -34].sort() : [-34]);
    }
    expect(state.workspaces[workspaceId]!.credits).toBe(20_000 - 200 * 34 - 100 * 2);
  });

  it("replays a multipart upload whose answer was lost, instead of storing it twice", async () => {
    const { data: bundle } = await client.bundles.create(
      {
        bundle_type: "account_and_videos",
        country: "USA",
        videos_quantity: 1,
        external_ref: "upload-replay",
      },
      { idempotencyKey: "create-upload-replay" },
    );
    emu.setFaults({ rules: [{ operationId: "uploadVideoDirect", action: "drop_after", times: 1 }] });
    try {
      const before = emu.requestLog().length;
      const uploaded = await client.uploads.videoDirect(
        bundle.id,
        {
          data: new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 1, 2, 3]),
          filename: "a.mp4",
          contentType: "video/mp4",
        },
        { idempotencyKey: "upload-replay-1" },
      );
      expect(uploaded.data.public_url).toBeTruthy();
      const attempts = emu.requestLog(before).filter((e) => e.operationId === "uploadVideoDirect");
      expect(attempts.map((e) => [e.fault, e.replayed])).toEqual([
        ["rule:drop_after", false],
        [null, true],
      ]);
      const stored = Object.values(emu.state().uploads).filter((u) => u.bundle_id === bundle.id);
      expect(stored).toHaveLength(1);
    } finally {
      emu.setFaults({});
    }
  });
});

describe("what a retried write puts on the wire", () => {
  /** Answers every request with the next status of `script` (the last one repeats), recording headers. */
  async function scriptedServer(script: number[]) {
    const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      const status = script[Math.min(seen.length, script.length) - 1]!;
      const headers = { "content-type": "application/json", "retry-after": "0" };
      res.writeHead(status, headers);
      res.end(
        status < 300
          ? JSON.stringify({ data: { id: "b-1", status: "pending_setup" }, credits_charged: 34 })
          : JSON.stringify({
              error: { code: status === 429 ? "RATE_LIMIT_EXCEEDED" : "UNAVAILABLE", message: "x" },
            }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/ext`;
    const close = () => new Promise<void>((r) => server.close(() => r()));
    return { seen, url, close };
  }
  const apiKey = `sk_${"ab".repeat(32)}`;
  const order = { bundle_type: "account_and_videos", country: "USA" } as const;

  it("repeats a keyed write with the same Idempotency-Key and a new request id each time", async () => {
    const server = await scriptedServer([503, 502, 201]);
    const c = new TokPortalClient({ baseUrl: server.url, apiKey, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    try {
      const created = await c.bundles.create(order, { idempotencyKey: "order-42" });
      expect(created.data.id).toBe("b-1");
      expect(server.seen.map((r) => r.headers["idempotency-key"])).toEqual([
        "order-42",
        "order-42",
        "order-42",
      ]);
      expect(new Set(server.seen.map((r) => r.headers["x-request-id"])).size).toBe(3);
      for (const r of server.seen) {
        expect(r.headers["x-api-key"]).toBe(apiKey);
        expect(r.url).not.toContain(apiKey);
      }
    } finally {
      await c.close();
      await server.close();
    }
  });

  it("sends a write without a key once after a 5xx, but again after a bucket 429 (not acted on)", async () => {
    const server = await scriptedServer([503]);
    const c = new TokPortalClient({ baseUrl: server.url, apiKey, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    try {
      const error = await c.bundles
        .create(order, { allowWithoutIdempotencyKey: true })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 503, retryable: true, attempts: 1 });
      expect(server.seen).toHaveLength(1);
      expect(server.seen[0]!.headers["idempotency-key"]).toBeUndefined();
    } finally {
      await c.close();
      await server.close();
    }
    const limited = await scriptedServer([429, 201]);
    const d = new TokPortalClient({ baseUrl: limited.url, apiKey, retry: { maxRetries: 0 } });
    try {
      await d.bundles.create(order, { allowWithoutIdempotencyKey: true });
      expect(limited.seen).toHaveLength(2);
      expect(d.stats()).toMatchObject({ rateLimited: 1, retries: 1 });
    } finally {
      await d.close();
      await limited.close();
    }
  });
});
