/**
 * spec/overlay.yaml: the fields TokPortal takes that the published contract lacks are accepted by the
 * compiled validators (the client's checks and the sandbox's), and everything else the contract refused is
 * still refused.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSpec, SPEC_PATH } from "../../src/api/spec.ts";
import { applyOverlay, loadOverlay, parseOverlay } from "../../src/api/spec-overlay.ts";

const spec = loadSpec();
const published = loadSpec(SPEC_PATH, null);
const date = { target_publish_date: "2027-03-01" };
const video = { video_type: "video", description: "x", video_url: "https://cdn.example/v.mp4", ...date };
const fields = (r: { issues: Array<{ field: string; kind: string }> }) => r.issues.map((i) => i.field);

describe("the spec overlay", () => {
  it("names a source for every change", () => {
    for (const c of loadOverlay().changes) {
      expect(c.source.length, c.fact).toBeGreaterThan(20);
      expect(c.source, c.fact).toMatch(/docs\/tokportal-api\.md/);
    }
  });

  it("leaves the vendored spec file as published", () => {
    expect(readFileSync(SPEC_PATH, "utf8")).not.toContain("story_image_url");
    expect(published.validateBody("configureBundleVideo", { ...video, disclose_as_ads: true }).ok).toBe(
      false,
    );
  });

  const newVideoFields: Array<[string, unknown]> = [
    ["ai_content_disclaimer", true],
    ["disclose_as_ads", false],
    ["instant_repost_as_story", true],
  ];

  it.each(newVideoFields)("accepts %s on a configure and in a batch item", (field, value) => {
    expect(spec.validateBody("configureBundleVideo", { ...video, [field]: value })).toEqual({
      ok: true,
      issues: [],
    });
    const batch = { videos: [{ position: 1, ...video, [field]: value }] };
    expect(spec.validateBody("batchConfigureBundleVideos", batch).ok).toBe(true);
    // Typed as the facts say.
    expect(fields(spec.validateBody("configureBundleVideo", { ...video, [field]: "yes" }))).toEqual([field]);
  });

  it("accepts story videos: an image or a video, with an optional repost, and no description", () => {
    const image = { video_type: "story", story_image_url: "story-images/org/b/s.jpg", ...date };
    expect(spec.validateBody("configureBundleVideo", image).ok).toBe(true);
    const clip = { video_type: "story", video_url: "https://cdn.example/s.mp4", ...date };
    expect(spec.validateBody("configureBundleVideo", clip).ok).toBe(true);
    const repost = { ...image, story_repost_url: "https://www.tiktok.com/@a/video/1" };
    expect(spec.validateBody("batchConfigureBundleVideos", { videos: [{ position: 2, ...repost }] }).ok).toBe(
      true,
    );
    // Exactly one of the two media.
    const neither = spec.validateBody("configureBundleVideo", { video_type: "story", ...date });
    expect(neither.ok).toBe(false);
    const both = spec.validateBody("configureBundleVideo", { ...image, video_url: clip.video_url });
    expect(both.ok).toBe(false);
    expect(
      fields(spec.validateBody("configureBundleVideo", { ...image, story_repost_url: "not a url" })),
    ).toEqual(["story_repost_url"]);
  });

  it("still requires a description on videos and carousels", () => {
    const { description: _d, ...bare } = video;
    expect(fields(spec.validateBody("configureBundleVideo", bare))).toEqual(["description"]);
    expect(
      fields(spec.validateBody("batchConfigureBundleVideos", { videos: [{ position: 1, ...bare }] })),
    ).toEqual(["videos.0.description"]);
  });

  it("accepts advanced warming on a new bundle, within its limits", () => {
    const order = { bundle_type: "account_and_videos", country: "USA", videos_quantity: 3 };
    const terms = ["fitness", "gym tips", "protein"];
    expect(
      spec.validateBody("createBundle", {
        ...order,
        wants_advanced_warming: true,
        advanced_warming_terms: terms,
      }).ok,
    ).toBe(true);
    expect(
      spec.validateBody("createBundle", {
        ...order,
        wants_advanced_warming: true,
        advanced_warming_terms_count: 9,
      }).ok,
    ).toBe(true);
    expect(fields(spec.validateBody("createBundle", { ...order, advanced_warming_terms_count: 4 }))).toEqual([
      "advanced_warming_terms_count",
    ]);
    expect(
      fields(spec.validateBody("createBundle", { ...order, advanced_warming_terms: ["a", "bb", "cc"] })),
    ).toEqual(["advanced_warming_terms.0"]);
  });

  it("accepts description and target_publish_date on the video PATCH", () => {
    expect(spec.validateBody("patchBundleVideo", { description: "new words" }).ok).toBe(true);
    expect(spec.validateBody("patchBundleVideo", { target_publish_date: "2027-03-04" }).ok).toBe(true);
    expect(fields(spec.validateBody("patchBundleVideo", { target_publish_date: "soon" }))).toEqual([
      "target_publish_date",
    ]);
  });

  it("still refuses an unknown field where the contract did", () => {
    const unknown = (r: { issues: Array<{ field: string; kind: string }> }) =>
      r.issues.filter((i) => i.kind === "unknown_field").map((i) => i.field);
    expect(
      unknown(spec.validateBody("configureBundleVideo", { ...video, target_publish_end_date: "x" })),
    ).toEqual(["target_publish_end_date"]);
    expect(
      unknown(
        spec.validateBody("batchConfigureBundleVideos", { videos: [{ position: 1, ...video, bogus: 1 }] }),
      ),
    ).toEqual(["videos.0.bogus"]);
    expect(
      unknown(spec.validateBody("createBundle", { bundle_type: "account_only", warming: true })),
    ).toEqual(["warming"]);
    expect(unknown(spec.validateBody("patchBundleVideo", { target_publish_end_date: "2027-03-05" }))).toEqual(
      ["target_publish_end_date"],
    );
  });

  it("refuses an overlay that would redefine what the contract has, or names no source", () => {
    const contract = { components: { schemas: { A: { type: "object", properties: { x: {} } } } } };
    const change = { fact: "f", source: "docs/tokportal-api.md, somewhere", at: ["/components/schemas/A"] };
    expect(() => applyOverlay(contract, { changes: [{ ...change, properties: { x: {} } }] })).toThrow(
      /already has x/,
    );
    expect(() => applyOverlay(contract, { changes: [{ ...change, at: ["/components/schemas/B"] }] })).toThrow(
      /nothing at/,
    );
    expect(() => parseOverlay("changes:\n  - fact: f\n    at: [/a]\n")).toThrow(/no `source`/);
    // The input is left as it was.
    applyOverlay(contract, { changes: [{ ...change, properties: { y: {} } }] });
    expect(Object.keys(contract.components.schemas.A.properties)).toEqual(["x"]);
  });
});
