/**
 * The service's health endpoints, on node:http (nothing to install, nothing to configure):
 *   GET /healthz   200 {status:"ok", running, lastRunAt, nextRunAt}; 503 {status:"failing", …, error}
 *                  when the last run failed entirely (a run where only some rows failed is still "ok").
 *   GET /last-run  the last finished run's summary as JSON; 404 before the first run ends.
 * Loopback by default: it says when the service runs and how the sheet fared, nothing for the world.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunSummary } from "./run-summary.ts";
import type { HealthState } from "./scheduler.ts";

export interface HealthSource {
  health(): HealthState;
  readonly lastRun: RunSummary | null;
}

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

export function handleHealth(source: HealthSource, req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? "GET";
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (path !== "/healthz" && path !== "/last-run") {
    send(res, 404, { error: "not found: try GET /healthz or GET /last-run" }, false);
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
    const body = {
      status: h.failing ? "failing" : "ok",
      running: h.running,
      lastRunAt: h.lastRunAt,
      nextRunAt: h.nextRunAt,
      ...(h.failing ? { error: h.lastError } : {}),
    };
    send(res, h.failing ? 503 : 200, body, head);
    return;
  }
  const last = source.lastRun;
  if (!last) send(res, 404, { error: "no run has finished yet" }, head);
  else send(res, 200, last, head);
}

export function startHealthServer(
  source: HealthSource,
  options: { host: string; port: number },
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => handleHealth(source, req, res));
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
