/**
 * `login --status` and `logout`: who is signed in, with which scopes, checked with Google (a refresh, then
 * tokeninfo), and the way out (revoke at Google, then remove the file).
 */
import { auth } from "@googleapis/sheets";
import { loginFile, readStoredLogin, removeStoredLogin } from "./google-login-store.ts";

export interface LoginStatus {
  signedIn: boolean;
  file: string;
  /** The account's e-mail (Google's answer, else what was saved at sign-in). */
  account: string | null;
  scopes: string[];
  /** `ok`: Google renewed a token just now; `refused`: expired or revoked; `unchecked`: Google could not be asked. */
  check: "ok" | "refused" | "unchecked" | "none";
  /** Google's error code when refused or unchecked. */
  error?: string;
}

function clientOf(login: { client_id: string; client_secret: string; refresh_token: string }) {
  const client = new auth.OAuth2({ clientId: login.client_id, clientSecret: login.client_secret });
  client.setCredentials({ refresh_token: login.refresh_token });
  return client;
}

function errorCode(err: unknown): { code: string; refused: boolean } {
  const r = (err as { response?: { status?: number; data?: { error?: unknown } } })?.response;
  const code = typeof r?.data?.error === "string" ? r.data.error : r?.status ? String(r.status) : "no answer";
  return { code, refused: typeof r?.status === "number" && r.status >= 400 && r.status < 500 };
}

export async function loginStatus(env: NodeJS.ProcessEnv = process.env): Promise<LoginStatus> {
  const file = loginFile(env);
  const login = await readStoredLogin(env);
  if (!login) return { signedIn: false, file, account: null, scopes: [], check: "none" };
  const client = clientOf(login);
  try {
    const { token } = await client.getAccessToken();
    const info = await client.getTokenInfo(token ?? "");
    return {
      signedIn: true,
      file,
      account: info.email ?? login.account,
      scopes: info.scopes.length > 0 ? info.scopes : login.scopes,
      check: "ok",
    };
  } catch (err) {
    const { code, refused } = errorCode(err);
    return {
      signedIn: true,
      file,
      account: login.account,
      scopes: login.scopes,
      check: refused ? "refused" : "unchecked",
      error: code,
    };
  }
}

export interface LogoutResult {
  removed: boolean;
  file: string;
  /** Whether Google revoked the refresh token; false when it could not be asked (the file is removed anyway). */
  revoked: boolean;
  account: string | null;
}

export async function logout(env: NodeJS.ProcessEnv = process.env): Promise<LogoutResult> {
  const file = loginFile(env);
  let login: Awaited<ReturnType<typeof readStoredLogin>> = null;
  try {
    login = await readStoredLogin(env);
  } catch {
    // An unreadable sign-in file is still removed.
  }
  let revoked = false;
  if (login) {
    try {
      await clientOf(login).revokeToken(login.refresh_token);
      revoked = true;
    } catch {
      // Offline, or already revoked: the file goes anyway.
    }
  }
  const removed = await removeStoredLogin(env);
  return { removed, file, revoked, account: login?.account ?? null };
}
