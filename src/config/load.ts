/**
 * Reads `tokportal-sync.json`: parse, validate, fill defaults, and take from the environment what never
 * belongs in a file (the API key) or what a deployment overrides (the base URL).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { SourceConfig } from "../sources/index.ts";
import { DEFAULT_CONFIG_FILE } from "./defaults.ts";
import { describeValue } from "./describe.ts";
import { ConfigError } from "./errors.ts";
import { formatIssues } from "./issues.ts";
import { findJsonSyntaxError } from "./json-syntax.ts";
import { type Config, configSchema, DEFAULT_API_KEY_ENV } from "./schema.ts";

export { DEFAULT_CONFIG_FILE };

/** TokPortal keys: `sk_` and 64 hex characters (docs/tokportal-api.md §1). */
const API_KEY_FORMAT = /^sk_[0-9a-f]{64}$/;

export interface LoadedConfig {
  /** Absolute path of the file read. */
  file: string;
  /** The file's directory: relative paths in the config are resolved against it. */
  baseDir: string;
  /** The config with its defaults filled in. */
  config: Config;
  /** `"sandbox"` (start the emulator in-process) or the TokPortal base URL; TOKPORTAL_BASE_URL wins. */
  baseUrl: string;
  /** From TOKPORTAL_API_KEY (or `apiKeyEnv`); null only for the sandbox, which then uses its public key. */
  apiKey: string | null;
  /** The environment variable the key is read from (`tokportal.api_key_env`, default TOKPORTAL_API_KEY). */
  apiKeyEnv: string;
  /** What `createSource` takes: the config's `source` with its `columns` aliases. */
  source: SourceConfig;
}

export interface LoadConfigOptions {
  /** Refuse a missing TOKPORTAL_API_KEY when the base URL is not the sandbox (default true). */
  requireApiKey?: boolean;
}

/**
 * Loads and validates a config file. Every problem is reported at once, one line each, in a ConfigError
 * whose lines start with the file's name as given.
 */
export function loadConfig(
  file: string,
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): LoadedConfig {
  const shown = file;
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ConfigError(
        `${shown}: no such config file. Create one from the example (cp config.example.json ${DEFAULT_CONFIG_FILE}) and edit it, or pass another with -c FILE.`,
      );
    }
    if (code === "EISDIR") throw new ConfigError(`${shown}: is a directory; expected a JSON config file.`);
    throw new ConfigError(`${shown}: cannot be read (${code ?? (err as Error).message}).`);
  }
  const raw = parseJson(text.replace(/^\uFEFF/, ""), shown);
  return resolveConfig(raw, { shown, file: absolute, baseDir: path.dirname(absolute) }, env, options);
}

/** Reads a JSON file's value, with the same one-line errors as a config (a service config too). */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path.resolve(file), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigError(`${file}: no such file.`);
    if (code === "EISDIR") throw new ConfigError(`${file}: is a directory; expected a JSON config file.`);
    throw new ConfigError(`${file}: cannot be read (${code ?? (err as Error).message}).`);
  }
  return parseJson(text.replace(/^\uFEFF/, ""), file);
}

/** Where a config value came from: the name its error lines start with, and what its paths resolve against. */
export interface ConfigOrigin {
  shown: string;
  file: string;
  baseDir: string;
}

/**
 * Validates a config already read (a file's, or a campaign written inline in a service config) and takes
 * its key from the environment variable it names.
 */
export function resolveConfig(
  raw: unknown,
  origin: ConfigOrigin,
  env: Record<string, string | undefined>,
  options: LoadConfigOptions = {},
): LoadedConfig {
  const { shown } = origin;
  const parsed = configSchema.safeParse(raw);
  const problems = parsed.success ? formatIssues([], raw) : formatIssues(parsed.error.issues, raw);
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(problems.map((p) => `${shown}: ${p}`));
  }
  const config = parsed.data;
  const baseUrl = baseUrlOf(config, env);
  const apiKeyEnv = config.tokportal.api_key_env ?? DEFAULT_API_KEY_ENV;
  const apiKey = env[apiKeyEnv]?.trim() || null;
  if (apiKey !== null && !API_KEY_FORMAT.test(apiKey)) {
    // Never echo the value: it is a secret, even when malformed.
    throw new ConfigError(
      `${apiKeyEnv} does not look like a TokPortal API key (sk_ followed by 64 lowercase hex characters); copy it again from TokPortal's settings.`,
    );
  }
  if (apiKey === null && baseUrl !== "sandbox" && options.requireApiKey !== false) {
    throw new ConfigError(
      `${apiKeyEnv} is not set: export your TokPortal API key in the environment (the config file never holds it), or set "tokportal": {"base_url": "sandbox"} in ${shown} to try the local sandbox.`,
    );
  }
  const { columns } = config;
  const source = { ...config.source, ...(columns ? { columns } : {}) } as SourceConfig;
  return { file: origin.file, baseDir: origin.baseDir, config, baseUrl, apiKey, apiKeyEnv, source };
}

function parseJson(text: string, shown: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const where = findJsonSyntaxError(text);
    if (where)
      throw new ConfigError(`${shown}:${where.line}:${where.column}: invalid JSON: ${where.message}`);
    throw new ConfigError(`${shown}: invalid JSON: ${(err as Error).message}`);
  }
}

function baseUrlOf(config: Config, env: Record<string, string | undefined>): string {
  const fromEnv = env.TOKPORTAL_BASE_URL?.trim();
  if (!fromEnv) return config.tokportal.base_url;
  if (fromEnv === "sandbox") return fromEnv;
  let url: URL | null = null;
  try {
    url = new URL(fromEnv);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.search) {
    throw new ConfigError(
      `TOKPORTAL_BASE_URL: expected "sandbox" or an http(s) URL without credentials or query, got ${describeValue(fromEnv)}`,
    );
  }
  return fromEnv.replace(/\/$/, "");
}
