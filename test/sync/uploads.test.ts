/**
 * Local media during apply, against the emulator over HTTP: one upload per (content, purpose, bundle),
 * direct below the threshold and presigned above it, the returned URL or storage path in the request, and
 * a file that cannot be uploaded failing only its own row.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TokPortalClient } from "../../src/api/index.ts";
import type { MediaValue } from "../../src/sync/types.ts";
import { contentTypeOf, MediaUploader } from "../../src/sync/uploads.ts";
import { sharedEmulator } from "../support/emulator.ts";
import { expectFinding } from "../support/findings.ts";
import { applyReport, clientFor, coldBundle, PREFIX, planOf, WRITES } from "./apply-fixtures.ts";

const emu = sharedEmulator();
const clients: TokPortalClient[] = [];
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "apply-uploads-"));
});
afterEach(async () => {
  while (clients.length > 0) await clients.pop()?.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(): TokPortalClient {
  const c = clientFor(emu);
  clients.push(c);
  return c;
}

function file(name: string, bytes: number, fill = 7): MediaValue {
  const p = path.join(dir, name);
  writeFileSync(p, Buffer.alloc(bytes, fill));
  return { kind: "file", path: p, sizeBytes: bytes, mtimeMs: 0 };
}

const noBudget = { maxCredits: null, balance: null };
const logStart = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
const opsSince = (start: number) =>
  emu
    .requestLog(start)
    .filter((e) => WRITES.has(e.method))
    .map((e) => e.operationId);
const bundleOf = (ref: string) =>
  Object.values(emu.state().bundles).find((b) => b.external_ref === `${PREFIX}${ref}`);

/** Why a missing file was not uploaded (upload_failed's `reason`, made in src/sync/uploads.ts). */
const MISSING = "the file does not exist; fix the path (relative paths start at the sheet's folder)";

describe("local files in a plan", () => {
  it("a file used by two rows is uploaded once; the slot gets its public_url, the profile its storage_path", async () => {
    const clip = file("clip.mp4", 2048);
    const picture = file("face.png", 512);
    const plan = planOf([
      coldBundle({
        ref: "alpha",
        profilePicture: picture,
        videos: [
          { ref: "v1", media: { video_url: clip } },
          { ref: "v2", media: { video_url: clip }, date: "2026-09-05" },
          { ref: "v3" },
        ],
      }),
    ]);
    const start = logStart();
    const report = await applyReport(plan, client(), noBudget);

    expect(opsSince(start)).toEqual([
      "createBundle",
      "uploadImageDirect",
      "configureBundleAccount",
      "uploadVideoDirect",
      "batchConfigureBundleVideos",
      "publishBundle",
    ]);
    const uploads = Object.values(emu.state().uploads);
    expect(uploads.map((u) => `${u.kind}:${u.purpose}:${u.filename}:${u.size_bytes}`).sort()).toEqual([
      "image:profile_picture:face.png:512",
      "video:null:clip.mp4:2048",
    ]);
    const video = uploads.find((u) => u.kind === "video")!;
    const image = uploads.find((u) => u.kind === "image")!;
    const bundle = bundleOf("alpha")!;
    expect(bundle.account?.profile_picture_url).toBe(image.storage_path);
    expect(bundle.videos[0]?.video_url).toContain(video.storage_path);
    expect(bundle.videos[1]?.video_url).toBe(bundle.videos[0]?.video_url);
    expect(bundle.videos[2]?.video_url).not.toContain(video.storage_path);
    // The direct uploads carried keys (stored for replay); the local path was never sent.
    const stored = Object.values(emu.state().idempotency).map((r) => r.path);
    expect(stored.filter((p) => p.includes("/upload/"))).toHaveLength(2);
    expect(report.rows.every((r) => r.outcome === "synced")).toBe(true);
  });

  it("above the direct-upload threshold, the presigned flow is used (no key), and the bytes arrive", async () => {
    const clip = file("big.mov", 64);
    const slide = file("slide.jpg", 48);
    const plan = planOf([
      coldBundle({
        ref: "alpha",
        profilePicture: { kind: "url", value: "https://cdn.example.com/me.jpg" },
        videos: [
          { ref: "v1", media: { video_url: clip } },
          {
            ref: "v2",
            media: { carousel_images: [slide, { kind: "url", value: "https://cdn.example.com/2.jpg" }] },
            item: {
              video_type: "carousel",
              video_url: undefined,
              carousel_images: [slide.kind === "file" ? slide.path : "", "https://cdn.example.com/2.jpg"],
              tiktok_sound_url: "https://www.tiktok.com/music/song-1",
            },
          },
        ],
      }),
    ]);
    const start = logStart();
    const report = await applyReport(plan, client(), { ...noBudget, directUploadMaxBytes: 32 });

    const ops = opsSince(start);
    expect(ops.filter((o) => o === "uploadVideo")).toHaveLength(1);
    expect(ops.filter((o) => o === "uploadImage")).toHaveLength(1);
    // The carousel image given as a URL is stored from its URL (carousel_images take storage paths).
    expect(ops.filter((o) => o === "uploadImageFromUrl")).toHaveLength(1);
    expect(ops.some((o) => o === "uploadVideoDirect" || o === "uploadImageDirect")).toBe(false);
    const uploads = Object.values(emu.state().uploads);
    expect(uploads).toHaveLength(3);
    expect(uploads.every((u) => u.complete)).toBe(true);
    expect(uploads.find((u) => u.kind === "video")?.content_type).toBe("video/quicktime");
    const image = uploads.find((u) => u.kind === "image" && !u.source_url)!;
    expect(image.size_bytes).toBe(48);
    const fromUrl = uploads.find((u) => u.source_url === "https://cdn.example.com/2.jpg")!;
    expect(fromUrl.purpose).toBe("carousel");
    const bundle = bundleOf("alpha")!;
    expect(bundle.videos[1]?.carousel_images).toEqual([image.storage_path, fromUrl.storage_path]);
    expect(bundle.account?.profile_picture_url).toBe("https://cdn.example.com/me.jpg");
    expect(report.rows.every((r) => r.outcome === "synced")).toBe(true);
  });

  it("a missing file fails only its row, naming the file and the column", async () => {
    const missing: MediaValue = { kind: "file", path: path.join(dir, "gone.mp4"), sizeBytes: 10, mtimeMs: 0 };
    const plan = planOf([
      coldBundle({ ref: "alpha", videos: [{ ref: "v1" }, { ref: "v2", media: { video_url: missing } }] }),
    ]);
    const report = await applyReport(plan, client(), noBudget);

    const bad = report.rows.find((r) => r.row.id === "v:alpha/v2")!;
    expect(bad.outcome).toBe("error");
    expectFinding(bad, "upload_failed", "video_url", { file: "gone.mp4", reason: MISSING });
    expect(report.rows.find((r) => r.row.id === "v:alpha/v1")?.outcome).toBe("synced");
    expect(report.rows.find((r) => r.row.id === "b:alpha")?.outcome).toBe("synced");
    expect(bundleOf("alpha")?.videos.map((v) => v.status)).toEqual(["published", "pending"]);
  });

  it("a file shared by two bundles is uploaded once per bundle (storage paths belong to their bundle)", async () => {
    const clip = file("shared.mp4", 100);
    const plan = planOf([
      coldBundle({ ref: "alpha", row: 2, videos: [{ ref: "v1", media: { video_url: clip } }] }),
      coldBundle({ ref: "beta", row: 3, videos: [{ ref: "v1", media: { video_url: clip } }] }),
    ]);
    const start = logStart();
    await applyReport(plan, client(), noBudget);

    expect(opsSince(start).filter((o) => o === "uploadVideoDirect")).toHaveLength(2);
    const uploads = Object.values(emu.state().uploads);
    expect(new Set(uploads.map((u) => u.bundle_id))).toEqual(
      new Set([bundleOf("alpha")?.id, bundleOf("beta")?.id]),
    );
  });
});

describe("TokPortal refusing an upload", () => {
  it("fails only the rows using that file, in TokPortal's words", async () => {
    emu.setFaults({
      rules: [{ operationId: "uploadVideoDirect", action: "status", status: 503, always: true }],
    });
    const clip = file("clip.mp4", 100);
    const plan = planOf([
      coldBundle({ ref: "alpha", videos: [{ ref: "v1", media: { video_url: clip } }, { ref: "v2" }] }),
    ]);
    const report = await applyReport(plan, client(), noBudget);
    emu.setFaults({});

    const bad = report.rows.find((r) => r.row.id === "v:alpha/v1")!;
    expect(bad.outcome).toBe("error");
    expectFinding(bad, "upload_failed", "video_url", {
      file: "clip.mp4",
      reason: "TokPortal did not answer (HTTP 503); the next run retries",
    });
    expect(report.rows.find((r) => r.row.id === "v:alpha/v2")?.outcome).toBe("synced");
    expect(bundleOf("alpha")?.videos.map((v) => v.status)).toEqual(["pending", "published"]);
  });
});

describe("a profile picture that cannot be uploaded", () => {
  it("fails the bundles row naming profile_picture; the bundle's later steps wait for it", async () => {
    const missing: MediaValue = { kind: "file", path: path.join(dir, "face.png"), sizeBytes: 1, mtimeMs: 0 };
    const start = logStart();
    const report = await applyReport(
      planOf([coldBundle({ ref: "alpha", profilePicture: missing })]),
      client(),
      noBudget,
    );

    expect(opsSince(start)).toEqual(["createBundle"]);
    const b = report.rows.find((r) => r.row.id === "b:alpha")!;
    expect(b.outcome).toBe("error");
    expectFinding(b, "upload_failed", "profile_picture", {
      step: "configureAccount",
      file: "face.png",
      reason: MISSING,
    });
    expect(b.values.bundle_id).toBe(bundleOf("alpha")?.id);
    expect(report.ops["alpha:configureVideos"]?.status).toBe("skipped");
  });
});

describe("MediaUploader", () => {
  it("concurrent requests for one file share a single upload; URLs pass through untouched", async () => {
    const made = await emu.api("POST", "/bundles", {
      body: { bundle_type: "account_and_videos", country: "USA", videos_quantity: 1 },
    });
    const bundleId: string = made.body.data.id;
    const uploader = new MediaUploader(client(), { prefix: PREFIX });
    const clip = file("same.mp4", 300);
    const start = logStart();

    const urls = await Promise.all([
      uploader.resolve(clip, "video", bundleId, "alpha"),
      uploader.resolve(clip, "video", bundleId, "alpha"),
      uploader.resolve({ ...clip }, "video", bundleId, "alpha"),
      uploader.resolve({ kind: "url", value: "https://x.example/a.mp4" }, "video", bundleId, "alpha"),
    ]);

    expect(opsSince(start)).toEqual(["uploadVideoDirect"]);
    expect(new Set(urls.slice(0, 3)).size).toBe(1);
    expect(urls[3]).toBe("https://x.example/a.mp4");
    expect(uploader.stats).toEqual({ direct: 1, presigned: 0, fromUrl: 0, shared: 2 });
  });

  it("a carousel image URL is stored once per bundle in a run, under a replayable key; a profile URL is sent as is", async () => {
    const made = await emu.api("POST", "/bundles", {
      body: { bundle_type: "account_and_videos", country: "USA", videos_quantity: 1 },
    });
    const bundleId: string = made.body.data.id;
    const url = { kind: "url" as const, value: "https://x.example/slide.jpg" };
    const start = logStart();
    const first = new MediaUploader(client(), { prefix: PREFIX });
    const paths = await Promise.all([
      first.resolve(url, "carousel", bundleId, "alpha"),
      first.resolve({ ...url }, "carousel", bundleId, "alpha"),
      first.resolve(url, "profile_picture", bundleId, "alpha"),
    ]);
    expect(opsSince(start)).toEqual(["uploadImageFromUrl"]);
    expect(paths[0]).toBe(paths[1]);
    expect(paths[0]).not.toMatch(/^https?:/);
    expect(paths[2]).toBe(url.value);
    expect(first.stats).toMatchObject({ fromUrl: 1, shared: 1 });
    // Another run (a crash before the write-back) replays the stored answer: the same path, no new upload.
    const uploads = Object.keys(emu.state().uploads).length;
    const again = await new MediaUploader(client(), { prefix: PREFIX }).resolve(
      url,
      "carousel",
      bundleId,
      "alpha",
    );
    expect(again).toBe(paths[0]);
    expect(Object.keys(emu.state().uploads)).toHaveLength(uploads);
  });

  it("refuses a file of the wrong kind or an unknown type before any call", async () => {
    const uploader = new MediaUploader(client(), { prefix: PREFIX });
    const start = logStart();
    await expect(uploader.resolve(file("doc.pdf", 10), "video", "b", "alpha")).rejects.toThrow(
      /could not upload doc\.pdf: TokPortal does not take \.pdf files/,
    );
    await expect(uploader.resolve(file("pic.png", 10), "video", "b", "alpha")).rejects.toThrow(
      /could not upload pic\.png: it is not a video/,
    );
    expect(emu.requestLog(start)).toHaveLength(0);
    expect(contentTypeOf("A.JPEG")).toBe("image/jpeg");
    expect(contentTypeOf("clip.MOV")).toBe("video/quicktime");
    expect(contentTypeOf("x.gif")).toBe("image/gif");
    expect(contentTypeOf("x.webp")).toBe("image/webp");
  });
});
