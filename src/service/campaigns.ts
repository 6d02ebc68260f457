/**
 * Several campaigns in one service: a scheduler per campaign (its own schedule, time zone and run in
 * flight), so one campaign's slow or failing run never delays another's tick. What the health endpoints
 * report of the whole: each campaign's state, the campaigns whose config is bad, and one status for the
 * service (docs/service.md, "Health endpoint").
 *
 * What a run is, is given per campaign (`runOnce`): this module knows nothing of sheets or TokPortal.
 */
import type { Logger } from "pino";
import type { RunReport } from "../sync/types.ts";
import type { CampaignStatus, HealthSource } from "./health.ts";
import type { HistoryQuery, RunHistory } from "./history.ts";
import type { RunRecord } from "./run-record.ts";
import type { RunSummary } from "./run-summary.ts";
import {
  type HealthState,
  type RunNowReason,
  type RunNowResult,
  type RunTrigger,
  SyncScheduler,
} from "./scheduler.ts";

export interface CampaignPlan {
  name: string;
  schedule: string;
  timezone?: string;
  /** One run; `nextRunAt` is the campaign's next tick when the run starts. */
  runOnce: (signal: AbortSignal, nextRunAt: string | null) => Promise<RunReport>;
  isLocked: (err: unknown) => boolean;
  describeError: (err: unknown) => string;
  onRunEnd?: (summary: RunSummary, report: RunReport | null, trigger: RunTrigger) => Promise<void> | void;
}

export interface InvalidCampaign {
  name: string;
  problems: string[];
}

export interface CampaignServiceOptions {
  campaigns: CampaignPlan[];
  invalid?: InvalidCampaign[];
  logger: Logger;
  history?: RunHistory | null;
  /** Each campaign's last run before this start (from the history), shown until it runs again. */
  previous?: Map<string, RunRecord>;
}

interface Entry {
  name: string;
  scheduler: SyncScheduler;
}

const lastOf = (r: RunSummary | RunRecord): CampaignStatus["lastRun"] => ({
  status: r.status,
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  counts: r.counts,
  creditsCharged: r.creditsCharged,
  error: r.error,
});

export class CampaignService implements HealthSource {
  private readonly entries: Entry[];
  private readonly invalid: InvalidCampaign[];

  constructor(private readonly options: CampaignServiceOptions) {
    this.invalid = options.invalid ?? [];
    this.entries = options.campaigns.map((c) => {
      const logger = options.logger.child({ campaign: c.name });
      const scheduler: SyncScheduler = new SyncScheduler({
        schedule: c.schedule,
        ...(c.timezone ? { timezone: c.timezone } : {}),
        logger,
        // Read when the tick starts: by then the scheduler's next run is the tick after this one.
        runOnce: (signal) => c.runOnce(signal, scheduler.nextRunAt()),
        isLocked: c.isLocked,
        describeError: c.describeError,
        ...(c.onRunEnd ? { onRunEnd: c.onRunEnd } : {}),
      });
      return { name: c.name, scheduler };
    });
  }

  start(): void {
    for (const e of this.entries) e.scheduler.start();
  }

  /** Each campaign's scheduler, by name (start-up lines, tests). */
  schedulers(): ReadonlyArray<Readonly<Entry>> {
    return this.entries;
  }

  get running(): boolean {
    return this.entries.some((e) => e.scheduler.running);
  }

  /** The latest run to finish, of any campaign. */
  get lastRun(): RunSummary | null {
    let last: RunSummary | null = null;
    for (const e of this.entries) {
      const r = e.scheduler.lastRun;
      if (r && (!last || r.finishedAt > last.finishedAt)) last = r;
    }
    return last;
  }

  /**
   * A run of one campaign as soon as possible (SyncScheduler.runNow): `started`, `queued` behind its run
   * in flight, `stopping`, or `unknown_campaign` (a campaign whose config is bad is unknown here: it
   * cannot run). `done` resolves when that run has ended.
   */
  runNow(campaign: string, reason: RunNowReason): { result: RunNowResult; done: Promise<void> } {
    const entry = this.entries.find((e) => e.name === campaign);
    if (!entry) return { result: "unknown_campaign", done: Promise.resolve() };
    return entry.scheduler.runNow(reason);
  }

  lastRunOf(campaign: string): RunSummary | null {
    return this.entries.find((e) => e.name === campaign)?.scheduler.lastRun ?? null;
  }

  /**
   * The whole service: failing (503) only when every campaign that can run is failing; degraded (200)
   * when some are failing or some cannot run at all, so one client's bad sheet does not restart the
   * service that keeps the others going.
   */
  health(): HealthState {
    const states = this.entries.map((e) => e.scheduler.health());
    const failing = states.filter((h) => h.failing);
    const times = (pick: (h: HealthState) => string | null) =>
      states
        .map(pick)
        .filter((t): t is string => t !== null)
        .sort();
    const allFailing = states.length > 0 && failing.length === states.length;
    return {
      running: states.some((h) => h.running),
      lastRunAt: times((h) => h.lastRunAt).at(-1) ?? null,
      nextRunAt: times((h) => h.nextRunAt)[0] ?? null,
      failing: allFailing,
      lastError: allFailing ? (failing[0]?.lastError ?? null) : null,
      degraded: failing.length > 0 || this.invalid.length > 0,
    };
  }

  campaigns(): CampaignStatus[] {
    const out: CampaignStatus[] = this.entries.map((e) => {
      const h = e.scheduler.health();
      const last = e.scheduler.lastRun ?? this.options.previous?.get(e.name) ?? null;
      return {
        name: e.name,
        status: h.failing ? "failing" : "ok",
        running: h.running,
        nextRunAt: h.nextRunAt,
        lastRun: last ? lastOf(last) : null,
      };
    });
    for (const bad of this.invalid) {
      out.push({
        name: bad.name,
        status: "invalid",
        running: false,
        nextRunAt: null,
        lastRun: null,
        problems: bad.problems,
      });
    }
    return out;
  }

  runs(query: HistoryQuery): Promise<RunRecord[]> {
    const history = this.options.history;
    return history ? history.read(query) : Promise.resolve([]);
  }

  /** Stops every schedule and waits for every campaign's run in flight to finish its calls and write-back. */
  async stop(): Promise<void> {
    await Promise.all(this.entries.map((e) => e.scheduler.stop()));
  }
}
