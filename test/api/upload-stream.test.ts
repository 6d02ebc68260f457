/**
 * Presigned uploads streamed from disk, against the emulator over HTTP: the bytes arrive intact (by hash),
 * a stream that broke mid-body is opened again for the retry, and the sandbox keeps a large upload's size
 * and hash without its bytes.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import type { StreamedBytes } from "../../src/api/types.ts";
import { KEPT_UPLOAD_BYTES_MAX } from "../../src/emulator/storage.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

let emu: TestEmulator;
let client: TokPortalClient;
let bundleId: string;
let dir: string;

beforeAll(async () => {
  emu = await startTestEmulator({ bucket: { capacity: 120, refillPerSecond: 100 } });
  const key = emu.createKey({ credits: 2000 }).apiKey;
  client = new TokPortalClient({
    baseUrl: emu.url,
    apiKey: key,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });
  const created = await client.bundles.create(
    { bundle_type: "account_and_videos", country: "USA", videos_quantity: 1, external_ref: "stream-1" },
    { idempotencyKey: "test-stream-create-0001" },
  );
  bundleId = created.data.id;
  dir = mkdtempSync(path.join(tmpdir(), "upload-stream-"));
});

afterAll(async () => {
  await client.close();
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
});

function fileOf(bytes: Buffer): { path: string; sha256: string; data: StreamedBytes; opened: () => number } {
  const p = path.join(dir, `${randomBytes(4).toString("hex")}.mp4`);
  writeFileSync(p, bytes);
  let opened = 0;
  return {
    path: p,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    data: {
      size: bytes.byteLength,
      open: () => {
        opened++;
        return createReadStream(p, { highWaterMark: 64 * 1024 });
      },
    },
    opened: () => opened,
  };
}

const recordOf = (publicUrl: string) =>
  Object.values(emu.state().uploads).find((u) => publicUrl.endsWith(u.storage_path.split("/").pop()!))!;

describe("presigned upload from a stream", () => {
  it("the bytes arrive intact, sent from one stream with a known length", async () => {
    const f = fileOf(randomBytes(3 * 1024 * 1024 + 17));
    const { public_url } = await client.uploads.video(bundleId, { data: f.data, filename: "clip.mp4" });
    expect(f.opened()).toBe(1);
    const record = recordOf(public_url);
    expect(record).toMatchObject({ complete: true, size_bytes: 3 * 1024 * 1024 + 17, sha256: f.sha256 });
    const served = Buffer.from(await (await fetch(public_url)).arrayBuffer());
    expect(createHash("sha256").update(served).digest("hex")).toBe(f.sha256);
  });

  it("a stream that breaks mid-body is opened again for the retry, and the bytes arrive intact", async () => {
    const f = fileOf(randomBytes(1024 * 1024));
    let attempts = 0;
    const flaky: StreamedBytes = {
      size: f.data.size,
      open: () => {
        attempts++;
        if (attempts > 1) return f.data.open();
        // The first attempt sends part of the file, then its stream fails (a read error, a dropped disk).
        return Readable.from(
          (async function* () {
            yield Buffer.alloc(256 * 1024, 1);
            throw new Error("read failed");
          })(),
        );
      },
    };
    const { public_url } = await client.uploads.video(bundleId, { data: flaky, filename: "retry.mp4" });
    expect(attempts).toBe(2);
    expect(recordOf(public_url)).toMatchObject({ complete: true, size_bytes: 1024 * 1024, sha256: f.sha256 });
  });

  it("above the size the sandbox keeps, the upload is complete with its size and hash but no bytes", async () => {
    const size = KEPT_UPLOAD_BYTES_MAX + 1;
    const f = fileOf(Buffer.alloc(size, 7));
    const { public_url } = await client.uploads.video(bundleId, { data: f.data, filename: "big.mp4" });
    expect(recordOf(public_url)).toMatchObject({
      complete: true,
      size_bytes: size,
      sha256: f.sha256,
      data_base64: null,
    });
    expect((await fetch(public_url)).status).toBe(404);
  });
});
