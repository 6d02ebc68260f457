/**
 * Builds the credentials for the Sheets client, in this order (docs/google-sheets.md §1 and §3):
 *   1. `apiKey` option: a plain string `auth`, sent as the `key` query parameter (read-only on Google;
 *      what tests use against the fake server),
 *   2. `accessToken` option, then `GOOGLE_OAUTH_ACCESS_TOKEN`: an OAuth2 client holding that token,
 *   3. `credentials` (config path), then `GOOGLE_APPLICATION_CREDENTIALS`: a service-account JSON key,
 *      through GoogleAuth with the `spreadsheets` scope.
 * Anything missing or unreadable is one `SheetsAuthError` line naming the file or variable and the fix.
 */

import { readFile } from "node:fs/promises";
import { auth } from "@googleapis/sheets";
import { SourceError } from "./errors.ts";

export const SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets";

export interface SheetsAuthOptions {
  apiKey?: string;
  accessToken?: string;
  /** Path to a service-account JSON key file (config `credentials`). */
  credentials?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

type GoogleAuthClient = InstanceType<typeof auth.GoogleAuth> | InstanceType<typeof auth.OAuth2>;

export interface ResolvedSheetsAuth {
  auth: string | GoogleAuthClient;
  /** The service account's e-mail, to name in "share the sheet with …" messages; null when unknown. */
  principal: string | null;
  /** Where the credentials came from, for `describe()` and messages (never the secret itself). */
  origin: string;
}

export class SheetsAuthError extends SourceError {}

const SHARE_HINT = "and share the spreadsheet with the service account's client_email as an Editor";

async function serviceAccount(path: string, from: string): Promise<ResolvedSheetsAuth> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "is not readable"
          : `cannot be read (${code})`;
    throw new SheetsAuthError(
      `Google credentials file ${path} (from ${from}) ${why}: point ${from} at a service-account JSON key file ${SHARE_HINT}.`,
    );
  }
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("not an object");
    json = parsed as Record<string, unknown>;
  } catch {
    throw new SheetsAuthError(
      `Google credentials file ${path} (from ${from}) is not valid JSON: download the service account's JSON key again from the Google Cloud console (IAM > Service accounts > Keys) ${SHARE_HINT}.`,
    );
  }
  if (
    json.type !== "service_account" ||
    typeof json.client_email !== "string" ||
    typeof json.private_key !== "string"
  ) {
    const kind =
      typeof json.type === "string"
        ? `of type "${json.type}", not a service-account key`
        : "not a service-account key";
    throw new SheetsAuthError(
      `Google credentials file ${path} (from ${from}) is ${kind}: it needs "type": "service_account" with client_email and private_key; create a JSON key for a service account ${SHARE_HINT}.`,
    );
  }
  const client = new auth.GoogleAuth({
    credentials: { client_email: json.client_email, private_key: json.private_key },
    scopes: [SHEETS_SCOPE],
    ...(typeof json.project_id === "string" ? { projectId: json.project_id } : {}),
  });
  return { auth: client, principal: json.client_email, origin: `service account ${json.client_email}` };
}

function tokenClient(token: string, from: string): ResolvedSheetsAuth {
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: token });
  return { auth: client, principal: null, origin: `access token from ${from}` };
}

export async function resolveSheetsAuth(options: SheetsAuthOptions = {}): Promise<ResolvedSheetsAuth> {
  const env = options.env ?? process.env;
  if (options.apiKey !== undefined) {
    if (options.apiKey.trim() === "") throw new SheetsAuthError("The Google API key given is empty.");
    return { auth: options.apiKey, principal: null, origin: "API key" };
  }
  if (options.accessToken !== undefined && options.accessToken.trim() !== "") {
    return tokenClient(options.accessToken.trim(), "the accessToken option");
  }
  if (options.credentials !== undefined && options.credentials.trim() !== "") {
    return serviceAccount(options.credentials, "credentials: in the config");
  }
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  if (token) return tokenClient(token, "GOOGLE_OAUTH_ACCESS_TOKEN");
  const file = env.GOOGLE_APPLICATION_CREDENTIALS?.trim();
  if (file) return serviceAccount(file, "GOOGLE_APPLICATION_CREDENTIALS");
  throw new SheetsAuthError(
    `No Google credentials: set GOOGLE_APPLICATION_CREDENTIALS (or credentials: in the config) to a service-account JSON key file ${SHARE_HINT} (or set GOOGLE_OAUTH_ACCESS_TOKEN).`,
  );
}
