/**
 * What `cron` and `history` run on: one campaign file (as ever), a service config listing campaigns, or a
 * folder holding one campaign file per `*.json`. Each campaign is loaded on its own, so a bad one is
 * reported (naming the campaign and its file, one line per problem) without stopping the others; the
 * service config's own problems (invalid JSON, no campaign, two campaigns with one name) stop everything.
 * docs/service.md describes the file.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { alertChannelsSchema, type ChannelConfig } from "./alerts-schema.ts";
import { ConfigError } from "./errors.ts";
import { formatIssues } from "./issues.ts";
import { type LoadConfigOptions, type LoadedConfig, readJsonFile, resolveConfig } from "./load.ts";
import { expected } from "./schema.ts";

/** Where the service keeps its state (run history) unless `state_dir` says otherwise: next to the config. */
export const DEFAULT_STATE_DIR = ".tokportal-sync";
export const DEFAULT_RETENTION_DAYS = 90;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NAME_EXPECTED = "a campaign name: letters, digits and _ . - (at most 64, not starting with . _ -)";

export const campaignNameSchema = z
  .string({ error: expected(NAME_EXPECTED) })
  .regex(NAME_PATTERN, { error: expected(NAME_EXPECTED) })
  .describe("The campaign's name, in logs, /healthz and the run history (default: the file's base name).");

export const serviceConfigSchema = z
  .strictObject(
    {
      $schema: z.string({ error: expected("a URL or path of a JSON Schema (string)") }).optional(),
      campaigns: z
        .array(z.unknown(), {
          error: expected('a list of campaigns: {"name": …, "config": "path.json"} or a campaign inline'),
        })
        .min(1, { error: expected("at least one campaign") })
        .describe(
          'The campaigns: each {"name": "acme", "config": "acme/tokportal-sync.json"}, or a campaign config written inline with its "name".',
        ),
      state_dir: z
        .string({ error: expected("a folder path (string)") })
        .min(1, { error: expected("a folder path (string)") })
        .optional()
        .describe(
          `Where the service keeps its run history (default ${DEFAULT_STATE_DIR}/ next to this file).`,
        ),
      history_retention_days: z
        .int({ error: expected("a whole number of days from 1 to 3650") })
        .min(1, { error: expected("a whole number of days from 1 to 3650") })
        .max(3650, { error: expected("a whole number of days from 1 to 3650") })
        .default(DEFAULT_RETENTION_DAYS)
        .describe(`Run records older than this are deleted (default ${DEFAULT_RETENTION_DAYS}).`),
      alert_channels: alertChannelsSchema.optional(),
    },
    { error: expected('an object like {"campaigns": [...]}') },
  )
  .describe("tokportal-sync service configuration: several campaigns in one service.");

const campaignRefSchema = z.strictObject({
  name: campaignNameSchema.optional(),
  config: z
    .string({ error: expected("a campaign config file path (string)") })
    .min(1, { error: expected("a campaign config file path (string)") }),
});

/** One campaign of the service: loaded, or the lines saying why it cannot run. */
export interface CampaignSetup {
  name: string;
  /** The file it was read from (its own, or the service config for an inline campaign), as shown. */
  shown: string;
  loaded: LoadedConfig | null;
  /** One line per problem, each naming the campaign and the file. Empty when it loaded. */
  problems: string[];
}

export interface ServiceSetup {
  /** `campaign`: a single campaign file (what `cron -c FILE` always ran); `service`: a service config; `dir`: --config-dir. */
  kind: "campaign" | "service" | "dir";
  /** The file or folder given, as shown. */
  shown: string;
  stateDir: string;
  retentionDays: number;
  campaigns: CampaignSetup[];
  /** Alert channels the service config names for its campaigns (`alert_channels`); empty otherwise. */
  alertChannels: Record<string, ChannelConfig>;
}

export interface ServiceTarget {
  config?: string;
  configDir?: string;
  /** Overrides the state folder (`--state-dir`). */
  stateDir?: string;
}

/** A file's base name without `.json`: a campaign's default name. */
export function campaignNameOf(file: string): string {
  return path.basename(file).replace(/\.json$/i, "");
}

function campaignLine(name: string, line: string): string {
  return `campaign ${JSON.stringify(name)}: ${line}`;
}

function loadCampaign(
  name: string,
  raw: unknown,
  origin: { shown: string; file: string; baseDir: string },
  env: Record<string, string | undefined>,
  options: LoadConfigOptions,
): CampaignSetup {
  const problems: string[] = [];
  if (!NAME_PATTERN.test(name)) problems.push(campaignLine(name, `${origin.shown}: name: ${NAME_EXPECTED}`));
  try {
    const loaded = resolveConfig(raw, origin, env, options);
    if (problems.length === 0) return { name, shown: origin.shown, loaded, problems };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => campaignLine(name, p)));
  }
  return { name, shown: origin.shown, loaded: null, problems };
}

function loadCampaignFile(
  name: string,
  file: string,
  env: Record<string, string | undefined>,
  options: LoadConfigOptions,
): CampaignSetup {
  const absolute = path.resolve(file);
  let raw: unknown;
  try {
    raw = readJsonFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { name, shown: file, loaded: null, problems: err.problems.map((p) => campaignLine(name, p)) };
  }
  return loadCampaign(
    name,
    raw,
    { shown: file, file: absolute, baseDir: path.dirname(absolute) },
    env,
    options,
  );
}

/** True when a config file's value is a service config (it lists campaigns) rather than one campaign. */
export function isServiceConfig(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && "campaigns" in raw;
}

function duplicateNames(campaigns: CampaignSetup[], shown: string): string[] {
  const seen = new Map<string, number>();
  for (const c of campaigns) seen.set(c.name, (seen.get(c.name) ?? 0) + 1);
  return [...seen]
    .filter(([, n]) => n > 1)
    .map(
      ([name]) =>
        `${shown}: ${seen.get(name)} campaigns are named ${JSON.stringify(name)}: names must differ (they name the run history and the logs).`,
    );
}

function fromServiceFile(
  shown: string,
  raw: unknown,
  env: Record<string, string | undefined>,
  options: LoadConfigOptions,
): {
  campaigns: CampaignSetup[];
  stateDir: string | undefined;
  retentionDays: number;
  alertChannels: Record<string, ChannelConfig>;
} {
  const parsed = serviceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    // Campaigns are checked one by one below; here only the service's own fields.
    const own = { ...(raw as Record<string, unknown>), campaigns: [] };
    const issues = parsed.error.issues.filter((i) => i.path[0] !== "campaigns" || i.path.length === 1);
    throw new ConfigError(formatIssues(issues, own).map((p) => `${shown}: ${p}`));
  }
  const absolute = path.resolve(shown);
  const baseDir = path.dirname(absolute);
  const campaigns = parsed.data.campaigns.map((entry, i): CampaignSetup => {
    const where = `${shown}: campaigns[${i}]`;
    const isRef = typeof entry === "object" && entry !== null && "config" in entry;
    if (isRef) {
      const ref = campaignRefSchema.safeParse(entry);
      if (!ref.success) {
        const lines = formatIssues(ref.error.issues, entry).map((p) => `${where}.${p}`);
        throw new ConfigError(lines);
      }
      const file = path.join(path.dirname(shown), ref.data.config);
      return loadCampaignFile(ref.data.name ?? campaignNameOf(file), file, env, options);
    }
    const { name, ...inline } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== "string") {
      throw new ConfigError(`${where}.name: missing; an inline campaign needs ${NAME_EXPECTED}`);
    }
    return loadCampaign(name, inline, { shown: `${where} (${name})`, file: absolute, baseDir }, env, options);
  });
  return {
    campaigns,
    stateDir: parsed.data.state_dir,
    retentionDays: parsed.data.history_retention_days,
    alertChannels: parsed.data.alert_channels ?? {},
  };
}

/**
 * Reads what the service runs. Throws a ConfigError for what stops everything; a campaign's own problems
 * are in its `problems`.
 */
export function loadService(
  target: ServiceTarget,
  env: Record<string, string | undefined>,
  options: LoadConfigOptions = {},
): ServiceSetup {
  if (target.configDir !== undefined) {
    const dir = target.configDir;
    let names: string[];
    try {
      names = readdirSync(dir).filter((f) => f.toLowerCase().endsWith(".json"));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError(
        `--config-dir ${dir}: ${code === "ENOENT" ? "no such folder" : code === "ENOTDIR" ? "is not a folder" : `cannot be read (${code})`}.`,
      );
    }
    const files = names
      .sort()
      .map((f) => path.join(dir, f))
      .filter((f) => statSync(f).isFile());
    if (files.length === 0) throw new ConfigError(`--config-dir ${dir}: no campaign file (*.json) in it.`);
    const campaigns = files.map((f) => loadCampaignFile(campaignNameOf(f), f, env, options));
    const dup = duplicateNames(campaigns, dir);
    if (dup.length > 0) throw new ConfigError(dup);
    return {
      kind: "dir",
      shown: dir,
      stateDir: path.resolve(target.stateDir ?? path.join(dir, DEFAULT_STATE_DIR)),
      retentionDays: DEFAULT_RETENTION_DAYS,
      campaigns,
      alertChannels: {},
    };
  }
  const file = target.config ?? "tokportal-sync.json";
  const raw = readJsonFile(file);
  const here = path.dirname(path.resolve(file));
  if (!isServiceConfig(raw)) {
    const name = campaignNameOf(file);
    const absolute = path.resolve(file);
    // One campaign, as `cron -c FILE` always ran it: its problems stop the service (exit 2).
    const loaded = resolveConfig(raw, { shown: file, file: absolute, baseDir: here }, env, options);
    return {
      kind: "campaign",
      shown: file,
      stateDir: path.resolve(target.stateDir ?? path.join(here, DEFAULT_STATE_DIR)),
      retentionDays: DEFAULT_RETENTION_DAYS,
      campaigns: [{ name, shown: file, loaded, problems: [] }],
      alertChannels: {},
    };
  }
  const service = fromServiceFile(file, raw, env, options);
  const dup = duplicateNames(service.campaigns, file);
  if (dup.length > 0) throw new ConfigError(dup);
  const stateDir = target.stateDir ?? path.resolve(here, service.stateDir ?? DEFAULT_STATE_DIR);
  return {
    kind: "service",
    shown: file,
    stateDir: path.resolve(stateDir),
    retentionDays: service.retentionDays,
    campaigns: service.campaigns,
    alertChannels: service.alertChannels,
  };
}

/**
 * Where the run history of a target is, without loading its campaigns (reading history needs no key and
 * no valid campaign): the state folder, its retention, and for a single campaign file, its name.
 */
export function historyTarget(target: ServiceTarget): {
  stateDir: string;
  retentionDays: number;
  campaign: string | null;
} {
  if (target.configDir !== undefined) {
    const stateDir = target.stateDir ?? path.join(target.configDir, DEFAULT_STATE_DIR);
    return { stateDir: path.resolve(stateDir), retentionDays: DEFAULT_RETENTION_DAYS, campaign: null };
  }
  const file = target.config ?? "tokportal-sync.json";
  const here = path.dirname(path.resolve(file));
  const raw = readJsonFile(file);
  if (!isServiceConfig(raw)) {
    const stateDir = target.stateDir ?? path.join(here, DEFAULT_STATE_DIR);
    return {
      stateDir: path.resolve(stateDir),
      retentionDays: DEFAULT_RETENTION_DAYS,
      campaign: campaignNameOf(file),
    };
  }
  const own = serviceConfigSchema.safeParse(raw);
  if (!own.success) {
    const issues = own.error.issues.filter((i) => i.path[0] !== "campaigns" || i.path.length === 1);
    throw new ConfigError(
      formatIssues(issues, { ...(raw as object), campaigns: [] }).map((p) => `${file}: ${p}`),
    );
  }
  const stateDir = target.stateDir ?? path.resolve(here, own.data.state_dir ?? DEFAULT_STATE_DIR);
  return { stateDir: path.resolve(stateDir), retentionDays: own.data.history_retention_days, campaign: null };
}
