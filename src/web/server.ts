/**
 * The status pages on the service's port: `/` (every campaign), `/campaigns/NAME` (one campaign),
 * `/assets/*` (style, chart script, uPlot from node_modules), and `POST /campaigns/NAME/sync` ("sync
 * now"). Mounted as one of health.ts's routes, so the health endpoints answer as before.
 *
 * Read-only except "sync now", which needs the form's per-process token and a same-origin request
 * (CSRF), and is refused while a run of the campaign is going or the sheet is locked. On an interface
 * other than loopback every page needs the token from the environment (`statusAuthOf`).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { assets } from "./assets.ts";
import { buildCampaignView, type CampaignInput, type CampaignView } from "./model.ts";
import { campaignPage, overviewPage, type PageContext } from "./pages.ts";

/** What "sync now" answers: started, or refused with a reason code. */
export type SyncNowResult =
  | { started: true }
  | { started: false; reason: "running" | "locked" | "invalid" | "unknown" | "stopping" };

/** Starts one run of a campaign now (CampaignService.runNow, refused while a run holds the sheet). */
export interface SyncNow {
  runNow(campaign: string): Promise<SyncNowResult> | SyncNowResult;
}

export interface StatusData {
  /** The campaigns' names, in the order the pages list them. */
  names(): string[];
  /** Everything the view model needs of one campaign (null: no such campaign). */
  input(name: string): Promise<CampaignInput | null>;
}

export interface StatusPagesOptions {
  data: StatusData;
  syncNow: SyncNow;
  /** Required on every request when set (bearer, or basic auth with it as the password). */
  token: string | null;
  now?: () => number;
}

export const SYNC_REFUSED_WORDS: Record<Exclude<SyncNowResult, { started: true }>["reason"], string> = {
  running: "not started: a run of this campaign is going; its result shows here when it ends",
  locked: "not started: another run holds the sheet (a manual sync?); try again when it ends",
  invalid: "not started: this campaign's config is bad (see its problem); fix it and restart the service",
  unknown: "not started: there is no such campaign",
  stopping: "not started: the service is stopping",
};

function sendText(res: ServerResponse, status: number, type: string, body: string, head = false): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    // Not no-referrer: with it the browser sends `Origin: null` on the sync-now form, which the CSRF check refuses.
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "content-security-policy":
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(head ? undefined : body);
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** True when the request carries the token (bearer, or basic auth whose password is the token). */
export function authorized(req: IncomingMessage, token: string | null): boolean {
  if (token === null) return true;
  const header = req.headers.authorization ?? "";
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) return same(bearer[1]?.trim() ?? "", token);
  const basic = /^Basic\s+(.+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? "", "base64").toString("utf8");
    return same(decoded.slice(decoded.indexOf(":") + 1), token);
  }
  return false;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 10_000) break;
  }
  return new URLSearchParams(body);
}

export interface StatusPages {
  /** Handles the request when it is a status page's; false to let the health endpoints answer. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The per-process token of the sync-now form (tests). */
  readonly csrf: string;
}

export function statusPages(options: StatusPagesOptions): StatusPages {
  const csrf = randomBytes(24).toString("base64url");
  const now = options.now ?? Date.now;
  const notices = new Map<string, PageContext["notice"]>();

  const views = async (names: string[]): Promise<CampaignView[]> => {
    const out: CampaignView[] = [];
    for (const n of names) {
      const input = await options.data.input(n);
      if (input) out.push(buildCampaignView(input));
    }
    return out;
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    const head = method === "HEAD";
    const html = "text/html; charset=utf-8";
    const asset = /^\/assets\/([\w.-]+)$/.exec(url.pathname);
    if (asset) {
      const file = assets()[asset[1] ?? ""];
      if (!file) sendText(res, 404, "text/plain; charset=utf-8", "not found\n", head);
      else sendText(res, 200, file.type, file.body, head);
      return;
    }
    const sync = /^\/campaigns\/([^/]+)\/sync$/.exec(url.pathname);
    if (sync) {
      if (method !== "POST") {
        res.setHeader("allow", "POST");
        sendText(res, 405, "text/plain; charset=utf-8", "use POST\n");
        return;
      }
      const name = decodeURIComponent(sync[1] ?? "");
      const origin = req.headers.origin;
      const host = req.headers.host ?? "";
      const form = await readForm(req);
      const sameOrigin = origin !== undefined && origin !== "null" && new URL(origin).host === host;
      if (!sameOrigin || !same(form.get("csrf") ?? "", csrf)) {
        sendText(
          res,
          403,
          "text/plain; charset=utf-8",
          "refused: the form's token or the page's origin is wrong\n",
        );
        return;
      }
      if (!options.data.names().includes(name)) {
        sendText(res, 404, "text/plain; charset=utf-8", `${SYNC_REFUSED_WORDS.unknown}\n`);
        return;
      }
      const result = await options.syncNow.runNow(name);
      notices.set(
        name,
        result.started
          ? { tone: "good", words: "sync started: this page shows its result when it ends (reload)" }
          : { tone: "warn", words: SYNC_REFUSED_WORDS[result.reason] },
      );
      res.writeHead(303, { location: `/campaigns/${encodeURIComponent(name)}`, "cache-control": "no-store" });
      res.end();
      return;
    }
    if (method !== "GET" && !head) {
      res.setHeader("allow", "GET, HEAD");
      sendText(res, 405, "text/plain; charset=utf-8", "use GET\n");
      return;
    }
    if (url.pathname === "/") {
      const body = overviewPage(await views(options.data.names()), { now: now(), csrf });
      sendText(res, 200, html, body, head);
      return;
    }
    const one = /^\/campaigns\/([^/]+)$/.exec(url.pathname);
    const name = one ? decodeURIComponent(one[1] ?? "") : "";
    const input = one ? await options.data.input(name) : null;
    if (!input) {
      sendText(res, 404, "text/plain; charset=utf-8", "not found: try / for every campaign\n", head);
      return;
    }
    const notice = notices.get(name) ?? null;
    notices.delete(name);
    sendText(res, 200, html, campaignPage(buildCampaignView(input), { now: now(), csrf, notice }), head);
  }

  return {
    csrf,
    handle(req, res) {
      const url = new URL(req.url ?? "/", "http://localhost");
      const p = url.pathname;
      if (!(p === "/" || p.startsWith("/campaigns/") || p.startsWith("/assets/"))) return false;
      if (!authorized(req, options.token)) {
        res.writeHead(401, {
          "www-authenticate": 'Basic realm="tokportal-sync", charset="UTF-8"',
          "content-type": "text/plain; charset=utf-8",
          "cache-control": "no-store",
        });
        res.end(
          "the status page needs the token (TOKPORTAL_STATUS_TOKEN) as a bearer or basic-auth password\n",
        );
        return true;
      }
      route(req, res, url).catch((err: unknown) => {
        if (!res.headersSent)
          sendText(
            res,
            500,
            "text/plain; charset=utf-8",
            `the page cannot be made: ${(err as Error).message}\n`,
          );
        else res.end();
      });
      return true;
    },
  };
}

/** The environment variable that holds the status page's token. */
export const STATUS_TOKEN_ENV = "TOKPORTAL_STATUS_TOKEN";

export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * The token the pages require on `host`: none on loopback (unless one is set), the environment's
 * elsewhere; an error (refuse to start) on another interface without one.
 */
export function statusAuthOf(host: string, env: Record<string, string | undefined>): string | null {
  const token = env[STATUS_TOKEN_ENV]?.trim() || null;
  if (token === null && !isLoopback(host)) {
    throw new Error(
      `--health-host ${host}: the status page on an interface other than loopback needs a token: set ${STATUS_TOKEN_ENV} (16 characters or more; send it as a bearer token or the basic-auth password), or pass --no-status-page`,
    );
  }
  if (token !== null && token.length < 16) throw new Error(`${STATUS_TOKEN_ENV}: use 16 characters or more`);
  return token;
}
