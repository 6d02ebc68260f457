/**
 * fetchActual against the emulator over HTTP: one listing of every bundle (a request per 100), then per
 * bundle in play its slots and (only when the planner could act on it) its account. Nothing for bundles the
 * sheet does not mention, nor for a ref found twice. Counted from the emulator's request log.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TokPortalClient } from "../../src/api/client.ts";
import type { CampaignTables } from "../../src/sources/types.ts";
import { EarlyReads, READ_AHEAD_OF_LISTING } from "../../src/sync/early-reads.ts";
import { fetchActual } from "../../src/sync/remote.ts";
import type { DesiredState } from "../../src/sync/types.ts";
import { emulatorPerTest, type TestEmulator } from "../support/emulator.ts";
import { bundle, desiredState } from "./support/builders.ts";

const emulators = emulatorPerTest({ bucket: { capacity: 1000, refillPerSecond: 1000 } });
let emu: TestEmulator;
let client: TokPortalClient;

beforeEach(async () => {
  emu = await emulators.start();
  client = new TokPortalClient({ baseUrl: emu.url, apiKey: emu.apiKey, concurrency: 8 });
});
afterEach(async () => {
  await client.close();
});

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await emu.api("POST", "/bundles", { body });
  expect(res.status).toBe(201);
  return res.body.data.id as string;
}

/** An account-and-videos bundle with `videos` slots. */
const withVideos = (ref: string, videos: number): Promise<string> =>
  create({ bundle_type: "account_and_videos", country: "USA", videos_quantity: videos, external_ref: ref });

/** 100 account-only bundles sharing one ref (a bulk order copies its ref to each). */
async function bulk(ref: string, count: number): Promise<void> {
  const res = await emu.api("POST", "/bundles/bulk", {
    body: {
      platforms: ["tiktok"],
      country: "USA",
      accounts_count: count,
      upload_accounts_count: 0,
      videos_per_account: 0,
      external_ref: ref,
    },
  });
  expect(res.status).toBe(201);
}

/** Account and one configured video, then publish (the bundle leaves pending_setup). */
async function publish(id: string): Promise<void> {
  const steps: Array<[string, string, unknown]> = [
    [
      "PUT",
      `/bundles/${id}/account`,
      {
        username: "pub.acc",
        visible_name: "Pub",
        biography: "bio",
        profile_picture_url: "https://x.test/p.jpg",
      },
    ],
    [
      "PUT",
      `/bundles/${id}/videos/1`,
      {
        video_type: "video",
        description: "d",
        target_publish_date: "2026-09-10",
        video_url: "https://x.test/v.mp4",
      },
    ],
    ["POST", `/bundles/${id}/publish`, undefined],
  ];
  for (const [method, path, body] of steps) {
    const res = await emu.api(method, path, body === undefined ? {} : { body });
    expect(res.status, `${method} ${path}: ${res.text}`).toBe(200);
  }
}

const byOperation = (since: number) => {
  const out: Record<string, string[]> = {};
  for (const e of emu.requestLog(since)) {
    const op = e.operationId ?? e.path;
    out[op] = [...(out[op] ?? []), e.path];
  }
  return out;
};

describe("fetchActual", () => {
  it("lists once (a page per 100), reads slots per bundle in play and the account only when its row changed", async () => {
    await bulk("t-dup", 100);
    const changed = await withVideos("t-a", 2);
    const same = await withVideos("t-b", 1);
    const noProfile = await create({ bundle_type: "account_only", country: "USA", external_ref: "t-c" });
    const published = await withVideos("t-pub", 1);
    await publish(published);
    await create({ bundle_type: "account_only", country: "USA", external_ref: "t-orphan" });
    await create({ bundle_type: "account_only", country: "USA", external_ref: "elsewhere" });
    await create({ bundle_type: "account_only", country: "USA" });

    const desired: DesiredState = desiredState([
      bundle("a", { row: 2, stored: "old" }),
      bundle("b", { row: 3, stored: "same" }),
      bundle("c", { row: 4, type: "account_only", account: null, stored: "old" }),
      bundle("dup", { row: 5, stored: "old" }),
      bundle("missing", { row: 6 }),
      // Changed and published: read, so a profile change TokPortal no longer takes can say what it has.
      bundle("pub", { row: 7, stored: "old" }),
    ]);
    const since = emu.requestLog().length;
    const actual = await fetchActual(client, desired);

    const calls = byOperation(since);
    // 107 bundles: two pages.
    expect(calls["listBundles"]).toHaveLength(2);
    expect(calls["listBundleVideos"]?.sort()).toEqual(
      [changed, same, noProfile, published].map((id) => `/api/ext/bundles/${id}/videos`).sort(),
    );
    expect(calls["getBundleAccount"]?.sort()).toEqual(
      [changed, published].map((id) => `/api/ext/bundles/${id}/account`).sort(),
    );
    // The sheet orders a new account ("new"): /countries is read once for its videos-only list.
    expect(Object.keys(calls).sort()).toEqual([
      "getBundleAccount",
      "listBundleVideos",
      "listBundles",
      "listCountries",
    ]);

    expect([...actual.byExternalRef.keys()].sort()).toEqual(["t-a", "t-b", "t-c", "t-dup", "t-pub"]);
    expect(actual.byExternalRef.get("t-pub")![0]!.bundle.status).toBe("published");
    expect(actual.byExternalRef.get("t-dup")).toHaveLength(100);
    expect(actual.byExternalRef.get("t-dup")!.every((a) => a.videos === null && a.account === null)).toBe(
      true,
    );
    const a = actual.byExternalRef.get("t-a")![0]!;
    expect(a.videos?.map((v) => [v.position, v.status])).toEqual([
      [1, "pending"],
      [2, "pending"],
    ]);
    expect(a.account?.status).toBe("pending");
    expect(actual.byExternalRef.get("t-b")![0]!.account).toBeNull();
    expect(actual.orphanBundles.map((b) => b.external_ref)).toEqual(["t-orphan"]);
    // TokPortal's clock (the emulator's simulated day), not the machine's.
    expect(actual.today).toBe("2026-09-01");
  });

  it("with an empty prefix every other remote bundle carrying a ref is an orphan", async () => {
    await create({ bundle_type: "account_only", country: "USA", external_ref: "x" });
    await create({ bundle_type: "account_only", country: "USA", external_ref: "y" });
    await create({ bundle_type: "account_only", country: "USA" });
    const desired = { ...desiredState([bundle("x", { row: 2 })]), prefix: "" };
    desired.bundles.get("x")!.externalRef = "x";
    const since = emu.requestLog().length;
    const actual = await fetchActual(client, desired);
    expect(actual.orphanBundles.map((b) => b.external_ref)).toEqual(["y"]);
    expect(actual.byExternalRef.get("x")).toHaveLength(1);
    expect(Object.keys(byOperation(since)).sort()).toEqual([
      "getBundleAccount",
      "listBundleVideos",
      "listBundles",
    ]);
  });

  it("reads nothing but the listing (and /countries, for the new account it orders) when the sheet names no remote bundle", async () => {
    await create({ bundle_type: "account_only", country: "USA", external_ref: "t-z" });
    const since = emu.requestLog().length;
    const actual = await fetchActual(client, desiredState([bundle("new", { row: 2 })]));
    expect(byOperation(since)).toEqual({
      listBundles: ["/api/ext/bundles"],
      listCountries: ["/api/ext/countries"],
    });
    expect(actual.videosOnlyCountries).toEqual(["DE"]);
    expect(actual.byExternalRef.size).toBe(0);
    expect(actual.orphanBundles.map((b) => b.external_ref)).toEqual(["t-z"]);
  });
});

/** A sheet's tables: bundles rows as [bundle_ref, bundle_id], videos rows as bundle_refs. */
function sheet(bundles: Array<[string, string]>, videos: string[] = []): CampaignTables {
  return {
    bundles: bundles.map(([ref, id], i) => ({
      table: "bundles",
      rowNumber: i + 2,
      cells: { bundle_ref: ref, bundle_id: id },
    })),
    videos: videos.map((ref, i) => ({ table: "videos", rowNumber: i + 2, cells: { bundle_ref: ref } })),
    problems: [],
  };
}

const slotsPath = (id: string) => `/api/ext/bundles/${id}/videos`;

describe("reads begun before the desired state (EarlyReads)", () => {
  it("reads the slots of each bundle the sheet's refs name once, and fetchActual takes them instead of asking again", async () => {
    const a = await withVideos("t-a", 2);
    const b = await withVideos("t-b", 1);
    await bulk("t-dup", 2);
    await create({ bundle_type: "account_only", country: "USA", external_ref: "t-orphan" });
    const since = emu.requestLog().length;
    const early = new EarlyReads(client);
    await early.follow(sheet([["a", ""]], ["b", "dup", ""]), "t-");
    // Sent before any desired state exists: one listing, the slots of a and b (not the duplicated ref's).
    await expect.poll(() => byOperation(since)["listBundleVideos"]?.length ?? 0).toBe(2);

    const desired = desiredState([
      bundle("a", { row: 2, stored: "same" }),
      bundle("b", { row: 3, stored: "same" }),
    ]);
    const actual = await fetchActual(client, desired, early);
    const calls = byOperation(since);
    expect(calls["listBundles"]).toHaveLength(1);
    expect(calls["listBundleVideos"]?.sort()).toEqual([a, b].map(slotsPath).sort());
    expect(actual.byExternalRef.get("t-a")?.[0]?.videos).toHaveLength(2);
    expect(actual.byExternalRef.get("t-b")?.[0]?.videos).toHaveLength(1);
  });

  it("reads ahead of the listing by the ids the sheet holds, at most READ_AHEAD_OF_LISTING; only listed ones are taken", async () => {
    const a = await withVideos("t-a", 2);
    const b = await withVideos("t-b", 1);
    const since = emu.requestLog().length;
    const early = new EarlyReads(client);
    // a's row holds its id; b's row holds a's id too (a pasted cell); the rest are another workspace's ids.
    const foreign = Array.from({ length: READ_AHEAD_OF_LISTING + 4 }, (_, i) => `bundle-elsewhere-${i}`);
    const tables = sheet([["a", a], ["b", a], ...foreign.map((id, i): [string, string] => [`x${i}`, id])]);
    early.ahead("bundles", tables.bundles!);
    await expect.poll(() => byOperation(since)["listBundleVideos"]?.length ?? 0).toBe(READ_AHEAD_OF_LISTING);
    // Sent with nothing listed yet (the listing may still be on its way): a once, then foreign ids to the cap.
    expect(byOperation(since)["listBundleVideos"]?.sort()).toEqual(
      [a, ...foreign.slice(0, READ_AHEAD_OF_LISTING - 1)].map(slotsPath).sort(),
    );

    await early.follow(tables, "t-");
    const actual = await fetchActual(
      client,
      desiredState([bundle("a", { row: 2, stored: "same" }), bundle("b", { row: 3, stored: "same" })]),
      early,
    );
    // b, listed under its ref, is read by its own id; nothing is read twice, and no foreign answer is used.
    const reads = byOperation(since)["listBundleVideos"]!;
    expect(reads).toHaveLength(READ_AHEAD_OF_LISTING + 1);
    expect(reads.filter((p) => p === slotsPath(a) || p === slotsPath(b)).sort()).toEqual(
      [a, b].map(slotsPath).sort(),
    );
    expect(actual.byExternalRef.get("t-a")?.[0]?.videos).toHaveLength(2);
    expect(actual.byExternalRef.get("t-b")?.[0]?.videos).toHaveLength(1);
    expect([...actual.byExternalRef.keys()].sort()).toEqual(["t-a", "t-b"]);
  });

  it("a refused listing reads nothing more than the ids read ahead, and fetchActual reports it", async () => {
    for (const [tables, after] of [
      [sheet([["a", ""]], ["a"]), {}],
      // With an id in the sheet, its read went out beside the listing, and was refused as well.
      [sheet([["a", "bundle-1"]]), { listBundleVideos: [slotsPath("bundle-1")] }],
    ] as const) {
      const refused = new TokPortalClient({
        baseUrl: emu.url,
        apiKey: "tp_live_not-a-key",
        retry: { maxRetries: 0 },
      });
      try {
        const since = emu.requestLog().length;
        const early = new EarlyReads(refused);
        await early.follow(tables, "t-");
        await expect(
          fetchActual(refused, desiredState([bundle("a", { row: 2 })]), early),
        ).rejects.toMatchObject({ status: 401 });
        await expect.poll(() => byOperation(since)).toEqual({ listBundles: ["/api/ext/bundles"], ...after });
      } finally {
        await refused.close();
      }
    }
  });
});
