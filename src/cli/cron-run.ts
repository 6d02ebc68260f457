/**
 * What `tokportal-sync cron` does: load the campaigns (one config file, a service config listing several,
 * or a folder of them), check their schedules, start a scheduler per campaign (one sync run per tick under
 * the sheet's run lock), the health server if asked, and stop cleanly on SIGINT/SIGTERM. Each run ends
 * with a record in the run history. Returns the exit code once stopped.
 */
import type { Logger } from "pino";
import { type AlertsOptions, setupAlerts } from "../alerts/setup.ts";
import type { RateGateOptions } from "../api/rate-gate.ts";
import { ConfigError } from "../config/errors.ts";
import type { LoadedConfig } from "../config/load.ts";
import { loadService, type ServiceSetup } from "../config/service.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { type CampaignPlan, CampaignService } from "../service/campaigns.ts";
import { type HealthServer, type HealthSource, startHealthServer } from "../service/health.ts";
import { RunHistory } from "../service/history.ts";
import { createServiceLogger } from "../service/logger.ts";
import type { RunRecord } from "../service/run-record.ts";
import { checkSchedule, ScheduleError } from "../service/scheduler.ts";
import type { RunReport } from "../sync/types.ts";
import { statusAuthOf, statusPages } from "../web/server.ts";
import { ServiceStatus } from "../web/service-data.ts";
import { runOptionsOf } from "./command.ts";
import {
  campaignPlan,
  localTime,
  oneLine,
  type ReadyCampaign,
  redactAll,
  type SharedFor,
  scheduleCampaigns,
  shareLimits,
} from "./cron-campaigns.ts";
import { serviceWebhooks, type WebhookSetupOptions, webhookSecretsOf } from "./cron-webhooks.ts";
import { withRunLock } from "./run-lock.ts";
import { maxWaitMsOf, openRuntime } from "./runtime.ts";

export interface CronFlags {
  config: string;
  /** One campaign file per `*.json` in this folder. */
  configDir?: string;
  /** Where the run history is kept (default: the service config's `state_dir`, else .tokportal-sync/). */
  stateDir?: string;
  /** Refuse to start when any campaign's config is bad (default: start the others, report it). */
  strict?: boolean;
  schedule?: string;
  healthPort?: number;
  healthHost: string;
  /** Serve the status pages on the health port (default true; `--no-status-page`). */
  statusPage?: boolean;
}

export interface CronIO {
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /** Where log lines go (default: stdout). */
  logger?: Logger;
  /** Resolves when the service should stop (default: the first SIGINT or SIGTERM). */
  stopSignal?: Promise<string>;
  /** Options of the rate gates campaigns on one key share (tests: the sandbox's bucket). */
  gate?: Omit<RateGateOptions, "maxWaitMs">;
  /** Alert delivery's timeouts and retries (tests), and how long a stop waits for it (default 5 s). */
  alerts?: AlertsOptions & { drainMs?: number };
  /** The webhook refresh's debounce and tolerance (tests). */
  webhooks?: WebhookSetupOptions;
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
  shared: SharedFor = {},
): Promise<RunReport> {
  return withRunLock(
    loaded,
    async (hold) => {
      const maxWaitMs = cronWaitCeilingMs(maxWaitMsOf(loaded), nextRunAt, Date.now());
      // The lock's source: its lease stops the apply and refuses the write-back once lost.
      const runtime = await openRuntime(loaded, {
        maxWaitMs,
        ...shared,
        ...(hold.source ? { source: hold.source } : {}),
      });
      try {
        const { runSync } = await import("../sync/run.ts");
        const c = loaded.config;
        const report = await runSync({
          ...runOptionsOf(loaded, runtime),
          maxCredits: c.max_credits ?? 0,
          prune: false,
          mode: "apply",
          analytics: c.analytics,
          signal: AbortSignal.any([signal, hold.signal]),
          confirm: async () => true,
        });
        await shared.probe?.(runtime.client, report, signal);
        return report;
      } finally {
        await runtime.close().catch(() => undefined);
      }
    },
    {
      onCompromised: (err) =>
        logger.error({ event: "lock_lost", error: err.message }, "the run lock was lost during a run"),
      ...(shared.sheetsLimiter ? { sheets: { limiter: shared.sheetsLimiter } } : {}),
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

/** One campaign file, as ever: no schedule, or a bad one, is the command's error (the flag's, for a bad one). */
function checkSingleSchedule(setup: ServiceSetup, flags: CronFlags): void {
  const config = setup.campaigns[0]?.loaded?.config;
  const chosen = flags.schedule ?? config?.schedule;
  if (!chosen) {
    throw new ConfigError(
      `no schedule: pass --schedule "EXPR" or set "schedule" in ${flags.config} (e.g. "*/15 * * * *" for every 15 minutes).`,
    );
  }
  checkSchedule(chosen, config?.timezone);
}

/** Start-up problems: one `error:` line each on stderr, without any key. */
function reportStartError(err: unknown, io: CronIO, keys: readonly string[]): ExitCode {
  if (err instanceof ScheduleError) {
    io.stderr.write(redactAll(`error: --schedule: ${err.message}\n`, keys));
    return EXIT.usage;
  }
  if (err instanceof ConfigError) {
    io.stderr.write(redactAll(`${err.problems.map((p) => `error: ${p}`).join("\n")}\n`, keys));
    return EXIT.usage;
  }
  io.stderr.write(redactAll(`error: ${oneLine(err)}\n`, keys));
  return EXIT.usage;
}

/** The keys of every campaign, to keep them out of every line. */
function keysOf(setup: ServiceSetup | null, env: Record<string, string | undefined>): string[] {
  const names = new Set(["TOKPORTAL_API_KEY"]);
  for (const c of setup?.campaigns ?? []) if (c.loaded) names.add(c.loaded.apiKeyEnv);
  return [...names].map((n) => env[n]?.trim() ?? "").filter((k) => k.length >= 8);
}

function setupOf(flags: CronFlags, io: CronIO): ServiceSetup {
  return loadService(
    {
      config: flags.config,
      ...(flags.configDir !== undefined ? { configDir: flags.configDir } : {}),
      ...(flags.stateDir !== undefined ? { stateDir: flags.stateDir } : {}),
    },
    io.env,
  );
}

export async function runCronCommand(flags: CronFlags, io: CronIO): Promise<ExitCode> {
  // Handlers first: a signal during start-up must stop the service, not kill it half-started.
  const stopSignal = io.stopSignal ?? firstSignal();
  let setup: ServiceSetup;
  let ready: ReadyCampaign[];
  let invalid: ReturnType<typeof scheduleCampaigns>["invalid"];
  try {
    setup = setupOf(flags, io);
    if (setup.kind === "campaign") checkSingleSchedule(setup, flags);
    ({ ready, invalid } = scheduleCampaigns(setup.campaigns, flags.schedule));
  } catch (err) {
    return reportStartError(err, io, keysOf(null, io.env));
  }
  const keys = [...keysOf(setup, io.env), ...webhookSecretsOf(ready, io.env)];
  const single = setup.kind === "campaign";
  const logger = io.logger ?? createServiceLogger({ apiKeys: keys });
  const alerting = setupAlerts(
    setup,
    ready.map((c) => c.name),
    io.env,
    logger,
    io.alerts,
  );
  for (const [name, problems] of alerting.problems) invalid.push({ name, problems });
  ready = ready.filter((c) => !alerting.problems.has(c.name));
  if (invalid.length > 0) {
    io.stderr.write(
      redactAll(`${invalid.flatMap((c) => c.problems.map((p) => `error: ${p}`)).join("\n")}\n`, keys),
    );
    if (flags.strict || ready.length === 0) {
      const why = ready.length === 0 ? "no campaign can run" : "--strict: every campaign must be valid";
      io.stderr.write(`error: ${why}; the service did not start.\n`);
      return EXIT.usage;
    }
  }

  const history = new RunHistory(setup.stateDir);
  const { limits, shared } = shareLimits(ready, io.env, io.gate);
  const previous = new Map<string, RunRecord>();
  for (const c of ready) {
    const last = await history.latest(c.name).catch(() => null);
    if (last) previous.set(c.name, last);
  }
  const webhooks = serviceWebhooks(ready, io.env, logger, io.webhooks);
  let pagesToken: string | null = null;
  const pagesOn = flags.healthPort !== undefined && flags.statusPage !== false;
  if (pagesOn) {
    try {
      pagesToken = statusAuthOf(flags.healthHost, io.env);
    } catch (err) {
      io.stderr.write(`error: ${(err as Error).message}.\n`);
      return EXIT.usage;
    }
  }
  let status: ServiceStatus | null = null;
  const service = new CampaignService({
    campaigns: ready.map((c) => {
      const plan = campaignPlan(c, shared.get(c.name) ?? {}, {
        logger,
        history,
        alerts: alerting.alerter,
        keys,
        run: serviceRun,
      });
      const recorded = plan.onRunEnd;
      const noted: CampaignPlan = {
        ...plan,
        onRunEnd: async (summary, report, trigger) => {
          status?.noteRun(c.name, report);
          await recorded?.(summary, report, trigger);
        },
      };
      return webhooks ? webhooks.wrap(noted) : noted;
    }),
    invalid,
    logger,
    history,
    previous,
  });
  webhooks?.attach(service);
  const pruneHistory = () =>
    history.prune(setup.retentionDays).then(
      (removed) => {
        if (removed > 0)
          logger.info({ event: "history_pruned", removed }, `run history: ${removed} old runs deleted`);
      },
      (err: unknown) =>
        logger.error({ event: "history_failed", error: oneLine(err) }, "run history not pruned"),
    );
  await pruneHistory();
  const daily = setInterval(pruneHistory, 86_400_000);
  daily.unref();

  // One campaign file answers /healthz exactly as before; several add each campaign's state.
  const healthSource: HealthSource = single
    ? {
        health: () => service.health(),
        get lastRun() {
          return service.lastRun;
        },
        runs: (q) => service.runs(q),
      }
    : service;
  let health: HealthServer | null = null;
  if (flags.healthPort !== undefined) {
    try {
      status = pagesOn
        ? new ServiceStatus(ready, service, history, invalid, alerting.alerter ?? undefined)
        : null;
      const pages = status ? statusPages({ data: status, syncNow: status, token: pagesToken }) : null;
      const routes = [...(webhooks ? [webhooks.route] : []), ...(pages ? [pages.handle] : [])];
      health = await startHealthServer(healthSource, {
        host: flags.healthHost,
        port: flags.healthPort,
        ...(routes.length > 0 ? { routes } : {}),
      });
    } catch (err) {
      clearInterval(daily);
      const e = err as NodeJS.ErrnoException;
      const why = e.code === "EADDRINUSE" ? "the port is already in use" : (e.code ?? e.message);
      io.stderr.write(
        `error: --health-port: cannot listen on ${flags.healthHost}:${flags.healthPort}: ${why}.\n`,
      );
      return EXIT.usage;
    }
  }

  service.start();
  const first = ready[0] as ReadyCampaign;
  logger.info(
    {
      event: "service_started",
      ...(single
        ? {
            config: first.loaded.file,
            source: first.loaded.source.type,
            schedule: first.schedule,
            timezone: first.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
            maxCredits: first.loaded.config.max_credits,
            analytics: first.loaded.config.analytics,
          }
        : {
            config: setup.shown,
            campaigns: ready.length,
            invalid: invalid.map((c) => c.name),
            sharedKeys: limits.counts().keys,
            sheetsAccounts: limits.counts().sheetsAccounts,
          }),
      stateDir: setup.stateDir,
      health: health ? health.url : null,
      nextRunAt: service.health().nextRunAt,
    },
    "service started",
  );
  for (const { name, scheduler } of service.schedulers()) {
    const c = ready.find((r) => r.name === name) as ReadyCampaign;
    const next = scheduler.nextRunAt();
    logger.info(
      {
        event: "campaign_scheduled",
        campaign: name,
        schedule: c.schedule,
        nextRunAt: next,
        nextRunLocal: localTime(next, c.timezone),
      },
      `${name}: next run ${localTime(next, c.timezone) ?? "never"}`,
    );
    if (c.loaded.config.max_credits === null) {
      logger.warn(
        { event: "no_budget", ...(single ? {} : { campaign: name }) },
        'max_credits is not set: the service spends no credits; work that costs credits waits (set "max_credits" in the config to let it spend)',
      );
    }
  }
  webhooks?.announce(health?.url ?? null);
  for (const bad of invalid) {
    logger.error(
      { event: "campaign_invalid", campaign: bad.name, problems: bad.problems },
      `${bad.name}: not running: its config is bad`,
    );
  }

  const signal = await stopSignal;
  logger.info(
    { event: "service_stopping", signal, running: service.running },
    service.running
      ? `${signal}: stopping; the runs in flight finish their calls and the write-back`
      : `${signal}: stopping`,
  );
  let again: ((sig: string) => void) | null = null;
  const forced = new Promise<ExitCode>((resolve) => {
    again = (sig: string) => {
      logger.error({ event: "service_killed", signal: sig }, `${sig} again: exiting without waiting`);
      resolve(EXIT.rowsFailed);
    };
    process.once("SIGINT", again);
    process.once("SIGTERM", again);
  });
  const graceful = (async (): Promise<ExitCode> => {
    clearInterval(daily);
    webhooks?.stop();
    await service.stop();
    await alerting.alerter?.drain(io.alerts?.drainMs ?? 5000);
    await health?.close();
    logger.info({ event: "service_stopped" }, "service stopped");
    return EXIT.ok;
  })();
  const code = await Promise.race([graceful, forced]);
  if (again) {
    process.off("SIGINT", again);
    process.off("SIGTERM", again);
  }
  return code;
}
