import { describe, expect, it } from "vitest";
import { loadSpec, SENSITIVE_OPERATIONS } from "../../src/api/spec.ts";

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
});
