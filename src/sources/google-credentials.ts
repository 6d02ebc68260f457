/**
 * Which Google credentials a run uses, as data (`CredentialsInfo`), and the words made from it: what was
 * found and used, whom to share the spreadsheet with, and what to do when Google refuses them. Never the
 * secret itself: only kinds, file paths and e-mail addresses. The order they are looked for in, and each
 * kind step by step, are in docs/google-sheets.md.
 */

export const SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets";
/** What a source credential needs to call the IAM Credentials API (impersonation). */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

export type CredentialKind =
  | "api_key"
  | "access_token"
  | "service_account"
  | "authorized_user"
  | "login"
  | "external_account"
  | "external_account_authorized_user"
  | "impersonated_service_account"
  | "metadata";

/** Where the credentials were found, in the order they are looked for. */
export type CredentialOrigin =
  | "option"
  | "config"
  | "GOOGLE_OAUTH_ACCESS_TOKEN"
  | "GOOGLE_APPLICATION_CREDENTIALS"
  | "login"
  | "gcloud"
  | "metadata";

export interface CredentialsInfo {
  kind: CredentialKind;
  origin: CredentialOrigin;
  /** The credentials file, when there is one. */
  file: string | null;
  /** The e-mail of the identity the credentials stand for, when known (before impersonation). */
  account: string | null;
  /** `source.impersonate`: the service account whose short-lived tokens are used. */
  impersonate: string | null;
}

const KIND_WORDS: Record<CredentialKind, string> = {
  api_key: "an API key",
  access_token: "an access token",
  service_account: "a service-account key",
  authorized_user: "a user sign-in (authorized_user)",
  login: "your Google sign-in",
  external_account: "workload identity federation (external_account)",
  external_account_authorized_user: "a workforce identity sign-in (external_account_authorized_user)",
  impersonated_service_account: "service-account impersonation (impersonated_service_account)",
  metadata: "the runtime's service account",
};

const ORIGIN_WORDS: Record<CredentialOrigin, string> = {
  option: "given by the caller",
  config: "credentials: in the config",
  GOOGLE_OAUTH_ACCESS_TOKEN: "GOOGLE_OAUTH_ACCESS_TOKEN",
  GOOGLE_APPLICATION_CREDENTIALS: "GOOGLE_APPLICATION_CREDENTIALS",
  login: "tokportal-sync login",
  gcloud: "gcloud application-default credentials",
  metadata: "the metadata server",
};

const SERVICE_ACCOUNT_KINDS: CredentialKind[] = [
  "service_account",
  "impersonated_service_account",
  "metadata",
  "external_account",
];

/** The identity whose access to the spreadsheet counts: the impersonated one when there is one. */
export function effectivePrincipal(info: CredentialsInfo): string | null {
  return info.impersonate ?? info.account;
}

/** "a service-account key /x/sa.json (from GOOGLE_APPLICATION_CREDENTIALS), sync@p.iam.gserviceaccount.com" */
export function describeCredentials(info: CredentialsInfo): string {
  const where = info.file ? ` ${info.file}` : "";
  const from = info.origin === "metadata" ? "" : ` (from ${ORIGIN_WORDS[info.origin]})`;
  const who = info.account ? `, ${info.account}` : "";
  const acting = info.impersonate ? `, impersonating ${info.impersonate}` : "";
  return `${KIND_WORDS[info.kind]}${where}${from}${who}${acting}`;
}

/** Whom to share the spreadsheet with, as words ("the service account x@y"). */
export function shareTarget(info: CredentialsInfo): string {
  const principal = effectivePrincipal(info);
  if (info.impersonate) return `the service account ${info.impersonate}`;
  if (principal) {
    return SERVICE_ACCOUNT_KINDS.includes(info.kind) && principal.endsWith(".gserviceaccount.com")
      ? `the service account ${principal}`
      : `the Google account ${principal}`;
  }
  switch (info.kind) {
    case "authorized_user":
    case "login":
      return "the Google account you signed in with";
    case "external_account":
      return "a service account the federated identity may impersonate (a sheet cannot be shared with a federated identity: add service_account_impersonation_url to the credentials file, or set source.impersonate)";
    case "api_key":
      return "anyone with the link (an API key only reads sheets shared that way, and never writes: use credentials that can sign in, see docs/google-sheets.md)";
    default:
      return "the account whose credentials are used";
  }
}

const GCLOUD_LOGIN = `gcloud auth application-default login --scopes=${SHEETS_SCOPE},${CLOUD_PLATFORM_SCOPE}`;

/** What to do when Google refuses the credentials (expired, revoked, deleted). */
export function renewHint(info: CredentialsInfo): string {
  if (info.impersonate) {
    return `check that ${describeSource(info)} may still sign in, and that it holds the Service Account Token Creator role (roles/iam.serviceAccountTokenCreator) on ${info.impersonate}`;
  }
  switch (info.kind) {
    case "login":
      return "run `tokportal-sync login` again";
    case "authorized_user":
      return info.origin === "gcloud"
        ? `run \`${GCLOUD_LOGIN}\` again`
        : `create the file again (\`${GCLOUD_LOGIN}\` writes one), or run \`tokportal-sync login\``;
    case "service_account":
      return "the key may have been deleted or disabled: create a new key for the service account, or use a way without keys (docs/google-sheets.md)";
    case "external_account":
    case "external_account_authorized_user":
      return "check the workload identity pool provider, and that the token the credentials file points at is current";
    case "impersonated_service_account":
      return "check that the source credentials in that file still sign in and hold the Service Account Token Creator role on the service account";
    case "metadata":
      return "check the service account attached to this runtime (Cloud Run, GKE workload identity, Compute Engine)";
    case "access_token":
      return "an access token expires after an hour: get a new one, or use a lasting way (`tokportal-sync login`, see docs/google-sheets.md)";
    case "api_key":
      return "check the API key";
  }
}

/** What to do when the credentials lack the spreadsheets scope. */
export function scopeHint(info: CredentialsInfo): string {
  switch (info.kind) {
    case "authorized_user":
      return `sign in again with the spreadsheets scope: \`${GCLOUD_LOGIN}\``;
    case "login":
      return "run `tokportal-sync login` again and allow access to your spreadsheets";
    case "metadata":
      // The Sheets API does not take cloud-platform: the runtime's tokens need the spreadsheets scope itself.
      return `give the runtime's service account the ${SHEETS_SCOPE} access scope (Compute Engine: the VM's access scopes; cloud-platform alone does not cover Sheets)`;
    case "access_token":
      return `get a token with the ${SHEETS_SCOPE} scope`;
    default:
      return `the credentials must be allowed the ${SHEETS_SCOPE} scope`;
  }
}

function describeSource(info: CredentialsInfo): string {
  return describeCredentials({ ...info, impersonate: null });
}

/** Every place credentials are looked for, in order: the words of "No Google credentials". */
export const SEARCH_ORDER =
  "the config's `credentials`, GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, a `tokportal-sync login` sign-in, gcloud's application-default credentials, a Google Cloud metadata server";

/** The words SheetsCalls puts in its messages, made once per source. */
export interface CredentialsWords {
  used: string;
  share: string;
  renew: string;
  scope: string;
}

export function credentialsWords(info: CredentialsInfo): CredentialsWords {
  return {
    used: describeCredentials(info),
    share: shareTarget(info),
    renew: renewHint(info),
    scope: scopeHint(info),
  };
}
