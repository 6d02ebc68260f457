/** The fields spec/overlay.yaml adds: stored, shown back, their rules enforced and priced (docs/tokportal-api.md §5, §7). */
import { describe, expect, test } from "vitest";
import { sharedEmulator } from "../support/emulator.ts";
import { balance, createBundle, D3, D4, videoBody } from "./bundles.fixtures.ts";

const STORY = { video_type: "story", target_publish_date: D3, story_image_url: "https://example.com/s.jpg" };

describe("overlay fields in the sandbox", () => {
  const emu = sharedEmulator();

  test("a story: exactly one of video_url or story_image_url, no description; repost options paid once", async () => {
    const id = await createBundle(emu);
    const both = await emu.api("PUT", `/bundles/${id}/videos/1`, {
      body: { ...STORY, video_url: "https://example.com/v.mp4" },
    });
    expect(both.status).toBe(400);
    const neither = await emu.api("PUT", `/bundles/${id}/videos/1`, {
      body: { video_type: "story", target_publish_date: D3 },
    });
    expect(neither.status).toBe(400);
    const described = await emu.api("PUT", `/bundles/${id}/videos/1`, {
      body: { ...STORY, description: "hi" },
    });
    expect(described.status).toBe(400);
    expect(described.body.error.details.field).toBe("description");

    const before = await balance(emu);
    const body = {
      ...STORY,
      story_repost_url: "https://www.tiktok.com/@a/video/1",
      instant_repost_as_story: true,
      ai_content_disclaimer: true,
      disclose_as_ads: true,
    };
    const ok = await emu.api("PUT", `/bundles/${id}/videos/1`, { body });
    expect(ok.status).toBe(200);
    expect(ok.body.credits_charged).toBe(2);
    expect(await balance(emu)).toBe(before - 2);
    const again = await emu.api("PUT", `/bundles/${id}/videos/1`, { body });
    expect(again.body.credits_charged).toBe(0);
    const view = (await emu.api("GET", `/bundles/${id}/videos/1`)).body.data;
    expect(view).toMatchObject({
      video_type: "story",
      story_image_url: "https://example.com/s.jpg",
      story_repost_url: "https://www.tiktok.com/@a/video/1",
      instant_repost_as_story: true,
      ai_content_disclaimer: true,
      disclose_as_ads: true,
      description: null,
    });
  });

  test("disclosures are free", async () => {
    const id = await createBundle(emu);
    const res = await emu.api("PUT", `/bundles/${id}/videos/1`, {
      body: videoBody(D3, { ai_content_disclaimer: true, disclose_as_ads: true }),
    });
    expect(res.status).toBe(200);
    expect(res.body.credits_charged).toBe(0);
  });

  test("advanced warming: 5 per term at create, shown on the bundle; its rules", async () => {
    const before = await balance(emu);
    const terms = ["street style", "nyc fashion", "ootd", "thrift", "sneakers", "vintage"];
    const res = await emu.api("POST", "/bundles", {
      body: {
        bundle_type: "account_only",
        country: "USA",
        wants_advanced_warming: true,
        advanced_warming_terms: terms,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.cost_breakdown.advanced_warming).toBe(30);
    expect(await balance(emu)).toBe(before - 32 - 30);
    const bundle = (await emu.api("GET", `/bundles/${res.body.data.id}`)).body.data;
    expect(bundle).toMatchObject({
      wants_advanced_warming: true,
      advanced_warming_terms_count: 6,
      advanced_warming_terms: terms,
    });
    const counted = await emu.api("POST", "/bundles", {
      body: {
        bundle_type: "account_only",
        country: "USA",
        wants_advanced_warming: true,
        advanced_warming_terms_count: 9,
      },
    });
    expect(counted.body.cost_breakdown.advanced_warming).toBe(45);

    const refused = async (extra: Record<string, unknown>) =>
      (await emu.api("POST", "/bundles", { body: { bundle_type: "account_only", country: "USA", ...extra } }))
        .body.error?.code;
    expect(await refused({ wants_advanced_warming: true, advanced_warming_terms: terms.slice(0, 4) })).toBe(
      "ADVANCED_WARMING_TERMS",
    );
    expect(
      await refused({
        wants_niche_warming: true,
        wants_advanced_warming: true,
        advanced_warming_terms_count: 3,
      }),
    ).toBe("WARMING_CONFLICT");
    expect(await refused({ wants_deep_warming: true })).toBe("DEEP_WARMING_DEPRECATED");
    expect(await refused({ advanced_warming_terms: ["a", "bb", "cc"] })).toBe("VALIDATION_ERROR");
    expect(await balance(emu)).toBe(before - 62 - 77);
  });

  test("PATCH a video's description and date: lead time and per-day cap, nothing written on a refusal", async () => {
    const id = await createBundle(emu, { videos_quantity: 5 });
    for (const pos of [1, 2, 3, 4]) {
      expect(
        (await emu.api("PUT", `/bundles/${id}/videos/${pos}`, { body: videoBody(pos < 4 ? D3 : D4) })).status,
      ).toBe(200);
    }
    const patched = await emu.api("PATCH", `/bundles/${id}/videos/4`, {
      body: { description: "New words", target_publish_date: "2026-09-10" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      description: "New words",
      target_publish_date: "2026-09-10",
      target_publish_end_date: "2026-09-11",
    });

    const soon = await emu.api("PATCH", `/bundles/${id}/videos/4`, {
      body: { description: "Other", target_publish_date: "2026-09-02" },
    });
    expect(soon.body.error.code).toBe("INVALID_DATE");
    const full = await emu.api("PATCH", `/bundles/${id}/videos/4`, { body: { target_publish_date: D3 } });
    expect(full.body.error.code).toBe("VIDEOS_PER_DAY_EXCEEDED");
    const view = (await emu.api("GET", `/bundles/${id}/videos/4`)).body.data;
    expect(view).toMatchObject({ description: "New words", target_publish_date: "2026-09-10" });
    // A slot keeps its own date without counting against itself.
    expect(
      (await emu.api("PATCH", `/bundles/${id}/videos/1`, { body: { target_publish_date: D3 } })).status,
    ).toBe(200);
  });
});
