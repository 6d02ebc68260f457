import { describe, expect, it } from "vitest";
import {
  type BundleInput,
  coerceCampaign,
  type TypedCampaign,
  type TypedRow,
} from "../../src/sources/coerce.ts";
import type { CampaignTables, SheetRow } from "../../src/sources/types.ts";
import { bundleRowRef, videoRowRef } from "../../src/sync/rows.ts";
import type { RowResult, SyncStatus } from "../../src/sync/types.ts";
import { analyticsPatches, keptMessage, resultPatches } from "../../src/sync/writeback.ts";

const NOW = "2026-09-01T12:00:00.000Z";

function sheetRows(table: "bundles" | "videos", rows: Record<string, string>[]): SheetRow[] {
  return rows.map((cells, i) => ({ table, rowNumber: i + 2, cells }));
}

function campaignOf(
  bundles: Record<string, string>[] | null,
  videos: Record<string, string>[],
): TypedCampaign {
  const tables: CampaignTables = {
    bundles: bundles === null ? null : sheetRows("bundles", bundles),
    videos: sheetRows("videos", videos),
    problems: [],
  };
  return coerceCampaign(tables);
}

function result(
  row: RowResult["row"],
  outcome: SyncStatus,
  values: RowResult["values"] = {},
  extra: Partial<RowResult> = {},
): RowResult {
  return { row, outcome, message: "", values, changed: false, creditsCharged: 0, ...extra };
}

const bundleRow = (c: TypedCampaign, ref: string): RowResult["row"] =>
  bundleRowRef(c.bundles.find((b) => b.input?.bundle_ref === ref) as TypedRow<BundleInput>);
const videoRow = (c: TypedCampaign, ref: string): RowResult["row"] =>
  videoRowRef(c.videos.find((v) => v.input?.video_ref === ref)!);

describe("resultPatches: two tables", () => {
  const fresh = campaignOf(
    [{ bundle_ref: "b1", country: "USA" }],
    [
      { video_ref: "v1", bundle_ref: "b1", description: "one" },
      { video_ref: "v2", bundle_ref: "b1", description: "two" },
    ],
  );

  it("writes every known output of a bundle row and a video row that a run changed", () => {
    const patches = resultPatches(
      [
        result(
          bundleRow(fresh, "b1"),
          "synced",
          {
            bundle_id: "bid-1",
            bundle_status: "published",
            account_status: "configured",
            credits_charged: 42,
            sync_fingerprint: "v1-aaaaaaaaaaaaaaaa",
          },
          { changed: true, creditsCharged: 42 },
        ),
        result(
          videoRow(fresh, "v1"),
          "synced",
          {
            video_id: "vid-1",
            position: 1,
            video_status: "published",
            platform_url: "https://tiktok.com/@x/video/1",
            sync_fingerprint: "v1-bbbbbbbbbbbbbbbb",
          },
          { changed: true },
        ),
      ],
      fresh,
      NOW,
    );
    expect(patches).toEqual([
      {
        key: { table: "bundles", bundleRef: "b1" },
        values: {
          bundle_id: "bid-1",
          bundle_status: "published",
          account_status: "configured",
          credits_charged: 42,
          sync_status: "synced",
          synced_at: NOW,
          sync_fingerprint: "v1-aaaaaaaaaaaaaaaa",
        },
      },
      {
        key: { table: "videos", bundleRef: "b1", videoRef: "v1" },
        values: {
          video_id: "vid-1",
          position: 1,
          video_status: "published",
          platform_url: "https://tiktok.com/@x/video/1",
          sync_status: "synced",
          synced_at: NOW,
          sync_fingerprint: "v1-bbbbbbbbbbbbbbbb",
        },
      },
    ]);
  });

  it("leaves synced_at out when the run did not change the row", () => {
    const [patch] = resultPatches(
      [result(videoRow(fresh, "v1"), "synced", { video_id: "vid-1" }, { changed: false })],
      fresh,
      NOW,
    );
    expect(patch?.values).toEqual({ video_id: "vid-1", sync_status: "synced" });
    expect(patch?.values).not.toHaveProperty("synced_at");
  });

  it("writes nothing for a row whose values are all as read (numbers compared as text)", () => {
    const read = campaignOf(
      [
        {
          bundle_ref: "b1",
          country: "USA",
          bundle_id: "bid-1",
          bundle_status: "published",
          credits_charged: "42",
          sync_status: "synced",
          sync_fingerprint: "v1-aaaaaaaaaaaaaaaa",
        },
      ],
      [
        {
          video_ref: "v1",
          bundle_ref: "b1",
          video_id: "vid-1",
          position: "3",
          sync_status: "synced",
          sync_message: "",
        },
      ],
    );
    const patches = resultPatches(
      [
        result(bundleRow(read, "b1"), "synced", {
          bundle_id: "bid-1",
          bundle_status: "published",
          credits_charged: 42,
          sync_fingerprint: "v1-aaaaaaaaaaaaaaaa",
        }),
        result(videoRow(read, "v1"), "synced", { video_id: "vid-1", position: 3 }),
      ],
      read,
      NOW,
    );
    expect(patches).toEqual([]);
  });

  it("only sends the cells that differ from the row as read", () => {
    const read = campaignOf(
      [
        {
          bundle_ref: "b1",
          country: "USA",
          bundle_id: "bid-1",
          bundle_status: "pending_setup",
          sync_status: "synced",
        },
      ],
      [],
    );
    const [patch] = resultPatches(
      [result(bundleRow(read, "b1"), "synced", { bundle_id: "bid-1", bundle_status: "published" })],
      read,
      NOW,
    );
    expect(patch?.values).toEqual({ bundle_status: "published" });
  });

  it("clears an old message with null once the row has nothing to say, and writes a new one", () => {
    const read = campaignOf(
      [
        {
          bundle_ref: "b1",
          country: "USA",
          sync_status: "error",
          sync_message: "Row 2, column country: bad",
        },
      ],
      [{ video_ref: "v1", bundle_ref: "b1", sync_status: "synced" }],
    );
    const patches = resultPatches(
      [
        result(bundleRow(read, "b1"), "synced"),
        result(videoRow(read, "v1"), "pending", {}, { message: "Row 2: waiting for credits" }),
      ],
      read,
      NOW,
    );
    expect(patches).toEqual([
      { key: { table: "bundles", bundleRef: "b1" }, values: { sync_status: "synced", sync_message: null } },
      {
        key: { table: "videos", bundleRef: "b1", videoRef: "v1" },
        values: { sync_status: "pending", sync_message: "Row 2: waiting for credits" },
      },
    ]);
  });

  it("never erases an id the result does not know (absent or null), and never writes an empty message on an empty cell", () => {
    const read = campaignOf(
      [{ bundle_ref: "b1", country: "USA", bundle_id: "bid-1", bundle_status: "published" }],
      [{ video_ref: "v1", bundle_ref: "b1", video_id: "vid-1", position: "2", platform_url: "https://x/1" }],
    );
    const patches = resultPatches(
      [
        result(bundleRow(read, "b1"), "error", { bundle_id: null }, { message: "TokPortal did not answer" }),
        result(videoRow(read, "v1"), "error", { platform_url: "" }, { message: "blocked" }),
      ],
      read,
      NOW,
    );
    // The rows had ids: the message says they are kept, so an error does not read as "nothing exists".
    expect(patches.map((p) => p.values)).toEqual([
      { sync_status: "error", sync_message: "TokPortal did not answer; the earlier result is kept." },
      { sync_status: "error", sync_message: "blocked; the earlier result is kept." },
    ]);
  });

  it("writes sync_fingerprint the results carry: a row in error without one keeps its old one", () => {
    const read = campaignOf(
      [],
      [
        { video_ref: "v1", bundle_ref: "b1", sync_fingerprint: "v1-0000000000000000" },
        { video_ref: "v2", bundle_ref: "b1", sync_fingerprint: "v1-0000000000000000" },
        { video_ref: "v3", bundle_ref: "b1", sync_fingerprint: "v1-0000000000000000" },
      ],
    );
    const patches = resultPatches(
      [
        result(videoRow(read, "v1"), "error", {}, { message: "x" }),
        // TokPortal took the row's content before a later step of its bundle failed (RowOutcomes.took).
        result(videoRow(read, "v3"), "error", { sync_fingerprint: "v1-3333333333333333" }, { message: "y" }),
        result(
          videoRow(read, "v2"),
          "synced",
          { sync_fingerprint: "v1-2222222222222222" },
          { changed: true },
        ),
      ],
      read,
      NOW,
    );
    expect(patches[0]?.values).not.toHaveProperty("sync_fingerprint");
    expect(patches[1]?.values["sync_fingerprint"]).toBe("v1-3333333333333333");
    expect(patches[2]?.values["sync_fingerprint"]).toBe("v1-2222222222222222");
  });

  it("writes only the output columns of the row's kind", () => {
    const [patch] = resultPatches(
      [
        result(bundleRow(fresh, "b1"), "synced", {
          bundle_id: "bid-1",
          video_id: "not a bundle column",
          description: "an input column",
        }),
      ],
      fresh,
      NOW,
    );
    expect(Object.keys(patch?.values ?? {}).sort()).toEqual(["bundle_id", "sync_status"]);
  });

  it("keys a row without refs by its row number", () => {
    const read = campaignOf([{ bundle_ref: "" }], [{ video_ref: "", bundle_ref: "b1" }]);
    const rows = [
      result(bundleRowRef(read.bundles[0]!), "error", {}, { message: "Row 2, column bundle_ref: is empty" }),
      result(videoRowRef(read.videos[0]!), "error", {}, { message: "Row 2, column video_ref: is empty" }),
    ];
    expect(rows.map((r) => r.row.id)).toEqual(["row:bundles:2", "row:videos:2"]);
    expect(resultPatches(rows, read, NOW).map((p) => p.key)).toEqual([
      { table: "bundles", rowNumber: 2 },
      { table: "videos", rowNumber: 2 },
    ]);
  });

  it("single table: a videos row with a video_ref but no bundle_ref gets its error by row number", () => {
    const read = campaignOf(null, [
      { video_ref: "v1", bundle_ref: "b1" },
      { video_ref: "v2", bundle_ref: "" },
    ]);
    const message = "Row 3, column bundle_ref: is empty; give the row a bundle_ref";
    const rows = [result(videoRowRef(read.videos[1]!), "error", {}, { message })];
    expect(rows[0]!.row.id).toBe("row:videos:3");
    expect(resultPatches(rows, read, NOW)).toEqual([
      { key: { table: "videos", rowNumber: 3 }, values: { sync_status: "error", sync_message: message } },
    ]);
  });
});

describe("resultPatches: single table", () => {
  const single = campaignOf(null, [
    { video_ref: "v1", bundle_ref: "b1", country: "USA", description: "one" },
    { video_ref: "v2", bundle_ref: "b1", description: "two", bundle_id: "bid-1" },
    { video_ref: "w1", bundle_ref: "b2", country: "USA", description: "other bundle" },
  ]);
  const derived = (ref: string) =>
    bundleRowRef(
      single.bundles.find(
        (b) => b.key.table === "bundles" && "bundleRef" in b.key && b.key.bundleRef === ref,
      )!,
    );

  it("puts a bundle's outputs on each of its videos rows (and only those), never a bundles key", () => {
    const b1 = derived("b1");
    expect(b1.rowNumbers).toEqual([2, 3]);
    const patches = resultPatches(
      [
        result(
          b1,
          "synced",
          { bundle_id: "bid-1", bundle_status: "published", credits_charged: 36, sync_fingerprint: "v1-b" },
          { changed: true },
        ),
        result(videoRow(single, "v1"), "synced", { video_id: "vid-1", position: 1 }, { changed: true }),
        result(videoRow(single, "v2"), "synced", { video_id: "vid-2", position: 2 }, { changed: true }),
        result(videoRow(single, "w1"), "pending", {}, { message: "waiting" }),
      ],
      single,
      NOW,
    );
    expect(patches.every((p) => p.key.table === "videos")).toBe(true);
    expect(patches).toEqual([
      {
        key: { table: "videos", bundleRef: "b1", videoRef: "v1" },
        values: {
          video_id: "vid-1",
          position: 1,
          sync_status: "synced",
          synced_at: NOW,
          bundle_id: "bid-1",
          bundle_status: "published",
          credits_charged: 36,
        },
      },
      {
        // bundle_id already reads bid-1 on this row: not sent again.
        key: { table: "videos", bundleRef: "b1", videoRef: "v2" },
        values: {
          video_id: "vid-2",
          position: 2,
          sync_status: "synced",
          synced_at: NOW,
          bundle_status: "published",
          credits_charged: 36,
        },
      },
      {
        key: { table: "videos", bundleRef: "b2", videoRef: "w1" },
        values: { sync_status: "pending", sync_message: "waiting" },
      },
    ]);
  });

  it("keeps the videos' own status while the bundle is only pending", () => {
    const patches = resultPatches(
      [
        result(derived("b1"), "pending", { bundle_id: "bid-1" }, { message: "publish waits for: biography" }),
        result(videoRow(single, "v1"), "synced", { video_id: "vid-1" }),
      ],
      single,
      NOW,
    );
    expect(patches[0]?.values).toEqual({ video_id: "vid-1", sync_status: "synced", bundle_id: "bid-1" });
  });

  it("shows a bundle in error on every videos row of it, with the bundle's message first", () => {
    const patches = resultPatches(
      [
        result(derived("b2"), "error", {}, { message: "Row 4, column country: bad" }),
        result(
          videoRow(single, "w1"),
          "error",
          { sync_fingerprint: "v1-w" },
          { message: "blocked: bundle b2 has errors" },
        ),
      ],
      single,
      NOW,
    );
    expect(patches).toEqual([
      {
        key: { table: "videos", bundleRef: "b2", videoRef: "w1" },
        values: {
          sync_status: "error",
          sync_message: "Row 4, column country: bad; blocked: bundle b2 has errors",
        },
      },
    ]);
  });

  it("names the bundle's problem once when the video's message already holds it", () => {
    const patches = resultPatches(
      [
        result(derived("b2"), "error", {}, { message: "Row 4, column country: bad" }),
        result(videoRow(single, "w1"), "error", {}, { message: "Row 4, column country: bad" }),
      ],
      single,
      NOW,
    );
    expect(patches[0]?.values["sync_message"]).toBe("Row 4, column country: bad");
  });

  it("a run with nothing new on a single table writes nothing", () => {
    const read = campaignOf(null, [
      {
        video_ref: "v1",
        bundle_ref: "b1",
        country: "USA",
        bundle_id: "bid-1",
        bundle_status: "published",
        video_id: "vid-1",
        position: "1",
        sync_status: "synced",
      },
    ]);
    const b1 = bundleRowRef(read.bundles.find((b) => b.key.table === "bundles")!);
    const patches = resultPatches(
      [
        result(b1, "synced", { bundle_id: "bid-1", bundle_status: "published" }),
        result(videoRowRef(read.videos[0]!), "synced", { video_id: "vid-1", position: 1 }),
      ],
      read,
      NOW,
    );
    expect(patches).toEqual([]);
  });
});

describe("resultPatches: analytics, formula-looking text, kept results", () => {
  const read = campaignOf(
    [{ bundle_ref: "b1", bundle_id: "bid-1", sync_status: "synced" }],
    [
      {
        video_ref: "v1",
        bundle_ref: "b1",
        video_id: "vid-1",
        video_status: "in_review",
        platform_url: '\'=HYPERLINK("x")',
        views: "100",
        likes: "9",
        analytics_at: "2026-09-05T17:00:00.000Z",
        sync_status: "synced",
      },
      { video_ref: "v2", bundle_ref: "b1", video_id: "vid-2", views: "40", sync_status: "synced" },
    ],
  );

  it("writes measured analytics without moving synced_at, and leaves unmeasured cells as they are", () => {
    const patches = resultPatches(
      [
        result(videoRow(read, "v1"), "synced", {
          video_id: "vid-1",
          video_status: "finalized",
          views: 250,
          likes: 9,
          comments: 0,
          analytics_at: "2026-09-06T17:00:00.000Z",
        }),
        // Not measured this run: its old numbers stay, nothing is written as 0.
        result(videoRow(read, "v2"), "synced", { video_id: "vid-2" }),
      ],
      read,
      NOW,
    );
    expect(patches).toEqual([
      {
        key: { table: "videos", bundleRef: "b1", videoRef: "v1" },
        values: {
          video_status: "finalized",
          views: 250,
          comments: 0,
          analytics_at: "2026-09-06T17:00:00.000Z",
        },
      },
    ]);
  });

  it("takes a CSV cell escaped with a quote as already holding the remote text (no rewrite each run)", () => {
    const same = resultPatches(
      [result(videoRow(read, "v1"), "synced", { platform_url: '=HYPERLINK("x")' })],
      read,
      NOW,
    );
    expect(same).toEqual([]);
    const changed = resultPatches(
      [result(videoRow(read, "v1"), "synced", { platform_url: "=OTHER()" })],
      read,
      NOW,
    );
    expect(changed[0]?.values).toEqual({ platform_url: "=OTHER()" });
  });

  it("says the earlier result is kept when a row that synced before fails now", () => {
    const patches = resultPatches(
      [
        result(
          videoRow(read, "v2"),
          "error",
          { video_id: "vid-2" },
          { message: "Row 3: TokPortal did not answer (HTTP 503 after 3 attempts); the next run retries." },
        ),
      ],
      read,
      NOW,
    );
    expect(patches[0]?.values).toEqual({
      sync_status: "error",
      sync_message:
        "Row 3: TokPortal did not answer (HTTP 503 after 3 attempts); the earlier result is kept; the next run retries.",
    });
    expect(keptMessage("x; the earlier result is kept.")).toBe("x; the earlier result is kept.");
  });

  it("analyticsPatches writes only the analytics cells of the measured rows, only where they differ", () => {
    const patches = analyticsPatches(
      read,
      new Map([
        [
          "v:b1/v1",
          { views: 100, likes: 12, engagement_rate: 3.5, analytics_at: "2026-09-07T00:00:00.000Z" },
        ],
        ["v:b1/nope", { views: 1 }],
      ]),
    );
    expect(patches).toEqual([
      {
        key: { table: "videos", bundleRef: "b1", videoRef: "v1" },
        values: { likes: 12, engagement_rate: 3.5, analytics_at: "2026-09-07T00:00:00.000Z" },
      },
    ]);
  });
});
