/**
 * From a loaded service (src/config/service.ts) to what the scheduler runs: each campaign's schedule, its
 * run (`serviceRun` under its sheet's run lock, with the rate gate of its key and the Sheets limiter of
 * its account when other campaigns share them), and the record its end appends to the run history.
 */
import type { Logger } from "pino";
import type { Alerter } from "../alerts/alerter.ts";
import type { TokPortalClient } from "../api/client.ts";
import type { RateGate, RateGateOptions } from "../api/rate-gate.ts";
import { ConfigError } from "../config/errors.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { CampaignSetup } from "../config/service.ts";
import type { CampaignPlan, InvalidCampaign } from "../service/campaigns.ts";
import type { RunHistory } from "../service/history.ts";
import { runRecordOf } from "../service/run-record.ts";
import { checkSchedule, ScheduleError } from "../service/scheduler.ts";
import { keyIdentity, SharedLimits, sheetsIdentity } from "../service/shared-limits.ts";
import type { SheetsRateLimiter } from "../sources/sheets-limiter.ts";
import type { RunReport } from "../sync/types.ts";
import { authErrorOf, exitCodeForError, exitCodeForReport, SourceLockedError } from "./outcome.ts";
import { redact } from "./output.ts";
import { maxWaitMsOf } from "./runtime.ts";

/** A campaign ready to be scheduled. */
export interface ReadyCampaign {
  name: string;
  loaded: LoadedConfig;
  schedule: string;
  timezone: string | undefined;
}

/** The text with every key in `keys` hidden. */
export function redactAll(text: string, keys: readonly string[]): string {
  return keys.reduce((t, k) => redact(t, k), redact(text, null));
}

/** An error as one line for the log, naming the variable the campaign's key comes from. */
export function oneLine(err: unknown, apiKeyEnv = "TOKPORTAL_API_KEY"): string {
  if (err instanceof ConfigError) return err.problems.join("; ");
  const auth = authErrorOf(err);
  if (auth) return `TokPortal refused the API key: ${auth.message} Check ${apiKeyEnv}.`;
  return (err instanceof Error ? err.message || err.name : String(err)).replace(/\s*\n\s*/g, " ");
}

/**
 * Each campaign's schedule (`--schedule` wins over the config's): the campaigns that can run, and the
 * problems of the others, one line each naming the campaign and its file.
 */
export function scheduleCampaigns(
  campaigns: CampaignSetup[],
  scheduleFlag: string | undefined,
): { ready: ReadyCampaign[]; invalid: InvalidCampaign[] } {
  const ready: ReadyCampaign[] = [];
  const invalid: InvalidCampaign[] = [];
  for (const c of campaigns) {
    if (!c.loaded) {
      invalid.push({ name: c.name, problems: c.problems });
      continue;
    }
    const schedule = scheduleFlag ?? c.loaded.config.schedule;
    const timezone = c.loaded.config.timezone;
    if (!schedule) {
      invalid.push({
        name: c.name,
        problems: [
          `campaign ${JSON.stringify(c.name)}: ${c.shown}: no schedule: set "schedule" (e.g. "*/15 * * * *") or pass --schedule "EXPR".`,
        ],
      });
      continue;
    }
    try {
      checkSchedule(schedule, timezone);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      invalid.push({
        name: c.name,
        problems: [`campaign ${JSON.stringify(c.name)}: ${c.shown}: ${err.message}`],
      });
      continue;
    }
    ready.push({ name: c.name, loaded: c.loaded, schedule, timezone });
  }
  return { ready: refuseSharedSandboxes(ready, invalid), invalid };
}

/**
 * An in-process sandbox keeps its world in `.sandbox/` next to its config: two sandbox campaigns in one
 * folder (a --config-dir, or inline campaigns) would run two emulators on one state file. The first keeps
 * it; the others are refused, saying why.
 */
function refuseSharedSandboxes(ready: ReadyCampaign[], invalid: InvalidCampaign[]): ReadyCampaign[] {
  const owner = new Map<string, string>();
  return ready.filter((c) => {
    if (c.loaded.baseUrl !== "sandbox") return true;
    const first = owner.get(c.loaded.baseDir);
    if (first === undefined) {
      owner.set(c.loaded.baseDir, c.name);
      return true;
    }
    invalid.push({
      name: c.name,
      problems: [
        `campaign ${JSON.stringify(c.name)}: "base_url": "sandbox" like campaign ${JSON.stringify(first)} in the same folder (${c.loaded.baseDir}): their sandboxes would share one .sandbox/ folder; put each sandbox campaign's file in a folder of its own.`,
      ],
    });
    return false;
  });
}

export interface SharedFor {
  gate?: RateGate;
  sheetsLimiter?: SheetsRateLimiter;
  /** A read the run's end makes with the run's client (alerts: the balance, src/alerts/balance.ts). */
  probe?: (client: TokPortalClient, report: RunReport, signal: AbortSignal) => Promise<void>;
}

/**
 * The gate and Sheets limiter each campaign shares with others: campaigns alone on their key keep a gate
 * of their own (bounded by their next tick, as a single campaign's is); campaigns on one key wait at one
 * gate, whose ceiling is the smallest of theirs.
 */
export function shareLimits(
  ready: ReadyCampaign[],
  env: Record<string, string | undefined>,
  gateOptions?: Omit<RateGateOptions, "maxWaitMs">,
): { limits: SharedLimits; shared: Map<string, SharedFor> } {
  const limits = new SharedLimits(gateOptions ? { gate: gateOptions } : {});
  const byKey = new Map<string, ReadyCampaign[]>();
  for (const c of ready) {
    const id = keyIdentity(c.loaded);
    if (id) byKey.set(id, [...(byKey.get(id) ?? []), c]);
  }
  const shared = new Map<string, SharedFor>(ready.map((c) => [c.name, {}]));
  for (const [id, group] of byKey) {
    if (group.length < 2) continue;
    const gate = limits.gate(id, Math.min(...group.map((c) => maxWaitMsOf(c.loaded))));
    for (const c of group) (shared.get(c.name) as SharedFor).gate = gate;
  }
  for (const c of ready) {
    const id = sheetsIdentity(c.loaded, env);
    if (id) (shared.get(c.name) as SharedFor).sheetsLimiter = limits.sheetsLimiter(id);
  }
  return { limits, shared };
}

export interface PlanContext {
  logger: Logger;
  history: RunHistory | null;
  /** The campaigns' alerts (src/alerts/), when any campaign has some. */
  alerts?: Alerter | null;
  keys: readonly string[];
  /** One sync run (cron-run.ts's serviceRun). */
  run: (
    loaded: LoadedConfig,
    signal: AbortSignal,
    logger: Logger,
    nextRunAt: string | null,
    shared: SharedFor,
  ) => Promise<RunReport>;
}

export function campaignPlan(c: ReadyCampaign, shared: SharedFor, ctx: PlanContext): CampaignPlan {
  const logger = ctx.logger.child({ campaign: c.name });
  let lastError: unknown = null;
  const alerts = ctx.alerts?.has(c.name) ? ctx.alerts : null;
  const runShared: SharedFor = alerts
    ? { ...shared, probe: (client, report, signal) => alerts.probe(c.name, client, report, signal) }
    : shared;
  return {
    name: c.name,
    schedule: c.schedule,
    ...(c.timezone ? { timezone: c.timezone } : {}),
    runOnce: async (signal, nextRunAt) => {
      lastError = null;
      try {
        return await ctx.run(c.loaded, signal, logger, nextRunAt, runShared);
      } catch (err) {
        lastError = err;
        throw err;
      }
    },
    // Only the run lock, taken before anything is done, means "skipped": a file lock met at write-back
    // comes after the run applied, and is a failure to report.
    isLocked: (err) => err instanceof SourceLockedError,
    describeError: (err) => redactAll(oneLine(err, c.loaded.apiKeyEnv), ctx.keys),
    onRunEnd: async (summary, report, trigger) => {
      const exitCode = report ? exitCodeForReport(report) : exitCodeForError(lastError);
      const record = runRecordOf(summary, report, { campaign: c.name, trigger, exitCode });
      // Returns at once: alerts are weighed and delivered beside the runs, never in their way.
      alerts?.runEnded(c.name, record, report);
      await ctx.history?.append(record);
    },
  };
}

/** A time as people in `timezone` read it: `2026-05-01 09:00:00 (Europe/Paris)`. */
export function localTime(iso: string | null, timezone: string | undefined): string | null {
  if (!iso) return null;
  const zone = timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const text = new Intl.DateTimeFormat("sv-SE", {
    timeZone: zone,
    dateStyle: "short",
    timeStyle: "medium",
  }).format(new Date(iso));
  return `${text} (${zone})`;
}
