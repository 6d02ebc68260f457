/**
 * Google's identity endpoints, faked for tests and reached through the proxy (proxy.ts) under their real
 * host names, or, for the metadata server, on a port named by GCE_METADATA_HOST:
 *   oauth2.googleapis.com   /token (refresh_token, authorization_code with PKCE, jwt-bearer, device_code),
 *                           /device/code, /tokeninfo, /revoke
 *   sts.googleapis.com      /v1/token (token exchange for workload identity federation)
 *   iamcredentials…         /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken (impersonation)
 *   metadata server         /computeMetadata/v1/… (ping, the default service account's token and e-mail)
 * Every access token it mints stands for one identity (an e-mail, or a federated principal) and carries
 * the scopes it was asked for; the fake Sheets server is told which tokens are valid and which may open
 * which spreadsheet (`sharingFor`), and `sheetsGate` refuses, in front of it, a token without a scope the
 * Sheets API accepts, as Google does (403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`).
 * Secrets are only compared, never logged: `log` holds endpoints and grant types.
 */
import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Route } from "./proxy.ts";

export interface GoogleLogEntry {
  endpoint: string;
  grant?: string;
  outcome: string;
}

interface Minted {
  identity: string;
  scopes: string[];
}

interface RefreshGrant {
  clientId: string;
  identity: string;
  scopes: string[];
  revoked: boolean;
  uses: number;
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");

async function body(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function json(
  res: http.ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): undefined {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
  return undefined;
}

function text(
  res: http.ServerResponse,
  status: number,
  value: string,
  headers: Record<string, string>,
): undefined {
  res.writeHead(status, { ...headers, "content-type": "text/plain" }).end(value);
  return undefined;
}

/** The scopes the Sheets API accepts (its reference lists them per method); `cloud-platform` is not one. */
export const SHEETS_API_SCOPES = [
  "https://www.googleapis.com/auth/spreadsheets",
  "https://www.googleapis.com/auth/spreadsheets.readonly",
  "https://www.googleapis.com/auth/drive",
  "https://www.googleapis.com/auth/drive.readonly",
  "https://www.googleapis.com/auth/drive.file",
];

const oauthError = (
  res: http.ServerResponse,
  status: number,
  error: string,
  description: string,
): undefined => json(res, status, { error, error_description: description });

export class FakeGoogle {
  readonly log: GoogleLogEntry[] = [];
  /** Every valid access token: give this array to the fake Sheets server as its `tokens`. */
  readonly sheetsTokens: string[] = [];
  /** Seconds an access token lives; under 5 minutes makes the library renew it before every request. */
  accessTokenTtl = 3599;
  /** After this many refreshes a refresh token answers `invalid_grant` (revoked mid-run); null: never. */
  refreshLimit: number | null = null;
  /** The service account attached to the "runtime" the metadata server describes. */
  metadataAccount = "runtime@demo.iam.gserviceaccount.com";
  /** The subject token a workload identity federation file must present to STS, and whom it stands for. */
  federated = new Map<string, string>();

  private n = 0;
  private readonly minted = new Map<string, Minted>();
  private readonly clients = new Map<string, string>();
  private readonly refresh = new Map<string, RefreshGrant>();
  private readonly serviceAccounts = new Map<string, KeyObject>();
  private readonly tokenCreators = new Map<string, Set<string>>();
  private readonly codes = new Map<
    string,
    { clientId: string; challenge: string; identity: string; scopes: string[]; redirect: string }
  >();
  private readonly devices = new Map<
    string,
    { clientId: string; identity: string | null; scopes: string[]; polls: number }
  >();
  private readonly sharing: { identities: Set<string>; tokens: string[] }[] = [];
  private metadata: http.Server | null = null;

  /** An OAuth client (what the user creates in the console). */
  addClient(clientId: string, secret: string): void {
    this.clients.set(clientId, secret);
  }

  /** A service account whose JWTs are checked against `publicKeyPem`. */
  addServiceAccount(email: string, publicKeyPem?: string): void {
    if (publicKeyPem) this.serviceAccounts.set(email, createPublicKey(publicKeyPem));
  }

  /** Gives `identity` the Token Creator role on the service account `target`. */
  grantTokenCreator(identity: string, target: string): void {
    const set = this.tokenCreators.get(target) ?? new Set<string>();
    set.add(identity);
    this.tokenCreators.set(target, set);
  }

  /** A refresh token for a person (what gcloud's application-default login leaves in its file). */
  issueRefreshToken(clientId: string, identity: string, scopes: string[]): string {
    const token = `1//fake-refresh-${++this.n}-${identity}`;
    this.refresh.set(token, { clientId, identity, scopes, revoked: false, uses: 0 });
    return token;
  }

  /** The array to give the fake Sheets server as a spreadsheet's `sharedWith`: the tokens of these identities. */
  sharingFor(identities: string[]): string[] {
    const entry = { identities: new Set(identities), tokens: [] as string[] };
    for (const [token, m] of this.minted) if (entry.identities.has(m.identity)) entry.tokens.push(token);
    this.sharing.push(entry);
    return entry.tokens;
  }

  /** Who holds this refresh token and whether it still works (for assertions on login/logout). */
  refreshGrant(token: string): { identity: string; revoked: boolean; scopes: string[] } | undefined {
    const g = this.refresh.get(token);
    return g && { identity: g.identity, revoked: g.revoked, scopes: g.scopes };
  }

  /** Every secret it handed out, for "never printed" assertions. */
  secrets(): string[] {
    return [
      ...this.minted.keys(),
      ...this.refresh.keys(),
      ...this.clients.values(),
      ...this.codes.keys(),
      ...this.devices.keys(),
    ];
  }

  /** What a person does in the browser: consents to the authorization URL, gets the code back. */
  consent(authUrl: string, identity: string): { redirect: string; code: string; state: string } {
    const u = new URL(authUrl);
    const clientId = u.searchParams.get("client_id") ?? "";
    const challenge = u.searchParams.get("code_challenge") ?? "";
    if (u.searchParams.get("code_challenge_method") !== "S256" || challenge === "")
      throw new Error("no PKCE");
    const redirect = u.searchParams.get("redirect_uri") ?? "";
    const code = `4/fake-code-${++this.n}`;
    const scopes = (u.searchParams.get("scope") ?? "").split(" ").filter(Boolean);
    this.codes.set(code, { clientId, challenge, identity, scopes, redirect });
    return { redirect, code, state: u.searchParams.get("state") ?? "" };
  }

  /** What a person does on the device page: enters the user code and consents. */
  approveDevice(identity: string): void {
    for (const d of this.devices.values()) d.identity ??= identity;
  }

  private mint(
    identity: string,
    scopes: string[],
  ): { access_token: string; expires_in: number; token_type: string } {
    const token = `ya29.fake-${++this.n}`;
    this.minted.set(token, { identity, scopes });
    this.sheetsTokens.push(token);
    for (const s of this.sharing) if (s.identities.has(identity)) s.tokens.push(token);
    return { access_token: token, expires_in: this.accessTokenTtl, token_type: "Bearer" };
  }

  private idToken(identity: string): string {
    const payload = { iss: "https://accounts.google.com", email: identity, email_verified: true, sub: "1" };
    return `${b64url(JSON.stringify({ alg: "RS256" }))}.${b64url(JSON.stringify(payload))}.${b64url("sig")}`;
  }

  private clientOk(form: URLSearchParams): boolean {
    const id = form.get("client_id") ?? "";
    return this.clients.has(id) && this.clients.get(id) === (form.get("client_secret") ?? "");
  }

  /**
   * In front of the Sheets route: a token this fake minted without any scope the Sheets API accepts gets
   * Google's answer for it (403, reason ACCESS_TOKEN_SCOPE_INSUFFICIENT); anything else goes on.
   */
  sheetsGate(next: Route): Route {
    return (req, res, host) => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      const m = this.minted.get(token);
      if (!m || m.scopes.some((s) => SHEETS_API_SCOPES.includes(s))) return next(req, res, host);
      req.resume();
      json(
        res,
        403,
        {
          error: {
            code: 403,
            message: "Request had insufficient authentication scopes.",
            status: "PERMISSION_DENIED",
            details: [
              {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                domain: "googleapis.com",
                metadata: { service: "sheets.googleapis.com" },
              },
            ],
          },
        },
        { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"' },
      );
    };
  }

  /** The routes the proxy serves under Google's host names. */
  routes(): Record<string, Route> {
    const handle = (
      fn: (req: http.IncomingMessage, res: http.ServerResponse, text: string) => void,
    ): Route => {
      return (req, res) => {
        body(req).then(
          (text) => fn(req, res, text),
          () => res.writeHead(400).end(),
        );
      };
    };
    return {
      "oauth2.googleapis.com": handle((req, res, text) => this.oauth2(req, res, text)),
      "sts.googleapis.com": handle((req, res, text) => this.sts(req, res, text)),
      "iamcredentials.googleapis.com": handle((req, res, text) => this.iam(req, res, text)),
    };
  }

  private oauth2(req: http.IncomingMessage, res: http.ServerResponse, text: string): undefined {
    const url = new URL(req.url ?? "/", "https://oauth2.googleapis.com");
    const form = new URLSearchParams(text);
    if (url.pathname === "/token") return this.token(res, form);
    if (url.pathname === "/device/code") {
      const clientId = form.get("client_id") ?? "";
      if (!this.clients.has(clientId))
        return oauthError(res, 401, "invalid_client", "The OAuth client was not found.");
      const device = `fake-device-${++this.n}`;
      this.devices.set(device, {
        clientId,
        identity: null,
        scopes: (form.get("scope") ?? "").split(" "),
        polls: 0,
      });
      this.log.push({ endpoint: "device/code", outcome: "ok" });
      return json(res, 200, {
        device_code: device,
        user_code: "FAKE-CODE",
        verification_url: "https://www.google.com/device",
        expires_in: 1800,
        interval: 1,
      });
    }
    if (url.pathname === "/tokeninfo") {
      const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      const token = bearer || url.searchParams.get("access_token") || form.get("access_token") || "";
      const m = this.minted.get(token);
      this.log.push({ endpoint: "tokeninfo", outcome: m ? "ok" : "invalid" });
      if (!m) return oauthError(res, 400, "invalid_token", "Invalid Value");
      return json(res, 200, {
        email: m.identity,
        scope: m.scopes.join(" "),
        expires_in: String(this.accessTokenTtl),
      });
    }
    if (url.pathname === "/revoke") {
      const token = url.searchParams.get("token") ?? form.get("token") ?? "";
      const g = this.refresh.get(token);
      if (g) g.revoked = true;
      const known = !!g || this.minted.delete(token);
      this.log.push({ endpoint: "revoke", outcome: known ? "revoked" : "unknown" });
      return known ? json(res, 200, {}) : oauthError(res, 400, "invalid_token", "Token expired or revoked");
    }
    return json(res, 404, { error: "not_found" });
  }

  private token(res: http.ServerResponse, form: URLSearchParams): undefined {
    const grant = form.get("grant_type") ?? "";
    const done = (outcome: string): undefined => {
      this.log.push({ endpoint: "token", grant, outcome });
      return undefined;
    };
    const refuse = (outcome: string, status: number, error: string, description: string): undefined => {
      done(outcome);
      return oauthError(res, status, error, description);
    };
    if (grant === "refresh_token") {
      const g = this.refresh.get(form.get("refresh_token") ?? "");
      if (!this.clientOk(form)) return refuse("bad client", 401, "invalid_client", "Unauthorized");
      if (!g || g.revoked || (this.refreshLimit !== null && g.uses >= this.refreshLimit)) {
        done("invalid_grant");
        return oauthError(res, 400, "invalid_grant", "Token has been expired or revoked.");
      }
      g.uses++;
      done("ok");
      return json(res, 200, { ...this.mint(g.identity, g.scopes), scope: g.scopes.join(" ") });
    }
    if (grant === "authorization_code") {
      const c = this.codes.get(form.get("code") ?? "");
      this.codes.delete(form.get("code") ?? "");
      if (!this.clientOk(form)) return refuse("bad client", 401, "invalid_client", "Unauthorized");
      const verifier = form.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (!c || c.challenge !== challenge || c.redirect !== form.get("redirect_uri")) {
        done("invalid_grant");
        return oauthError(res, 400, "invalid_grant", "Malformed auth code.");
      }
      done("ok");
      return this.userTokens(res, c.clientId, c.identity, c.scopes);
    }
    if (grant === "urn:ietf:params:oauth:grant-type:device_code") {
      const d = this.devices.get(form.get("device_code") ?? "");
      if (!d || !this.clientOk(form)) return refuse("bad", 400, "invalid_grant", "Bad device code.");
      d.polls++;
      if (!d.identity) return refuse("pending", 428, "authorization_pending", "Precondition Required");
      this.devices.delete(form.get("device_code") ?? "");
      done("ok");
      return this.userTokens(res, d.clientId, d.identity, d.scopes);
    }
    if (grant === "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      const [h = "", p = "", s = ""] = (form.get("assertion") ?? "").split(".");
      const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8") || "{}") as {
        iss?: string;
        scope?: string;
      };
      const key = this.serviceAccounts.get(claims.iss ?? "");
      const ok = key && verify("RSA-SHA256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"));
      if (!ok) return refuse("invalid_grant", 400, "invalid_grant", "Invalid JWT Signature.");
      done("ok");
      return json(res, 200, this.mint(claims.iss ?? "", (claims.scope ?? "").split(" ")));
    }
    done("unsupported");
    oauthError(res, 400, "unsupported_grant_type", "Invalid grant_type");
  }

  private userTokens(
    res: http.ServerResponse,
    clientId: string,
    identity: string,
    scopes: string[],
  ): undefined {
    const refresh = this.issueRefreshToken(clientId, identity, scopes);
    json(res, 200, {
      ...this.mint(identity, scopes),
      refresh_token: refresh,
      scope: scopes.join(" "),
      ...(scopes.includes("openid") ? { id_token: this.idToken(identity) } : {}),
    });
  }

  private sts(req: http.IncomingMessage, res: http.ServerResponse, text: string): undefined {
    const form = new URLSearchParams(text);
    const identity = this.federated.get(form.get("subject_token") ?? "");
    const ok =
      req.url?.startsWith("/v1/token") &&
      form.get("grant_type") === "urn:ietf:params:oauth:grant-type:token-exchange";
    this.log.push({ endpoint: "sts", outcome: ok && identity ? "ok" : "invalid_grant" });
    if (!ok || !identity) return oauthError(res, 400, "invalid_grant", "The subject token is invalid.");
    const minted = this.mint(identity, (form.get("scope") ?? "").split(" "));
    json(res, 200, { ...minted, issued_token_type: "urn:ietf:params:oauth:token-type:access_token" });
  }

  private iam(req: http.IncomingMessage, res: http.ServerResponse, text: string): undefined {
    const m = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(req.url ?? "");
    const caller = this.minted.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    const target = m?.[1] ?? "";
    const allowed = !!caller && (this.tokenCreators.get(target)?.has(caller.identity) ?? false);
    this.log.push({ endpoint: "generateAccessToken", outcome: allowed ? "ok" : "denied" });
    if (!m || !caller) {
      return json(res, 401, {
        error: {
          code: 401,
          status: "UNAUTHENTICATED",
          message: "Request had invalid authentication credentials.",
        },
      });
    }
    if (!allowed) {
      return json(res, 403, {
        error: {
          code: 403,
          status: "PERMISSION_DENIED",
          message:
            "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
        },
      });
    }
    const scopes = (JSON.parse(text || "{}") as { scope?: string[] }).scope ?? [];
    const minted = this.mint(target, scopes);
    json(res, 200, {
      accessToken: minted.access_token,
      expireTime: new Date(Date.now() + this.accessTokenTtl * 1000).toISOString(),
    });
  }

  /** The metadata server of a Google Cloud runtime, on a port of its own: its address for GCE_METADATA_HOST. */
  async startMetadata(): Promise<string> {
    this.metadata = http.createServer((req, res) => {
      const flavor = { "metadata-flavor": "Google" };
      const path = (req.url ?? "").replace(/\?.*$/, "");
      const asked = new URL(req.url ?? "/", "http://metadata").searchParams.get("scopes");
      if (req.headers["metadata-flavor"] !== "Google")
        return json(res, 403, { error: "missing flavor" }, flavor);
      this.log.push({ endpoint: `metadata${path.replace("/computeMetadata/v1", "")}`, outcome: "ok" });
      if (path === "/computeMetadata/v1/instance" || path === "/computeMetadata/v1/instance/") {
        return text(res, 200, "attributes/\n", flavor);
      }
      if (path === "/computeMetadata/v1/instance/service-accounts/default/token") {
        // Cloud Run and GKE mint the scopes asked for; without any, cloud-platform.
        const scopes = asked ? asked.split(",") : ["https://www.googleapis.com/auth/cloud-platform"];
        return json(res, 200, this.mint(this.metadataAccount, scopes), flavor);
      }
      if (path === "/computeMetadata/v1/instance/service-accounts/default/email") {
        return text(res, 200, this.metadataAccount, flavor);
      }
      if (path === "/computeMetadata/v1/project/project-id") {
        return text(res, 200, "demo", flavor);
      }
      return text(res, 404, "not found", flavor);
    });
    await new Promise<void>((resolve) => this.metadata?.listen(0, "127.0.0.1", resolve));
    return `127.0.0.1:${(this.metadata.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const m = this.metadata;
    if (!m) return;
    m.closeAllConnections();
    await new Promise<void>((resolve) => m.close(() => resolve()));
  }
}
