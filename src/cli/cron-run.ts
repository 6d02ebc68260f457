/**
 * What `tokportal-sync cron` does: load the config, check the schedule, start the scheduler (one sync
 * run per tick under the sheet's run lock), the health server if asked, and stop cleanly on
 * SIGINT/SIGTERM. Returns the exit code once stopped.
 */
import type { Logger } from "pino";
import { ConfigError } from "../config/errors.ts";
import { type LoadedConfig, loadConfig } from "../config/load.ts";
import { type HealthServer, startHealthServer } from "../service/health.ts";
import { createServiceLogger } from "../service/logger.ts";
import { checkSchedule, ScheduleError, SyncScheduler } from "../service/scheduler.ts";
import type { RunReport } from "../sync/types.ts";
import { runOptionsOf } from "./command.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import { authErrorOf, SourceLockedError } from "./outcome.ts";
import { redact } from "./output.ts";
import { withRunLock } from "./run-lock.ts";
import { maxWaitMsOf, openRuntime } from "./runtime.ts";

export interface CronFlags {
  config: string;
  schedule?: string;
  healthPort?: number;
  healthHost: string;
}

export interface CronIO {
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /** Where log lines go (default: stdout). */
  logger?: Logger;
  /** Resolves when the service should stop (default: the first SIGINT or SIGTERM). */
  stopSignal?: Promise<string>;
}

/**
 * One tick's sync: `--yes` semantics bounded by max_credits. A service never spends without a budget:
 * with none, the run plans with a budget of 0, so charged work is deferred (and said so) and the free
 * work (publishing, video settings, analytics) still goes on.
 */
export async function serviceRun(
  loaded: LoadedConfig,
  signal: AbortSignal,
  logger: Logger,
  nextRunAt: string | null = null,
): Promise<RunReport> {
  return withRunLock(
    loaded,
    async () => {
      const maxWaitMs = cronWaitCeilingMs(maxWaitMsOf(loaded), nextRunAt, Date.now());
      const runtime = await openRuntime(loaded, { maxWaitMs });
      try {
        const { runSync } = await import("../sync/run.ts");
        const c = loaded.config;
        return await runSync({
          ...runOptionsOf(loaded, runtime),
          maxCredits: c.max_credits ?? 0,
          prune: false,
          mode: "apply",
          analytics: c.analytics,
          signal,
          confirm: async () => true,
        });
      } finally {
        await runtime.close().catch(() => undefined);
      }
    },
    {
      onCompromised: (err) =>
        logger.error({ event: "lock_lost", error: err.message }, "the run lock was lost during a run"),
    },
  );
}

/**
 * A tick's wait ceiling: the config's, and never past the next tick, which takes the work over (a run still
 * waiting then would only make that tick skip).
 */
export function cronWaitCeilingMs(configuredMs: number, nextRunAt: string | null, now: number): number {
  const next = nextRunAt === null ? Number.NaN : Date.parse(nextRunAt);
  if (!Number.isFinite(next)) return configuredMs;
  return Math.max(0, Math.min(configuredMs, next - now));
}

function oneLine(err: unknown): string {
  if (err instanceof ConfigError) return err.problems.join("; ");
  const auth = authErrorOf(err);
  if (auth) return `TokPortal refused the API key: ${auth.message} Check TOKPORTAL_API_KEY.`;
  return (err instanceof Error ? err.message || err.name : String(err)).replace(/\s*\n\s*/g, " ");
}

function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(sig);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

export async function runCronCommand(flags: CronFlags, io: CronIO): Promise<ExitCode> {
  // Handlers first: a signal during start-up must stop the service, not kill it half-started.
  const stopSignal = io.stopSignal ?? firstSignal();
  let loaded: LoadedConfig;
  let schedule: string;
  try {
    loaded = loadConfig(flags.config, io.env);
    const fromConfig = loaded.config.schedule;
    const chosen = flags.schedule ?? fromConfig;
    if (!chosen) {
      throw new ConfigError(
        `no schedule: pass --schedule "EXPR" or set "schedule" in ${flags.config} (e.g. "*/15 * * * *" for every 15 minutes).`,
      );
    }
    schedule = chosen;
    checkSchedule(schedule, loaded.config.timezone);
  } catch (err) {
    const key = io.env.TOKPORTAL_API_KEY?.trim() || null;
    if (err instanceof ConfigError) {
      io.stderr.write(redact(`${err.problems.map((p) => `error: ${p}`).join("\n")}\n`, key));
      return EXIT.usage;
    }
    if (err instanceof ScheduleError) {
      io.stderr.write(redact(`error: --schedule: ${err.message}\n`, key));
      return EXIT.usage;
    }
    io.stderr.write(redact(`error: ${oneLine(err)}\n`, key));
    return EXIT.usage;
  }

  const apiKey = loaded.apiKey;
  const logger = io.logger ?? createServiceLogger({ apiKey });
  const timezone = loaded.config.timezone;
  const scheduler: SyncScheduler = new SyncScheduler({
    schedule,
    ...(timezone ? { timezone } : {}),
    logger,
    // Read when the tick starts: by then the scheduler's next run is the tick after this one.
    runOnce: (signal): Promise<RunReport> => serviceRun(loaded, signal, logger, scheduler.nextRunAt()),
    // Only the run lock, taken before anything is done, means "skipped": a file lock met at write-back
    // comes after the run applied, and is a failure to report.
    isLocked: (err) => err instanceof SourceLockedError,
    describeError: (err) => redact(oneLine(err), apiKey),
  });

  let health: HealthServer | null = null;
  if (flags.healthPort !== undefined) {
    try {
      health = await startHealthServer(scheduler, { host: flags.healthHost, port: flags.healthPort });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === "EADDRINUSE" ? "the port is already in use" : (e.code ?? e.message);
      io.stderr.write(
        `error: --health-port: cannot listen on ${flags.healthHost}:${flags.healthPort}: ${why}.\n`,
      );
      return EXIT.usage;
    }
  }

  scheduler.start();
  logger.info(
    {
      event: "service_started",
      config: loaded.file,
      source: loaded.source.type,
      schedule,
      timezone: timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      maxCredits: loaded.config.max_credits,
      analytics: loaded.config.analytics,
      health: health ? health.url : null,
      nextRunAt: scheduler.nextRunAt(),
    },
    "service started",
  );
  if (loaded.config.max_credits === null) {
    logger.warn(
      { event: "no_budget" },
      'max_credits is not set: the service spends no credits; work that costs credits waits (set "max_credits" in the config to let it spend)',
    );
  }

  const signal = await stopSignal;
  logger.info(
    { event: "service_stopping", signal, running: scheduler.running },
    scheduler.running
      ? `${signal}: stopping; the run finishes its calls in flight and the write-back`
      : `${signal}: stopping`,
  );
  const forced = new Promise<ExitCode>((resolve) => {
    const again = (sig: string) => {
      logger.error({ event: "service_killed", signal: sig }, `${sig} again: exiting without waiting`);
      resolve(EXIT.rowsFailed);
    };
    process.once("SIGINT", again);
    process.once("SIGTERM", again);
  });
  const graceful = (async (): Promise<ExitCode> => {
    await scheduler.stop();
    await health?.close();
    logger.info({ event: "service_stopped" }, "service stopped");
    return EXIT.ok;
  })();
  return Promise.race([graceful, forced]);
}
