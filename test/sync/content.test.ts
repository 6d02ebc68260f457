/**
 * The content columns, from the sheet's cells to the plan: stories and their rules, disclosures and paid
 * options (priced the first time a video gets them), editing instructions against the bundle's edit slots,
 * and what a released video still takes (a PATCH of description, date or name) or locks, and why.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Video } from "../../src/api/index.ts";
import { coerceCampaign } from "../../src/sources/index.ts";
import type { SheetRow, TableName } from "../../src/sources/types.ts";
import { buildDesired } from "../../src/sync/desired.ts";
import { planWithFindings } from "../../src/sync/plan.ts";
import type { DesiredState, Plan, PlanOp, RowIssue } from "../../src/sync/types.ts";
import { expectFinding } from "../support/findings.ts";
import { actualState, planOptions, remoteBundle, slot } from "./support/builders.ts";

type Cells = Record<string, string>;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "content-test-"));
  writeFileSync(path.join(dir, "story.jpg"), Buffer.alloc(64));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rowsOf = (table: TableName, rows: Cells[]): SheetRow[] =>
  rows.map((cells, i) => ({ table, rowNumber: i + 2, cells }));

function desired(bundles: Cells[], videos: Cells[]): DesiredState {
  const campaign = coerceCampaign({
    bundles: rowsOf("bundles", bundles),
    videos: rowsOf("videos", videos),
    problems: [],
  });
  return buildDesired(campaign, {
    prefix: "t-",
    defaults: { platform: "tiktok", bundle_type: "account_and_videos", publish: false },
    baseDir: dir,
  });
}

const B = (cells: Cells = {}): Cells => ({ bundle_ref: "b1", country: "USA", ...cells });
const V = (n: number, cells: Cells = {}): Cells => ({
  video_ref: `v${n}`,
  bundle_ref: "b1",
  description: `video ${n}`,
  target_publish_date: `2026-09-1${n}`,
  video_url: `https://example.com/v${n}.mp4`,
  ...cells,
});
const STORY = (n: number, cells: Cells = {}): Cells =>
  V(n, { video_type: "story", description: "", video_url: "", story_image_url: "story.jpg", ...cells });

function issueOn(state: DesiredState, id: string, column: string): RowIssue {
  const found = state.issues.find((i) => i.row.id === id && i.column === column);
  if (!found) throw new Error(`no issue on ${id} ${column}: ${JSON.stringify(state.issues, null, 1)}`);
  return found;
}

function plan(state: DesiredState, videos: Video[] | null, bundle: Record<string, unknown> = {}) {
  const actual =
    videos === null
      ? actualState([])
      : actualState([{ bundle: remoteBundle("b1", { videos_quantity: videos.length, ...bundle }), videos }]);
  return planWithFindings(state, actual, planOptions()).plan;
}
const rowOf = (p: Plan, id: string) => p.rows.find((r) => r.row.id === id)!;
function opOf<K extends PlanOp["kind"]>(p: Plan, kind: K): Extract<PlanOp, { kind: K }> {
  const op = p.ops.find((o) => o.kind === kind);
  if (!op) throw new Error(`no ${kind} op in ${p.ops.map((o) => o.kind).join(", ")}`);
  return op as Extract<PlanOp, { kind: K }>;
}

describe("stories", () => {
  it("an image story sends its image, no description, and needs no Instagram content type", () => {
    const s = desired([B({ platform: "instagram" })], [STORY(1)]);
    expect(s.issues).toEqual([]);
    const v = s.bundles.get("b1")!.videos[0]!;
    expect(v.body).toEqual({
      video_type: "story",
      target_publish_date: "2026-09-11",
      external_ref: "v1",
      story_image_url: "story.jpg",
    });
    expect(v.media.story_image_url).toMatchObject({ kind: "file", path: path.join(dir, "story.jpg") });
  });

  it("a description, neither or both media, and another type's columns are errors naming the column", () => {
    const s = desired(
      [B()],
      [
        STORY(1, { description: "a caption" }),
        STORY(2, { story_image_url: "" }),
        STORY(3, { video_url: "https://example.com/s.mp4" }),
        STORY(4, { carousel_images: "https://example.com/a.jpg", instant_repost_as_story: "yes" }),
        V(5, { story_image_url: "https://example.com/s.jpg", story_repost_url: "https://example.com/p" }),
        STORY(6, { story_image_url: "missing.jpg" }),
      ],
    );
    expectFinding(issueOn(s, "v:b1/v1", "description"), "story_has_description", "description", {});
    expectFinding(issueOn(s, "v:b1/v2", "video_url"), "story_media_missing", "video_url", {});
    expectFinding(issueOn(s, "v:b1/v3", "story_image_url"), "story_media_both", "story_image_url", {});
    expectFinding(issueOn(s, "v:b1/v4", "carousel_images"), "column_not_for_type", "carousel_images", {
      videoType: "story",
      forTypes: ["carousel"],
    });
    expectFinding(
      issueOn(s, "v:b1/v4", "instant_repost_as_story"),
      "column_not_for_type",
      "instant_repost_as_story",
      { videoType: "story", forTypes: ["video", "carousel"] },
    );
    for (const column of ["story_image_url", "story_repost_url"]) {
      expectFinding(issueOn(s, "v:b1/v5", column), "column_not_for_type", column, {
        videoType: "video",
        forTypes: ["story"],
      });
    }
    expect(issueOn(s, "v:b1/v6", "story_image_url").code).toBe("media_unusable");
    expect(s.bundles.get("b1")?.videos ?? []).toEqual([]);
  });
});

describe("disclosures and paid options", () => {
  it("are sent as written, and a row without them keeps the fingerprint it had", () => {
    const plain = desired([B()], [V(1)]).bundles.get("b1")!.videos[0]!;
    const s = desired([B()], [V(1, { ai_content_disclaimer: "yes", disclose_as_ads: "no" })]);
    const v = s.bundles.get("b1")!.videos[0]!;
    expect(v.body).toMatchObject({ ai_content_disclaimer: true, disclose_as_ads: false });
    expect(v.fingerprint).not.toBe(plain.fingerprint);
    expect(plain.body).not.toHaveProperty("ai_content_disclaimer");
  });

  it("an instant repost and a story repost are priced once per video, and the plan says so", () => {
    const s = desired(
      [B()],
      [
        V(1, { instant_repost_as_story: "yes", ai_content_disclaimer: "yes" }),
        STORY(2, {
          story_image_url: "https://example.com/s.jpg",
          story_repost_url: "https://example.com/p/1",
        }),
        V(3, { disclose_as_ads: "yes" }),
      ],
    );
    expect(s.issues).toEqual([]);
    const fresh = plan(s, null);
    const configure = opOf(fresh, "configureVideos");
    expect(configure.cost).toBe(2);
    expect(configure.reason).toBe(
      "new video (rows 2, 3, 4); pays instant_repost_as_story (first time on the video) (row 2); pays story_repost (first time on the video) (row 3)",
    );
    // The bundle is charged its slots plus the options, and the budget counts them all.
    expect(fresh.totals.cost).toBe(32 + 3 * 2 + 2);

    // A slot that shows the option set has paid for it: reconfiguring it (a new description) costs nothing.
    const v1 = s.bundles.get("b1")!.videos[0]!;
    const slots = [
      slot(1, { status: "configured", external_ref: "v1", video_type: "video", description: "old words" }),
    ];
    Object.assign(slots[0]!, {
      target_publish_date: v1.body.target_publish_date,
      instant_repost_as_story: true,
    });
    const again = plan(desired([B()], [V(1, { instant_repost_as_story: "yes" })]), slots);
    expect(opOf(again, "configureVideos").cost).toBe(0);
  });
});

describe("the Instagram extras and carousel_title", () => {
  const extras: Cells = {
    instagram_content_type: "post",
    instagram_location: "Paris, France",
    instagram_collaborators: "brand.paris; studio.nine",
    instagram_audio_name: "Spring theme",
    carousel_title: "Three ways",
  };
  const echo = (fields: Record<string, unknown>) =>
    slot(1, {
      status: "configured",
      external_ref: "v1",
      video_type: "video",
      description: "video 1",
      target_publish_date: "2026-09-11",
      instagram_content_type: "post",
      instagram_location: "Paris, France",
      instagram_collaborators: ["brand.paris", "studio.nine"],
      instagram_audio_name: "Spring theme",
      carousel_title: "Three ways",
      ...fields,
    });

  it("are sent, and each is compared with what TokPortal shows back", () => {
    const s = desired([B({ platform: "instagram" })], [V(1, extras)]);
    expect(s.bundles.get("b1")!.videos[0]!.body).toMatchObject({
      instagram_location: "Paris, France",
      instagram_collaborators: ["brand.paris", "studio.nine"],
      instagram_audio_name: "Spring theme",
      carousel_title: "Three ways",
    });
    const platform = { platform: "instagram" };
    expect(plan(s, [echo({})], platform).ops).toEqual([]);
    for (const [column, value] of [
      ["instagram_location", "Lyon"],
      ["instagram_collaborators", ["brand.paris"]],
      ["instagram_audio_name", null],
      ["carousel_title", "Two ways"],
    ] as const) {
      const p = plan(s, [echo({ [column]: value })], platform);
      expect(opOf(p, "configureVideos").reason, column).toBe(`differs from TokPortal: ${column} (row 2)`);
    }
  });
});

describe("editing instructions and edit slots", () => {
  it("a row beyond the bundle's edit slots is an error on editing_instructions; the others go", () => {
    const s = desired(
      [B({ edit_slots: "1" })],
      [V(1, { editing_instructions: "cut on the beat" }), V(2, { editing_instructions: "slow pans" }), V(3)],
    );
    const p = plan(s, null);
    expect(opOf(p, "configureVideos").rows).toEqual(["v:b1/v1", "v:b1/v3"]);
    expect(rowOf(p, "v:b1/v2").outcome).toBe("error");
    expectFinding(rowOf(p, "v:b1/v2"), "edit_slot_missing", "editing_instructions", {
      bundleRef: "b1",
      editSlots: 1,
      used: 1,
    });
    const none = plan(desired([B()], [V(1, { editing_instructions: "cut" })]), null);
    expectFinding(rowOf(none, "v:b1/v1"), "edit_slot_missing", "editing_instructions", {
      bundleRef: "b1",
      editSlots: 0,
      used: 0,
    });
  });

  it("on a bundle TokPortal has, slots holding instructions count, and a raised edit_slots is bought first", () => {
    const held = slot(1, {
      status: "configured",
      external_ref: "v1",
      video_type: "video",
      description: "video 1",
      target_publish_date: "2026-09-11",
      editing_instructions: "cut",
    });
    const rows = [V(1, { editing_instructions: "cut" }), V(2, { editing_instructions: "pans" })];
    const full = plan(desired([B({ edit_slots: "1" })], rows), [held, slot(2)], { edits_quantity: 1 });
    expectFinding(rowOf(full, "v:b1/v2"), "edit_slot_missing", "editing_instructions", {
      bundleRef: "b1",
      editSlots: 1,
      used: 1,
    });
    const raised = plan(desired([B({ edit_slots: "2" })], rows), [held, slot(2)], { edits_quantity: 1 });
    // v1 is adopted as it is (its slot holds it); v2 takes the edit slot bought.
    expect(raised.ops.map((o) => o.kind)).toEqual(["addEditSlots", "configureVideos"]);
    expect(opOf(raised, "configureVideos").rows).toEqual(["v:b1/v2"]);
    expect(rowOf(raised, "v:b1/v2").outcome).toBe("synced");
  });
});

describe("a released video", () => {
  const OLD = V(1, { description: "old words", target_publish_date: "2026-09-20" });
  const stored = desired([B()], [OLD]).bundles.get("b1")!.videos[0]!.fingerprint;
  const released = (status: string, fields: Record<string, unknown> = {}) =>
    slot(1, {
      status,
      id: "video-v1",
      external_ref: "v1",
      video_type: "video",
      description: "old words",
      target_publish_date: "2026-09-20",
      video_url: "https://storage.example/rehosted/1.mp4",
      editing_instructions: null,
      ...fields,
    });
  const edited = (cells: Cells) => desired([B()], [{ ...OLD, sync_fingerprint: stored, ...cells }]);
  const published = { status: "published" };

  it("takes a new description and date by PATCH, with nothing else sent", () => {
    const p = plan(
      edited({ description: "new words", target_publish_date: "2026-09-22" }),
      [released("published")],
      published,
    );
    expect(p.ops.map((o) => o.kind)).toEqual(["patchVideo"]);
    const op = opOf(p, "patchVideo");
    expect(op).toMatchObject({
      position: 1,
      cost: 0,
      body: { description: "new words", target_publish_date: "2026-09-22" },
      reason: "video is published: set description, target_publish_date in place",
    });
    expect(rowOf(p, "v:b1/v1").outcome).toBe("synced");
  });

  it("checks the PATCH's date against the lead time, as a row error with the earliest date", () => {
    const p = plan(edited({ target_publish_date: "2026-09-02" }), [released("accepted")], published);
    expect(p.ops).toEqual([]);
    expectFinding(rowOf(p, "v:b1/v1"), "date_too_soon", "target_publish_date", {
      date: "2026-09-02",
      days: 3,
      creating: true,
      earliest: "2026-09-04",
    });
    // A delivered account needs one day.
    const delivered = plan(edited({ target_publish_date: "2026-09-02" }), [released("accepted")], {
      ...published,
      account_status: "finalized",
    });
    expect(opOf(delivered, "patchVideo").body).toEqual({ target_publish_date: "2026-09-02" });
  });

  it("locks a change TokPortal cannot take after release, naming the column", () => {
    const instructions = plan(edited({ editing_instructions: "new cut" }), [released("published")], {
      ...published,
      edits_quantity: 1,
    });
    expect(instructions.ops).toEqual([]);
    expectFinding(rowOf(instructions, "v:b1/v1"), "video_changed_too_late", undefined, {
      videoRef: "v1",
      status: "published",
      columns: ["editing_instructions"],
      localFile: false,
    });
    // The media is not shown back: a new video_url with a new description is not half-sent.
    const media = plan(
      edited({ video_url: "https://example.com/new.mp4", description: "new words" }),
      [released("published")],
      published,
    );
    expect(media.ops).toEqual([]);
    expectFinding(rowOf(media, "v:b1/v1"), "video_changed_too_late", undefined, {
      videoRef: "v1",
      status: "published",
      columns: [],
      localFile: false,
      alsoSeen: ["description"],
    });
  });

  it("locks a caption change on a video already posted: the live post would not change", () => {
    const p = plan(edited({ description: "new words" }), [released("in_review")], published);
    expect(p.ops).toEqual([]);
    expectFinding(rowOf(p, "v:b1/v1"), "video_already_posted", undefined, {
      videoRef: "v1",
      status: "in_review",
      columns: ["description"],
    });
  });

  it("after the PATCH, the row is unchanged and nothing is sent", () => {
    const now = desired([B()], [{ ...OLD, description: "new words" }]).bundles.get("b1")!.videos[0]!;
    const p = plan(
      desired([B()], [{ ...OLD, description: "new words", sync_fingerprint: now.fingerprint }]),
      [released("published", { description: "new words" })],
      published,
    );
    expect(p.ops).toEqual([]);
    expect(rowOf(p, "v:b1/v1").outcome).toBe("synced");
  });
});
