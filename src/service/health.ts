/**
 * The service's health endpoints, on node:http (nothing to install, nothing to configure):
 *   GET /healthz   200 {status:"ok", running, lastRunAt, nextRunAt}; 503 {status:"failing", …, error}
 *                  when the last run failed entirely (a run where only some rows failed is still "ok").
 *   GET /last-run  the last finished run's summary as JSON; 404 before the first run ends.
 *   GET /runs      the run history (`?campaign=NAME&since=DATE|DURATION&limit=N`), as {runs: [...]}.
 * A service of several campaigns adds `campaigns` to /healthz (each one's state and last run, and the
 * campaigns whose config is bad), answers "degraded" (still 200) while some of them fail, and 503 only
 * when every campaign fails; /last-run then takes `?campaign=NAME`.
 * Loopback by default: it says when the service runs and how the sheet fared, nothing for the world.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HistoryQuery } from "./history.ts";
import type { RunRecord } from "./run-record.ts";
import type { RunSummary } from "./run-summary.ts";
import type { HealthState } from "./scheduler.ts";
import { parseSince } from "./since.ts";

/** One campaign as /healthz shows it. */
export interface CampaignStatus {
  name: string;
  /** `invalid`: its config cannot be used (see `problems`); it does not run. */
  status: "ok" | "failing" | "invalid";
  running: boolean;
  nextRunAt: string | null;
  lastRun: Pick<
    RunSummary,
    "status" | "startedAt" | "finishedAt" | "counts" | "creditsCharged" | "error"
  > | null;
  problems?: string[];
}

export interface HealthSource {
  health(): HealthState;
  readonly lastRun: RunSummary | null;
  /** A service of several campaigns: each one's state. */
  campaigns?(): CampaignStatus[];
  /** A campaign's last finished run (`/last-run?campaign=`). */
  lastRunOf?(campaign: string): RunSummary | null;
  /** The run history (`/runs`). */
  runs?(query: HistoryQuery): Promise<RunRecord[]>;
}

/** Another route of the service's server (the webhook receiver): true when it answered the request. */
export type ServiceRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface HealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(head ? undefined : text);
}

const ROUTES = ["/healthz", "/last-run", "/runs"];

export function handleHealth(source: HealthSource, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  if (!ROUTES.includes(path)) {
    send(res, 404, { error: "not found: try GET /healthz, GET /last-run or GET /runs" }, false);
    return;
  }
  if (method !== "GET" && method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    send(res, 405, { error: `${method} not allowed: use GET` }, false);
    return;
  }
  const head = method === "HEAD";
  if (path === "/healthz") {
    const h = source.health();
    const campaigns = source.campaigns?.();
    const status = h.failing ? "failing" : h.degraded ? "degraded" : "ok";
    const body = {
      status,
      running: h.running,
      lastRunAt: h.lastRunAt,
      nextRunAt: h.nextRunAt,
      ...(h.failing ? { error: h.lastError } : {}),
      ...(campaigns ? { campaigns } : {}),
    };
    send(res, h.failing ? 503 : 200, body, head);
    return;
  }
  if (path === "/runs") {
    answerRuns(source, url, res, head);
    return;
  }
  const campaign = url.searchParams.get("campaign");
  const last = campaign !== null && source.lastRunOf ? source.lastRunOf(campaign) : source.lastRun;
  if (!last) send(res, 404, { error: "no run has finished yet" }, head);
  else send(res, 200, last, head);
}

function answerRuns(source: HealthSource, url: URL, res: ServerResponse, head: boolean): void {
  if (!source.runs) {
    send(res, 404, { error: "this service keeps no run history" }, head);
    return;
  }
  const query: HistoryQuery = {};
  const campaign = url.searchParams.get("campaign");
  if (campaign) query.campaign = campaign;
  const since = url.searchParams.get("since");
  if (since) {
    const at = parseSince(since, Date.now());
    if (at === null) {
      send(
        res,
        400,
        {
          error: `since: expected a date (2026-05-01) or a duration (24h, 7d), got ${JSON.stringify(since)}`,
        },
        head,
      );
      return;
    }
    query.since = at;
  }
  const limit = url.searchParams.get("limit");
  if (limit !== null) {
    if (!/^\d{1,6}$/.test(limit)) {
      send(res, 400, { error: `limit: expected a whole number, got ${JSON.stringify(limit)}` }, head);
      return;
    }
    query.limit = Number(limit);
  }
  source.runs(query).then(
    (runs) => send(res, 200, { runs }, head),
    (err: unknown) =>
      send(res, 500, { error: `the run history cannot be read: ${(err as Error).message}` }, head),
  );
}

export function startHealthServer(
  source: HealthSource,
  options: { host: string; port: number; routes?: readonly ServiceRoute[] },
): Promise<HealthServer> {
  // Other routes (the TokPortal webhook receiver) answer first what is theirs.
  const routes = options.routes ?? [];
  const server: Server = createServer((req, res) => {
    if (!routes.some((route) => route(req, res))) handleHealth(source, req, res);
  });
  // Probes are short; idle keep-alive sockets must not hold the service up when it stops.
  server.keepAliveTimeout = 1_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(":") ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
