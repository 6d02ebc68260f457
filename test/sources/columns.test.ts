import { describe, expect, it } from "vitest";
import { loadSpec } from "../../src/api/spec.ts";
import {
  BUNDLE_OUTPUT_COLUMNS,
  columnSpec,
  describeType,
  inputColumns,
  knownColumns,
  outputColumns,
  requiredColumns,
  VIDEO_INPUT_COLUMNS,
  VIDEO_OUTPUT_COLUMNS,
} from "../../src/sources/columns.ts";

describe("the column catalogue", () => {
  it("lists the outputs of docs/sheet-format.md in canonical order", () => {
    expect(BUNDLE_OUTPUT_COLUMNS).toEqual([
      "bundle_id",
      "bundle_status",
      "account_status",
      "credits_charged",
      "saved_account_id",
      "account_username",
      "account_url",
      "followers",
      "account_correction_message",
      "account_correction_requested_at",
      "review_marker",
      "sync_status",
      "sync_message",
      "synced_at",
      "sync_fingerprint",
    ]);
    expect(VIDEO_OUTPUT_COLUMNS[0]).toBe("video_id");
    expect(VIDEO_OUTPUT_COLUMNS.at(-1)).toBe("sync_fingerprint");
    expect(outputColumns({ table: "videos", singleTable: true }).slice(0, 4)).toEqual([
      "bundle_id",
      "bundle_status",
      "account_status",
      "credits_charged",
    ]);
  });

  it("has required refs and no repeated names", () => {
    expect(requiredColumns("bundles")).toEqual(["bundle_ref"]);
    expect(requiredColumns("videos")).toEqual(["video_ref", "bundle_ref"]);
    for (const mode of [
      { table: "bundles" as const },
      { table: "videos" as const },
      { table: "videos" as const, singleTable: true },
    ]) {
      const names = inputColumns(mode).map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const r of requiredColumns(mode.table)) expect(columnSpec(mode, r)?.required).toBe(true);
      expect(knownColumns(mode).length).toBeGreaterThan(names.length);
    }
  });

  it("only single-table videos rows carry the bundle columns", () => {
    expect(columnSpec({ table: "videos" }, "country")).toBeUndefined();
    expect(columnSpec({ table: "videos", singleTable: true }, "country")).toBeDefined();
    expect(columnSpec({ table: "videos", singleTable: true }, "publish_bundle")?.type.kind).toBe("boolean");
  });

  it("matches the spec's ConfigureVideoRequest for every video column sent as-is", () => {
    const spec = loadSpec();
    const sentAsIs = VIDEO_INPUT_COLUMNS.filter(
      (c) =>
        ![
          "video_ref",
          "bundle_ref",
          "position",
          "publish",
          "review",
          "review_note",
          "review_fields",
        ].includes(c.name),
    );
    for (const col of sentAsIs) {
      // A value the catalogue accepts must also be accepted by the request schema.
      const sample =
        col.type.kind === "boolean"
          ? true
          : col.type.kind === "integer"
            ? (col.type.min ?? 0)
            : col.type.kind === "list"
              ? ["https://example.com/a.jpg"]
              : col.type.kind === "enum"
                ? col.type.values[0]
                : col.type.kind === "date"
                  ? "2027-03-01"
                  : col.name.endsWith("_url")
                    ? "https://example.com/x"
                    : "x";
      const body = {
        video_type: "video",
        description: "d",
        target_publish_date: "2027-03-01",
        [col.name]: sample,
      };
      const result = spec.validateSchema("ConfigureVideoRequest", body);
      expect(result.ok, `${col.name}: ${JSON.stringify(result.issues)}`).toBe(true);
    }
  });

  it("describes types for messages", () => {
    expect(describeType({ kind: "enum", values: ["a", "b"] })).toBe("one of a, b");
    expect(describeType({ kind: "integer", min: 0, max: 500 })).toBe("a whole number from 0 to 500");
  });
});
