import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import { TokPortalError } from "../../src/api/errors.ts";
import { renderFinding } from "../../src/findings/index.ts";
import { CsvSource, coerceCampaign } from "../../src/sources/index.ts";
import type { SheetRow, TableName } from "../../src/sources/types.ts";
import { describeCode, describeError } from "../../src/sync/apply-errors.ts";
import { buildDesired } from "../../src/sync/desired.ts";
import { planSync } from "../../src/sync/plan.ts";
import { bundleRowRef, rowRefOf, videoRowRef } from "../../src/sync/rows.ts";
import type { DesiredOptions, DesiredState, RowDefaults, RowIssue } from "../../src/sync/types.ts";
import { startTestEmulator } from "../support/emulator.ts";
import { expectFinding } from "../support/findings.ts";
import { actualState, planOptions, remoteBundle } from "./support/builders.ts";

type Cells = Record<string, string>;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "desired-test-"));
  mkdirSync(path.join(dir, "media"));
  writeFileSync(path.join(dir, "media", "clip.mp4"), Buffer.alloc(2048));
  writeFileSync(path.join(dir, "media", "one.jpg"), Buffer.alloc(300));
  writeFileSync(path.join(dir, "media", "avatar.png"), Buffer.alloc(50));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEFAULTS: RowDefaults = { platform: "tiktok", bundle_type: "account_and_videos", publish: false };
const opts = (o: Partial<DesiredOptions> = {}): DesiredOptions => ({
  prefix: "t-",
  defaults: DEFAULTS,
  baseDir: dir,
  ...o,
});

const rowsOf = (table: TableName, rows: Cells[]): SheetRow[] =>
  rows.map((cells, i) => ({ table, rowNumber: i + 2, cells }));

/** Bundles rows start at row 2, videos rows at row 2 of their own table. */
function desired(bundles: Cells[] | null, videos: Cells[], o?: Partial<DesiredOptions>): DesiredState {
  const campaign = coerceCampaign({
    bundles: bundles === null ? null : rowsOf("bundles", bundles),
    videos: rowsOf("videos", videos),
    problems: [],
  });
  return buildDesired(campaign, opts(o));
}

const B = (cells: Cells = {}): Cells => ({ bundle_ref: "b1", country: "USA", ...cells });
const V = (n: number, cells: Cells = {}): Cells => ({
  video_ref: `v${n}`,
  bundle_ref: "b1",
  description: `video ${n}`,
  target_publish_date: `2027-03-0${n}`,
  video_url: `https://example.com/v${n}.mp4`,
  ...cells,
});

function issueOn(state: DesiredState, id: string, column?: string): RowIssue {
  const found = state.issues.find((i) => i.row.id === id && (column === undefined || i.column === column));
  if (!found) throw new Error(`no issue on ${id} ${column ?? ""}: ${JSON.stringify(state.issues, null, 1)}`);
  return found;
}

describe("rows.ts", () => {
  it("names bundles, videos, single-table bundles and rows without refs", () => {
    const c = coerceCampaign({
      bundles: rowsOf("bundles", [B(), { country: "USA" }]),
      videos: rowsOf("videos", [V(1), { bundle_ref: "b1", description: "no ref" }]),
      problems: [],
    });
    expect(bundleRowRef(c.bundles[0]!)).toEqual({
      id: "b:b1",
      table: "bundles",
      rowNumbers: [2],
      key: { table: "bundles", bundleRef: "b1" },
    });
    expect(bundleRowRef(c.bundles[1]!)).toEqual({
      id: "row:bundles:3",
      table: "bundles",
      rowNumbers: [3],
      key: { table: "bundles", rowNumber: 3 },
    });
    expect(videoRowRef(c.videos[0]!)).toEqual({
      id: "v:b1/v1",
      table: "videos",
      rowNumbers: [2],
      key: { table: "videos", bundleRef: "b1", videoRef: "v1" },
    });
    expect(rowRefOf(c.videos[1]!).id).toBe("row:videos:3");

    const single = coerceCampaign({ bundles: null, videos: rowsOf("videos", [V(1), V(2)]), problems: [] });
    const derived = single.bundles[0]!;
    expect(rowRefOf(derived)).toEqual({
      id: "b:b1",
      table: "videos",
      rowNumbers: [2, 3],
      key: { table: "bundles", bundleRef: "b1" },
    });
  });
});

describe("buildDesired: bundles", () => {
  it("builds the create body with defaults, prefix, slots, settings and a fingerprint", () => {
    const s = desired(
      [B({ title: "Launch", auto_finalize_videos: "no", publish: "yes", edit_slots: "1" })],
      [V(1), V(2)],
    );
    expect(s.issues).toEqual([]);
    expect(s.prefix).toBe("t-");
    const b = s.bundles.get("b1")!;
    expect(b.row?.id).toBe("b:b1");
    expect(b.externalRef).toBe("t-b1");
    expect(b.create).toEqual({
      bundle_type: "account_and_videos",
      platform: "tiktok",
      country: "USA",
      title: "Launch",
      auto_finalize_videos: false,
      external_ref: "t-b1",
      videos_quantity: 2,
      edits_quantity: 1,
    });
    expect(b.settings).toEqual({ title: "Launch", auto_finalize_videos: false });
    expect(b.account).toBeNull();
    expect(b.publish).toBe(true);
    expect(b.minSlots).toBe(0);
    expect(b.fingerprint).toMatch(/^v1-[0-9a-f]{16}$/);
    expect(b.videos.map((v) => v.videoRef)).toEqual(["v1", "v2"]);
    expect(s.bundleRefsWithoutRow).toEqual([]);
  });

  it("video_slots is a minimum: the larger of it and the valid video rows", () => {
    expect(desired([B({ video_slots: "5" })], [V(1)]).bundles.get("b1")!.create?.videos_quantity).toBe(5);
    const s = desired([B({ video_slots: "1" })], [V(1), V(2), V(3)]);
    expect(s.bundles.get("b1")!.create?.videos_quantity).toBe(3);
    expect(s.bundles.get("b1")!.minSlots).toBe(1);
    // An invalid video row does not count, and does not block the others.
    const bad = desired([B()], [V(1), V(2, { description: "" })]);
    expect(bad.bundles.get("b1")!.create?.videos_quantity).toBe(1);
    expect(issueOn(bad, "v:b1/v2", "description").code).toBe("description_missing");
  });

  it("account_only: no video slots, and its videos are refused", () => {
    const s = desired([B({ bundle_type: "account_only" })], [V(1)]);
    const b = s.bundles.get("b1")!;
    expect(b.create?.videos_quantity).toBe(0);
    expect(b.videos).toEqual([]);
    expectFinding(issueOn(s, "v:b1/v1", "bundle_ref"), "no_videos_on_account_only", "bundle_ref", {
      bundleRef: "b1",
      known: "sheet",
    });
    const slots = desired([B({ bundle_type: "account_only", video_slots: "2" })], []);
    expect(issueOn(slots, "b:b1", "video_slots").code).toBe("slots_on_account_only");
  });

  it("country is required unless videos_only", () => {
    const s = desired([B({ country: "" })], [V(1)]);
    expect(s.bundles.size).toBe(0);
    expect(issueOn(s, "b:b1", "country").code).toBe("country_missing");
    // Its video is blocked and says why.
    expect(issueOn(s, "v:b1/v1", "bundle_ref").code).toBe("bundle_has_errors");
  });

  it("videos_only needs a uuid account_id, takes no country, and sends platform only when stated", () => {
    const uuid = "9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c";
    const ok = desired([{ bundle_ref: "b1", bundle_type: "videos_only", account_id: uuid }], [V(1)]);
    expect(ok.issues).toEqual([]);
    expect(ok.bundles.get("b1")!.create).toEqual({
      bundle_type: "videos_only",
      account_id: uuid,
      external_ref: "t-b1",
      videos_quantity: 1,
    });
    expect(ok.bundles.get("b1")!.account).toBeNull();

    const missing = desired([{ bundle_ref: "b1", bundle_type: "videos_only" }], []);
    expect(issueOn(missing, "b:b1", "account_id").code).toBe("account_id_missing");
    const notUuid = desired([{ bundle_ref: "b1", bundle_type: "videos_only", account_id: "acc-1" }], []);
    expect(issueOn(notUuid, "b:b1", "account_id").code).toBe("account_id_invalid");
    const withCountry = desired([B({ bundle_type: "videos_only", account_id: uuid })], []);
    expect(issueOn(withCountry, "b:b1", "country").code).toBe("country_not_used");
  });

  it("account_id is refused on other bundle types", () => {
    const s = desired([B({ account_id: "9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c" })], []);
    expect(issueOn(s, "b:b1", "account_id").code).toBe("account_id_not_used");
  });

  it("edit_slots beyond the video slots refuses a create only (TokPortal's own count rules an existing bundle)", () => {
    const s = desired([B({ edit_slots: "3" })], [V(1), V(2)]);
    expect(s.issues).toEqual([]);
    expect(s.bundles.get("b1")?.createRefused).toEqual({
      code: "edit_slots_over_video_slots",
      column: "edit_slots",
      params: { editSlots: 3, videoSlots: 2, known: "sheet" },
    });
    expect(desired([B({ edit_slots: "3", video_slots: "3" })], [V(1)]).bundles.get("b1")?.createRefused).toBe(
      undefined,
    );
  });

  it("account profile: username and visible_name together, pattern, link_in_bio on Instagram only", () => {
    const full = desired(
      [
        B({
          platform: "instagram",
          username: "spring.daily_1",
          visible_name: "Spring Daily",
          biography: "Hello",
          profile_picture: "https://example.com/a.jpg",
          link_in_bio: "https://example.com/shop",
        }),
      ],
      [],
    );
    expect(full.issues).toEqual([]);
    expect(full.bundles.get("b1")!.account).toEqual({
      username: "spring.daily_1",
      visible_name: "Spring Daily",
      biography: "Hello",
      profile_picture_url: "https://example.com/a.jpg",
      link_in_bio: "https://example.com/shop",
    });
    expect(full.bundles.get("b1")!.profilePicture).toBeUndefined();

    const partial = desired([B({ biography: "Hello" })], []);
    expect(issueOn(partial, "b:b1", "username").code).toBe("profile_incomplete");
    expect(issueOn(partial, "b:b1", "visible_name").code).toBe("profile_incomplete");

    for (const bad of ["bad name", "ends.with.dot.", "é"]) {
      const s = desired([B({ username: bad, visible_name: "V" })], []);
      expect(issueOn(s, "b:b1", "username").code).toBe("username_invalid");
    }
    const tiktokLink = desired([B({ username: "u", visible_name: "V", link_in_bio: "https://x.y" })], []);
    expect(issueOn(tiktokLink, "b:b1", "link_in_bio").code).toBe("link_in_bio_not_instagram");
  });

  it("videos_only bundles take no account columns", () => {
    const s = desired(
      [
        {
          bundle_ref: "b1",
          bundle_type: "videos_only",
          account_id: "9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c",
          username: "u",
          biography: "b",
        },
      ],
      [],
    );
    expect(issueOn(s, "b:b1", "username").code).toBe("profile_on_videos_only");
    expect(issueOn(s, "b:b1", "biography").code).toBe("profile_on_videos_only");
  });

  it("profile_picture: a file is left for apply to upload, a storage path goes in the body, a bad path is an error", () => {
    const file = desired([B({ username: "u", visible_name: "V", profile_picture: "media/avatar.png" })], []);
    const b = file.bundles.get("b1")!;
    expect(b.profilePicture).toEqual({
      kind: "file",
      path: path.join(dir, "media", "avatar.png"),
      sizeBytes: 50,
      mtimeMs: expect.any(Number),
    });
    expect(b.account).toEqual({ username: "u", visible_name: "V" });

    const storage = desired(
      [B({ username: "u", visible_name: "V", profile_picture: "profile-pictures/o/a.jpg" })],
      [],
    );
    expect(storage.bundles.get("b1")!.account?.profile_picture_url).toBe("profile-pictures/o/a.jpg");

    const missing = desired([B({ username: "u", visible_name: "V", profile_picture: "media/none.png" })], []);
    expect(issueOn(missing, "b:b1", "profile_picture").code).toBe("media_unusable");
  });

  it("spec violations are row errors named by their column", () => {
    const shortCountry = desired([B({ country: "U" })], []);
    const i = issueOn(shortCountry, "b:b1", "country");
    expect(i).toMatchObject({
      code: "value_refused",
      params: { field: "country", said: "must NOT have fewer than 2 characters" },
    });
    const badLink = desired(
      [B({ platform: "instagram", username: "u", visible_name: "V", link_in_bio: "not a url" })],
      [],
    );
    expect(issueOn(badLink, "b:b1", "link_in_bio").code).toBe("not_a_url");
    const longRef = "r".repeat(199);
    const longPrefix = desired([B({ bundle_ref: longRef })], [], { prefix: "pre-" });
    expect(issueOn(longPrefix, `b:${longRef}`, "bundle_ref")).toMatchObject({
      code: "value_refused",
      params: { field: "external_ref" },
    });
  });

  it("fingerprint: stable under cell order and publish (decided from the status), changes with any field sent", () => {
    const a = desired([B({ title: "T", username: "u", visible_name: "V" })], [V(1)]).bundles.get("b1")!;
    const reordered = desired(
      [{ visible_name: "V", username: "u", title: "T", country: "USA", bundle_ref: "b1" }],
      [V(1)],
    );
    expect(reordered.bundles.get("b1")!.fingerprint).toBe(a.fingerprint);
    const published = desired([B({ title: "T", username: "u", visible_name: "V", publish: "yes" })], [V(1)]);
    expect(published.bundles.get("b1")!.fingerprint).toBe(a.fingerprint);
    const variants: Cells[] = [
      { title: "T2" },
      { auto_finalize_videos: "yes" },
      { video_slots: "4" },
      { edit_slots: "1" },
      { country: "FR" },
      { biography: "b" },
      { visible_name: "W" },
      { profile_picture: "https://example.com/p.jpg" },
    ];
    const prints = new Set([a.fingerprint]);
    for (const v of variants) {
      const s = desired([B({ title: "T", username: "u", visible_name: "V", ...v })], [V(1)]);
      expect(s.issues, JSON.stringify(v)).toEqual([]);
      prints.add(s.bundles.get("b1")!.fingerprint);
    }
    expect(prints.size).toBe(variants.length + 1);
    const tiktok = desired([B()], []).bundles.get("b1")!.fingerprint;
    expect(desired([B({ platform: "instagram" })], []).bundles.get("b1")!.fingerprint).not.toBe(tiktok);
    // The prefix is part of what is sent (external_ref), so it changes the fingerprint too.
    expect(
      desired([B({ title: "T", username: "u", visible_name: "V" })], [V(1)], { prefix: "x-" }).bundles.get(
        "b1",
      )!.fingerprint,
    ).not.toBe(a.fingerprint);
  });
});

describe("buildDesired: videos", () => {
  it("builds the configure body as the API names it, without position or auto_publish", () => {
    const s = desired(
      [B({ platform: "instagram" })],
      [
        V(1, {
          position: "4",
          name: "First",
          editing_instructions: "cut fast",
          volume_original_sound: "80",
          instagram_content_type: "reel",
          instagram_location: "Paris",
          instagram_collaborators: "a; b",
          instagram_audio_name: "song",
          instagram_add_to_story: "yes",
          publish: "yes",
        }),
      ],
    );
    expect(s.issues).toEqual([]);
    const v = s.bundles.get("b1")!.videos[0]!;
    expect(v.row.id).toBe("v:b1/v1");
    expect(v.bundleRef).toBe("b1");
    expect(v.position).toBe(4);
    expect(v.body).toEqual({
      video_type: "video",
      description: "video 1",
      target_publish_date: "2027-03-01",
      external_ref: "v1",
      video_url: "https://example.com/v1.mp4",
      name: "First",
      editing_instructions: "cut fast",
      volume_original_sound: 80,
      instagram_content_type: "reel",
      instagram_location: "Paris",
      instagram_collaborators: ["a", "b"],
      instagram_audio_name: "song",
      instagram_add_to_story: true,
    });
    // A video's URL is sent as it is: nothing to upload, so no media entry.
    expect(v.media).toEqual({});
    expect(v.publish).toBe(true);
    expect(v.soundVolumeUnits).toBe(1);
    const plain = desired([B()], [V(1)]).bundles.get("b1")!.videos[0]!;
    expect(plain.publish).toBe(false);
    expect(plain.soundVolumeUnits).toBe(0);
    expect(plain.position).toBeUndefined();
    expect(
      desired([B()], [V(1)], { defaults: { ...DEFAULTS, publish: true } }).bundles.get("b1")!.videos[0]!
        .publish,
    ).toBe(true);
  });

  it("requires description, target_publish_date and video_url for a video", () => {
    const s = desired([B()], [{ video_ref: "v1", bundle_ref: "b1" }, V(2)]);
    expect(issueOn(s, "v:b1/v1", "description").code).toBe("description_missing");
    expect(issueOn(s, "v:b1/v1", "target_publish_date").code).toBe("date_missing");
    expect(issueOn(s, "v:b1/v1", "video_url").code).toBe("video_url_missing");
    expect(s.bundles.get("b1")!.videos.map((v) => v.videoRef)).toEqual(["v2"]);
  });

  it("a carousel needs images, and on TikTok a sound", () => {
    const s = desired([B()], [V(1, { video_type: "carousel", video_url: "" })]);
    expect(issueOn(s, "v:b1/v1", "carousel_images").code).toBe("carousel_images_missing");
    expect(issueOn(s, "v:b1/v1", "tiktok_sound_url").code).toBe("tiktok_sound_missing");
    const ig = desired(
      [B({ platform: "instagram" })],
      [
        V(1, {
          video_type: "carousel",
          video_url: "",
          carousel_images: "https://e.com/1.jpg",
          instagram_content_type: "post",
        }),
      ],
    );
    expect(ig.issues).toEqual([]);
    expect(ig.bundles.get("b1")!.videos[0]!.body.carousel_images).toEqual(["https://e.com/1.jpg"]);
  });

  it("Instagram needs instagram_content_type; TikTok refuses instagram_* columns", () => {
    const ig = desired([B({ platform: "instagram" })], [V(1)]);
    expect(issueOn(ig, "v:b1/v1", "instagram_content_type").code).toBe("instagram_content_type_missing");
    const tt = desired([B()], [V(1, { instagram_location: "Paris", instagram_add_to_story: "no" })]);
    expect(issueOn(tt, "v:b1/v1", "instagram_location").code).toBe("instagram_column_on_tiktok");
    expect(issueOn(tt, "v:b1/v1", "instagram_add_to_story").code).toBe("instagram_column_on_tiktok");
  });

  it("media cells: local files are kept as cell text and listed for upload; missing files are errors", () => {
    const s = desired(
      [B()],
      [
        V(1, { video_url: "media/clip.mp4" }),
        V(2, {
          video_type: "carousel",
          video_url: "",
          carousel_images: "media/one.jpg; https://e.com/2.jpg; carousel-images/org/b/3.jpg",
          tiktok_sound_url: "https://www.tiktok.com/music/x-1",
        }),
        V(3, { video_url: "media/nope.mp4" }),
        V(4, {
          video_type: "carousel",
          video_url: "",
          carousel_images: "https://e.com/1.jpg;media/gone.jpg",
          tiktok_sound_url: "https://t.co/s",
        }),
      ],
    );
    const [v1, v2] = s.bundles.get("b1")!.videos;
    expect(v1!.body.video_url).toBe("media/clip.mp4");
    expect(v1!.media.video_url).toEqual({
      kind: "file",
      path: path.join(dir, "media", "clip.mp4"),
      sizeBytes: 2048,
      mtimeMs: expect.any(Number),
    });
    expect(v2!.body.carousel_images).toEqual([
      "media/one.jpg",
      "https://e.com/2.jpg",
      "carousel-images/org/b/3.jpg",
    ]);
    expect(v2!.media.carousel_images).toEqual([
      { kind: "file", path: path.join(dir, "media", "one.jpg"), sizeBytes: 300, mtimeMs: expect.any(Number) },
      { kind: "url", value: "https://e.com/2.jpg" },
      { kind: "storage", value: "carousel-images/org/b/3.jpg" },
    ]);
    expect(issueOn(s, "v:b1/v3", "video_url").code).toBe("media_unusable");
    expect(issueOn(s, "v:b1/v4", "carousel_images").code).toBe("media_unusable");
  });

  it("spec violations of a video are errors on their column", () => {
    const s = desired(
      [B()],
      [V(1, { video_url: "https://exa mple.com/x.mp4" }), V(2, { tiktok_sound_url: "not a url" })],
    );
    expect(issueOn(s, "v:b1/v1", "video_url").code).toBe("not_a_url");
    expect(issueOn(s, "v:b1/v2", "tiktok_sound_url").code).toBe("not_a_url");
  });

  it("two rows of a bundle asking for the same position are both errors", () => {
    const s = desired([B()], [V(1, { position: "2" }), V(2, { position: "2" }), V(3, { position: "3" })]);
    expect(issueOn(s, "v:b1/v1", "position").code).toBe("position_clash");
    expect(issueOn(s, "v:b1/v2", "position")).toBeDefined();
    expect(s.bundles.get("b1")!.videos.map((v) => v.videoRef)).toEqual(["v3"]);
  });

  it("fingerprint: stable under cell order, position (written back) and publish (decided from the status), changes with every field sent", () => {
    const base = desired([B()], [V(1)]).bundles.get("b1")!.videos[0]!;
    const reordered = desired([B()], [Object.fromEntries(Object.entries(V(1)).reverse())]);
    expect(reordered.bundles.get("b1")!.videos[0]!.fingerprint).toBe(base.fingerprint);
    const placed = desired([B()], [V(1, { position: "3" })]).bundles.get("b1")!.videos[0]!;
    expect(placed.fingerprint).toBe(base.fingerprint);
    const published = desired([B()], [V(1, { publish: "yes" })]).bundles.get("b1")!.videos[0]!;
    expect(published.fingerprint).toBe(base.fingerprint);
    const variants: Cells[] = [
      { description: "other" },
      { target_publish_date: "2027-04-01" },
      { video_url: "https://example.com/other.mp4" },
      { name: "n" },
      { editing_instructions: "e" },
      { volume_original_sound: "10" },
      { volume_added_sound: "10" },
      { carousel_title: "t" },
      { tiktok_sound_url: "https://t.co/s" },
      { video_ref: "v1b" },
    ];
    const prints = new Set([base.fingerprint]);
    for (const v of variants) {
      const s = desired([B()], [V(1, v)]);
      expect(s.issues, JSON.stringify(v)).toEqual([]);
      prints.add(s.bundles.get("b1")!.videos[0]!.fingerprint);
    }
    expect(prints.size).toBe(variants.length + 1);
  });
});

describe("buildDesired: rows and bundles together", () => {
  it("every coerce problem becomes an error issue on its row", () => {
    const s = desired(
      [B({ auto_finalize_videos: "maybe" }), B({ bundle_ref: "b2" }), { country: "USA" }],
      [
        V(1, { target_publish_date: "tomorrow" }),
        V(2, { bundle_ref: "b2" }),
        { bundle_ref: "b2", description: "x" },
      ],
    );
    expect(issueOn(s, "b:b1", "auto_finalize_videos").code).toBe("not_boolean");
    expect(issueOn(s, "v:b1/v1", "target_publish_date").code).toBe("not_a_date");
    expect(issueOn(s, "row:bundles:4", "bundle_ref").code).toBe("ref_missing");
    expect(issueOn(s, "row:videos:4", "video_ref").status).toBe("error");
    expect([...s.bundles.keys()]).toEqual(["b2"]);
    expect(s.bundles.get("b2")!.videos.map((v) => v.videoRef)).toEqual(["v2"]);
    expect(s.issues.every((i) => i.status === "error")).toBe(true);
  });

  it("duplicate bundle refs block both rows and their videos", () => {
    const s = desired([B(), B()], [V(1)]);
    expect(s.bundles.size).toBe(0);
    expect(issueOn(s, "b:b1", "bundle_ref").code).toBe("ref_duplicate");
    expect(issueOn(s, "v:b1/v1", "bundle_ref").code).toBe("bundle_has_errors");
  });

  it("videos of a bundle without a row hang on a row-less bundle, for the planner to look up", () => {
    const s = desired(
      [B()],
      [V(1), V(2, { bundle_ref: "remote-1" }), V(3, { bundle_ref: "remote-1", instagram_location: "x" })],
    );
    expect([...s.bundles.keys()]).toEqual(["b1", "remote-1"]);
    expect(s.bundleRefsWithoutRow).toEqual(["remote-1"]);
    const r = s.bundles.get("remote-1")!;
    expect(r).toMatchObject({
      row: null,
      create: null,
      account: null,
      publish: false,
      externalRef: "t-remote-1",
      minSlots: 0,
    });
    // The platform is unknown until TokPortal answers, so platform-only checks wait for the planner.
    expect(r.videos.map((v) => v.videoRef)).toEqual(["v2", "v3"]);
  });

  it("keeps sheet order: bundles table first, then bundles first named by videos", () => {
    const s = desired(
      [B({ bundle_ref: "z" }), B({ bundle_ref: "a" }), B({ bundle_ref: "m" })],
      [V(1, { bundle_ref: "r2" }), V(2, { bundle_ref: "a" }), V(3, { bundle_ref: "r1" })],
    );
    expect([...s.bundles.keys()]).toEqual(["z", "a", "m", "r2", "r1"]);
  });

  it("single-table mode: the derived bundle answers for its rows", () => {
    const s = desired(null, [V(1, { username: "u", visible_name: "V", country: "USA" }), V(2)]);
    expect(s.issues).toEqual([]);
    const b = s.bundles.get("b1")!;
    expect(b.row).toEqual({
      id: "b:b1",
      table: "videos",
      rowNumbers: [2, 3],
      key: { table: "bundles", bundleRef: "b1" },
    });
    expect(b.account).toEqual({ username: "u", visible_name: "V" });
    expect(b.videos.map((v) => v.row.id)).toEqual(["v:b1/v1", "v:b1/v2"]);
  });

  it("single-table mode: disagreeing rows block the bundle, and every row says which rows to fix", () => {
    const s = desired(null, [V(1, { country: "USA" }), V(2, { country: "FR" }), V(3)]);
    expect(s.bundles.size).toBe(0);
    expect(issueOn(s, "v:b1/v2", "country").code).toBe("bundle_value_disagrees");
    expectFinding(issueOn(s, "v:b1/v3", "country"), "bundle_rows_disagree", "country", {
      bundleRef: "b1",
      rows: [3],
    });
    expect(issueOn(s, "v:b1/v1").code).toBe("bundle_rows_disagree");
    expect(issueOn(s, "b:b1").row.rowNumbers).toEqual([2, 3, 4]);
  });

  it("single-table mode: a bundle error is shown on each of its rows", () => {
    const s = desired(null, [V(1), V(2)]);
    expect(issueOn(s, "b:b1", "country").code).toBe("country_missing");
    expect(issueOn(s, "v:b1/v1", "country").code).toBe("country_missing");
    expect(issueOn(s, "v:b1/v2", "country").code).toBe("country_missing");
  });

  it("the fixture campaign gives 4 bundles and 13 videos with no issues", async () => {
    const fixtures = fileURLToPath(new URL("../../fixtures/campaign/", import.meta.url));
    const source = new CsvSource({
      bundlesPath: path.join(fixtures, "bundles.csv"),
      videosPath: path.join(fixtures, "videos.csv"),
    });
    const tables = await source.read();
    const s = buildDesired(coerceCampaign(tables), { prefix: "fx-", defaults: DEFAULTS, baseDir: fixtures });
    expect(s.issues).toEqual([]);
    expect([...s.bundles.keys()]).toEqual(["spring-us-1", "spring-fr-1", "spring-uk-1", "spring-es-1"]);
    expect([...s.bundles.values()].reduce((n, b) => n + b.videos.length, 0)).toBe(13);
    expect(s.bundles.get("spring-es-1")!.create?.videos_quantity).toBe(0);
    expect(s.bundles.get("spring-fr-1")!.account?.link_in_bio).toBe("https://example.com/printemps");
    expect(s.bundles.get("spring-us-1")!.create?.videos_quantity).toBe(4);
    expect(s.bundleRefsWithoutRow).toEqual([]);
  });
});

describe("buildDesired: a bundle with no video to order", () => {
  it("is refused before any call when it is new: on video_slots, with the fix", () => {
    const s = desired([B(), B({ bundle_ref: "b2" })], [V(1, { bundle_ref: "b2" })]);
    // Not an issue of the sheet alone: TokPortal may have the bundle already.
    expect(s.issues).toEqual([]);
    const refused = s.bundles.get("b1")!.createRefused!;
    expect(refused).toEqual({
      code: "bundle_without_videos",
      column: "video_slots",
      params: {
        bundleRef: "b1",
        bundleType: "account_and_videos",
        videoSlots: null,
        namedBy: [],
        singleTable: false,
      },
    });
    expect(s.bundles.get("b2")!.createRefused).toBeUndefined();

    const plan = planSync(s, actualState([]), planOptions());
    const row = plan.rows.find((r) => r.row.id === "b:b1")!;
    expect(row.outcome).toBe("error");
    expect(row).toMatchObject({ code: "bundle_without_videos", column: "video_slots" });
    expect(row.message).toBe(renderFinding([2], refused));
    expect(plan.ops.filter((o) => o.bundleRef === "b1")).toEqual([]);
    expect(plan.ops.filter((o) => o.kind === "createBundle").map((o) => o.bundleRef)).toEqual(["b2"]);
  });

  it("is not refused when TokPortal already has it: no create is sent", () => {
    const s = desired([B({ title: "T" })], []);
    const plan = planSync(
      s,
      actualState([{ bundle: remoteBundle("b1", { videos_quantity: 3 }) }]),
      planOptions(),
    );
    const row = plan.rows.find((r) => r.row.id === "b:b1")!;
    expect(row.outcome).not.toBe("error");
    expect(row.code).not.toBe("bundle_without_videos");
    expect(row.column).not.toBe("video_slots");
    expect(plan.ops.map((o) => o.kind)).not.toContain("createBundle");
  });

  it("names its invalid videos rows, and says video_slots when it is 0", () => {
    const s = desired(
      [B({ video_slots: "0" })],
      [{ video_ref: "v1", bundle_ref: "b1" }, V(2, { description: "" }), V(3, { bundle_ref: "other" })],
    );
    expect(s.bundles.get("b1")!.createRefused?.params).toEqual({
      bundleRef: "b1",
      bundleType: "account_and_videos",
      videoSlots: 0,
      namedBy: [2, 3],
      singleTable: false,
    });
  });

  it("does not offer account_only to a videos_only bundle, and leaves bundles with slots alone", () => {
    const s = desired(
      [
        B({ bundle_type: "videos_only", country: "", account_id: "9f3a7b2e-1c4d-4e8f-a5b6-7d9e0f1a2b3c" }),
        B({ bundle_ref: "b2", video_slots: "2" }),
        B({ bundle_ref: "b3", bundle_type: "account_only" }),
      ],
      [],
    );
    expect(s.issues).toEqual([]);
    // Its words offer no account_only (test/findings/render.test.ts): the type says so.
    expect(s.bundles.get("b1")!.createRefused?.params).toEqual({
      bundleRef: "b1",
      bundleType: "videos_only",
      videoSlots: null,
      namedBy: [],
      singleTable: false,
    });
    expect(s.bundles.get("b2")!.createRefused).toBeUndefined();
    expect(s.bundles.get("b3")!.createRefused).toBeUndefined();
  });
});

describe("TokPortal's field names become sheet columns", () => {
  it("a create TokPortal refuses for videos_quantity is shown on video_slots", async () => {
    const emu = await startTestEmulator();
    const client = new TokPortalClient({ baseUrl: emu.url, apiKey: emu.apiKey, retry: { maxRetries: 0 } });
    try {
      const refused = await client.bundles
        .create(
          { bundle_type: "account_and_videos", country: "USA", videos_quantity: 0 },
          { idempotencyKey: "no-videos" },
        )
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(refused).toBeInstanceOf(TokPortalError);
      expect((refused as TokPortalError).details.field).toBe("videos_quantity");
      const failure = describeError(refused, "createBundle");
      expect(failure.finding).toMatchObject({
        code: "field_refused",
        column: "video_slots",
        params: { tpCode: "VALIDATION_ERROR", field: "videos_quantity", unknown: false },
      });
    } finally {
      await client.close();
      await emu.stop();
    }
  });

  it("a batch item's field is read for the video's columns", () => {
    const ref = describeCode(
      "VALIDATION_ERROR",
      "external_ref is too long.",
      { field: "external_ref" },
      null,
      "configureVideos",
    );
    expect(ref.finding.column).toBe("video_ref");
    const nested = describeCode(
      "VALIDATION_ERROR",
      "bad position",
      { field: "videos.1.position" },
      400,
      "configureVideos",
    );
    expect(nested.finding.column).toBe("position");
    const edits = describeCode(
      "VALIDATION_ERROR",
      "too many",
      { field: "edits_quantity" },
      400,
      "addEditSlots",
    );
    expect(edits.finding.column).toBe("edit_slots");
  });
});

describe("every row message names the row, the column and the fix", () => {
  it("an empty description and a carousel without images", () => {
    const s = desired(
      [B()],
      [
        V(1, { description: "" }),
        V(2, { video_type: "carousel", video_url: "", tiktok_sound_url: "https://www.tiktok.com/music/x-1" }),
      ],
    );
    expectFinding(issueOn(s, "v:b1/v1", "description"), "description_missing", "description", {
      videoType: "video",
    });
    expectFinding(issueOn(s, "v:b1/v2", "carousel_images"), "carousel_images_missing", "carousel_images", {});
  });

  it("more than 20 carousel images", () => {
    const images = Array.from({ length: 22 }, (_, i) => `https://example.com/${i}.jpg`).join(";");
    const s = desired([B()], [V(1, { video_type: "carousel", video_url: "", carousel_images: images })]);
    expectFinding(issueOn(s, "v:b1/v1", "carousel_images"), "too_many_items", "carousel_images", {
      count: 22,
      max: 20,
    });
  });

  it("a single-table bundle whose rows disagree", () => {
    const s = desired(null, [V(1, { country: "USA" }), V(2, { country: "FR" })]);
    expectFinding(issueOn(s, "v:b1/v2", "country"), "bundle_value_disagrees", "country", {
      value: "FR",
      other: "USA",
      otherRow: 2,
      bundleRef: "b1",
      column: "country",
    });
  });
});
