/** The webhook events the bundle, account and video handlers emit, as a subscriber receives them. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { configureAccount, configureVideo, createBundle, D3 } from "./bundles.fixtures.ts";

interface Event {
  type: string;
  data: Record<string, unknown>;
}

let emu: TestEmulator;
let server: Server;
const received: Event[] = [];
let hookUrl = "";

beforeAll(async () => {
  emu = await startTestEmulator();
  emu.setRules({ managers: { acceptAfterSeconds: 30 * 86_400 } });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Event);
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await emu.stop();
  await new Promise((resolve) => server.close(resolve));
});

test("create, configure and publish announce each status change with previous status and refs", async () => {
  const hook = await emu.api("POST", "/webhooks", {
    body: {
      url: hookUrl,
      events: [
        "bundle.created",
        "bundle.published",
        "account.configured",
        "account.published",
        "video.configured",
        "video.published",
      ],
    },
  });
  expect(hook.status).toBe(201);
  const id = await createBundle(emu, { external_ref: "row-9", videos_quantity: 2 });
  await configureAccount(emu, id);
  await configureVideo(emu, id, 2, D3, { external_ref: "clip-2" });
  expect((await emu.api("POST", `/bundles/${id}/publish`)).status).toBe(200);
  // A dry run announces nothing.
  await emu.api("POST", "/bundles", {
    body: { bundle_type: "account_only", country: "USA" },
    headers: { "x-tokportal-dry-run": "true" },
  });
  await emu.advance(0); // flushes the webhook queue

  expect(received.map((e) => e.type)).toEqual([
    "bundle.created",
    "account.configured",
    "video.configured",
    "bundle.published",
    "account.published",
    "video.published",
  ]);
  const [created, account, video, published, , videoPublished] = received;
  expect(created!.data).toMatchObject({
    bundle_id: id,
    status: "pending_setup",
    previous_status: null,
    external_ref: "row-9",
  });
  expect(account!.data).toMatchObject({
    bundle_id: id,
    status: "configured",
    previous_status: "pending",
    username: "street.style_nyc",
  });
  expect(video!.data).toMatchObject({
    bundle_id: id,
    position: 2,
    status: "configured",
    previous_status: "pending",
    external_ref: "clip-2",
  });
  expect(published!.data).toMatchObject({ status: "published", previous_status: "pending_setup" });
  expect(videoPublished!.data).toMatchObject({
    position: 2,
    status: "published",
    previous_status: "configured",
  });
});
