/** The report's shapes: types in place of values, keys kept unless they look like data. */
import { describe, expect, it } from "vitest";
import { columnsShape, shapeOf } from "../../src/doctor/shape.ts";

describe("shapeOf", () => {
  it("keeps TokPortal's keys and replaces every value by its type", () => {
    const body = {
      data: {
        id: "6a39cba4-5dc7-4085-aaf6-846005481a08",
        email: "jane@agency.example",
        username: "jane_doe",
        created_at: "2026-09-01T12:00:00.000Z",
        target_publish_date: "2026-09-08",
        platform_url: "https://www.tiktok.com/@jane_doe/video/123",
        credits: { balance: 1250 },
        ok: true,
        note: null,
        items: [{ position: 1 }, { position: 2 }],
      },
    };
    expect(shapeOf(body)).toEqual({
      data: {
        id: "string(uuid)",
        email: "string(email)",
        username: "string",
        created_at: "string(date-time)",
        target_publish_date: "string(date)",
        platform_url: "string(url)",
        credits: { balance: "number" },
        ok: "boolean",
        note: "null",
        items: [{ position: "number" }],
      },
    });
  });

  it("hides keys that look like data (ids, addresses) and counts them", () => {
    const shape = shapeOf({ "6a39cba4-5dc7-4085-aaf6-846005481a08": 1, "jane@agency.example": 2, costs: 3 });
    expect(shape).toEqual({ costs: "number", "(other keys)": 2 });
    expect(JSON.stringify(shape)).not.toMatch(/jane|6a39/);
  });

  it("keeps column names, hides a cell that is not one", () => {
    expect(columnsShape(["video_id", "View Count", "jane@agency.example"])).toEqual([
      "video_id",
      "View Count",
      "(column)",
    ]);
  });
});
