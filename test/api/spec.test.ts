import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadSpec,
  type ParsedSpecFile,
  parsedSpecFile,
  SENSITIVE_OPERATIONS,
  SPEC_JSON_PATH,
} from "../../src/api/spec.ts";

const item = { video_type: "video", description: "x", target_publish_date: "2027-03-01" };
const storagePath = "carousel-images/org_1/b-1/photo-123456.jpg";

describe("the vendored TokPortal spec", () => {
  const spec = loadSpec();

  it("lists every operation with its method and path", () => {
    expect(spec.version).toBe("2026-05-25");
    expect(spec.operations.size).toBe(78);
    expect(spec.operation("batchConfigureBundleVideos")).toMatchObject({
      method: "PUT",
      path: "/bundles/{id}/videos/batch",
      bodyContentType: "application/json",
    });
    expect(spec.operation("listWebhookEvents").public).toBe(true);
    expect(spec.operation("listBundles").public).toBe(false);
    for (const id of SENSITIVE_OPERATIONS) expect(spec.operations.has(id)).toBe(true);
  });

  it("names an unknown field separately from other violations", () => {
    const result = spec.validateBody("configureBundleVideo", {
      video_type: "video",
      description: "",
      target_publish_date: "2026-01-01",
      target_publish_end_date: "2026-01-02",
    });
    expect(result.ok).toBe(false);
    expect(result.issues).toContainEqual(
      expect.objectContaining({ kind: "unknown_field", field: "target_publish_end_date" }),
    );
    expect(result.issues).toContainEqual(expect.objectContaining({ kind: "invalid", field: "description" }));
  });

  it("accepts a valid body and checks nested batch items by position", () => {
    expect(spec.validateBody("createBundle", { bundle_type: "account_and_videos", country: "USA" }).ok).toBe(
      true,
    );
    const bad = spec.validateBody("batchConfigureBundleVideos", {
      videos: [{ position: 1, video_type: "video", description: "x", target_publish_date: "tomorrow" }],
    });
    expect(bad.issues.map((i) => i.field)).toContain("videos.0.target_publish_date");
  });

  it("checks query strings against typed parameters, repeated keys included", () => {
    expect(spec.validateQuery("listBundles", { page: "2", per_page: "100" }).ok).toBe(true);
    const bad = spec.validateQuery("listBundles", { per_page: "500", platform: ["tiktok", "myspace"] });
    expect(bad.issues.map((i) => i.field).sort()).toEqual(["per_page", "platform"]);
  });

  it("takes a batch item's position with the configure fields (object-only allOf merged)", () => {
    const ok = spec.validateBody("batchConfigureBundleVideos", { videos: [{ position: 1, ...item }] });
    expect(ok).toEqual({ ok: true, issues: [] });
    const fields = (videos: unknown[]) =>
      spec.validateBody("batchConfigureBundleVideos", { videos }).issues.map((i) => `${i.kind} ${i.field}`);
    // Still closed and still requiring what each branch required.
    expect(fields([{ position: 1, ...item, colour: "red" }])).toEqual(["unknown_field videos.0.colour"]);
    expect(fields([item])).toEqual(["invalid videos.0.position"]);
    expect(fields([{ position: 0, ...item }])).toEqual(["invalid videos.0.position"]);
    expect(fields([{ position: 2, video_type: "video", target_publish_date: "2027-03-01" }])).toEqual([
      "invalid videos.0.description",
    ]);
  });

  it("takes image storage paths in carousel_images, but not empty ones nor too many", () => {
    const carousel = { video_type: "carousel", description: "x", target_publish_date: "2027-03-01" };
    const images = (carousel_images: string[]) =>
      spec.validateBody("configureBundleVideo", { ...carousel, carousel_images }).issues.map((i) => i.field);
    expect(images([storagePath, "https://example.com/a.jpg"])).toEqual([]);
    expect(images([""])).toEqual(["carousel_images.0"]);
    expect(images(Array.from({ length: 21 }, () => storagePath))).toEqual(["carousel_images"]);
    expect(images([])).toEqual(["carousel_images"]);
    const batch = spec.validateBody("batchConfigureBundleVideos", {
      videos: [{ position: 1, ...carousel, carousel_images: [storagePath] }],
    });
    expect(batch.ok).toBe(true);
    // Other URI fields keep their format.
    const url = spec.validateBody("configureBundleVideo", { ...item, video_url: storagePath });
    expect(url.issues.map((i) => i.field)).toEqual(["video_url"]);
  });

  it("keeps every branch's constraint when merged branches describe the same property", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "spec-"));
    try {
      const file = path.join(dir, "spec.yaml");
      const branch = (code: object, extra: object) => ({
        type: "object",
        required: ["code"],
        properties: { code: code, ...extra },
        additionalProperties: false,
      });
      const merged = {
        allOf: [
          branch({ type: "string", maxLength: 3 }, {}),
          branch({ type: "string", pattern: "^[A-Z]+$" }, { n: { type: "integer" } }),
        ],
      };
      // Not merged: a $ref branch (merging would drop what it refers to), checked branch by branch.
      const unmerged = { allOf: [{ $ref: "#/components/schemas/Merged" }, { type: "object" }] };
      writeFileSync(
        file,
        JSON.stringify({
          info: { version: "t" },
          paths: {},
          components: { schemas: { Merged: merged, Unmerged: unmerged } },
        }),
      );
      const custom = loadSpec(file);
      expect(custom.validateSchema("Merged", { code: "AB", n: 1 }).ok).toBe(true);
      expect(custom.validateSchema("Merged", { code: "ab" }).issues.map((i) => i.field)).toEqual(["code"]);
      expect(custom.validateSchema("Merged", { code: "ABCD" }).issues.map((i) => i.field)).toEqual(["code"]);
      expect(custom.validateSchema("Merged", { code: "AB", x: 1 }).issues.map((i) => i.kind)).toEqual([
        "unknown_field",
      ]);
      expect(custom.validateSchema("Unmerged", { code: "AB", n: 1 }).ok).toBe(true);
      expect(custom.validateSchema("Unmerged", { code: "ab" }).ok).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("spec/tokportal-openapi.json", () => {
  it("is the vendored YAML's parsed form and the overlay's, made from the YAML as it is now (npm run gen:types rewrites it)", () => {
    const kept = JSON.parse(readFileSync(SPEC_JSON_PATH, "utf8")) as ParsedSpecFile;
    const fresh = parsedSpecFile();
    expect(kept.source_sha256).toBe(fresh.source_sha256);
    expect(kept.document).toEqual(fresh.document);
    // spec/overlay.yaml's parsed form, kept in the same file.
    expect(kept.overlay).toEqual(fresh.overlay);
  });
});
