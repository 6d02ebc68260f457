/**
 * The OAuth client `tokportal-sync login` signs in with: one the user creates once in their own Google
 * Cloud project (docs/google-sheets.md walks through it). Taken from the JSON file the console offers for
 * download (`--client FILE`), or from `--client-id` / TOKPORTAL_SYNC_OAUTH_CLIENT_ID with its secret in
 * TOKPORTAL_SYNC_OAUTH_CLIENT_SECRET (never a flag: command lines are visible to other users).
 */
import { readFile } from "node:fs/promises";

export const CLIENT_ID_ENV = "TOKPORTAL_SYNC_OAUTH_CLIENT_ID";
export const CLIENT_SECRET_ENV = "TOKPORTAL_SYNC_OAUTH_CLIENT_SECRET";

export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
  /** Where it came from, for messages. */
  from: string;
}

export class OAuthClientError extends Error {}

export interface OAuthClientSources {
  file?: string;
  clientId?: string;
  env?: NodeJS.ProcessEnv;
}

const HOW =
  "create an OAuth client (Google Cloud console > APIs & Services > Credentials > Create credentials > OAuth client ID, type Desktop app), download its JSON and pass it with --client FILE (docs/google-sheets.md)";

export async function loadOAuthClient(sources: OAuthClientSources): Promise<OAuthClientConfig> {
  const env = sources.env ?? process.env;
  if (sources.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(sources.file, "utf8"));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT" ? "does not exist" : code ? `cannot be read (${code})` : "is not valid JSON";
      throw new OAuthClientError(`The OAuth client file ${sources.file} ${why}: ${HOW}.`);
    }
    const root = parsed as Record<string, { client_id?: unknown; client_secret?: unknown }> | null;
    const entry = root?.installed ?? root?.web;
    if (!entry || typeof entry.client_id !== "string") {
      const hint =
        (root as { type?: unknown } | null)?.type !== undefined
          ? " (it is a credentials file: give it to the sync with GOOGLE_APPLICATION_CREDENTIALS or credentials: in the config instead)"
          : "";
      throw new OAuthClientError(`The file ${sources.file} is not an OAuth client file${hint}: ${HOW}.`);
    }
    return {
      clientId: entry.client_id,
      clientSecret: typeof entry.client_secret === "string" ? entry.client_secret : "",
      from: sources.file,
    };
  }
  const clientId = sources.clientId?.trim() || env[CLIENT_ID_ENV]?.trim();
  if (!clientId) throw new OAuthClientError(`No OAuth client given: ${HOW}.`);
  return {
    clientId,
    clientSecret: env[CLIENT_SECRET_ENV]?.trim() ?? "",
    from: sources.clientId ? "--client-id" : CLIENT_ID_ENV,
  };
}
