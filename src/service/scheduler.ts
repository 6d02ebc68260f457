/**
 * The service's clock and memory: a croner job that starts one run per tick, never two at once
 * (`protect`: a tick that comes while a run is going is skipped and logged), and what the health
 * endpoints report (running, last run, next run).
 *
 * What a run is, is given (`runOnce`), so this module knows nothing of sheets or TokPortal: it owns the
 * schedule, the stop signal and the log lines around each run.
 *
 * A run can also be asked for now (`runNow`: a TokPortal webhook, a "sync now" button): it starts at once
 * when nothing runs, and otherwise waits for the run in flight and starts right after it, however many
 * times it was asked meanwhile. Never two runs at once.
 */
import { Cron } from "croner";
import type { Logger } from "pino";
import type { RunReport } from "../sync/types.ts";
import { type RunSummary, summarizeFailure, summarizeReport } from "./run-summary.ts";

export interface SchedulerOptions {
  schedule: string;
  /** IANA time zone of the schedule (default: the machine's). */
  timezone?: string;
  logger: Logger;
  /** One sync run; `signal` aborts when the service stops (calls in flight and the write-back finish). */
  runOnce: (signal: AbortSignal) => Promise<RunReport>;
  /** True for "another run holds this sheet": the tick is skipped, not failed. */
  isLocked: (err: unknown) => boolean;
  /** The error as one line for the log, without the key. */
  describeError: (err: unknown) => string;
  now?: () => Date;
  /**
   * Called when a run has ended (not for a skipped tick), with its summary and, when it got that far, its
   * report: the service records it in the run history. Its failure is logged, never the run's.
   */
  onRunEnd?: (summary: RunSummary, report: RunReport | null, trigger: RunTrigger) => Promise<void> | void;
}

/** What started a run: a tick of the schedule, or a `runNow` (a TokPortal webhook, someone's request). */
export type RunTrigger = "cron" | RunNowReason;
export type RunNowReason = "webhook" | "manual";

/**
 * `started`: the run began now; `queued`: a run is in flight, one more starts right after it (asking again
 * meanwhile adds nothing); `stopping`: the service is stopping, nothing starts; `unknown_campaign`: no
 * campaign has that name (CampaignService).
 */
export type RunNowResult = "started" | "queued" | "stopping" | "unknown_campaign";

export interface HealthState {
  running: boolean;
  /** When the last finished run started (ISO), null before the first. */
  lastRunAt: string | null;
  nextRunAt: string | null;
  /** The last finished run failed entirely (not: some rows failed). */
  failing: boolean;
  lastError: string | null;
  /** A service of several campaigns: some (not all) of them are failing or cannot run. */
  degraded?: boolean;
}

/** Invalid schedule or time zone, in words (croner's message). */
export class ScheduleError extends Error {}

export function checkSchedule(schedule: string, timezone?: string): void {
  try {
    new Cron(schedule, { paused: true, ...(timezone ? { timezone } : {}) }).stop();
  } catch (err) {
    throw new ScheduleError(
      `invalid schedule ${JSON.stringify(schedule)}: ${(err as Error).message.replace(/^CronPattern: /, "")}`,
    );
  }
}

export class SyncScheduler {
  private job: Cron | null = null;
  private controller: AbortController | null = null;
  private current: Promise<void> | null = null;
  private runCount = 0;
  private lastSummary: RunSummary | null = null;
  private stopping = false;
  /** A `runNow` came while a run was in flight: its reason, for the run that follows. */
  private queued: RunNowReason | null = null;
  private readonly now: () => Date;

  constructor(private readonly options: SchedulerOptions) {
    checkSchedule(options.schedule, options.timezone);
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    const { schedule, timezone, logger } = this.options;
    this.job = new Cron(
      schedule,
      {
        ...(timezone ? { timezone } : {}),
        protect: () => {
          logger.warn(
            { event: "tick_skipped", reason: "overrun", nextRunAt: this.nextRunAt() },
            "tick skipped: the previous run is still going",
          );
        },
        // Ticks catch their own errors; this only keeps a bug from ending the schedule silently.
        catch: (err) =>
          logger.error({ event: "tick_error", error: this.options.describeError(err) }, "tick failed"),
      },
      () => this.tick(),
    );
  }

  nextRunAt(): string | null {
    return this.job?.nextRun()?.toISOString() ?? null;
  }

  get running(): boolean {
    return this.current !== null;
  }

  get lastRun(): RunSummary | null {
    return this.lastSummary;
  }

  health(): HealthState {
    const last = this.lastSummary;
    return {
      running: this.running,
      lastRunAt: last?.startedAt ?? null,
      nextRunAt: this.stopping ? null : this.nextRunAt(),
      failing: last?.status === "failed",
      lastError: last?.error ?? null,
    };
  }

  /** One run now, as a tick would (also what a tick calls). Resolves when the run has ended. */
  tick(): Promise<void> {
    if (this.current || this.stopping) return this.current ?? Promise.resolve();
    return this.begin("cron");
  }

  /**
   * A run as soon as possible: now when nothing runs, else right after the run in flight (see the
   * module's comment). `done` resolves when the run asked for has ended (at once for `stopping`).
   */
  runNow(reason: RunNowReason): { result: RunNowResult; done: Promise<void> } {
    if (this.stopping) return { result: "stopping", done: Promise.resolve() };
    if (!this.current) return { result: "started", done: this.begin(reason) };
    this.queued ??= reason;
    const after = this.current.then(() => this.current ?? Promise.resolve());
    return { result: "queued", done: after };
  }

  private begin(trigger: RunTrigger): Promise<void> {
    // A run started after another (queued) has no caller to hand a failure to: it is logged here, for
    // every run alike, so none can end as an unhandled rejection.
    const run = this.runOne(trigger)
      .catch((err: unknown) => {
        this.options.logger.error(
          { event: "tick_error", error: this.options.describeError(err) },
          "tick failed",
        );
      })
      .finally(() => {
        this.current = null;
        this.controller = null;
        const next = this.queued;
        this.queued = null;
        // Started before this promise settles, so whoever awaits the finished run finds the next in `current`.
        if (next && !this.stopping) this.begin(next);
      });
    this.current = run;
    return run;
  }

  private async runOne(trigger: RunTrigger): Promise<void> {
    const { logger } = this.options;
    const controller = new AbortController();
    this.controller = controller;
    const startedAt = this.now();
    const n = this.runCount + 1;
    logger.info({ event: "run_started", run: n, trigger }, "run started");
    let report: RunReport;
    try {
      report = await this.options.runOnce(controller.signal);
    } catch (err) {
      const message = this.options.describeError(err);
      if (this.options.isLocked(err)) {
        logger.warn(
          { event: "tick_skipped", reason: "locked", error: message, nextRunAt: this.nextRunAt() },
          "tick skipped: another run holds this sheet",
        );
        return;
      }
      this.runCount = n;
      const ctx = this.context(n, startedAt, controller.signal.aborted);
      this.lastSummary = summarizeFailure(message, ctx);
      logger.error({ event: "run_failed", ...this.lastSummary }, `run failed: ${message}`);
      await this.ended(this.lastSummary, null, trigger);
      return;
    }
    this.runCount = n;
    const summary = summarizeReport(report, this.context(n, startedAt, controller.signal.aborted));
    this.lastSummary = summary;
    const level = summary.counts && (summary.counts.error > 0 || summary.counts.locked > 0) ? "warn" : "info";
    logger[level]({ event: "run_finished", ...summary }, "run finished");
    await this.ended(summary, report, trigger);
  }

  private async ended(summary: RunSummary, report: RunReport | null, trigger: RunTrigger): Promise<void> {
    try {
      await this.options.onRunEnd?.(summary, report, trigger);
    } catch (err) {
      this.options.logger.error(
        { event: "history_failed", error: this.options.describeError(err) },
        "the run could not be recorded in the run history",
      );
    }
  }

  private context(run: number, startedAt: Date, stopped: boolean) {
    const next = this.stopping ? null : this.nextRunAt();
    return { run, startedAt, finishedAt: this.now(), stopped, nextRunAt: next ? new Date(next) : null };
  }

  /**
   * Stops scheduling, tells the running run to stop starting new work, and waits for it to finish
   * (calls in flight and the write-back).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.queued = null;
    this.job?.stop();
    this.controller?.abort();
    await this.current;
  }
}
