/**
 * Shared set-up for the managers and analytics tests: a bundle taken all the way to `published` through
 * the public API, so the simulated managers have work to do.
 */
import { expect } from "vitest";
import type { TestEmulator } from "../support/emulator.ts";

/** The managers' timings these suites assert, pinned so a change of the defaults cannot move them. */
export const MANAGER_RULES = {
  managers: { acceptAfterSeconds: 600, postAtHourUtc: 17, autoFinalizeAfterHours: 72 },
};

export interface LaunchOptions {
  platform?: "tiktok" | "instagram";
  autoFinalize?: boolean;
  ref?: string;
  username?: string;
  /** One configured video per date (YYYY-MM-DD); one more slot is left pending. */
  dates?: string[];
  /** external_ref of each configured video, by index. */
  videoRefs?: string[];
  key?: string;
}

export interface Launched {
  bundleId: string;
  /** Video slot ids by position (1-based index into the array minus one). */
  videoIds: string[];
}

export async function launchBundle(emu: TestEmulator, opts: LaunchOptions = {}): Promise<Launched> {
  const platform = opts.platform ?? "tiktok";
  const dates = opts.dates ?? ["2026-09-04", "2026-09-05"];
  const key = opts.key;
  const created = await emu.api("POST", "/bundles", {
    key,
    body: {
      bundle_type: "account_and_videos",
      platform,
      country: "USA",
      videos_quantity: dates.length + 1,
      auto_finalize_videos: opts.autoFinalize ?? false,
      ...(opts.ref ? { external_ref: opts.ref } : {}),
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const bundleId: string = created.body.data.id;

  const account = await emu.api("PUT", `/bundles/${bundleId}/account`, {
    key,
    body: {
      username: opts.username ?? "timeline.user",
      visible_name: "Timeline User",
      biography: "Daily clips",
      profile_picture_url: "https://images.example.com/face.jpg",
    },
  });
  expect(account.status, JSON.stringify(account.body)).toBe(200);

  for (const [i, date] of dates.entries()) {
    const res = await emu.api("PUT", `/bundles/${bundleId}/videos/${i + 1}`, {
      key,
      body: {
        video_type: "video",
        description: `Clip ${i + 1}`,
        video_url: `https://cdn.example.com/clip-${i + 1}.mp4`,
        target_publish_date: date,
        ...(opts.videoRefs?.[i] !== undefined ? { external_ref: opts.videoRefs[i] } : {}),
        ...(platform === "instagram" ? { instagram_content_type: "reel" } : {}),
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  const published = await emu.api("POST", `/bundles/${bundleId}/publish`, { key });
  expect(published.status, JSON.stringify(published.body)).toBe(200);

  const videos = await emu.api("GET", `/bundles/${bundleId}/videos`, { key });
  return { bundleId, videoIds: videos.body.data.map((v: { id: string }) => v.id) };
}

/** Moves the simulated clock to an absolute time (never backwards). */
export async function advanceTo(emu: TestEmulator, iso: string): Promise<void> {
  const seconds = (Date.parse(iso) - emu.clock.now()) / 1000;
  expect(seconds).toBeGreaterThanOrEqual(0);
  await emu.advance(seconds);
}
