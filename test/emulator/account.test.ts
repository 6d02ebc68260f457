/** The ordered account over HTTP: profile configuration, review actions, and delivery's effect on lead time. */
import { describe, expect, test } from "vitest";
import { sharedEmulator } from "../support/emulator.ts";
import {
  configureAccount,
  configureVideo,
  createBundle,
  D1,
  D3,
  PROFILE,
  seedSavedAccount,
  videoBody,
} from "./bundles.fixtures.ts";

const emu = sharedEmulator();

describe("configureBundleAccount", () => {
  test("PUT sets the profile and moves the account to configured; GET shows it", async () => {
    const id = await createBundle(emu);
    await emu.advance(5);
    const res = await configureAccount(emu, id);
    expect(res.body.data).toMatchObject({
      id,
      account: {
        ...PROFILE,
        status: "configured",
        link_in_bio: null,
        configured_at: "2026-09-01T12:00:05.000Z",
      },
    });
    const got = await emu.api("GET", `/bundles/${id}/account`);
    expect(got.body.data).toMatchObject({
      id,
      status: "configured",
      saved_account_id: null,
      account: PROFILE,
    });
    // PUT replaces: an omitted optional field is cleared.
    const again = await configureAccount(emu, id, { username: "other_name", visible_name: "Other" });
    expect(again.body.data.account).toMatchObject({
      username: "other_name",
      biography: null,
      profile_picture_url: null,
    });
    expect((await emu.api("GET", `/bundles/${id}`)).body.data.updated_at).toBe("2026-09-01T12:00:05.000Z");
  });

  test("link_in_bio is Instagram only; a username ending with a dot is refused", async () => {
    const tiktok = await createBundle(emu);
    const res = await emu.api("PUT", `/bundles/${tiktok}/account`, {
      body: { ...PROFILE, link_in_bio: "https://example.com" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe("link_in_bio");
    const dot = await emu.api("PUT", `/bundles/${tiktok}/account`, {
      body: { ...PROFILE, username: "name." },
    });
    expect(dot.status).toBe(400);
    const insta = await createBundle(emu, { platform: "instagram" });
    const ok = await emu.api("PUT", `/bundles/${insta}/account`, {
      body: { ...PROFILE, link_in_bio: "https://example.com" },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.data.account.link_in_bio).toBe("https://example.com");
  });

  test("videos_only bundles have no account to configure", async () => {
    const saved = seedSavedAccount(emu);
    const id = (
      await emu.api("POST", "/bundles", {
        body: { bundle_type: "videos_only", account_id: saved.id, videos_quantity: 1 },
      })
    ).body.data.id;
    const res = await emu.api("PUT", `/bundles/${id}/account`, { body: PROFILE });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("ACCOUNT_NOT_FOUND");
  });

  test("after publishing the account is locked until unpublish", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    await emu.api("POST", `/bundles/${id}/publish`);
    const res = await emu.api("PUT", `/bundles/${id}/account`, { body: PROFILE });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("ACCOUNT_INVALID_STATUS");
    expect(res.body.error.details).toMatchObject({ current_status: "published" });
  });
});

describe("review actions on the account", () => {
  test("corrections: in_review → pending_corrections; finalize: in_review → finalized; else 409", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    const body = { comment: "Use a brighter picture", fields: { profile_picture: true } };
    const early = await emu.api("POST", `/bundles/${id}/account/corrections`, { body });
    expect(early.status).toBe(409);
    expect(early.body.error.details).toMatchObject({
      current_status: "configured",
      allowed_statuses: ["in_review"],
    });
    expect((await emu.api("POST", `/bundles/${id}/account/finalize`)).status).toBe(409);

    emu.state().bundles[id]!.account!.status = "in_review";
    const corrections = await emu.api("POST", `/bundles/${id}/account/corrections`, { body });
    expect(corrections.status).toBe(200);
    expect(corrections.body.data.account).toMatchObject({
      status: "pending_corrections",
      correction_comment: "Use a brighter picture",
    });

    emu.state().bundles[id]!.account!.status = "in_review";
    const finalized = await emu.api("POST", `/bundles/${id}/account/finalize`);
    expect(finalized.status).toBe(200);
    expect(finalized.body.data.account).toMatchObject({
      status: "finalized",
      finalized_at: "2026-09-01T12:00:00.000Z",
    });
  });
});

describe("delivery shortens the lead time", () => {
  test("once the managers deliver the account (in_review), 1 day ahead is enough", async () => {
    const id = await createBundle(emu);
    await configureAccount(emu, id);
    await configureVideo(emu, id, 1, D3);
    expect((await emu.api("PUT", `/bundles/${id}/videos/2`, { body: videoBody(D1) })).status).toBe(400);
    expect((await emu.api("POST", `/bundles/${id}/publish`)).status).toBe(200);
    // The managers accept the order, then the account is delivered.
    await emu.advance(emu.rules().managers.acceptAfterSeconds + 1);
    const detail = (await emu.api("GET", `/bundles/${id}`)).body.data;
    expect(detail.account_status).toBe("in_review");
    expect(detail.saved_account_id).toEqual(expect.any(String));
    const res = await emu.api("PUT", `/bundles/${id}/videos/2`, { body: videoBody(D1) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const today = await emu.api("PUT", `/bundles/${id}/videos/3`, { body: videoBody("2026-09-01") });
    expect(today.body.error.details).toMatchObject({ min_days_ahead: 1, earliest_allowed: D1 });
  });
});
