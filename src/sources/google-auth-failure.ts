/**
 * A Sheets request fails before it is sent when the auth library cannot get an access token: the token
 * endpoint refuses a refresh token (`invalid_grant`: expired or revoked), STS refuses a federated token,
 * IAM Credentials refuses an impersonation, the metadata server has no service account. Such a refusal is
 * not retried and becomes one `SheetsAuthError` naming the credentials and the fix.
 *
 * Why a write-back stopped this way leaves the sheet as it was: the library renews a token when it is
 * within minutes of expiring, so the token is renewed (or refused) at the write-back's first request, the
 * re-read before writing, and a token that was renewed then outlives the writes that follow. The next run
 * writes every result the sheet is missing, as after any failed write-back.
 */
import type { CredentialsWords } from "./google-credentials.ts";
import { SheetsAuthError } from "./sheets-auth-error.ts";
import { redact } from "./sheets-calls.ts";

interface FailureShape {
  config?: { url?: unknown };
  response?: { status?: unknown; data?: unknown };
  message?: unknown;
}

/** Also hides what a token request carries, in case a library message quotes its body. */
function clean(text: string): string {
  return redact(text)
    .replace(
      /((?:refresh_token|access_token|assertion|subject_token|code|client_secret)=)[^&\s"']+/g,
      "$1[redacted]",
    )
    .replace(/ya29\.[A-Za-z0-9._-]+/g, "[redacted]")
    .replace(/1\/\/[A-Za-z0-9._-]+/g, "[redacted]")
    .slice(0, 300);
}

/** Google's words for the refusal: an OAuth error (`invalid_grant: …`) or an API error (`403 PERMISSION_DENIED: …`). */
function refusalWords(e: FailureShape): { code: string | null; words: string } {
  const data = e.response?.data as { error?: unknown; error_description?: unknown } | undefined;
  const status = typeof e.response?.status === "number" ? e.response.status : null;
  if (data && typeof data.error === "string") {
    const description = typeof data.error_description === "string" ? `: ${data.error_description}` : "";
    return { code: data.error, words: clean(`${data.error}${description}`) };
  }
  const api = data?.error as { status?: unknown; message?: unknown } | undefined;
  if (api && typeof api === "object") {
    const code = typeof api.status === "string" ? api.status : null;
    return { code, words: clean(`${status ?? ""} ${code ?? ""}: ${String(api.message ?? "")}`.trim()) };
  }
  return { code: null, words: clean(String(e.message ?? "no reason given")) };
}

/**
 * The error for a failure to get a token, or null when `err` is anything else: an answer (or no answer)
 * from the Sheets API itself, or a network failure on the way to a token endpoint (retried like any).
 */
export function tokenFailure(err: unknown, what: string, words: CredentialsWords): SheetsAuthError | null {
  if (!(err instanceof Error)) return null;
  const e = err as FailureShape;
  const url = e.config?.url ? String(e.config.url) : "";
  if (url.includes("/v4/spreadsheets")) return null;
  const status = typeof e.response?.status === "number" ? e.response.status : null;
  if (status === null && url !== "") return null;
  if (status !== null && (status === 429 || status >= 500)) return null;
  const { code, words: google } = refusalWords(e);
  const head = `Google Sheets ${what} stopped before sending anything: no access token for ${words.used} (${google})`;
  const rerun = "then run again: the next run writes every result the sheet is missing";
  if (url.includes(":generateAccessToken") || /unable to impersonate/.test(String(e.message))) {
    return new SheetsAuthError("impersonation_refused", `${head}; ${words.renew}, ${rerun}.`, code);
  }
  if (code === "invalid_scope") {
    return new SheetsAuthError("scope_missing", `${head}; ${words.scope}, ${rerun}.`, code);
  }
  return new SheetsAuthError("token_refused", `${head}; ${words.renew}, ${rerun}.`, code);
}
