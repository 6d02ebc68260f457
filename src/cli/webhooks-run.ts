/**
 * What `tokportal-sync webhooks register` and `webhooks status` do. Campaigns are grouped by the TokPortal
 * key they run on (a key's workspace has one set of subscriptions): `register` subscribes the service's
 * URL once per key and prints the signing secret, once, with the variable the service reads it from;
 * `status` lists each key's subscriptions and their recent deliveries. The key never appears in output.
 */
import { TokPortalError } from "../api/errors.ts";
import type { CreatedWebhookEndpoint, WebhookDelivery, WebhookEndpoint } from "../api/parse.ts";
import type { WebhookEventType } from "../api/types.ts";
import { ConfigError } from "../config/errors.ts";
import type { LoadedConfig } from "../config/load.ts";
import { loadService } from "../config/service.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { WEBHOOK_PATH } from "../service/webhook-receiver.ts";
import { SUBSCRIBED_EVENTS } from "../service/webhook-refresh.ts";
import { errorText } from "./command.ts";
import { redactAll } from "./cron-campaigns.ts";
import { webhookSecretEnvOf } from "./cron-webhooks.ts";
import { type CommandIO, write } from "./io.ts";
import { exitCodeForError } from "./outcome.ts";
import { openRuntime } from "./runtime.ts";

export interface WebhooksFlags {
  config: string;
  configDir?: string;
  campaign?: string;
  url?: string;
  events?: string[];
  json?: boolean;
}

/** How many deliveries `status` shows per subscription. */
export const RECENT_DELIVERIES = 10;

/** The campaigns of one TokPortal key: one subscription serves them all. */
export interface KeyGroup {
  loaded: LoadedConfig;
  apiKeyEnv: string;
  secretEnvs: string[];
  campaigns: string[];
}

/** Campaigns grouped by key (and, for the sandbox, by its folder: each is a world of its own). */
export function keyGroups(flags: WebhooksFlags, env: Record<string, string | undefined>): KeyGroup[] {
  const setup = loadService(
    { config: flags.config, ...(flags.configDir !== undefined ? { configDir: flags.configDir } : {}) },
    env,
  );
  const chosen = flags.campaign ? setup.campaigns.filter((c) => c.name === flags.campaign) : setup.campaigns;
  if (flags.campaign && chosen.length === 0) {
    const names = setup.campaigns.map((c) => c.name).join(", ");
    throw new ConfigError(`--campaign: no campaign ${JSON.stringify(flags.campaign)} (campaigns: ${names}).`);
  }
  const broken = chosen.filter((c) => !c.loaded);
  if (broken.length === chosen.length) throw new ConfigError(broken.flatMap((c) => c.problems));
  const groups = new Map<string, KeyGroup>();
  for (const c of chosen) {
    if (!c.loaded) continue;
    const l = c.loaded;
    const id = l.baseUrl === "sandbox" ? `sandbox:${l.baseDir}` : `${l.baseUrl}|${l.apiKeyEnv}`;
    const group = groups.get(id) ?? { loaded: l, apiKeyEnv: l.apiKeyEnv, secretEnvs: [], campaigns: [] };
    group.campaigns.push(c.name);
    const secretEnv = webhookSecretEnvOf({ loaded: l });
    if (!group.secretEnvs.includes(secretEnv)) group.secretEnvs.push(secretEnv);
    groups.set(id, group);
  }
  return [...groups.values()];
}

function checkUrl(raw: string | undefined): string {
  let url: URL;
  try {
    url = new URL(raw ?? "");
  } catch {
    throw new ConfigError(
      `--url: expected the service's public address, like https://sync.example.com${WEBHOOK_PATH}.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`--url: expected an https URL, got ${url.protocol}`);
  if (url.username || url.password) throw new ConfigError("--url: must not carry a user or password.");
  return raw as string;
}

function eventsOf(flags: WebhooksFlags): WebhookEventType[] {
  if (!flags.events || flags.events.length === 0) return [...SUBSCRIBED_EVENTS];
  const list = flags.events.flatMap((e) => e.split(",")).map((e) => e.trim());
  // TokPortal (and the client's contract check) judge the names; a typo is named in its error.
  return [...new Set(list.filter((e) => e !== ""))] as WebhookEventType[];
}

function keysOf(groups: readonly KeyGroup[], env: Record<string, string | undefined>): string[] {
  return groups.flatMap((g) => [g.loaded.apiKey ?? "", env[g.apiKeyEnv]?.trim() ?? ""]).filter(Boolean);
}

const forCampaigns = (g: KeyGroup) =>
  `campaign${g.campaigns.length === 1 ? "" : "s"} ${g.campaigns.join(", ")} (key ${g.apiKeyEnv})`;

function createdText(g: KeyGroup, created: CreatedWebhookEndpoint): string {
  const exports = g.secretEnvs.map((name) => `  export ${name}=${created.signing_secret}\n`).join("");
  return (
    `Subscribed ${created.url} to ${created.events.length} events (endpoint ${created.id}) for ${forCampaigns(g)}.\n` +
    `Its signing secret, shown this once (TokPortal never shows it again): put it in the service's environment\n` +
    `and restart \`tokportal-sync cron\`:\n${exports}`
  );
}

function existingText(g: KeyGroup, existing: WebhookEndpoint | null, url: string): string {
  const what = existing
    ? `endpoint ${existing.id}, ${existing.enabled === false ? "disabled" : "enabled"}, events: ${existing.events.join(", ")}`
    : "TokPortal did not list it";
  return (
    `Already subscribed: ${url} for ${forCampaigns(g)} (${what}).\n` +
    `TokPortal shows a signing secret only when the subscription is created. If ${g.secretEnvs.join(" / ")} ` +
    `no longer holds it, delete this endpoint in TokPortal's dashboard and run \`webhooks register\` again.\n`
  );
}

async function findByUrl(client: { webhooks: { list(): AsyncGenerator<WebhookEndpoint> } }, url: string) {
  for await (const w of client.webhooks.list()) if (w.url === url) return w;
  return null;
}

export async function runWebhooksRegister(flags: WebhooksFlags, io: CommandIO): Promise<ExitCode> {
  let keys: string[] = [];
  try {
    const url = checkUrl(flags.url);
    const groups = keyGroups(flags, io.env);
    keys = keysOf(groups, io.env);
    if (!new URL(url).pathname.endsWith(WEBHOOK_PATH)) {
      await write(
        io.stderr,
        `warning: the service receives TokPortal's webhooks on ${WEBHOOK_PATH}; make sure ${url} reaches it.\n`,
      );
    }
    const events = eventsOf(flags);
    for (const g of groups) {
      const runtime = await openRuntime(g.loaded);
      keys.push(runtime.apiKey);
      try {
        try {
          const created = await runtime.client.webhooks.create({
            url,
            events,
            description: `tokportal-sync: ${g.campaigns.join(", ")}`.slice(0, 500),
          });
          await write(io.stdout, redactAll(createdText(g, created), keys));
        } catch (err) {
          if (!(err instanceof TokPortalError && err.status === 409)) throw err;
          const existing = await findByUrl(runtime.client, url);
          await write(io.stdout, redactAll(existingText(g, existing, url), keys));
        }
      } finally {
        await runtime.close();
      }
    }
    return EXIT.ok;
  } catch (err) {
    await write(io.stderr, redactAll(errorText(err, io.env), keys));
    return codeOf(err);
  }
}

/** A refused request (a bad --events name, a URL TokPortal will not take) is the user's to fix: usage. */
function codeOf(err: unknown): ExitCode {
  if (err instanceof ConfigError) return EXIT.usage;
  if (err instanceof TokPortalError && (err.kind === "local" || err.status === 400 || err.status === 422))
    return EXIT.usage;
  return exitCodeForError(err);
}

export interface SubscriptionStatus {
  campaigns: string[];
  apiKeyEnv: string;
  secretEnvs: string[];
  /** Whether the service would verify this subscription's deliveries (a secret variable is set). */
  secretSet: boolean;
  endpoints: Array<WebhookEndpoint & { deliveries: WebhookDelivery[] }>;
}

function deliveryLine(d: WebhookDelivery): string {
  const when = (d.created_at ?? "").slice(0, 19).replace("T", " ");
  const outcome = d.success ? "ok" : "failed";
  const status = d.response_status ?? "-";
  const took = d.duration_ms === undefined || d.duration_ms === null ? "" : `${Math.round(d.duration_ms)} ms`;
  const error = d.success || !d.error ? "" : `  ${d.error}`;
  return `    ${when}  ${(d.event_type ?? "?").padEnd(28)}${outcome.padEnd(7)}${String(status).padEnd(5)}${took.padEnd(9)}${d.event_id ?? ""}${error}`;
}

export function formatStatus(subs: readonly SubscriptionStatus[]): string {
  const out: string[] = [];
  for (const s of subs) {
    out.push(
      `Key ${s.apiKeyEnv}: campaign${s.campaigns.length === 1 ? "" : "s"} ${s.campaigns.join(", ")}; secret in ${s.secretEnvs.join(" / ")} (${s.secretSet ? "set" : "not set: the service does not receive"})`,
    );
    if (s.endpoints.length === 0)
      out.push("  No subscription: run `tokportal-sync webhooks register --url URL`.");
    for (const e of s.endpoints) {
      out.push(
        `  ${e.url}  ${e.enabled === false ? "disabled" : "enabled"}  endpoint ${e.id}`,
        `    events: ${e.events.join(", ")}`,
      );
      if (e.deliveries.length === 0) out.push("    no delivery yet");
      else
        out.push(
          `    last ${e.deliveries.length} deliveries (newest first):`,
          ...e.deliveries.map(deliveryLine),
        );
    }
  }
  return `${out.join("\n")}\n`;
}

export async function runWebhooksStatus(flags: WebhooksFlags, io: CommandIO): Promise<ExitCode> {
  let keys: string[] = [];
  try {
    const groups = keyGroups(flags, io.env);
    keys = keysOf(groups, io.env);
    const subs: SubscriptionStatus[] = [];
    for (const g of groups) {
      const runtime = await openRuntime(g.loaded);
      keys.push(runtime.apiKey);
      try {
        const endpoints: SubscriptionStatus["endpoints"] = [];
        for await (const e of runtime.client.webhooks.list()) {
          const deliveries: WebhookDelivery[] = [];
          for await (const d of runtime.client.webhooks.deliveries(e.id)) {
            deliveries.push(d);
            if (deliveries.length >= RECENT_DELIVERIES) break;
          }
          endpoints.push({ ...e, deliveries });
        }
        subs.push({
          campaigns: g.campaigns,
          apiKeyEnv: g.apiKeyEnv,
          secretEnvs: g.secretEnvs,
          secretSet: g.secretEnvs.some((n) => !!io.env[n]?.trim()),
          endpoints,
        });
      } finally {
        await runtime.close();
      }
    }
    const text = flags.json ? `${JSON.stringify({ subscriptions: subs }, null, 2)}\n` : formatStatus(subs);
    await write(io.stdout, redactAll(text, keys));
    return EXIT.ok;
  } catch (err) {
    await write(io.stderr, redactAll(errorText(err, io.env), keys));
    return codeOf(err);
  }
}
