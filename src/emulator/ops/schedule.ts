/**
 * Scheduling rules of video slots (docs/tokportal-api.md §7): lead time, the per-day cap and moving stale dates
 * forward at publish time. Dates are `YYYY-MM-DD` in UTC; "today" comes from the emulator clock.
 *
 * `minDaysAhead` is the single definition of "delivered account" for the whole emulator: the managers
 * (ops/managers.ts) and the handlers agree because both call it.
 */
import { ApiError, type EmulatorClock } from "../context.ts";
import type { Bundle, VideoSlot } from "../model.ts";

/** Videos per target day per bundle. */
export const MAX_VIDEOS_PER_DAY = 3;
const LEAD_DAYS_NEW_ACCOUNT = 3;
const LEAD_DAYS_EXISTING_ACCOUNT = 1;
const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The account exists on the platform: delivered (in_review onward) or a saved account (videos_only). */
export function isAccountDelivered(bundle: Bundle): boolean {
  if (bundle.bundle_type === "videos_only") return true;
  if (bundle.saved_account_id) return true;
  const status = bundle.account?.status;
  return status === "in_review" || status === "pending_corrections" || status === "finalized";
}

/** Lead time in days: 3 while a new account is still being created, 1 once it exists. */
export function minDaysAhead(bundle: Bundle): number {
  return isAccountDelivered(bundle) ? LEAD_DAYS_EXISTING_ACCOUNT : LEAD_DAYS_NEW_ACCOUNT;
}

/** Today's date in UTC on the emulator clock. */
export function todayUtc(clock: EmulatorClock): string {
  return new Date(clock.now()).toISOString().slice(0, 10);
}

/** `date` plus `days` calendar days (UTC). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** True for a real calendar date in `YYYY-MM-DD` form (rejects 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  const m = DATE_PATTERN.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/** The first target date a slot of this bundle may take today. */
export function earliestAllowedDate(bundle: Bundle, clock: EmulatorClock): string {
  return addDays(todayUtc(clock), minDaysAhead(bundle));
}

/** Non-cancelled slots of the bundle dated `date`, not counting `exceptSlotId`. */
export function countOnDay(bundle: Bundle, date: string, exceptSlotId?: string): number {
  let n = 0;
  for (const v of bundle.videos) {
    if (v.id !== exceptSlotId && v.status !== "cancelled" && v.target_publish_date === date) n++;
  }
  return n;
}

/** Throws the API's date errors for putting `slot` on `date`; returns nothing when the date is allowed. */
export function assertSchedulable(bundle: Bundle, slot: VideoSlot, date: string, clock: EmulatorClock): void {
  if (!isCalendarDate(date)) {
    throw new ApiError(400, "INVALID_DATE", `target_publish_date "${date}" is not a valid YYYY-MM-DD date.`, {
      field: "target_publish_date",
    });
  }
  const min = minDaysAhead(bundle);
  const earliest = earliestAllowedDate(bundle, clock);
  if (date < earliest) {
    throw new ApiError(
      400,
      "INVALID_DATE",
      `target_publish_date must be at least ${min} day${min === 1 ? "" : "s"} from today (earliest ${earliest}).`,
      {
        field: "target_publish_date",
        min_days_ahead: min,
        earliest_allowed: earliest,
        target_publish_date: date,
      },
    );
  }
  const current = countOnDay(bundle, date, slot.id);
  if (current >= MAX_VIDEOS_PER_DAY) {
    throw new ApiError(
      400,
      "VIDEOS_PER_DAY_EXCEEDED",
      `At most ${MAX_VIDEOS_PER_DAY} videos per day per bundle; ${date} already has ${current}.`,
      { date, current_count: current, max_per_day: MAX_VIDEOS_PER_DAY, position: slot.position },
    );
  }
}

/** Sets a slot's publish window: start = the day, end = the day after. */
export function setTargetDate(slot: VideoSlot, date: string | null): void {
  slot.target_publish_date = date;
  slot.target_publish_start_date = date;
  slot.target_publish_end_date = date === null ? null : addDays(date, 1);
}

export interface DateAdjustment {
  video_id: string;
  position: number;
  previous_date: string;
  new_date: string;
}

/**
 * Moves every slot in `slots` whose date no longer clears the lead time to the earliest allowed date
 * that still has room under the per-day cap (stale slots taken in date, then position order).
 * Mutates the slots; returns what moved.
 */
export function shiftStaleDates(
  bundle: Bundle,
  slots: readonly VideoSlot[],
  clock: EmulatorClock,
): DateAdjustment[] {
  const earliest = earliestAllowedDate(bundle, clock);
  const stale = slots
    .filter((s) => s.target_publish_date !== null && s.target_publish_date < earliest)
    .sort((a, b) =>
      a.target_publish_date === b.target_publish_date
        ? a.position - b.position
        : (a.target_publish_date ?? "") < (b.target_publish_date ?? "")
          ? -1
          : 1,
    );
  const adjusted: DateAdjustment[] = [];
  for (const slot of stale) {
    const previous = slot.target_publish_date as string;
    let date = earliest;
    while (countOnDay(bundle, date, slot.id) >= MAX_VIDEOS_PER_DAY) date = addDays(date, 1);
    setTargetDate(slot, date);
    adjusted.push({ video_id: slot.id, position: slot.position, previous_date: previous, new_date: date });
  }
  return adjusted;
}

export const ADJUSTED_VIDEOS_NOTE =
  "Some target dates no longer cleared the lead time, so they were moved to the earliest allowed dates " +
  "(keeping at most 3 videos per day).";
