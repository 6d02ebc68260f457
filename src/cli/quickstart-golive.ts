/**
 * When the sandbox's managers will have posted every video released to them: the quick start moves the
 * sandbox clock there, so one run shows a campaign from order to live posts with their analytics.
 */

/** Video slot statuses the managers still have to post (released to them, not live yet). */
const WAITING_TO_POST = new Set(["published", "accepted"]);

export interface SlotView {
  status: string;
  target_publish_date: string | null;
}

export interface ManagerTimes {
  /** A published bundle is accepted this long after publishing. */
  acceptAfterSeconds: number;
  /** An accepted video is posted on its target day at this hour (UTC). */
  postAtHourUtc: number;
}

/** Slack after the last post, so every transition due at that moment has surely run. */
const MARGIN_MS = 3_600_000;

/**
 * The simulated time (ms) at which every slot waiting to be posted is live (always after `nowMs`), or null
 * when none waits (then there is nothing to advance).
 */
export function goLiveTime(slots: readonly SlotView[], managers: ManagerTimes, nowMs: number): number | null {
  let lastDay: string | null = null;
  for (const s of slots) {
    if (!WAITING_TO_POST.has(s.status) || !s.target_publish_date) continue;
    if (lastDay === null || s.target_publish_date > lastDay) lastDay = s.target_publish_date;
  }
  if (lastDay === null) return null;
  const postAt = Date.parse(`${lastDay}T00:00:00Z`) + managers.postAtHourUtc * 3_600_000;
  // A bundle published just now is accepted only after the managers' delay; its videos post after that.
  const accepted = nowMs + managers.acceptAfterSeconds * 1000;
  return Math.max(postAt, accepted) + MARGIN_MS;
}
