import { describe, expect, it } from "vitest";
import {
  type Parsed,
  parseBoolean,
  parseDate,
  parseEnum,
  parseInteger,
  parseList,
} from "../../src/sources/cell-parsers.ts";
import { coerceCampaign, coerceRow } from "../../src/sources/coerce.ts";
import type { SheetRow } from "../../src/sources/types.ts";

const value = <T>(p: Parsed<T>): T => {
  if (!p.ok) throw new Error(`expected ok, got: ${p.message}`);
  return p.value;
};

describe("primitive coercions", () => {
  it("booleans: yes/no/true/false/1/0/x, blank = not set, anything else is an error", () => {
    for (const t of ["yes", "YES", " true ", "1", "x", "X"]) expect(value(parseBoolean(t))).toBe(true);
    for (const f of ["no", "False", "0"]) expect(value(parseBoolean(f))).toBe(false);
    expect(value(parseBoolean("  "))).toBeUndefined();
    const bad = parseBoolean("maybe");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.finding).toEqual({ code: "not_boolean", params: { value: "maybe" } });
  });

  it("dates: ISO always, the configured day/month order, real calendar dates only", () => {
    expect(value(parseDate("2027-03-01"))).toBe("2027-03-01");
    expect(value(parseDate("2027-3-1"))).toBe("2027-03-01");
    expect(value(parseDate("2028-02-29"))).toBe("2028-02-29");
    expect(parseDate("2027-02-29").ok).toBe(false);
    expect(parseDate("2027-02-30").ok).toBe(false);
    expect(parseDate("2027-13-01").ok).toBe(false);
    expect(value(parseDate("01/03/2027", "DD/MM/YYYY"))).toBe("2027-03-01");
    expect(value(parseDate("03/01/2027", "MM/DD/YYYY"))).toBe("2027-03-01");
    expect(value(parseDate("2027-03-01", "MM/DD/YYYY"))).toBe("2027-03-01");
    expect(parseDate("31/31/2027", "DD/MM/YYYY").ok).toBe(false);
    expect(parseDate("31/12/2027", "MM/DD/YYYY").ok).toBe(false);
    const ambiguous = parseDate("01/03/2027");
    expect(ambiguous.ok).toBe(false);
    if (!ambiguous.ok) expect(ambiguous.finding.code).toBe("date_ambiguous");
    const words = parseDate("next friday");
    expect(words.ok).toBe(false);
    if (!words.ok) expect(words.finding.code).toBe("not_a_date");
    const feb30 = parseDate("2027-02-30");
    if (!feb30.ok) expect(feb30.finding.code).toBe("date_not_real");
    expect(value(parseDate(""))).toBeUndefined();
  });

  it("integers: digits only, within range", () => {
    expect(value(parseInteger("12"))).toBe(12);
    expect(value(parseInteger(" 0 ", 0, 5))).toBe(0);
    expect(value(parseInteger(""))).toBeUndefined();
    for (const bad of ["3.5", "ten", "1e3", "12abc"]) expect(parseInteger(bad).ok).toBe(false);
    expect(parseInteger("201", 0, 200).ok).toBe(false);
    expect(parseInteger("-1", 0, 200).ok).toBe(false);
  });

  it("lists: ;-separated, trimmed, empty items dropped, limited", () => {
    expect(value(parseList(" a ; b;;c; "))).toEqual(["a", "b", "c"]);
    expect(value(parseList(" ; "))).toBeUndefined();
    expect(parseList("a;b;c", 2).ok).toBe(false);
  });

  it("enums: case-insensitive, canonical spelling returned", () => {
    expect(value(parseEnum("TikTok", ["tiktok", "instagram"]))).toBe("tiktok");
    const bad = parseEnum("myspace", ["tiktok", "instagram"]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.finding.params).toEqual({ value: "myspace", allowed: ["tiktok", "instagram"] });
  });
});

const video = (rowNumber: number, cells: Record<string, string>): SheetRow => ({
  table: "videos",
  rowNumber,
  cells,
});

describe("coerceRow", () => {
  it("types every input column and drops the ones in error, naming row and column", () => {
    const { values, problems } = coerceRow(
      video(7, {
        video_ref: "v1",
        bundle_ref: "b1",
        position: "3.5",
        video_type: "Carousel",
        target_publish_date: "2027-02-30",
        carousel_images: "a.jpg; b.jpg",
        volume_added_sound: "150",
        instagram_add_to_story: "maybe",
        description: "x".repeat(2201),
        publish: "",
        video_id: "keep-as-text",
      }),
    );
    expect(values).toEqual({
      video_ref: "v1",
      bundle_ref: "b1",
      video_type: "carousel",
      carousel_images: ["a.jpg", "b.jpg"],
      volume_added_sound: 150,
    });
    expect(problems.map((p) => p.column).sort()).toEqual(
      ["description", "instagram_add_to_story", "position", "target_publish_date"].sort(),
    );
    for (const p of problems) {
      expect(p.rowNumber).toBe(7);
      expect(p.message).toContain("Row 7");
      expect(p.message).toContain(p.column!);
    }
  });

  it("reports missing refs", () => {
    const { problems } = coerceRow(video(3, { video_ref: "", bundle_ref: "" }));
    expect(problems.map((p) => [p.column, p.code])).toEqual([
      ["video_ref", "ref_missing"],
      ["bundle_ref", "ref_missing"],
    ]);
  });

  it("uses the configured date order", () => {
    const { values } = coerceRow(
      video(2, { video_ref: "v", bundle_ref: "b", target_publish_date: "05/03/2027" }),
      { dateFormat: "MM/DD/YYYY" },
    );
    expect(values["target_publish_date"]).toBe("2027-05-03");
  });
});

describe("coerceCampaign", () => {
  it("single-table mode: a bad bundle cell makes the derived bundle unusable (never created without it)", () => {
    const typed = coerceCampaign({
      bundles: null,
      videos: [
        video(2, { video_ref: "v1", bundle_ref: "b1", platform: "myspace" }),
        video(3, { video_ref: "v2", bundle_ref: "b1" }),
      ],
      problems: [],
    });
    expect(typed.singleTable).toBe(true);
    expect(typed.bundles).toHaveLength(1);
    expect(typed.bundles[0]).toMatchObject({ input: null, problems: [{ rowNumber: 2, column: "platform" }] });
    expect(typed.problems).toHaveLength(1);
  });

  it("types bundles and videos, keeps outputs as text and finds duplicate refs", () => {
    const typed = coerceCampaign({
      bundles: [
        {
          table: "bundles",
          rowNumber: 2,
          cells: { bundle_ref: "b1", platform: "instagram", publish: "x", bundle_id: "id1" },
        },
        { table: "bundles", rowNumber: 3, cells: { bundle_ref: "b1", platform: "tiktok" } },
      ],
      videos: [
        video(2, { video_ref: "v1", bundle_ref: "b1", position: "2", sync_fingerprint: "abc" }),
        video(3, { video_ref: "v1", bundle_ref: "b2" }),
        video(4, { video_ref: "", bundle_ref: "b2" }),
      ],
      problems: [],
    });
    expect(typed.bundles[0]).toMatchObject({
      rowNumber: 2,
      key: { table: "bundles", bundleRef: "b1" },
      input: { bundle_ref: "b1", platform: "instagram", publish: true, rowNumbers: [2] },
      outputs: { bundle_id: "id1" },
    });
    expect(typed.bundles.flatMap((b) => b.problems.map((p) => [p.rowNumber, p.column]))).toEqual([
      [2, "bundle_ref"],
      [3, "bundle_ref"],
    ]);
    expect(typed.videos[0]).toMatchObject({ input: { position: 2 }, outputs: { sync_fingerprint: "abc" } });
    // Same video_ref in another bundle is fine.
    expect(typed.videos[1]!.problems).toEqual([]);
    expect(typed.videos[2]).toMatchObject({ input: null, key: { table: "videos", rowNumber: 4 } });
    expect(typed.problems).toHaveLength(3);
  });

  it("single-table mode: derives bundles from videos rows; a disagreement is a row error, never a pick", () => {
    const typed = coerceCampaign({
      bundles: null,
      videos: [
        video(2, {
          video_ref: "v1",
          bundle_ref: "b1",
          country: "US",
          platform: "tiktok",
          publish: "yes",
          publish_bundle: "no",
        }),
        video(3, { video_ref: "v2", bundle_ref: "b1", country: "", platform: "TikTok" }),
        video(4, { video_ref: "v1", bundle_ref: "b2", country: "FR" }),
        video(5, { video_ref: "v2", bundle_ref: "b2", country: "DE" }),
      ],
      problems: [],
    });
    const b1 = typed.bundles.find((b) => b.input?.bundle_ref === "b1");
    expect(b1?.input).toEqual({
      bundle_ref: "b1",
      country: "US",
      platform: "tiktok",
      publish: false,
      rowNumbers: [2, 3],
    });
    expect(typed.videos[0]!.input).toMatchObject({ publish: true });
    expect(typed.videos[0]!.input).not.toHaveProperty("country");
    const b2 = typed.bundles.find(
      (b) => b.key.table === "bundles" && "bundleRef" in b.key && b.key.bundleRef === "b2",
    );
    expect(b2?.input).toBeNull();
    expect(b2?.problems).toEqual([expect.objectContaining({ rowNumber: 5, column: "country" })]);
    expect(typed.problems).toHaveLength(1);
    expect(typed.videos[3]!.problems).toEqual([
      expect.objectContaining({
        rowNumber: 5,
        column: "country",
        code: "bundle_value_disagrees",
        params: expect.objectContaining({ otherRow: 4 }),
      }),
    ]);
  });
});
