/**
 * Shared setup for the bundle, account and video tests (B's suites): bodies that pass every rule at the
 * tests' fixed clock (2026-09-01T12:00Z, speed 0), and small steps used by many tests.
 */
import { expect } from "vitest";
import type { SavedAccount } from "../../src/emulator/model.ts";
import type { TestEmulator } from "../support/emulator.ts";

/** Today on the test clock, and the first dates the lead times allow. */
export const TODAY = "2026-09-01";
export const D1 = "2026-09-02";
export const D2 = "2026-09-03";
export const D3 = "2026-09-04";
export const D4 = "2026-09-05";

export const PROFILE = {
  username: "street.style_nyc",
  visible_name: "Street Style NYC",
  biography: "Daily street fashion from New York City.",
  profile_picture_url: "https://example.com/p.jpg",
};

export function videoBody(date: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    video_type: "video",
    description: "Day one #launch",
    target_publish_date: date,
    video_url: "https://drive.example.com/clip.mp4",
    ...extra,
  };
}

export async function createBundle(
  emu: TestEmulator,
  body: Record<string, unknown> = {},
  key?: string,
): Promise<string> {
  const res = await emu.api("POST", "/bundles", {
    body: { bundle_type: "account_and_videos", country: "USA", videos_quantity: 3, ...body },
    ...(key ? { key } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id as string;
}

export async function balance(emu: TestEmulator, key?: string): Promise<number> {
  const res = await emu.api("GET", "/credits/balance", key ? { key } : {});
  expect(res.status).toBe(200);
  return res.body.data.total_credits as number;
}

export async function configureAccount(
  emu: TestEmulator,
  id: string,
  body: Record<string, unknown> = PROFILE,
) {
  const res = await emu.api("PUT", `/bundles/${id}/account`, { body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}

export async function configureVideo(
  emu: TestEmulator,
  id: string,
  position: number,
  date: string,
  extra: Record<string, unknown> = {},
) {
  const res = await emu.api("PUT", `/bundles/${id}/videos/${position}`, { body: videoBody(date, extra) });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}

/**
 * A delivered account in the workspace of the default key, as the managers record one. Written into the
 * live state because delivering one through the managers takes a published bundle and a clock jump,
 * which the account tests exercise separately.
 */
export function seedSavedAccount(
  emu: TestEmulator,
  overrides: Partial<SavedAccount> & { workspaceId?: string } = {},
): SavedAccount {
  const state = emu.state();
  // The first key is the default workspace's.
  const workspaceId = overrides.workspaceId ?? state.apiKeys[0]?.workspaceId;
  if (!workspaceId) throw new Error("no workspace");
  const n = Object.keys(state.savedAccounts).length + 1;
  const saved: SavedAccount = {
    id: `5a7ed000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    workspaceId,
    platform: "tiktok",
    country: "USA",
    username: `saved_${n}`,
    bundle_id: "00000000-0000-4000-8000-000000000000",
    status: "active",
    created_at: "2026-08-01T00:00:00.000Z",
    ...overrides,
  };
  state.savedAccounts[saved.id] = saved;
  return saved;
}
