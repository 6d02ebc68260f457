/** Bundles over HTTP: creation and its money rules, bulk, listing, settings and extra slots. */
import { describe, expect, test } from "vitest";
import { sharedEmulator } from "../support/emulator.ts";
import {
  balance,
  configureAccount,
  configureVideo,
  createBundle,
  D3,
  seedSavedAccount,
} from "./bundles.fixtures.ts";

const emu = sharedEmulator();

describe("createBundle", () => {
  test("account_and_videos with 3 videos costs 38, answers both ids and pre-creates pending slots", async () => {
    const res = await emu.api("POST", "/bundles", {
      body: {
        bundle_type: "account_and_videos",
        country: "USA",
        videos_quantity: 3,
        title: "US launch",
        external_ref: "row-1",
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.credits_charged).toBe(38);
    expect(res.body.credits_remaining).toBe(10_000 - 38);
    expect(res.body.cost_breakdown).toEqual({
      account_creation: 32,
      video_slots: 6,
      edit_slots: 0,
      advanced_warming: 0,
      total: 38,
    });
    const data = res.body.data;
    expect(data.id).toBe(data.bundle_id);
    expect(data).toMatchObject({
      bundle_type: "account_and_videos",
      platform: "tiktok",
      country: "USA",
      status: "pending_setup",
      videos_quantity: 3,
      edits_quantity: 0,
      review_mode: "auto",
      title: "US launch",
      external_ref: "row-1",
      auto_finalize_videos: true,
      created_at: "2026-09-01T12:00:00.000Z",
    });
    expect(await balance(emu)).toBe(9962);

    const videos = await emu.api("GET", `/bundles/${data.id}/videos`);
    expect(videos.body.data.map((v: { position: number; status: string }) => [v.position, v.status])).toEqual(
      [
        [1, "pending"],
        [2, "pending"],
        [3, "pending"],
      ],
    );
    const account = await emu.api("GET", `/bundles/${data.id}/account`);
    expect(account.body.data.status).toBe("pending");

    const history = await emu.api("GET", "/credits/history");
    const debit = history.body.data.find((e: { type: string }) => e.type === "debit");
    expect(debit).toMatchObject({ amount: -38, breakdown: { account_creation: 32, video_slots: 6 } });
  });

  test("edit slots, niche warming and auto_finalize false are priced and shown", async () => {
    const res = await emu.api("POST", "/bundles", {
      body: {
        bundle_type: "account_and_videos",
        platform: "instagram",
        country: "FR",
        videos_quantity: 10,
        edits_quantity: 2,
        wants_niche_warming: true,
        niche_warming_instructions: "fashion",
        auto_finalize_videos: false,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.cost_breakdown).toEqual({
      account_creation: 32,
      video_slots: 20,
      edit_slots: 6,
      advanced_warming: 0,
      niche_warming: 7,
      total: 65,
    });
    expect(res.body.credits_charged).toBe(65);
    expect(res.body.data.review_mode).toBe("manual");
    expect(await balance(emu)).toBe(10_000 - 65);
  });

  test("account_only costs 32 and has no slots; the US and GB aliases are accepted", async () => {
    const us = await emu.api("POST", "/bundles", { body: { bundle_type: "account_only", country: "US" } });
    expect(us.status).toBe(201);
    expect(us.body.credits_charged).toBe(32);
    expect(us.body.data.country).toBe("USA");
    const gb = await emu.api("POST", "/bundles", { body: { bundle_type: "account_only", country: "gb" } });
    expect(gb.body.data.country).toBe("UK");
    const videos = await emu.api("GET", `/bundles/${us.body.data.id}/videos`);
    expect(videos.body.data).toEqual([]);
  });

  test("videos_only posts to a saved account: 2 per video, country and platform from the account", async () => {
    const saved = seedSavedAccount(emu, { platform: "instagram", country: "DE" });
    const res = await emu.api("POST", "/bundles", {
      body: { bundle_type: "videos_only", account_id: saved.id, videos_quantity: 4 },
    });
    expect(res.status).toBe(201);
    expect(res.body.credits_charged).toBe(8);
    expect(res.body.cost_breakdown.account_creation).toBe(0);
    expect(res.body.data).toMatchObject({ platform: "instagram", country: "DE", account_id: saved.id });
    const account = await emu.api("GET", `/bundles/${res.body.data.id}/account`);
    expect(account.status).toBe(404);
    expect(account.body.error.code).toBe("ACCOUNT_NOT_FOUND");
  });

  test.each([
    [
      { bundle_type: "account_and_videos", country: "USA", videos_quantity: 0 },
      400,
      "VALIDATION_ERROR",
      "videos_quantity",
    ],
    [{ bundle_type: "account_and_videos", country: "USA" }, 400, "VALIDATION_ERROR", "videos_quantity"],
    [
      { bundle_type: "account_only", country: "USA", videos_quantity: 2 },
      400,
      "VALIDATION_ERROR",
      "videos_quantity",
    ],
    [
      { bundle_type: "account_and_videos", country: "USA", videos_quantity: 2, edits_quantity: 3 },
      400,
      "VALIDATION_ERROR",
      "edits_quantity",
    ],
    [
      { bundle_type: "account_only", country: "USA", account_id: "5a7ed000-0000-4000-8000-000000000001" },
      400,
      "ACCOUNT_ID_NOT_ALLOWED",
      "account_id",
    ],
    [{ bundle_type: "videos_only", videos_quantity: 2 }, 400, "VALIDATION_ERROR", "account_id"],
    [
      { bundle_type: "videos_only", videos_quantity: 2, account_id: "5a7ed000-0000-4000-8000-0000000000ff" },
      404,
      "SAVED_ACCOUNT_NOT_FOUND",
      undefined,
    ],
    [{ bundle_type: "account_only" }, 400, "VALIDATION_ERROR", "country"],
    [{ bundle_type: "account_only", country: "DE" }, 400, "COUNTRY_NOT_ENABLED", undefined],
    [
      { bundle_type: "account_only", country: "USA", wants_deep_warming: true },
      400,
      "DEEP_WARMING_DEPRECATED",
      undefined,
    ],
  ])("refused without charging: %j", async (body, status, code, field) => {
    const res = await emu.api("POST", "/bundles", { body });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (field) expect(res.body.error.details.field).toBe(field);
    expect(await balance(emu)).toBe(10_000);
    expect((await emu.api("GET", "/bundles")).body.pagination.total).toBe(0);
  });

  test("a saved account of another workspace is 403 SAVED_ACCOUNT_NOT_OWNED", async () => {
    const other = emu.createKey({ credits: 100 });
    const saved = seedSavedAccount(emu, { workspaceId: other.workspaceId });
    const res = await emu.api("POST", "/bundles", {
      body: { bundle_type: "videos_only", account_id: saved.id, videos_quantity: 1 },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("SAVED_ACCOUNT_NOT_OWNED");
  });

  test("a repeated external_ref on a new-account bundle is 409 DUPLICATE_ACCOUNT_BUNDLE naming the first", async () => {
    const first = await createBundle(emu, { external_ref: "campaign-7" });
    const before = await balance(emu);
    for (const type of ["account_and_videos", "account_only"]) {
      const res = await emu.api("POST", "/bundles", {
        body: {
          bundle_type: type,
          country: "USA",
          external_ref: "campaign-7",
          videos_quantity: type === "account_only" ? 0 : 1,
        },
      });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("DUPLICATE_ACCOUNT_BUNDLE");
      expect(res.body.error.details.existing_bundle_id).toBe(first);
    }
    expect(await balance(emu)).toBe(before);
    // videos_only bundles are not unique-checked, and other workspaces have their own refs.
    const saved = seedSavedAccount(emu);
    const videosOnly = await emu.api("POST", "/bundles", {
      body: {
        bundle_type: "videos_only",
        account_id: saved.id,
        videos_quantity: 1,
        external_ref: "campaign-7",
      },
    });
    expect(videosOnly.status).toBe(201);
    const other = emu.createKey({ credits: 100 });
    await createBundle(emu, { external_ref: "campaign-7", videos_quantity: 1 }, other.apiKey);
  });

  test("402 INSUFFICIENT_CREDITS creates nothing", async () => {
    const poor = emu.createKey({ credits: 37 });
    const res = await emu.api("POST", "/bundles", {
      body: { bundle_type: "account_and_videos", country: "USA", videos_quantity: 3 },
      key: poor.apiKey,
    });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe("INSUFFICIENT_CREDITS");
    expect(res.body.error.details).toMatchObject({ required: 38, available: 37, missing: 1 });
    expect((await emu.api("GET", "/bundles", { key: poor.apiKey })).body.pagination.total).toBe(0);
    expect(await balance(emu, poor.apiKey)).toBe(37);
  });
});

describe("createBundlesBulk", () => {
  test("one atomic checkout: accounts × platforms bundles, the batch ref on each, not unique-checked", async () => {
    const body = {
      platforms: ["tiktok", "instagram"],
      country: "US",
      accounts_count: 3,
      upload_accounts_count: 2,
      videos_per_account: 4,
      external_ref: "bulk-q2",
    };
    const res = await emu.api("POST", "/bundles/bulk", { body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // 6 accounts × 32 + 4 bundles with video slots × 4 × 2
    expect(res.body.cost_breakdown).toEqual({
      account_creation: 192,
      video_slots: 32,
      edit_slots: 0,
      advanced_warming: 0,
      total: 224,
    });
    expect(res.body.credits_charged).toBe(224);
    expect(res.body.data.total_bundles).toBe(6);
    expect(res.body.data.bundle_ids).toHaveLength(6);
    const types = res.body.data.bundles.map(
      (b: { platform: string; bundle_type: string }) => `${b.platform}:${b.bundle_type}`,
    );
    expect(types.sort()).toEqual([
      "instagram:account_and_videos",
      "instagram:account_and_videos",
      "instagram:account_only",
      "tiktok:account_and_videos",
      "tiktok:account_and_videos",
      "tiktok:account_only",
    ]);
    for (const b of res.body.data.bundles) {
      expect(b).toMatchObject({
        external_ref: "bulk-q2",
        from_bulk: true,
        country: "USA",
        status: "pending_setup",
      });
    }
    expect(await balance(emu)).toBe(10_000 - 224);
    const again = await emu.api("POST", "/bundles/bulk", { body });
    expect(again.status).toBe(201);
    const listed = await emu.api("GET", "/bundles", { query: { external_ref: "bulk-q2", per_page: 100 } });
    expect(listed.body.pagination.total).toBe(12);
    const lastPage = await emu.api("GET", "/bundles", {
      query: { external_ref: "bulk-q2", per_page: 5, page: 3 },
    });
    expect(lastPage.body.pagination).toEqual({ page: 3, per_page: 5, total: 12, total_pages: 3 });
    expect(lastPage.body.data.map((b: { id: string }) => b.id)).toEqual(
      res.body.data.bundle_ids.slice(0, 2).reverse(),
    );
    // A bulk label does not block a single bundle with the same ref.
    await createBundle(emu, { external_ref: "bulk-q2" });
  });

  test("insufficient credits for the batch creates nothing and charges nothing", async () => {
    const poor = emu.createKey({ credits: 100 });
    const res = await emu.api("POST", "/bundles/bulk", {
      body: { platforms: ["tiktok"], country: "USA", accounts_count: 4 },
      key: poor.apiKey,
    });
    expect(res.status).toBe(402);
    expect(res.body.error.details).toMatchObject({ required: 128, available: 100, missing: 28 });
    expect((await emu.api("GET", "/bundles", { key: poor.apiKey })).body.pagination.total).toBe(0);
    expect(await balance(emu, poor.apiKey)).toBe(100);
    const history = await emu.api("GET", "/credits/history", { key: poor.apiKey });
    expect(history.body.data.filter((e: { type: string }) => e.type === "debit")).toEqual([]);
  });

  test("rules: upload accounts within accounts_count, videos need upload accounts, open country", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        {
          platforms: ["tiktok"],
          country: "USA",
          accounts_count: 2,
          upload_accounts_count: 3,
          videos_per_account: 1,
        },
        "VALIDATION_ERROR",
      ],
      [
        { platforms: ["tiktok"], country: "USA", accounts_count: 2, upload_accounts_count: 1 },
        "VALIDATION_ERROR",
      ],
      [
        { platforms: ["tiktok"], country: "USA", accounts_count: 2, videos_per_account: 3 },
        "VALIDATION_ERROR",
      ],
      [{ platforms: ["tiktok"], country: "DE", accounts_count: 1 }, "COUNTRY_NOT_ENABLED"],
    ];
    for (const [body, code] of cases) {
      const res = await emu.api("POST", "/bundles/bulk", { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe(code);
    }
    expect(await balance(emu)).toBe(10_000);
  });
});

describe("listBundles and getBundle", () => {
  test("paginates newest first and filters by exact external_ref, type, status, platform, country", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 27; i++) {
      ids.push(
        await createBundle(emu, {
          external_ref: `row-${i}`,
          platform: i % 3 === 0 ? "instagram" : "tiktok",
          country: i % 2 === 0 ? "USA" : "FR",
          videos_quantity: 1,
        }),
      );
    }
    const saved = seedSavedAccount(emu);
    const videosOnly = await emu.api("POST", "/bundles", {
      body: { bundle_type: "videos_only", account_id: saved.id, videos_quantity: 1, external_ref: "row-1" },
    });
    ids.push(videosOnly.body.data.id);

    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const res = await emu.api("GET", "/bundles", { query: { page, per_page: 10 } });
      expect(res.status).toBe(200);
      expect(res.body.pagination).toEqual({ page, per_page: 10, total: 28, total_pages: 3 });
      seen.push(...res.body.data.map((b: { id: string }) => b.id));
    }
    expect(seen).toEqual([...ids].reverse());
    const beyond = await emu.api("GET", "/bundles", { query: { page: 4, per_page: 10 } });
    expect(beyond.body.data).toEqual([]);

    const exact = await emu.api("GET", "/bundles", { query: { external_ref: "row-1" } });
    expect(exact.body.data.map((b: { id: string }) => b.id)).toEqual([ids[27], ids[1]]);
    const prefixOnly = await emu.api("GET", "/bundles", { query: { external_ref: "row-" } });
    expect(prefixOnly.body.pagination.total).toBe(0);

    const byType = await emu.api("GET", "/bundles", { query: { bundle_type: "videos_only" } });
    expect(byType.body.data.map((b: { id: string }) => b.id)).toEqual([ids[27]]);
    const instagram = await emu.api("GET", "/bundles", { query: { platform: "instagram", per_page: 100 } });
    expect(instagram.body.pagination.total).toBe(9);
    const us = await emu.api("GET", "/bundles", { query: { country: "US", per_page: 100 } });
    expect(us.body.pagination.total).toBe(15);
    const pendingAccounts = await emu.api("GET", "/bundles", {
      query: { account_status: "pending", per_page: 100 },
    });
    expect(pendingAccounts.body.pagination.total).toBe(27);
    const published = await emu.api("GET", "/bundles", { query: { status: "published" } });
    expect(published.body.pagination.total).toBe(0);
  });

  test("a bundle of another workspace is not listed and not readable", async () => {
    const id = await createBundle(emu);
    const other = emu.createKey({ credits: 100 });
    expect((await emu.api("GET", "/bundles", { key: other.apiKey })).body.pagination.total).toBe(0);
    const res = await emu.api("GET", `/bundles/${id}`, { key: other.apiKey });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("BUNDLE_NOT_OWNED");
  });

  test("the detail carries computed fields that follow configuration", async () => {
    const id = await createBundle(emu);
    let res = await emu.api("GET", `/bundles/${id}`);
    expect(res.body.data).toMatchObject({
      id,
      bundle_id: id,
      videos_configured_count: 0,
      account_configured: false,
      account_status: "pending",
      is_published: false,
      saved_account_id: null,
    });
    await configureAccount(emu, id);
    await configureVideo(emu, id, 2, D3);
    res = await emu.api("GET", `/bundles/${id}`);
    expect(res.body.data).toMatchObject({
      videos_configured_count: 1,
      account_configured: true,
      account_status: "configured",
      videos_status_counts: { pending: 2, configured: 1 },
    });
    const missing = await emu.api("GET", "/bundles/7d9e0f1a-1c4d-4e8f-a5b6-7d9e0f1a2b3c");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("BUNDLE_NOT_FOUND");
  });
});

describe("updateBundle", () => {
  test("changes title, ref and auto-finalize; null clears the ref; a taken ref is 409", async () => {
    const a = await createBundle(emu, { external_ref: "a" });
    const b = await createBundle(emu, { external_ref: "b" });
    await emu.advance(60);
    const res = await emu.api("PATCH", `/bundles/${a}`, {
      body: { title: "Renamed", auto_finalize_videos: false, external_ref: "a2" },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      title: "Renamed",
      external_ref: "a2",
      auto_finalize_videos: false,
      review_mode: "manual",
      updated_at: "2026-09-01T12:01:00.000Z",
    });
    const taken = await emu.api("PATCH", `/bundles/${a}`, { body: { external_ref: "b" } });
    expect(taken.status).toBe(409);
    expect(taken.body.error.details.existing_bundle_id).toBe(b);
    const same = await emu.api("PATCH", `/bundles/${b}`, { body: { external_ref: "b" } });
    expect(same.status).toBe(200);
    const cleared = await emu.api("PATCH", `/bundles/${b}`, { body: { external_ref: null } });
    expect(cleared.body.data.external_ref).toBeNull();
    // The freed ref can be taken now.
    expect((await emu.api("PATCH", `/bundles/${a}`, { body: { external_ref: "b" } })).status).toBe(200);
  });
});

describe("extra slots", () => {
  test("add-video-slots charges 2 each and appends pending positions", async () => {
    const id = await createBundle(emu);
    const res = await emu.api("POST", `/bundles/${id}/add-video-slots`, { body: { quantity: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ bundle_id: id, added: 2, positions: [4, 5], videos_quantity: 5 });
    expect(res.body.credits_charged).toBe(4);
    expect(await balance(emu)).toBe(10_000 - 38 - 4);
    const videos = await emu.api("GET", `/bundles/${id}/videos`);
    expect(videos.body.data.map((v: { position: number }) => v.position)).toEqual([1, 2, 3, 4, 5]);
    expect(videos.body.data[4].status).toBe("pending");
  });

  test("no video slots on account_only or closed bundles; 402 when short", async () => {
    const accountOnly = (
      await emu.api("POST", "/bundles", { body: { bundle_type: "account_only", country: "USA" } })
    ).body.data.id;
    const refused = await emu.api("POST", `/bundles/${accountOnly}/add-video-slots`, {
      body: { quantity: 1 },
    });
    expect(refused.status).toBe(400);
    const id = await createBundle(emu);
    emu.state().bundles[id]!.status = "completed";
    const closed = await emu.api("POST", `/bundles/${id}/add-video-slots`, { body: { quantity: 1 } });
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe("BUNDLE_INVALID_STATUS");

    const poor = emu.createKey({ credits: 39 });
    const own = await createBundle(emu, {}, poor.apiKey);
    const short = await emu.api("POST", `/bundles/${own}/add-video-slots`, {
      body: { quantity: 1 },
      key: poor.apiKey,
    });
    expect(short.status).toBe(402);
    const videos = await emu.api("GET", `/bundles/${own}/videos`, { key: poor.apiKey });
    expect(videos.body.data).toHaveLength(3);
  });

  test("add-edit-slots charges 3 each and keeps edits within videos", async () => {
    const id = await createBundle(emu, { edits_quantity: 1 });
    const res = await emu.api("POST", `/bundles/${id}/add-edit-slots`, { body: { quantity: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.data.edits_quantity).toBe(3);
    expect(res.body.credits_charged).toBe(6);
    const over = await emu.api("POST", `/bundles/${id}/add-edit-slots`, { body: { quantity: 1 } });
    expect(over.status).toBe(400);
    expect(await balance(emu)).toBe(10_000 - 41 - 6);
  });
});
