/**
 * End to end, carousel images given as URLs: `carousel_images` take upload storage paths, so each distinct
 * image is stored once per bundle in a run (`POST /upload/image/from-url`, purpose carousel) and its storage
 * path is sent; the sandbox refuses anything else, and a rerun of unchanged rows uploads nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editCsv, readCsvRows, syncCsv, writeCampaign } from "../support/campaign.ts";
import { sharedEmulator } from "../support/emulator.ts";

const emu = sharedEmulator();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "e2e-carousel-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const mark = (): number => (emu.requestLog().at(-1)?.index ?? -1) + 1;
const writes = (since: number): string[] =>
  emu
    .requestLog(since)
    .filter((e) => WRITES.has(e.method))
    .map((e) => e.operationId ?? `${e.method} ${e.path}`)
    .sort();
const bundleOf = (ref: string) =>
  Object.values(emu.state().bundles).find((b) => b.external_ref === `t-${ref}`)!;

const A = "https://cdn.example.com/slides/a.jpg";
const B = "https://cdn.example.com/slides/b.png";
const C = "https://cdn.example.com/slides/c.webp";

function carousel(images: string[]) {
  return {
    video_type: "carousel",
    video_url: "",
    carousel_images: images.join(";"),
    tiktok_sound_url: "https://www.tiktok.com/music/spring-123",
  };
}

describe("carousel images given as URLs", () => {
  it("are each stored once per bundle and sent as storage paths; a rerun uploads nothing", async () => {
    const files = writeCampaign(dir, { bundles: 2, videosPerBundle: 2 });
    // Bundle c01 shares image A between its two carousels; c02 uses A too (its own upload: paths are per bundle).
    const slides: Record<string, string[]> = {
      "c01-v1": [A, B],
      "c01-v2": [A, C],
      "c02-v1": [A],
    };
    editCsv(files.videosPath, (rows) =>
      rows.map((r) => (slides[r["video_ref"]!] ? { ...r, ...carousel(slides[r["video_ref"]!]!) } : r)),
    );
    const since = mark();
    const report = await syncCsv(emu, files);

    expect(report.counts).toEqual({ synced: 6, pending: 0, locked: 0, error: 0, skipped: 0 });
    const ops = writes(since);
    // c01: A, B, C; c02: A.
    expect(ops.filter((o) => o === "uploadImageFromUrl")).toHaveLength(4);
    const uploads = Object.values(emu.state().uploads);
    const pathOf = (ref: string, url: string) =>
      uploads.find((u) => u.bundle_id === bundleOf(ref).id && u.source_url === url)?.storage_path;
    expect(uploads.every((u) => u.purpose === "carousel")).toBe(true);
    const c01 = bundleOf("c01").videos;
    expect(c01[0]?.carousel_images).toEqual([pathOf("c01", A), pathOf("c01", B)]);
    expect(c01[1]?.carousel_images).toEqual([pathOf("c01", A), pathOf("c01", C)]);
    expect(bundleOf("c02").videos[0]?.carousel_images).toEqual([pathOf("c02", A)]);
    expect(pathOf("c01", A)).not.toBe(pathOf("c02", A));
    for (const slot of [...c01, ...bundleOf("c02").videos]) expect(slot.status).toBe("published");

    const again = mark();
    const rerun = await syncCsv(emu, files);
    expect(writes(again)).toEqual([]);
    expect(rerun.counts.synced).toBe(6);
    // The sheet keeps the URLs the user wrote.
    const row = readCsvRows(files.videosPath).find((r) => r["video_ref"] === "c01-v1");
    expect(row?.["carousel_images"]).toBe(`${A};${B}`);
  });

  it("an edited carousel fetches its images afresh, once each (what is behind a URL may have changed)", async () => {
    const files = writeCampaign(dir, { bundles: 1, videosPerBundle: 1, publish: false });
    editCsv(files.videosPath, (rows) => rows.map((r) => ({ ...r, ...carousel([A, B]) })));
    await syncCsv(emu, files);
    editCsv(files.videosPath, (rows) => rows.map((r) => ({ ...r, ...carousel([A, C]) })));
    const since = mark();
    const report = await syncCsv(emu, files);
    expect(report.counts).toMatchObject({ synced: 2, error: 0 });
    // Each image of the edited row is stored once in this run, under this run's key: an earlier run's
    // answer (an old image, or a refusal TokPortal kept) is never replayed for it.
    const log = emu.requestLog(since).filter((e) => e.operationId === "uploadImageFromUrl");
    expect(log).toHaveLength(2);
    expect(log.every((e) => !e.replayed)).toBe(true);
    const sources = Object.values(emu.state().uploads).map((u) => u.source_url);
    expect(sources.sort()).toEqual([A, A, B, C].sort());
    expect(bundleOf("c01").videos[0]?.carousel_images).toHaveLength(2);
  });
});
