/**
 * Builds the credentials for the Sheets client, first found wins (docs/google-sheets.md, "Which
 * credentials are used"):
 *   1. `apiKey` option: a plain string `auth`, sent as the `key` query parameter (reads public sheets only),
 *   2. `accessToken` option: an OAuth2 client holding that token,
 *   3. `credentials` (config path): a credentials file of any type Google issues,
 *   4. `GOOGLE_OAUTH_ACCESS_TOKEN`,
 *   5. `GOOGLE_APPLICATION_CREDENTIALS`: a credentials file of any type,
 *   6. the sign-in `tokportal-sync login` stored (google-login-store.ts),
 *   7. the rest of Application Default Credentials, resolved by the Google auth library itself: gcloud's
 *      application-default file, then the metadata server of Google Cloud runtimes.
 * Files are loaded by the library (`GoogleAuth` with `keyFilename`), so every type it knows works: we only
 * read a file first to name what is wrong with it. With `impersonate`, the credentials found mint
 * short-lived tokens for that service account (the library's `Impersonated` client).
 * Anything missing or unusable is one `SheetsAuthError` line naming what was found and the fix.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { auth } from "@googleapis/sheets";
import {
  type AuthClient,
  Compute,
  type GoogleAuth,
  Impersonated,
  type OAuth2Client,
} from "google-auth-library";
import {
  CLOUD_PLATFORM_SCOPE,
  type CredentialKind,
  type CredentialOrigin,
  type CredentialsInfo,
  describeCredentials,
  SEARCH_ORDER,
  SHEETS_SCOPE,
} from "./google-credentials.ts";
import { hasStoredLogin, loginFile } from "./google-login-store.ts";
import { type SheetsAuthCode, SheetsAuthError } from "./sheets-auth-error.ts";
import { redact } from "./sheets-calls.ts";

export { SHEETS_SCOPE } from "./google-credentials.ts";
export { type SheetsAuthCode, SheetsAuthError } from "./sheets-auth-error.ts";

export interface SheetsAuthOptions {
  apiKey?: string;
  accessToken?: string;
  /** Path to a credentials file (config `credentials`): any type Google issues. */
  credentials?: string;
  /** A service account e-mail (config `impersonate`) the credentials mint short-lived tokens for. */
  impersonate?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedSheetsAuth {
  /** What the Sheets client is given: an API key, a client, or the library's GoogleAuth that holds one. */
  auth: string | OAuth2Client | GoogleAuth;
  /** The e-mail to name in "share the sheet with …" messages; null when unknown. */
  principal: string | null;
  /** What was found and used, in words (never the secret itself). */
  origin: string;
  info: CredentialsInfo;
}

/** The types Google's auth library loads from a file. */
const FILE_KINDS: Record<string, CredentialKind> = {
  service_account: "service_account",
  authorized_user: "authorized_user",
  external_account: "external_account",
  external_account_authorized_user: "external_account_authorized_user",
  impersonated_service_account: "impersonated_service_account",
};

const ORIGIN_NAMES: Partial<Record<CredentialOrigin, string>> = {
  config: "credentials: in the config",
  GOOGLE_APPLICATION_CREDENTIALS: "GOOGLE_APPLICATION_CREDENTIALS",
  login: "tokportal-sync login",
  gcloud: "gcloud application-default credentials",
};

const FILE_FIX =
  "point it at a credentials file Google issued (a service-account key, `gcloud auth application-default login`, a workload identity federation config), or see docs/google-sheets.md for the way that fits";

/** The service account named in an impersonation URL (`…/serviceAccounts/EMAIL:generateAccessToken`). */
function impersonationTarget(url: unknown): string | null {
  if (typeof url !== "string") return null;
  return /\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url)?.[1] ?? null;
}

interface FileFacts {
  kind: CredentialKind;
  account: string | null;
}

/** Reads a credentials file only to say what is wrong with it; the library loads it afterwards. */
async function inspectFile(file: string, origin: CredentialOrigin): Promise<FileFacts> {
  const from = ORIGIN_NAMES[origin] ?? origin;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const [why, errCode]: [string, SheetsAuthCode] =
      code === "ENOENT"
        ? ["does not exist", "file_missing"]
        : code === "EACCES"
          ? ["is not readable", "file_unreadable"]
          : [`cannot be read (${code})`, "file_unreadable"];
    if (origin === "login") {
      throw new SheetsAuthError(
        "login_unreadable",
        `The sign-in file ${file} ${why}: run \`tokportal-sync login\` again.`,
      );
    }
    throw new SheetsAuthError(errCode, `Google credentials file ${file} (from ${from}) ${why}: ${FILE_FIX}.`);
  }
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("not an object");
    json = parsed as Record<string, unknown>;
  } catch {
    throw new SheetsAuthError(
      "file_not_json",
      `Google credentials file ${file} (from ${from}) is not valid JSON: download or create it again; ${FILE_FIX}.`,
    );
  }
  const kind = typeof json.type === "string" ? FILE_KINDS[json.type] : undefined;
  if (!kind) {
    const what = typeof json.type === "string" ? `of type "${json.type}"` : "without a type";
    const hint =
      "installed" in json || "web" in json
        ? " (this is an OAuth client file: give it to `tokportal-sync login --client FILE`, which signs you in with it)"
        : "";
    throw new SheetsAuthError(
      "file_unknown_type",
      `Google credentials file ${file} (from ${from}) is ${what}, which Google's libraries do not load${hint}: ${FILE_FIX}.`,
    );
  }
  const account =
    typeof json.client_email === "string"
      ? json.client_email
      : typeof json.account === "string"
        ? json.account
        : impersonationTarget(json.service_account_impersonation_url);
  return { kind: origin === "login" ? "login" : kind, account };
}

function tokenClient(token: string, origin: CredentialOrigin): ResolvedSheetsAuth {
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: token });
  const info: CredentialsInfo = {
    kind: "access_token",
    origin,
    file: null,
    account: null,
    impersonate: null,
  };
  return { auth: client, principal: null, origin: describeCredentials(info), info };
}

/**
 * Where the library looks for gcloud's application-default credentials (it ignores CLOUDSDK_CONFIG), for
 * messages only: the library finds the file itself.
 */
export function gcloudAdcFile(env: NodeJS.ProcessEnv): string {
  const dir =
    process.platform === "win32"
      ? path.join(env.APPDATA ?? "", "gcloud")
      : path.join(env.HOME?.trim() || homedir(), ".config", "gcloud");
  return path.join(dir, "application_default_credentials.json");
}

async function fromFile(file: string, origin: CredentialOrigin, scopes: string[]) {
  const facts = await inspectFile(file, origin);
  const google = new auth.GoogleAuth({ keyFilename: file, scopes });
  try {
    return { client: (await google.getClient()) as AuthClient, facts, google };
  } catch (err) {
    const from = ORIGIN_NAMES[origin] ?? origin;
    throw new SheetsAuthError(
      "file_invalid",
      `Google credentials file ${file} (from ${from}) cannot be used: ${redact(String((err as Error)?.message ?? err))}; ${FILE_FIX}.`,
    );
  }
}

/** gcloud's file, then the metadata server: the library's own order. */
async function fromDefault(env: NodeJS.ProcessEnv, scopes: string[]) {
  const google = new auth.GoogleAuth({ scopes });
  let client: AuthClient;
  try {
    client = (await google.getClient()) as AuthClient;
  } catch {
    throw new SheetsAuthError(
      "no_credentials",
      `No Google credentials found (looked at ${SEARCH_ORDER}): run \`tokportal-sync login\`, or set GOOGLE_APPLICATION_CREDENTIALS to a credentials file (docs/google-sheets.md says which way fits), then share the spreadsheet with that account as an Editor.`,
    );
  }
  if (client instanceof Compute) {
    let account: string | null = null;
    try {
      account = (await google.getCredentials()).client_email ?? null;
    } catch {
      // The e-mail only makes messages better; the token is what counts.
    }
    return {
      client,
      google,
      facts: { kind: "metadata" as const, account },
      file: null,
      origin: "metadata" as const,
    };
  }
  const file = gcloudAdcFile(env);
  const facts = await inspectFile(file, "gcloud").catch(() => ({
    kind: "authorized_user" as const,
    account: null,
  }));
  return { client, google, facts, file, origin: "gcloud" as const };
}

export async function resolveSheetsAuth(options: SheetsAuthOptions = {}): Promise<ResolvedSheetsAuth> {
  const env = options.env ?? process.env;
  if (options.apiKey !== undefined) {
    if (options.apiKey.trim() === "")
      throw new SheetsAuthError("empty_api_key", "The Google API key given is empty.");
    const info: CredentialsInfo = {
      kind: "api_key",
      origin: "option",
      file: null,
      account: null,
      impersonate: null,
    };
    return { auth: options.apiKey, principal: null, origin: describeCredentials(info), info };
  }
  if (options.accessToken !== undefined && options.accessToken.trim() !== "") {
    return tokenClient(options.accessToken.trim(), "option");
  }
  const impersonate = options.impersonate?.trim() || null;
  // A source credential for impersonation calls the IAM Credentials API, which wants cloud-platform.
  const scopes = impersonate ? [CLOUD_PLATFORM_SCOPE] : [SHEETS_SCOPE];
  let found: {
    client: AuthClient;
    google?: GoogleAuth;
    facts: FileFacts;
    file: string | null;
    origin: CredentialOrigin;
  };
  const configFile = options.credentials?.trim();
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  const adcFile = env.GOOGLE_APPLICATION_CREDENTIALS?.trim();
  if (configFile) {
    found = { ...(await fromFile(configFile, "config", scopes)), file: configFile, origin: "config" };
  } else if (token) {
    if (!impersonate) return tokenClient(token, "GOOGLE_OAUTH_ACCESS_TOKEN");
    const source = tokenClient(token, "GOOGLE_OAUTH_ACCESS_TOKEN");
    found = {
      client: source.auth as OAuth2Client,
      facts: { kind: "access_token", account: null },
      file: null,
      origin: "GOOGLE_OAUTH_ACCESS_TOKEN",
    };
  } else if (adcFile) {
    found = {
      ...(await fromFile(adcFile, "GOOGLE_APPLICATION_CREDENTIALS", scopes)),
      file: adcFile,
      origin: "GOOGLE_APPLICATION_CREDENTIALS",
    };
  } else if (await hasStoredLogin(env)) {
    const file = loginFile(env);
    found = { ...(await fromFile(file, "login", scopes)), file, origin: "login" };
  } else {
    found = await fromDefault(env, scopes);
  }
  const info: CredentialsInfo = {
    kind: found.facts.kind,
    origin: found.origin,
    file: found.file,
    account: found.facts.account,
    impersonate,
  };
  const client = impersonate
    ? new Impersonated({
        sourceClient: found.client,
        targetPrincipal: impersonate,
        targetScopes: [SHEETS_SCOPE],
        lifetime: 3600,
      })
    : (found.google ?? (found.client as OAuth2Client));
  return { auth: client, principal: impersonate ?? info.account, origin: describeCredentials(info), info };
}
