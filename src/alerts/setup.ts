/**
 * From the loaded service to its alerts: each campaign's `alerts` settings with its channels (written in
 * the campaign, or named from the service's `alert_channels`), their secrets taken from the environment.
 * A bad setting or a missing variable is a config problem of the campaign, one line naming the field and
 * the fix, and never the variable's value. A named channel used by several campaigns is one queue.
 */
import type { Logger } from "pino";
import type { AlertsConfig, ChannelConfig } from "../config/alerts-schema.ts";
import type { CampaignSetup, ServiceSetup } from "../config/service.ts";
import { Alerter, type CampaignAlerts } from "./alerter.ts";
import { type AlertChannel, emailChannel, slackChannel, webhookChannel } from "./channels.ts";
import type { AlertSettings } from "./conditions.ts";
import { DeliveryQueue, type QueueOptions } from "./queue.ts";
import { AlertStateStore } from "./state-store.ts";

export interface AlertsOptions {
  /** Each delivery attempt's limit (default 10 s). */
  attemptTimeoutMs?: number;
  queue?: QueueOptions;
  now?: () => number;
}

export interface AlertsSetup {
  /** Null when no campaign has alerts. */
  alerter: Alerter | null;
  /** Per campaign, its alert problems (the campaign cannot run until they are fixed). */
  problems: Map<string, string[]>;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function durationMs(text: string): number {
  return Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1) as keyof typeof UNIT_MS];
}

export function settingsOf(a: AlertsConfig): AlertSettings {
  return {
    pendingAfterMs: a.pending_after ? durationMs(a.pending_after) : null,
    pendingAfter: a.pending_after ?? null,
    balanceBelow: a.balance_below ?? null,
    expiringWithinDays: a.expiring_within_days ?? null,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

type Env = Record<string, string | undefined>;

/** The channel built from its config, or the lines saying what is wrong (`field` prefixes each). */
function buildChannel(
  c: ChannelConfig,
  name: string,
  field: string,
  env: Env,
  timeoutMs: number,
): AlertChannel | string[] {
  const problems: string[] = [];
  const secret = (key: string, variable: string, what: string): string | null => {
    const value = env[variable]?.trim();
    if (!value) {
      problems.push(
        `${field}.${key}: ${variable} is not set: export ${what} in the environment (the config never holds it).`,
      );
      return null;
    }
    return value;
  };
  if (c.type === "slack" || c.type === "webhook") {
    const url = secret(
      "url_env",
      c.url_env,
      c.type === "slack" ? "the Slack incoming webhook URL" : "the webhook URL",
    );
    if (url !== null && !isHttpUrl(url)) {
      problems.push(
        `${field}.url_env: ${c.url_env} is not an http(s) URL: set it to the URL to POST alerts to.`,
      );
    }
    if (c.type === "slack")
      return problems.length > 0 || url === null ? problems : slackChannel({ name, url, timeoutMs });
    const key =
      c.secret_env !== undefined ? secret("secret_env", c.secret_env, "the webhook's signing secret") : null;
    if (problems.length > 0 || url === null) return problems;
    return webhookChannel({ name, url, timeoutMs, secret: key });
  }
  if (c.user !== undefined && c.password_env === undefined) {
    problems.push(
      `${field}.password_env: missing; a channel with "user" needs the variable holding the SMTP password, like "SMTP_PASSWORD".`,
    );
  }
  if (c.password_env !== undefined && c.user === undefined) {
    problems.push(`${field}.user: missing; "password_env" is set, so give the SMTP user name too.`);
  }
  const password =
    c.password_env !== undefined ? secret("password_env", c.password_env, "the SMTP password") : null;
  if (problems.length > 0) return problems;
  return emailChannel({
    name,
    host: c.host,
    port: c.port,
    secure: c.secure,
    user: c.user ?? null,
    password,
    from: c.from,
    to: c.to,
    timeoutMs,
  });
}

function sheetUrlOf(c: CampaignSetup): string | null {
  const source = c.loaded?.source;
  return source?.type === "google_sheets"
    ? `https://docs.google.com/spreadsheets/d/${source.spreadsheet_id}/edit`
    : null;
}

export function setupAlerts(
  setup: ServiceSetup,
  campaigns: readonly string[],
  env: Env,
  logger: Logger,
  options: AlertsOptions = {},
): AlertsSetup {
  const timeoutMs = options.attemptTimeoutMs ?? 10_000;
  const shared = new Map<string, DeliveryQueue | string[]>();
  const sharedQueue = (name: string): DeliveryQueue | string[] => {
    let q = shared.get(name);
    if (!q) {
      const c = setup.alertChannels[name] as ChannelConfig;
      const built = buildChannel(c, c.name ?? name, `${setup.shown}: alert_channels.${name}`, env, timeoutMs);
      q = Array.isArray(built) ? built : new DeliveryQueue(built, logger, options.queue);
      shared.set(name, q);
    }
    return q;
  };
  const problems = new Map<string, string[]>();
  const perCampaign = new Map<string, CampaignAlerts>();
  for (const c of setup.campaigns) {
    const alerts = c.loaded?.config.alerts;
    if (!alerts || !campaigns.includes(c.name)) continue;
    const lines: string[] = [];
    const queues: DeliveryQueue[] = [];
    alerts.channels.forEach((ch, i) => {
      const field = `campaign ${JSON.stringify(c.name)}: ${c.shown}: alerts.channels[${i}]`;
      if (typeof ch === "string") {
        if (!(ch in setup.alertChannels)) {
          const known = Object.keys(setup.alertChannels);
          lines.push(
            `${field}: no channel named ${JSON.stringify(ch)}: ${known.length > 0 ? `name one of ${known.map((k) => JSON.stringify(k)).join(", ")}` : 'define it in the service config\'s "alert_channels"'}, or write the channel here.`,
          );
          return;
        }
        const q = sharedQueue(ch);
        if (Array.isArray(q)) lines.push(...q.map((p) => `campaign ${JSON.stringify(c.name)}: ${p}`));
        else queues.push(q);
        return;
      }
      const built = buildChannel(ch, ch.name ?? ch.type, field, env, timeoutMs);
      if (Array.isArray(built)) lines.push(...built);
      else queues.push(new DeliveryQueue(built, logger, options.queue));
    });
    if (lines.length > 0) problems.set(c.name, lines);
    else perCampaign.set(c.name, { settings: settingsOf(alerts), queues, sheetUrl: sheetUrlOf(c) });
  }
  const alerter =
    perCampaign.size > 0
      ? new Alerter(new AlertStateStore(setup.stateDir), perCampaign, logger, options.now)
      : null;
  return { alerter, problems };
}
