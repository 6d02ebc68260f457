/**
 * The service's TokPortal webhooks (docs/service.md, "TokPortal webhooks"): which secret signs each
 * campaign's events (`tokportal.webhook_secret_env`, default TOKPORTAL_WEBHOOK_SECRET), the receiver route
 * for the service's port, and the refresh it triggers. Off, and nothing changes, when no campaign's
 * variable is set.
 */
import type { Logger } from "pino";
import { DEFAULT_WEBHOOK_SECRET_ENV } from "../config/schema.ts";
import type { CampaignPlan } from "../service/campaigns.ts";
import type { ServiceRoute } from "../service/health.ts";
import type { RunNowReason, RunNowResult } from "../service/scheduler.ts";
import { WEBHOOK_PATH, webhookReceiver } from "../service/webhook-receiver.ts";
import { type RefreshTarget, WebhookRefresh } from "../service/webhook-refresh.ts";
import type { ReadyCampaign } from "./cron-campaigns.ts";

/** The variable a campaign's webhook secret is read from. */
export function webhookSecretEnvOf(c: Pick<ReadyCampaign, "loaded">): string {
  return c.loaded.config.tokportal.webhook_secret_env ?? DEFAULT_WEBHOOK_SECRET_ENV;
}

/** Every webhook secret set for these campaigns (to keep them out of every line). */
export function webhookSecretsOf(
  ready: readonly Pick<ReadyCampaign, "loaded">[],
  env: Record<string, string | undefined>,
): string[] {
  const names = new Set(ready.map(webhookSecretEnvOf));
  return [...names].map((n) => env[n]?.trim() ?? "").filter((s) => s.length > 0);
}

export interface ServiceWebhooks {
  route: ServiceRoute;
  /** The plan, with its run's end also telling the refresh which bundles the campaign has. */
  wrap(plan: CampaignPlan): CampaignPlan;
  /** Where refreshes go once the service exists. */
  attach(service: { runNow(campaign: string, reason: RunNowReason): { result: RunNowResult } }): void;
  /** The start-up line: where it receives (`serverUrl`: the service's port, null without one). */
  announce(serverUrl: string | null): void;
  stop(): void;
}

export interface WebhookSetupOptions {
  debounceMs?: number;
  toleranceSeconds?: number;
}

/** The service's webhooks, or null when no campaign has its secret's variable set. */
export function serviceWebhooks(
  ready: readonly ReadyCampaign[],
  env: Record<string, string | undefined>,
  logger: Logger,
  options: WebhookSetupOptions = {},
): ServiceWebhooks | null {
  const secrets: string[] = [];
  const envs: string[] = [];
  const targets: RefreshTarget[] = [];
  for (const c of ready) {
    const name = webhookSecretEnvOf(c);
    const secret = env[name]?.trim();
    if (!secret) continue;
    let index = envs.indexOf(name);
    if (index < 0) {
      index = envs.push(name) - 1;
      secrets.push(secret);
    }
    targets.push({ name: c.name, refPrefix: c.loaded.config.ref_prefix, subscription: index });
  }
  if (targets.length === 0) return null;
  let runNow: (campaign: string, reason: RunNowReason) => { result: RunNowResult } = () => ({
    result: "stopping",
  });
  const refresh = new WebhookRefresh({
    targets,
    runNow: (campaign, reason) => runNow(campaign, reason),
    logger,
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
  });
  const route = webhookReceiver({
    secrets,
    logger,
    onEvent: (event, subscription) => refresh.onEvent(event, subscription),
    ...(options.toleranceSeconds !== undefined ? { toleranceSeconds: options.toleranceSeconds } : {}),
  });
  return {
    route,
    wrap: (plan) => ({
      ...plan,
      onRunEnd: async (summary, report, trigger) => {
        refresh.saw(plan.name, report);
        await plan.onRunEnd?.(summary, report, trigger);
      },
    }),
    attach: (service) => {
      runNow = (campaign, reason) => service.runNow(campaign, reason);
    },
    announce: (serverUrl) => {
      const subscriptions = envs.map((name, i) => ({
        env: name,
        campaigns: targets.filter((t) => t.subscription === i).map((t) => t.name),
      }));
      if (serverUrl) {
        logger.info(
          { event: "webhooks_ready", url: `${serverUrl}${WEBHOOK_PATH}`, path: WEBHOOK_PATH, subscriptions },
          "TokPortal webhooks: receiving",
        );
      } else {
        logger.warn(
          { event: "webhooks_no_port", path: WEBHOOK_PATH, subscriptions },
          "a webhook secret is set but the service has no port: pass --health-port to receive TokPortal's webhooks",
        );
      }
    },
    stop: () => refresh.stop(),
  };
}
