import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

let emu: TestEmulator;
let bundleId: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  const created = await emu.api("POST", "/bundles", {
    body: { bundle_type: "account_and_videos", platform: "tiktok", country: "USA", videos_quantity: 3 },
  });
  expect(created.status).toBe(201);
  bundleId = created.body.data.id;
});
afterAll(() => emu.stop());

/** Bytes that are not valid UTF-8, so any text round-trip would corrupt them. */
function sampleBytes(n: number, salt = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + salt * 7 + 0x80) & 0xff;
  return out;
}

function form(
  fields: Record<string, string>,
  file?: { bytes: Uint8Array; type: string; name: string },
): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append("file", new Blob([file.bytes], { type: file.type }), file.name);
  return fd;
}

async function download(url: string): Promise<{ status: number; type: string | null; bytes: Uint8Array }> {
  const res = await fetch(url);
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}

describe("direct uploads", () => {
  it("stores a video and serves the same bytes at public_url", async () => {
    const bytes = sampleBytes(70_000);
    const res = await emu.api("POST", "/upload/video/direct", {
      body: form({ bundle_id: bundleId }, { bytes, type: "video/mp4", name: "My Clip.mp4" }),
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      public_url: expect.stringMatching(new RegExp(`^${emu.origin}/__emulator/storage/videos/`)),
      filename: "My Clip.mp4",
      size_bytes: 70_000,
      content_type: "video/mp4",
    });
    const got = await download(res.body.data.public_url);
    expect(got.status).toBe(200);
    expect(got.type).toContain("video/mp4");
    expect(Buffer.from(got.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it("stores an image with its storage_path and purpose folder", async () => {
    const bytes = sampleBytes(1234, 3);
    const res = await emu.api("POST", "/upload/image/direct", {
      body: form(
        { bundle_id: bundleId, purpose: "profile_picture" },
        { bytes, type: "image/png", name: "face.png" },
      ),
    });
    expect(res.status).toBe(200);
    const data = res.body.data;
    expect(data.storage_path).toMatch(new RegExp(`^profile-pictures/[^/]+/${bundleId}/face-\\d{6}\\.png$`));
    expect(data).toMatchObject({ filename: "face.png", size_bytes: 1234, content_type: "image/png" });
    expect(data.public_url).toBe(`${emu.origin}/__emulator/storage/${data.storage_path}`);
    const got = await download(data.public_url);
    expect(Buffer.from(got.bytes).equals(Buffer.from(bytes))).toBe(true);

    const carousel = await emu.api("POST", "/upload/image/direct", {
      body: form({ bundle_id: bundleId }, { bytes, type: "image/jpeg", name: "slide.jpg" }),
    });
    expect(carousel.body.data.storage_path).toMatch(/^carousel-images\//);
  });

  it("rejects an invalid purpose, a missing file, a non-video and an unknown bundle", async () => {
    const file = { bytes: sampleBytes(10), type: "image/png", name: "a.png" };
    const badPurpose = await emu.api("POST", "/upload/image/direct", {
      body: form({ bundle_id: bundleId, purpose: "banner" }, file),
    });
    expect(badPurpose.status).toBe(400);
    expect(badPurpose.body.error.details.field).toBe("purpose");

    const noFile = await emu.api("POST", "/upload/video/direct", { body: form({ bundle_id: bundleId }) });
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.details.field).toBe("file");

    const notVideo = await emu.api("POST", "/upload/video/direct", {
      body: form({ bundle_id: bundleId }, file),
    });
    expect(notVideo.status).toBe(400);

    const unknown = await emu.api("POST", "/upload/video/direct", {
      body: form(
        { bundle_id: "00000000-0000-4000-8000-000000000001" },
        { bytes: sampleBytes(5), type: "video/mp4", name: "v.mp4" },
      ),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("BUNDLE_NOT_FOUND");
  });

  it("keeps another workspace's bundle out of reach", async () => {
    const other = await emu.createKey({ credits: 0 });
    const res = await emu.api("POST", "/upload/video/direct", {
      key: other.apiKey,
      body: form({ bundle_id: bundleId }, { bytes: sampleBytes(5), type: "video/mp4", name: "v.mp4" }),
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("BUNDLE_NOT_OWNED");
  });
});

describe("dry run", () => {
  it("stores nothing", async () => {
    const count = Object.keys(emu.state().uploads).length;
    const res = await emu.api("POST", "/upload/video/direct", {
      headers: { "x-tokportal-dry-run": "true" },
      body: form({ bundle_id: bundleId }, { bytes: sampleBytes(100), type: "video/mp4", name: "dry.mp4" }),
    });
    expect(res.status).toBe(200);
    expect(res.body.dry_run).toBe(true);
    expect(Object.keys(emu.state().uploads)).toHaveLength(count);
    expect((await download(res.body.data.public_url)).status).toBe(404);
  });
});

describe("presigned uploads", () => {
  it("issues a single-use PUT URL whose bytes are then served at public_url", async () => {
    const res = await emu.api("POST", "/upload/video", {
      body: { filename: "launch.mp4", bundle_id: bundleId },
    });
    expect(res.status).toBe(200);
    const data = res.body.data;
    expect(data).toMatchObject({ method: "PUT", content_type: "video/mp4", expires_in: 900 });
    expect(data.upload_url).toMatch(new RegExp(`^${emu.origin}/__emulator/uploads/[0-9a-f]{48}$`));
    expect((await download(data.public_url)).status).toBe(404);

    const bytes = sampleBytes(4096, 9);
    const wrongType = await fetch(data.upload_url, {
      method: "PUT",
      headers: { "content-type": "video/webm" },
      body: bytes,
    });
    expect(wrongType.status).toBe(400);

    const put = await fetch(data.upload_url, {
      method: "PUT",
      headers: { "content-type": "video/mp4" },
      body: bytes,
    });
    expect(put.status).toBe(200);
    const got = await download(data.public_url);
    expect(got.status).toBe(200);
    expect(Buffer.from(got.bytes).equals(Buffer.from(bytes))).toBe(true);

    const again = await fetch(data.upload_url, {
      method: "PUT",
      headers: { "content-type": "video/mp4" },
      body: bytes,
    });
    expect(again.status).toBe(409);
  });

  it("expires on the simulated clock", async () => {
    const res = await emu.api("POST", "/upload/image", {
      body: { filename: "late.png", content_type: "image/png", bundle_id: bundleId },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.storage_path).toMatch(/^carousel-images\//);
    await emu.advance(901);
    const put = await fetch(res.body.data.upload_url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: sampleBytes(10),
    });
    expect(put.status).toBe(403);
  });

  it("refuses an Idempotency-Key on these secret-bearing operations", async () => {
    const res = await emu.api("POST", "/upload/video", {
      body: { filename: "x.mp4", bundle_id: bundleId },
      headers: { "idempotency-key": "upload-1" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("IDEMPOTENCY_KEY_NOT_ALLOWED_FOR_SENSITIVE_RESPONSE");
  });
});

describe("images from a URL", () => {
  it("copies an object of the emulator's own storage", async () => {
    const bytes = sampleBytes(321, 5);
    const up = await emu.api("POST", "/upload/image/direct", {
      body: form({ bundle_id: bundleId }, { bytes, type: "image/webp", name: "src.webp" }),
    });
    const res = await emu.api("POST", "/upload/image/from-url", {
      body: { url: up.body.data.public_url, bundle_id: bundleId, purpose: "profile_picture" },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.storage_path).toMatch(/^profile-pictures\//);
    expect(res.body.data.storage_path).not.toBe(up.body.data.storage_path);
    const got = await download(res.body.data.public_url);
    expect(Buffer.from(got.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it("a dry run copies nothing and leaves the stored object alone", async () => {
    const bytes = sampleBytes(4_000, 5);
    const up = await emu.api("POST", "/upload/image/direct", {
      body: form({ bundle_id: bundleId }, { bytes, type: "image/png", name: "keep.png" }),
    });
    expect(up.status).toBe(200);
    const before = JSON.stringify(emu.state().uploads);
    const res = await emu.api("POST", "/upload/image/from-url", {
      body: { url: up.body.data.public_url, bundle_id: bundleId },
      headers: { "x-tokportal-dry-run": "true" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dry_run: true, credits_charged: 0 });
    expect(JSON.stringify(emu.state().uploads)).toBe(before);
    expect((await download(res.body.data.public_url)).status).toBe(404);
  });

  it("records an external image without fetching it", async () => {
    const res = await emu.api("POST", "/upload/image/from-url", {
      body: { url: "https://images.example.com/path/cat%20photo.png", bundle_id: bundleId },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      filename: "cat photo.png",
      content_type: "image/png",
      size_bytes: null,
    });
    expect(res.body.data.storage_path).toMatch(/^carousel-images\/.+cat-photo-\d{6}\.png$/);
    const state = emu.state();
    const record = Object.values(state.uploads).find((u) => u.storage_path === res.body.data.storage_path);
    expect(record?.source_url).toBe("https://images.example.com/path/cat%20photo.png");
    expect(record?.data_base64).toBeNull();
  });

  it("answers 404 for an unknown bundle", async () => {
    const res = await emu.api("POST", "/upload/image/from-url", {
      body: { url: "https://images.example.com/a.jpg", bundle_id: "00000000-0000-4000-8000-000000000002" },
    });
    expect(res.status).toBe(404);
  });
});
