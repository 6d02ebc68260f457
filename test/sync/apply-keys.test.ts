/**
 * The Idempotency-Key of every op kind, pinned. A rerun after an upgrade must send the same key as the
 * version that ran before it, so TokPortal replays the stored answer instead of charging again: any change
 * to a key's content (its ref, its kind, the values fingerprinted) fails here.
 *
 * The keys are read off the wire by a recording proxy in front of the emulator (seeded, fixed clock, one
 * bundle at a time), so bundle ids and every value that goes into a key are the same on each run.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/index.ts";
import { applyPlan } from "../../src/sync/apply.ts";
import type { Plan, PlannedRow, PlanOp } from "../../src/sync/types.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { bundleRowRef, coldBundle, planOf, videoRowRef } from "./apply-fixtures.ts";

let emu: TestEmulator;
let proxy: Server;
let proxyUrl: string;
const seen: Array<{ method: string; path: string; key: string }> = [];

beforeAll(async () => {
  emu = await startTestEmulator();
  const target = new URL(emu.url);
  proxy = createServer((req, res) => {
    const key = req.headers["idempotency-key"];
    if (typeof key === "string") seen.push({ method: req.method ?? "", path: req.url ?? "", key });
    const forward = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const port = (proxy.address() as AddressInfo).port;
  proxyUrl = `http://127.0.0.1:${port}${target.pathname}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await emu.stop();
});

async function keysOf(plan: Plan, stored?: Map<string, Record<string, string>>): Promise<string[]> {
  const client = new TokPortalClient({
    baseUrl: proxyUrl,
    apiKey: emu.apiKey,
    retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 5, cooldownMs: 1, maxCooldownWaits: 0 },
  });
  const start = seen.length;
  try {
    await applyPlan(plan, client, {
      maxCredits: null,
      balance: null,
      concurrency: 1,
      ...(stored ? { stored } : {}),
    });
  } finally {
    await client.close();
  }
  return seen.slice(start).map((s) => `${s.method} ${s.path.replace(/[0-9a-f-]{36}/g, "<id>")} ${s.key}`);
}

/** One op of an existing bundle (`alpha`, with three configured videos), as its own plan. */
function existing(
  bundleId: string,
  op: Omit<PlanOp, "id" | "bundleRef" | "bundleId" | "cost" | "reason">,
): Plan {
  const bundleRow = bundleRowRef("alpha", 2);
  const videoRows = ["v1", "v2", "v3"].map((v, i) => videoRowRef("alpha", v, 2 + i));
  const rows: PlannedRow[] = [
    {
      row: bundleRow,
      outcome: "synced",
      message: "",
      fingerprint: "v1-b000000000000001",
      remote: { bundle_id: bundleId, bundle_status: "configuring", credits_charged: 38 },
      ops: [],
    },
    ...videoRows.map((row, i) => ({
      row,
      outcome: "synced" as const,
      message: "",
      fingerprint: `v1-v00000000000000${i + 1}`,
      remote: { video_status: "configured", position: i + 1 },
      ops: [],
    })),
  ];
  const full = {
    ...op,
    id: `alpha:${op.kind}`,
    bundleRef: "alpha",
    bundleId,
    cost: op.kind === "addVideoSlots" ? 2 : op.kind === "addEditSlots" ? 1 : 0,
    reason: `reason of ${op.kind}`,
  } as PlanOp;
  for (const r of rows) if (full.rows.includes(r.row.id)) r.ops = [...r.ops, full.id];
  return { ...planOf([{ ops: [full], rows }]) };
}

const STORED = new Map([
  ["b:alpha", { sync_fingerprint: "v1-stored000000001" }],
  ["v:alpha/v1", { sync_fingerprint: "v1-stored000000002" }],
]);

describe("the Idempotency-Key of each op kind", () => {
  it("stays what it was", async () => {
    const cold = await keysOf(planOf([coldBundle({ ref: "alpha", publish: false })]));
    const alpha = Object.values(emu.state().bundles).find((b) => b.external_ref === "t-alpha");
    const id = alpha?.id as string;
    const b = "b:alpha";
    const v = (n: number) => `v:alpha/v${n}`;
    const keys: Record<string, string[]> = { cold };
    const ops: Array<Omit<PlanOp, "id" | "bundleRef" | "bundleId" | "cost" | "reason">> = [
      { kind: "addVideoSlots", rows: [b], quantity: 1 },
      { kind: "addEditSlots", rows: [b], quantity: 2 },
      { kind: "patchBundle", rows: [b], body: { title: "Renamed" } },
      {
        kind: "configureAccount",
        rows: [b],
        body: {
          username: "user.alpha2",
          visible_name: "Alpha Two",
          biography: "New bio",
          profile_picture_url: "https://cdn.example.com/p2.jpg",
        },
      },
      {
        kind: "configureVideos",
        rows: [v(2)],
        items: [
          {
            rowId: v(2),
            videoRef: "v2",
            position: 2,
            item: {
              position: 2,
              video_type: "video",
              description: "Again",
              target_publish_date: "2026-09-05",
              video_url: "https://cdn.example.com/x.mp4",
            },
            media: {},
          },
        ],
      },
      { kind: "patchVideo", rows: [v(1)], position: 1, body: { external_ref: "v1-renamed" } },
      { kind: "unscheduleVideo", rows: [v(3)], position: 3 },
      { kind: "publishBundle", rows: [b] },
      { kind: "publishVideos", rows: [v(1), v(2)], positions: [1, 2], all: false },
      { kind: "publishVideos", rows: [v(1), v(2), v(3)], positions: [1, 2, 3], all: true },
    ] as never;
    for (const [i, op] of ops.entries()) {
      keys[`${i}:${op.kind}`] = await keysOf(existing(id, op), STORED);
    }
    expect(keys).toEqual(PINNED);
  });
});

const PINNED: Record<string, string[]> = {
  cold: [
    "POST /api/ext/bundles tps_9306439e7ef8e65994a0ffd247a947a5",
    "PUT /api/ext/bundles/<id>/account tps_b1a01bc67bb90b188fb6eb78f4a343f6",
    "PUT /api/ext/bundles/<id>/videos/batch tps_8ad4a52f88bf10288187ff4929d25739",
  ],
  "0:addVideoSlots": ["POST /api/ext/bundles/<id>/add-video-slots tps_cf07a51ad1e2f2257d32dfa081e57164"],
  "1:addEditSlots": ["POST /api/ext/bundles/<id>/add-edit-slots tps_3079a71c28a29beced65cef213e5c061"],
  "2:patchBundle": ["PATCH /api/ext/bundles/<id> tps_445d460bde793c7e0b11100a0a732465"],
  "3:configureAccount": ["PUT /api/ext/bundles/<id>/account tps_0365ab7fc700c194ac649e87904cecf5"],
  "4:configureVideos": ["PUT /api/ext/bundles/<id>/videos/batch tps_796f12f363bf78c043a34443a19b3fba"],
  "5:patchVideo": ["PATCH /api/ext/bundles/<id>/videos/1 tps_d6cb9dbe9e92007b800a46512f4a1b00"],
  "6:unscheduleVideo": [
    "POST /api/ext/bundles/<id>/videos/3/unschedule tps_2bb32cb500fd3146aa0e8e2b7c1faa3d",
  ],
  "7:publishBundle": ["POST /api/ext/bundles/<id>/publish tps_39580e3042c901faceb8aa7fed628d99"],
  "8:publishVideos": ["POST /api/ext/bundles/<id>/videos/1/publish tps_61b345d6a5b83231428ec45aa2b26ede"],
  "9:publishVideos": ["POST /api/ext/bundles/<id>/videos/publish-all tps_466ece8a82485f1f40c31651e6115190"],
};
