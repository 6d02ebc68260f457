/**
 * An HTTPS proxy the way a corporate network has one: clients reach it through `HTTPS_PROXY` (gaxios, the
 * Google client's HTTP layer, honours it), ask to CONNECT to a Google host, and the proxy terminates TLS
 * with a certificate from the test's own authority (ca.ts) and answers from the local fakes. Hosts it does
 * not fake are refused, so a test can never reach the network.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";
import type { TestCa } from "./ca.ts";

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, host: string) => void;

export interface ProxyEntry {
  host: string;
  method: string;
  path: string;
}

export interface FakeGoogleProxy {
  url: string;
  /** Every request that came through, by host and path (never a header or body). */
  log: ProxyEntry[];
  /** CONNECT targets refused (not a faked host). */
  refused: string[];
  close(): Promise<void>;
}

/** Forwards a request to a plain HTTP server (the fake Sheets server), path and headers kept. */
export function forwardTo(base: string): Route {
  const target = new URL(base);
  return (req, res) => {
    const out = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => {
      res.writeHead(502).end();
    });
    req.pipe(out);
  };
}

export async function startFakeGoogleProxy(
  ca: TestCa,
  routes: Record<string, Route>,
): Promise<FakeGoogleProxy> {
  const log: ProxyEntry[] = [];
  const refused: string[] = [];
  const secureContext = createSecureContext({ cert: ca.cert, key: ca.key });
  const front = http.createServer((req, res) => {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    log.push({ host, method: req.method ?? "GET", path: (req.url ?? "/").replace(/\?.*$/, "") });
    const route = routes[host];
    if (!route) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not faked"}');
      return;
    }
    route(req, res, host);
  });
  const sockets = new Set<Socket>();
  const proxy = http.createServer((_req, res) => {
    res.writeHead(405).end();
  });
  proxy.on("connect", (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    const [host = "", port = "443"] = (req.url ?? "").split(":");
    if (!routes[host] || port !== "443") {
      refused.push(req.url ?? "");
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) client.unshift(head);
    const tls = new TLSSocket(client, { isServer: true, secureContext });
    tls.on("error", () => client.destroy());
    front.emit("connection", tls);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    refused,
    close: async () => {
      for (const s of sockets) s.destroy();
      front.closeAllConnections();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
