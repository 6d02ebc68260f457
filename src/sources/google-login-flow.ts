/**
 * The two ways `tokportal-sync login` gets a refresh token from Google, both through the auth library's
 * OAuth2 client (so its HTTP layer, proxies included, is the one the sync uses):
 *   - installed-app flow: a one-shot server on 127.0.0.1 receives the browser's redirect; PKCE (S256)
 *     binds the code to this process; a random `state` rejects redirects this process did not start;
 *   - device flow (`--device`), for a machine without a browser: the user enters a code on another
 *     device while this process polls the token endpoint at the interval Google asks for.
 * The only API scope asked for is `spreadsheets`; `openid email` only let Google say who signed in.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { auth } from "@googleapis/sheets";
import { CodeChallengeMethod, type Credentials } from "google-auth-library";
import { SHEETS_SCOPE } from "./google-credentials.ts";
import type { StoredLogin } from "./google-login-store.ts";
import type { OAuthClientConfig } from "./google-oauth-client.ts";

export const LOGIN_SCOPES = [SHEETS_SCOPE, "openid", "email"];
export const DEVICE_CODE_URL = "https://oauth2.googleapis.com/device/code";

export class LoginError extends Error {
  constructor(
    readonly code: "timeout" | "denied" | "state_mismatch" | "no_refresh_token" | "refused" | "expired",
    message: string,
  ) {
    super(message);
  }
}

export interface LoginIO {
  /** Tells the user what to do (the URL to open, the code to enter). */
  say(line: string): void;
  sleep?(ms: number): Promise<void>;
}

/** The e-mail in an id_token's payload: it came straight from Google's token endpoint over TLS. */
export function emailOfIdToken(idToken: string | null | undefined): string | null {
  const payload = idToken?.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { email?: unknown };
    return typeof claims.email === "string" ? claims.email : null;
  } catch {
    return null;
  }
}

function toStored(client: OAuthClientConfig, tokens: Credentials): StoredLogin {
  if (!tokens.refresh_token) {
    throw new LoginError(
      "no_refresh_token",
      "Google gave no refresh token: remove tokportal-sync from https://myaccount.google.com/permissions and run `tokportal-sync login` again.",
    );
  }
  return {
    type: "authorized_user",
    client_id: client.clientId,
    client_secret: client.clientSecret,
    refresh_token: tokens.refresh_token,
    account: emailOfIdToken(tokens.id_token),
    scopes: (tokens.scope ?? LOGIN_SCOPES.join(" ")).split(" ").filter(Boolean),
    signed_in_at: new Date().toISOString(),
  };
}

const PAGE_DONE =
  "<!doctype html><title>tokportal-sync</title><p>Signed in. You can close this tab and go back to the terminal.</p>";
const PAGE_FAILED =
  "<!doctype html><title>tokportal-sync</title><p>Sign-in failed; the terminal says why.</p>";

/** Waits for the browser's redirect to 127.0.0.1; resolves with the code. */
function awaitRedirect(server: http.Server, state: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new LoginError("timeout", "No answer from the browser in time: run `tokportal-sync login` again."),
        ),
      timeoutMs,
    );
    server.on("request", (req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const code = url.searchParams.get("code");
      const error = url.searchParams.get("error");
      if (!code && !error) {
        res.writeHead(404).end();
        return;
      }
      if (url.searchParams.get("state") !== state) {
        res.writeHead(400, { "content-type": "text/html" }).end(PAGE_FAILED);
        clearTimeout(timer);
        reject(
          new LoginError(
            "state_mismatch",
            "The browser came back from a sign-in this command did not start: run `tokportal-sync login` again.",
          ),
        );
        return;
      }
      clearTimeout(timer);
      if (error) {
        res.writeHead(200, { "content-type": "text/html" }).end(PAGE_FAILED);
        reject(
          new LoginError(
            "denied",
            `Google did not sign you in (${error.replace(/[^\w.-]/g, "")}): run \`tokportal-sync login\` again and allow access to your spreadsheets.`,
          ),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/html" }).end(PAGE_DONE);
      resolve(code as string);
    });
  });
}

export async function loopbackLogin(
  client: OAuthClientConfig,
  io: LoginIO,
  timeoutMs = 300_000,
): Promise<StoredLogin> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const oauth = new auth.OAuth2({
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUri,
    });
    const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
    const state = randomBytes(16).toString("hex");
    const url = oauth.generateAuthUrl({
      access_type: "offline",
      prompt: "consent",
      scope: LOGIN_SCOPES,
      code_challenge_method: CodeChallengeMethod.S256,
      ...(codeChallenge ? { code_challenge: codeChallenge } : {}),
      state,
    });
    io.say("Open this address in your browser and allow access to your spreadsheets:");
    io.say(url);
    const code = await awaitRedirect(server, state, timeoutMs);
    try {
      const { tokens } = await oauth.getToken({ code, codeVerifier, redirect_uri: redirectUri });
      return toStored(client, tokens);
    } catch (err) {
      if (err instanceof LoginError) throw err;
      throw refusal(err);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** Google's OAuth error code and words, never the request (it carries the code and the secret). */
function oauthErrorOf(err: unknown): { error: string; description: string } {
  const data = (err as { response?: { data?: { error?: unknown; error_description?: unknown } } })?.response
    ?.data;
  return {
    error: typeof data?.error === "string" ? data.error : "no answer",
    description: typeof data?.error_description === "string" ? data.error_description : "",
  };
}

function refusal(err: unknown): LoginError {
  const { error, description } = oauthErrorOf(err);
  const hint =
    error === "invalid_client"
      ? "check the OAuth client (its id and secret, and that it is of type Desktop app, or TVs and Limited Input devices for --device)"
      : "run `tokportal-sync login` again";
  return new LoginError(
    "refused",
    `Google refused the sign-in (${error}${description ? `: ${description}` : ""}): ${hint}.`,
  );
}

interface DeviceAnswer {
  device_code: string;
  user_code: string;
  verification_url?: string;
  verification_uri?: string;
  expires_in: number;
  interval?: number;
}

export async function deviceLogin(client: OAuthClientConfig, io: LoginIO): Promise<StoredLogin> {
  const oauth = new auth.OAuth2({ clientId: client.clientId, clientSecret: client.clientSecret });
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const form = (fields: Record<string, string>) => ({
    method: "POST" as const,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    data: new URLSearchParams(fields).toString(),
  });
  let device: DeviceAnswer;
  try {
    device = (
      await oauth.transporter.request<DeviceAnswer>({
        url: DEVICE_CODE_URL,
        ...form({ client_id: client.clientId, scope: LOGIN_SCOPES.join(" ") }),
      })
    ).data;
  } catch (err) {
    throw refusal(err);
  }
  io.say(
    `On any device, open ${device.verification_url ?? device.verification_uri} and enter the code ${device.user_code}`,
  );
  let interval = Math.max(1, device.interval ?? 5) * 1000;
  const deadline = Date.now() + device.expires_in * 1000;
  while (Date.now() < deadline) {
    await sleep(interval);
    try {
      const { data } = await oauth.transporter.request<Credentials & { expires_in?: number }>({
        url: oauth.endpoints.oauth2TokenUrl.toString(),
        ...form({
          client_id: client.clientId,
          client_secret: client.clientSecret,
          device_code: device.device_code,
          grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        }),
      });
      return toStored(client, data);
    } catch (err) {
      if (err instanceof LoginError) throw err;
      const { error } = oauthErrorOf(err);
      if (error === "authorization_pending") continue;
      if (error === "slow_down") {
        interval += 5000;
        continue;
      }
      if (error === "access_denied") {
        throw new LoginError(
          "denied",
          "The sign-in was declined on the device: run `tokportal-sync login --device` again.",
        );
      }
      if (error === "expired_token") break;
      throw refusal(err);
    }
  }
  throw new LoginError(
    "expired",
    "The device code expired before the sign-in: run `tokportal-sync login --device` again.",
  );
}
