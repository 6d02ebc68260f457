/** Times and statuses in words for the pages. Pure. */
import type { SyncStatus } from "../sync/types.ts";

/** `2026-09-03 12:00 UTC`. */
export function utcTime(iso: string | null): string {
  if (!iso || !Number.isFinite(Date.parse(iso))) return "never";
  return `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `3 hours ago`, `in 12 minutes`. */
export function relative(iso: string | null, now: number): string {
  if (!iso || !Number.isFinite(Date.parse(iso))) return "never";
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  const [size, unit] = units.find(([ms]) => abs >= ms) ?? [1000, "second"];
  const n = Math.round(abs / size);
  const text = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

/** Each row status with the words a person reads beside its colour. */
export const STATUS_WORDS: Record<SyncStatus | "none", string> = {
  synced: "synced",
  pending: "pending (waiting on TokPortal)",
  locked: "locked (needs a person)",
  error: "error (fix the row)",
  skipped: "skipped",
  none: "not synced yet",
};

export const STATUS_TONE: Record<SyncStatus | "none", "good" | "warn" | "bad" | "idle"> = {
  synced: "good",
  pending: "idle",
  locked: "warn",
  error: "bad",
  skipped: "idle",
  none: "idle",
};
