/**
 * The Sheets per-minute quotas (docs/google-sheets.md, "What a run costs in Google requests"): 60 read and 60 write requests per minute per user,
 * 300 of each per minute per project. Modelled as a sliding 60-second window over accepted requests (the
 * strictest reading of "per minute"): a request is refused when its bucket already accepted `limit`
 * requests in the 60 s before it. Refused requests do not count. The clock is injected.
 */

export type QuotaBucket = "read" | "write";

export interface QuotaLimits {
  readPerUser: number;
  writePerUser: number;
  readPerProject: number;
  writePerProject: number;
}

export const DEFAULT_LIMITS: QuotaLimits = {
  readPerUser: 60,
  writePerUser: 60,
  readPerProject: 300,
  writePerProject: 300,
};

const WINDOW_MS = 60_000;

export interface QuotaRefusal {
  /** Google's `quota_limit` name, e.g. `WriteRequestsPerMinutePerUser`. */
  quotaLimit: string;
  limit: number;
}

export class QuotaTracker {
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private limits: QuotaLimits,
    private readonly now: () => number,
  ) {}

  setLimits(limits: Partial<QuotaLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  private window(key: string, at: number): number[] {
    const list = this.accepted.get(key) ?? [];
    let drop = 0;
    while (drop < list.length && (list[drop] as number) <= at - WINDOW_MS) drop++;
    const kept = drop > 0 ? list.slice(drop) : list;
    this.accepted.set(key, kept);
    return kept;
  }

  /** Counts the request if allowed; returns why not otherwise. */
  take(user: string, bucket: QuotaBucket): QuotaRefusal | null {
    const at = this.now();
    const kind = bucket === "read" ? "Read" : "Write";
    const userLimit = bucket === "read" ? this.limits.readPerUser : this.limits.writePerUser;
    const projectLimit = bucket === "read" ? this.limits.readPerProject : this.limits.writePerProject;
    const perUser = this.window(`user:${user}:${bucket}`, at);
    const perProject = this.window(`project:${bucket}`, at);
    if (perUser.length >= userLimit) {
      return { quotaLimit: `${kind}RequestsPerMinutePerUser`, limit: userLimit };
    }
    if (perProject.length >= projectLimit) {
      return { quotaLimit: `${kind}RequestsPerMinutePerProject`, limit: projectLimit };
    }
    perUser.push(at);
    perProject.push(at);
    return null;
  }

  /** Requests accepted in the current window, for assertions. */
  used(user: string, bucket: QuotaBucket): number {
    return this.window(`user:${user}:${bucket}`, this.now()).length;
  }

  reset(): void {
    this.accepted.clear();
  }
}
