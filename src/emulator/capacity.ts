/**
 * Rolling workspace windows for bundle creation and publication (docs/tokportal-api.md §4), on the simulated clock.
 * Kept in memory only: a window is minutes long, and a restarted sandbox starting with room is harmless.
 */
export interface CapacityLimit {
  limit: number;
  windowSeconds: number;
}

interface Use {
  at: number;
  count: number;
}

export class CapacityWindows {
  private readonly uses = new Map<string, Use[]>();

  /** Seconds to wait before `count` more fit (0 = fits now). */
  check(key: string, limit: CapacityLimit, count: number, nowMs: number): number {
    const windowMs = limit.windowSeconds * 1000;
    const list = this.prune(key, nowMs - windowMs);
    let used = list.reduce((s, u) => s + u.count, 0);
    if (used + count <= limit.limit) return 0;
    // Wait until enough of the oldest uses leave the window (or a whole window for an oversize batch).
    for (const u of list) {
      used -= u.count;
      if (used + count <= limit.limit) return Math.max(1, Math.ceil((u.at + windowMs - nowMs) / 1000));
    }
    return Math.max(1, Math.ceil(limit.windowSeconds));
  }

  record(key: string, count: number, nowMs: number): void {
    const list = this.uses.get(key) ?? [];
    list.push({ at: nowMs, count });
    this.uses.set(key, list);
  }

  clear(): void {
    this.uses.clear();
  }

  private prune(key: string, cutoff: number): Use[] {
    const list = (this.uses.get(key) ?? []).filter((u) => u.at > cutoff);
    this.uses.set(key, list);
    return list;
  }
}
