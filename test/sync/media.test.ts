import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyMedia } from "../../src/sync/media.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "media-test-"));
  mkdirSync(path.join(dir, "clips"));
  writeFileSync(path.join(dir, "clips", "a.mp4"), Buffer.alloc(1234));
  writeFileSync(path.join(dir, "photo.jpg"), Buffer.alloc(10));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("classifyMedia", () => {
  it("takes http and https URLs as they are", () => {
    expect(classifyMedia("https://example.com/a.mp4", dir, "video")).toEqual({
      ok: true,
      value: { kind: "url", value: "https://example.com/a.mp4" },
    });
    expect(classifyMedia(" HTTP://example.com/a.jpg ", dir, "image")).toEqual({
      ok: true,
      value: { kind: "url", value: "HTTP://example.com/a.jpg" },
    });
  });

  it("resolves a relative path against baseDir to an existing file, with its size", () => {
    expect(classifyMedia("clips/a.mp4", dir, "video")).toEqual({
      ok: true,
      value: {
        kind: "file",
        path: path.join(dir, "clips", "a.mp4"),
        sizeBytes: 1234,
        mtimeMs: expect.any(Number),
      },
    });
  });

  it("accepts absolute paths and file:// URLs", () => {
    const abs = path.join(dir, "photo.jpg");
    expect(classifyMedia(abs, "/nowhere", "image")).toEqual({
      ok: true,
      value: { kind: "file", path: abs, sizeBytes: 10, mtimeMs: expect.any(Number) },
    });
    expect(classifyMedia(pathToFileURL(abs).href, "/nowhere", "image")).toEqual({
      ok: true,
      value: { kind: "file", path: abs, sizeBytes: 10, mtimeMs: expect.any(Number) },
    });
  });

  it("takes a storage path for images only", () => {
    const storage = "carousel-images/org_1/b/photo.jpg";
    expect(classifyMedia(storage, dir, "image")).toEqual({
      ok: true,
      value: { kind: "storage", value: storage },
    });
    const video = classifyMedia(storage, dir, "video");
    expect(video.ok).toBe(false);
  });

  it("a path under a local directory is local, never a storage path", () => {
    const r = classifyMedia("clips/typo.jpg", dir, "image");
    expect(r).toEqual({ ok: false, value: "clips/typo.jpg", looked: path.join(dir, "clips") });
  });

  it("a local file wins over a storage-looking path", () => {
    const r = classifyMedia("clips/a.mp4", dir, "image");
    expect(r).toMatchObject({ ok: true, value: { kind: "file" } });
  });

  it("refuses what is neither a URL nor an existing file, saying where it looked", () => {
    const r = classifyMedia("clips/missing.mp4", dir, "video");
    expect(r).toEqual({ ok: false, value: "clips/missing.mp4", looked: path.join(dir, "clips") });
    for (const cell of [
      "clips",
      "ftp://example.com/a.jpg",
      "/abs/missing.jpg",
      "../up/a.jpg",
      "~/photo.jpg",
      "photo",
    ]) {
      const img = classifyMedia(cell, dir, "image");
      expect(img, cell).toMatchObject({ ok: false, value: cell });
    }
    // A file:// URL to nothing is an error too, never a storage path.
    expect(classifyMedia(pathToFileURL(path.join(dir, "x/y.jpg")).href, dir, "image").ok).toBe(false);
  });

  it("does not expand ~", () => {
    const r = classifyMedia("~/clips/a.mp4", dir, "video");
    expect(r).toEqual({ ok: false, value: "~/clips/a.mp4", looked: path.join(dir, "~", "clips") });
  });
});
